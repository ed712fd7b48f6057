import CoreMapModel
import LoihiArithmetic

/// The mutable state of one neuro-core.
///
/// State lives in buffers allocated once, sized by the core map, so a step allocates nothing
/// and several workers can update disjoint compartment ranges of one core at the same time
/// (see ``CoreSlice``). During the parallel phase the inbox is only read; it is cleared and
/// refilled in the sequential routing phase. That discipline is why the class can be
/// `@unchecked Sendable`.
final class CoreState: @unchecked Sendable {
  /// The core's program (shared, read-only), and the memory that holds it.
  let program: CoreMemory
  private let owner: ProgramMemory
  let compartmentCount: Int

  /// Dendritic accumulator in synaptic units (64 current units). Wrapping 16-bit adds are
  /// exactly the chip's 22-bit accumulator: `64 · wrap16(Σw) = wrap22(Σ 64·w)`.
  let input: UnsafeMutableBufferPointer<Int16>
  /// Current `u`, 24-bit signed.
  let current: UnsafeMutableBufferPointer<Int32>
  /// Voltage `v`, within [vmin, vmax].
  let voltage: UnsafeMutableBufferPointer<Int32>
  /// Refractory steps remaining.
  let refractoryCount: UnsafeMutableBufferPointer<Int32>
  /// 1 if the compartment spiked in the last step.
  let spiked: UnsafeMutableBufferPointer<UInt8>
  /// Spikes fired so far, per compartment (kept whether or not spike logs are).
  let spikeTotals: UnsafeMutableBufferPointer<Int32>

  /// Input axons that received a spike to be delivered in the next step: the first
  /// `inboxCount` entries. Capacity is the number of routes that end on this core, the most
  /// that can arrive in one step (each source spikes at most once per step).
  let inbox: UnsafeMutableBufferPointer<Int32>
  /// Number of valid entries in ``inbox``.
  var inboxCount = 0
  /// Spikes fired so far.
  var spikeLog = CoreSpikeLog()
  /// Counters kept by the sequential phase (axon inputs, routed messages).
  var routingActivity = CoreActivity()

  init(memory: ProgramMemory, core: Int, incomingRoutes: Int) {
    owner = memory
    program = memory.cores[core]
    inbox = .allocate(capacity: max(incomingRoutes, 1))
    inbox.initialize(repeating: 0)
    let n = program.compartmentCount
    compartmentCount = n
    input = .allocate(capacity: n)
    input.initialize(repeating: 0)
    current = .allocate(capacity: n)
    current.initialize(repeating: 0)
    voltage = .allocate(capacity: n)
    voltage.initialize(repeating: 0)
    refractoryCount = .allocate(capacity: n)
    refractoryCount.initialize(repeating: 0)
    spiked = .allocate(capacity: n)
    spiked.initialize(repeating: 0)
    spikeTotals = .allocate(capacity: max(n, 1))
    spikeTotals.initialize(repeating: 0)
  }

  deinit {
    inbox.deallocate()
    input.deallocate()
    current.deallocate()
    voltage.deallocate()
    refractoryCount.deallocate()
    spiked.deallocate()
    spikeTotals.deallocate()
  }
}

/// A contiguous range of one core's compartments, stepped by one worker: the unit of
/// parallel work. A core whose synapse lists are all dense may be cut into several slices;
/// each slice delivers the part of every spiking axon's list that falls in its range, then
/// updates its compartments.
final class CoreSlice: @unchecked Sendable {
  let core: CoreState
  let coreIndex: Int
  let range: Range<Int>
  /// Compartments of this slice that spiked in the last step, ascending: the first
  /// `spikeCount` entries.
  let spikes: UnsafeMutableBufferPointer<Int32>
  /// Number of valid entries in ``spikes``.
  var spikeCount = 0
  /// Synaptic ops, compartment updates and spikes of this slice.
  var activity = CoreActivity()
  /// Synaptic ops and active compartment updates of the last step (for step timing).
  var lastStepOps = 0
  var lastStepActive = 0

  init(core: CoreState, coreIndex: Int, range: Range<Int>) {
    self.core = core
    self.coreIndex = coreIndex
    self.range = range
    spikes = .allocate(capacity: max(range.count, 1))
    spikes.initialize(repeating: 0)
  }

  deinit { spikes.deallocate() }

  /// The spiking compartments of the last step.
  var lastSpikes: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(rebasing: spikes[0..<spikeCount]) }

  /// Runs phases 1 and 2 of step `t` on this slice.
  func step() {
    deliverInbox()
    updateCompartments()
  }

  /// Phase 1: every spike in the core's inbox adds the part of its synapse list that falls
  /// in this slice to the accumulators.
  ///
  /// Dense lists with the same target range and shift (all rows of one connection) are
  /// summed four at a time before touching the accumulators, which cuts accumulator loads
  /// and stores by four; the adds wrap, so grouping does not change any result.
  private func deliverInbox() {
    let program = core.program
    let lo = range.lowerBound
    let hi = range.upperBound
    let q = core.input.baseAddress!
    var ops: Int64 = 0
    var group = DenseGroup()
    let inbox = core.inbox.baseAddress!
    let segStart = program.axonSegmentStart
    let segments = program.segments
    let weights = program.weights
    let targets = program.sparseTargets
    for i in 0..<core.inboxCount {
      let a = Int(inbox[i])
      for s in Int(segStart[a])..<Int(segStart[a + 1]) {
        let seg = segments[s]
        if seg.count == 0 { continue }  // (weights may then be empty)
        let w = weights + Int(seg.weightOffset)
        if seg.targetOffset < 0 {
          let first = Int(seg.firstCompartment)
          let start = max(first, lo)
          let end = min(first + Int(seg.count), hi)
          if start >= end { continue }
          ops &+= Int64(end - start)
          let row = w + (start - first)
          if !group.accepts(start: start, end: end, shift: seg.shift) {
            group.flush(into: q)
            group.begin(start: start, end: end, shift: seg.shift)
          }
          group.add(row)
          if group.isFull { group.flush(into: q) }
        } else {
          // Sparse lists only occur on cores that are not sliced.
          let shift = Int16(truncatingIfNeeded: seg.shift)
          let idx = targets + Int(seg.targetOffset)
          let count = Int(seg.count)
          for k in 0..<count {
            q[Int(idx[k])] &+= Int16(truncatingIfNeeded: w[k]) &<< shift
          }
          ops &+= Int64(count)
        }
      }
    }
    group.flush(into: q)
    activity.synapticOps &+= ops
    lastStepOps = Int(ops)
  }

  /// Phase 2: the compartment update, in the chip's order (see docs/emulator-semantics.md).
  private func updateCompartments() {
    let program = core.program
    let vmin = program.vmin
    let vmax = program.vmax
    let q = core.input.baseAddress!
    let u = core.current.baseAddress!
    let v = core.voltage.baseAddress!
    let ref = core.refractoryCount.baseAddress!
    let fired = core.spiked.baseAddress!
    let totals = core.spikeTotals.baseAddress!
    let spikeOut = spikes.baseAddress!
    var spikeCount = 0
    let uf = program.currentFactor
    let vf = program.voltageFactor
    let bias = program.bias
    let vth = program.threshold
    let delay = program.refractoryDelay
    var active = 0
    for c in range {
      // Synaptic input this step (22-bit wrap via the 16-bit accumulator).
      let q0 = Int32(q[c]) &<< ChipFields.weightToCurrentShift
      q[c] = 0
      // Active: anything here can change the state or fire (counted without a branch).
      active &+= (q0 | u[c] | v[c] | bias[c] | ref[c]) != 0 ? 1 : 0
      // Current, voltage, refractory period, threshold and reset: the chip's dynamics.
      let spiked = CompartmentDynamics.step(
        current: &u[c], voltage: &v[c], refractory: &ref[c], input: q0, currentFactor: uf[c], voltageFactor: vf[c], bias: bias[c],
        threshold: vth[c], refractoryDelay: delay[c], vmin: vmin, vmax: vmax)
      if spiked {
        fired[c] = 1
        totals[c] &+= 1
        spikeOut[spikeCount] = Int32(truncatingIfNeeded: c)
        spikeCount += 1
      } else {
        fired[c] = 0
      }
    }
    self.spikeCount = spikeCount
    activity.compartmentUpdates &+= Int64(range.count)
    activity.activeCompartmentUpdates &+= Int64(active)
    lastStepActive = active
    activity.spikes &+= Int64(spikeCount)
  }
}

/// Up to four dense synapse rows over the same compartments with the same shift, waiting to
/// be added to the accumulators in one pass.
private struct DenseGroup {
  var start = 0
  var end = 0
  var shift: Int32 = 0
  var count = 0
  var r0: UnsafePointer<Int8>? = nil
  var r1: UnsafePointer<Int8>? = nil
  var r2: UnsafePointer<Int8>? = nil
  var r3: UnsafePointer<Int8>? = nil

  var isFull: Bool { count == 4 }

  func accepts(start: Int, end: Int, shift: Int32) -> Bool {
    count > 0 && start == self.start && end == self.end && shift == self.shift
  }

  mutating func begin(start: Int, end: Int, shift: Int32) {
    self.start = start
    self.end = end
    self.shift = shift
  }

  mutating func add(_ row: UnsafePointer<Int8>) {
    switch count {
    case 0: r0 = row
    case 1: r1 = row
    case 2: r2 = row
    default: r3 = row
    }
    count += 1
  }

  /// Adds the pending rows to `q[start ..< end]` and empties the group.
  mutating func flush(into q: UnsafeMutablePointer<Int16>) {
    let n = end - start
    let dst = q + start
    let s = Int16(truncatingIfNeeded: shift)
    switch count {
    case 0:
      return
    case 1:
      let a = r0!
      for k in 0..<n { dst[k] &+= Int16(truncatingIfNeeded: a[k]) &<< s }
    case 2:
      let a = r0!, b = r1!
      for k in 0..<n {
        dst[k] &+= (Int16(truncatingIfNeeded: a[k]) &+ Int16(truncatingIfNeeded: b[k])) &<< s
      }
    case 3:
      let a = r0!, b = r1!, c = r2!
      for k in 0..<n {
        dst[k] &+=
          (Int16(truncatingIfNeeded: a[k]) &+ Int16(truncatingIfNeeded: b[k])
            &+ Int16(truncatingIfNeeded: c[k])) &<< s
      }
    default:
      let a = r0!, b = r1!, c = r2!, d = r3!
      for k in 0..<n {
        dst[k] &+=
          (Int16(truncatingIfNeeded: a[k]) &+ Int16(truncatingIfNeeded: b[k])
            &+ Int16(truncatingIfNeeded: c[k]) &+ Int16(truncatingIfNeeded: d[k])) &<< s
      }
    }
    count = 0
  }
}
