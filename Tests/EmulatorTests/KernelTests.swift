import Emulator
import EmulatorKernels
import LoihiArithmetic
import Testing

/// The C kernels (Sources/EmulatorKernels) against the Swift definitions of the chip's
/// arithmetic, lane by lane, on edge values and on random values across every field's range.
/// Every instruction set this CPU can run is tested.
@Suite struct KernelTests {
  /// The first index where `a` and `b` differ (so a failure names one lane, not two arrays).
  func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> Int? {
    a.count != b.count ? min(a.count, b.count) : a.indices.first { a[$0] != b[$0] }
  }

  /// The kernel sets this CPU runs, best first.
  static var sets: [nm_kernels] {
    withUnsafeTemporaryAllocation(of: UnsafePointer<nm_kernels>?.self, capacity: 8) { buffer in
      buffer.prefix(Int(nm_kernel_sets(buffer.baseAddress, 8))).compactMap { $0?.pointee }
    }
  }

  /// A value of `range`, an edge of it one time in four.
  static func pick(_ range: ClosedRange<Int32>, _ rng: inout SplitMix64) -> Int32 {
    switch rng.next() % 8 {
    case 0: return range.lowerBound
    case 1: return range.upperBound
    default: return Int32.random(in: range, using: &rng)
    }
  }

  @Test(arguments: [(UInt64(1), Int32(-(1 << 23)), Int32((1 << 23) - 1)), (2, 0, 8_388_607), (3, -4096, 4096), (4, -1, 0), (5, 0, 0)])
  func compartmentUpdateEqualsCompartmentDynamics(seed: UInt64, vmin: Int32, vmax: Int32) {
    for kernels in Self.sets {
      compartmentUpdate(kernels, seed: seed, vmin: vmin, vmax: vmax, oneProfile: false)
      compartmentUpdate(kernels, seed: seed, vmin: vmin, vmax: vmax, oneProfile: true)
    }
  }

  /// With `oneProfile`, every compartment has the same decays, threshold and refractory
  /// delay, and the kernel is given them as its core's profile instead of arrays.
  func compartmentUpdate(_ kernels: nm_kernels, seed: UInt64, vmin: Int32, vmax: Int32, oneProfile: Bool) {
    let isa = String(cString: kernels.isa) + (oneProfile ? ", one profile" : "")
    var rng = SplitMix64(seed: seed)
    let n = 1037  // not a multiple of any vector width
    let lo = 5, hi = 1030  // an inner slice: lanes outside it stay untouched
    let small = seed == 2  // mostly zero state, so quiet compartments and sparse spikes occur
    func field(_ r: ClosedRange<Int32>) -> [Int32] { (0..<n).map { _ in small && rng.next() % 3 != 0 ? 0 : Self.pick(r, &rng) } }
    var uf = field(0...4095), vf = field(1...4096)
    let bias = field(-(1 << 23)...((1 << 23) - 1))
    var vth = (0..<n).map { _ in Self.pick(1...(1 << 23), &rng) }
    var delay = field(0...63)
    if oneProfile {
      // A small threshold and a long refractory delay, so spikes and held compartments occur.
      uf = [Int32](repeating: uf[0], count: n)
      vf = [Int32](repeating: vf[0] == 0 ? 1 : vf[0], count: n)
      vth = [Int32](repeating: Self.pick(1...max(1, min(1 << 16, vmax - 1)), &rng), count: n)
      delay = [Int32](repeating: 5, count: n)
    }
    let profile = nm_profile(current_factor: uf[0], voltage_factor: vf[0], threshold: vth[0], refractory_delay: delay[0])
    var q = (0..<n).map { _ in small && rng.next() % 2 == 0 ? Int16(0) : Int16(truncatingIfNeeded: rng.next()) }
    var u = field(-(1 << 23)...((1 << 23) - 1)), v = field(vmin...vmax), ref = field(0...63)
    var fired = [UInt8](repeating: 7, count: n), totals = (0..<n).map { _ in Int32.random(in: 0...1000, using: &rng) }
    totals[lo] = Int32.max  // the count wraps, as the Swift emulator's &+= does

    // The definition, one compartment at a time.
    var (eu, ev, eref, eq, efired, etotals) = (u, v, ref, q, fired, totals)
    var espikes: [Int32] = []
    var eactive: Int64 = 0
    for c in lo..<hi {
      let q0 = Int32(q[c]) &<< ChipFields.weightToCurrentShift
      eq[c] = 0
      if (q0 | u[c] | v[c] | bias[c] | ref[c]) != 0 { eactive += 1 }
      let spiked = CompartmentDynamics.step(
        current: &eu[c], voltage: &ev[c], refractory: &eref[c], input: q0, currentFactor: uf[c], voltageFactor: vf[c],
        bias: bias[c], threshold: vth[c], refractoryDelay: delay[c], vmin: vmin, vmax: vmax)
      efired[c] = spiked ? 1 : 0
      if spiked {
        etotals[c] &+= 1
        espikes.append(Int32(c))
      }
    }

    // Exactly hi - lo of room, with a canary after it: the vector stores must stay inside.
    var spikes = [Int32](repeating: -1, count: hi - lo + 1)
    var active: Int64 = -1
    let count = uf.withUnsafeBufferPointer { uf in
      vf.withUnsafeBufferPointer { vf in
        bias.withUnsafeBufferPointer { bias in
          vth.withUnsafeBufferPointer { vth in
            delay.withUnsafeBufferPointer { delay in
              q.withUnsafeMutableBufferPointer { q in
                u.withUnsafeMutableBufferPointer { u in
                  v.withUnsafeMutableBufferPointer { v in
                    ref.withUnsafeMutableBufferPointer { ref in
                      fired.withUnsafeMutableBufferPointer { fired in
                        totals.withUnsafeMutableBufferPointer { totals in
                          var c = nm_compartments(
                            current_factor: oneProfile ? nil : uf.baseAddress, voltage_factor: oneProfile ? nil : vf.baseAddress,
                            bias: bias.baseAddress, threshold: oneProfile ? nil : vth.baseAddress,
                            refractory_delay: oneProfile ? nil : delay.baseAddress, profile: profile, vmin: vmin, vmax: vmax,
                            input: q.baseAddress, current: u.baseAddress, voltage: v.baseAddress, refractory: ref.baseAddress,
                            spiked: fired.baseAddress, spike_totals: totals.baseAddress)
                          return kernels.update_compartments(&c, Int64(lo), Int64(hi), &spikes, &active)
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    #expect(firstDifference(u, eu) == nil, "\(isa): u")
    #expect(firstDifference(v, ev) == nil, "\(isa): v")
    #expect(firstDifference(ref, eref) == nil, "\(isa): ref")
    #expect(firstDifference(q, eq) == nil, "\(isa): q")
    #expect(firstDifference(fired, efired) == nil, "\(isa): fired")
    #expect(firstDifference(totals, etotals) == nil, "\(isa): totals")
    #expect(Array(spikes.prefix(Int(count))) == espikes, "\(isa)")
    #expect(spikes[hi - lo] == -1, "\(isa): wrote past hi - lo")
    #expect(active == eactive, "\(isa)")
    // The cases exercise what they claim to: spikes, quiet and refractory compartments.
    #expect(vmax <= 0 || !espikes.isEmpty)  // (nothing can pass a positive threshold at vmax 0)
    #expect(!small || eactive < Int64(hi - lo))
    #expect(espikes.count < hi - lo)
  }

  @Test(arguments: 1...Int(NM_MAX_GROUPED_ROWS))
  func denseRowsEqualOneAtATimeWrappingAdds(count: Int) {
    for kernels in Self.sets { denseRows(kernels, count: count) }
  }

  func denseRows(_ kernels: nm_kernels, count: Int) {
    let isa = String(cString: kernels.isa)
    var rng = SplitMix64(seed: UInt64(100 + count))
    for n in [0, 1, 15, 33, 64, 1000, 1031] {
      for shift in [0, 1, 6, 9, 15] as [Int32] {
        let rows = (0..<count).map { _ in (0..<n).map { _ in Int8(truncatingIfNeeded: rng.next()) } }
        let start = (0..<n + 3).map { _ in Int16(truncatingIfNeeded: rng.next()) }
        var expected = start
        for row in rows {
          for k in 0..<n { expected[k + 2] &+= Int16(row[k]) &<< Int16(shift) }
        }
        var got = start
        let pointers = rows.map { row -> UnsafeMutablePointer<Int8> in
          let p = UnsafeMutablePointer<Int8>.allocate(capacity: max(n, 1))
          p.initialize(from: row, count: n)
          return p
        }
        defer { pointers.forEach { $0.deallocate() } }
        let rowPointers: [UnsafePointer<Int8>?] = pointers.map { UnsafePointer($0) }
        got.withUnsafeMutableBufferPointer { dst in
          rowPointers.withUnsafeBufferPointer { r in kernels.add_rows(dst.baseAddress! + 2, r.baseAddress, Int32(count), Int64(n), shift) }
        }
        #expect(firstDifference(got, expected) == nil, "\(isa): rows \(count), n \(n), shift \(shift)")
      }
    }
  }

  /// Delivery of an inbox over dense and sparse lists (16- and 32-bit targets), whole-core
  /// and over an inner range, against one wrapping add per synapse.
  @Test(arguments: [UInt64(21), 22, 23])
  func deliveryEqualsOneAddPerSynapse(seed: UInt64) {
    for kernels in Self.sets {
      for wide in [false, true] {
        for (lo, hi) in [(0, 300), (37, 250)] where !(lo > 0 && seed == 23) {
          delivery(kernels, seed: seed, wideTargets: wide, lo: lo, hi: hi)
        }
      }
    }
  }

  func delivery(_ kernels: nm_kernels, seed: UInt64, wideTargets: Bool, lo: Int, hi: Int) {
    let isa = String(cString: kernels.isa) + (wideTargets ? ", 32-bit targets" : ", 16-bit targets")
    var rng = SplitMix64(seed: seed)
    let n = 300
    let sparseAllowed = lo == 0 && hi == n  // sparse lists only on whole cores
    var segments: [nm_segment] = []
    var start: [Int32] = [0]
    var weights: [Int8] = []
    var targets: [Int32] = []
    for _ in 0..<40 {  // 40 axons of 0 ... 3 lists each
      for _ in 0..<Int(rng.next() % 4) {
        let shift = UInt32(rng.next() % 16)
        let count = Int(rng.next() % 40)
        let offset = Int32(weights.count)
        weights += (0..<count).map { _ in Int8(truncatingIfNeeded: rng.next()) }
        if sparseAllowed && rng.next() % 2 == 0 {
          // Distinct targets, as a list has.
          var pool = Array(0..<n)
          pool.shuffle(using: &rng)
          let t = Int32(targets.count)
          targets += pool.prefix(count).map { Int32($0) }
          segments.append(nm_segment(first: 0, count_shift: UInt32(count) | shift << 28, weight_offset: offset, target_offset: t))
        } else {
          let first = Int32(rng.next() % UInt64(n - count + 1))
          segments.append(nm_segment(first: first, count_shift: UInt32(count) | shift << 28, weight_offset: offset, target_offset: -1))
        }
      }
      start.append(Int32(segments.count))
    }
    // Every axon once, some twice, in a shuffled order (an inbox is in arrival order).
    var inbox = (0..<40).map { Int32($0) } + (0..<10).map { _ in Int32(rng.next() % 40) }
    inbox.shuffle(using: &rng)
    let initial = (0..<n).map { _ in Int16(truncatingIfNeeded: rng.next()) }
    var expected = initial
    var expectedOps: Int64 = 0
    for a in inbox {
      for seg in segments[Int(start[Int(a)])..<Int(start[Int(a) + 1])] {
        let count = Int(seg.count_shift & 0x0FFF_FFFF)
        let shift = Int16(seg.count_shift >> 28)
        for k in 0..<count {
          let target = seg.target_offset < 0 ? Int(seg.first) + k : Int(targets[Int(seg.target_offset) + k])
          guard target >= lo && target < hi else { continue }
          expected[target] &+= Int16(weights[Int(seg.weight_offset) + k]) &<< shift
          expectedOps += 1
        }
      }
    }
    var q = initial
    let targets16 = targets.map { UInt16($0) }
    let ops = start.withUnsafeBufferPointer { start in
      segments.withUnsafeBufferPointer { segments in
        weights.withUnsafeBufferPointer { weights in
          targets.withUnsafeBufferPointer { targets in
            targets16.withUnsafeBufferPointer { targets16 in
              inbox.withUnsafeBufferPointer { inbox in
                q.withUnsafeMutableBufferPointer { q in
                  var synapses = nm_synapses(
                    axon_segment_start: start.baseAddress, segments: segments.baseAddress, weights: weights.baseAddress,
                    sparse_targets16: wideTargets ? nil : targets16.baseAddress, sparse_targets: wideTargets ? targets.baseAddress : nil)
                  return kernels.deliver(&synapses, inbox.baseAddress, Int64(inbox.count), Int64(lo), Int64(hi), q.baseAddress)
                }
              }
            }
          }
        }
      }
    }
    #expect(firstDifference(q, expected) == nil, "\(isa), range \(lo)..<\(hi)")
    #expect(ops == expectedOps, "\(isa)")
    #expect(expectedOps > 500, "the case should reach many synapses")
  }

  @Test func everySetIsNamedAndThePortableOneIsLast() {
    let names = Self.sets.map { String(cString: $0.isa) }
    #expect(names.last == "portable")
    #expect(names.map { KernelInstructionSet(rawValue: $0) } == KernelInstructionSet.available.map { Optional($0) })
    #expect(nm_kernels_named("no-such-set") == nil)
  }
}
