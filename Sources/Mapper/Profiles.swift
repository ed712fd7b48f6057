import HardwareSpec
import NetworkModel

/// The distinct profiles a piece of a layer uses, as sorted network-wide ids.
struct ProfileIDs: Equatable {
  /// Compartment profiles: distinct (decay_u, decay_v, refract_delay) tuples.
  var compartment: [Int32]
  /// Threshold profiles: distinct threshold mantissas.
  var threshold: [Int32]
}

/// The per-core profile tables in the network's terms.
///
/// A Loihi core keeps a small table of compartment profiles — each a (decay_u, decay_v,
/// refract_delay, enable_noise) tuple — and one of threshold profiles (vth mantissas); every
/// compartment names one entry of each (its bias is its own). NengoLoihi 1.1.0's
/// `hardware/allocators.py` builds one entry per distinct value on a core, and
/// `hardware/nxsdk_objects.py` sizes the tables (32 and 8). Noise is never enabled here, so
/// a compartment profile is the (decay_u, decay_v, refract_delay) tuple.
///
/// Every distinct tuple and mantissa of the network gets one id; a core's need is the
/// number of distinct ids of the compartments on it — a union, not a sum: layers with equal
/// parameters share entries.
struct ProfileTable {
  /// Per layer, the compartment profile id of every position of its layout; empty when all
  /// its neurons share ``uniformCompartment``.
  private let compartmentIDs: [[Int32]]
  /// Per layer, the threshold profile id of every position; empty when uniform.
  private let thresholdIDs: [[Int32]]
  private let uniformCompartment: [Int32]
  private let uniformThreshold: [Int32]
  /// Distinct compartment and threshold profiles in the whole network.
  let compartmentProfileCount: Int
  let thresholdProfileCount: Int

  /// `order`: per layer, the neuron at every position of its layout (empty: natural order).
  init(network: Network, order: [[Int32]]) {
    var compartmentOf: [UInt64: Int32] = [:]
    var thresholdOf: [Int: Int32] = [:]
    func compartmentID(_ u: Int, _ v: Int, _ r: Int) -> Int32 {
      let key = UInt64(UInt32(truncatingIfNeeded: u) & 0xFFFFF) << 40 | UInt64(UInt32(truncatingIfNeeded: v) & 0xFFFFF) << 20
        | UInt64(UInt32(truncatingIfNeeded: r) & 0xFFFFF)
      if let id = compartmentOf[key] { return id }
      let id = Int32(compartmentOf.count)
      compartmentOf[key] = id
      return id
    }
    func thresholdID(_ m: Int) -> Int32 {
      if let id = thresholdOf[m] { return id }
      let id = Int32(thresholdOf.count)
      thresholdOf[m] = id
      return id
    }
    var compartmentIDs: [[Int32]] = []
    var thresholdIDs: [[Int32]] = []
    var uniformCompartment: [Int32] = []
    var uniformThreshold: [Int32] = []
    for (l, layer) in network.layers.enumerated() {
      let p = layer.neuron
      guard p.hasPerNeuronProfiles else {
        compartmentIDs.append([])
        thresholdIDs.append([])
        uniformCompartment.append(compartmentID(p.decayU, p.decayV, p.refractoryDelay))
        uniformThreshold.append(thresholdID(p.thresholdMantissa))
        continue
      }
      var cx = [Int32](repeating: 0, count: layer.size)
      var vth = [Int32](repeating: 0, count: layer.size)
      for position in 0..<layer.size {
        let i = order[l].isEmpty ? position : Int(order[l][position])
        cx[position] = compartmentID(p.decayU(ofNeuron: i), p.decayV(ofNeuron: i), p.refractoryDelay(ofNeuron: i))
        vth[position] = thresholdID(p.thresholdMantissa(ofNeuron: i))
      }
      // A layer whose lists hold one value throughout is uniform after all.
      let cxUniform = cx.allSatisfy { $0 == cx.first }
      let vthUniform = vth.allSatisfy { $0 == vth.first }
      compartmentIDs.append(cxUniform ? [] : cx)
      thresholdIDs.append(vthUniform ? [] : vth)
      uniformCompartment.append(cx.first ?? 0)
      uniformThreshold.append(vth.first ?? 0)
    }
    self.compartmentIDs = compartmentIDs
    self.thresholdIDs = thresholdIDs
    self.uniformCompartment = uniformCompartment
    self.uniformThreshold = uniformThreshold
    compartmentProfileCount = compartmentOf.count
    thresholdProfileCount = thresholdOf.count
  }

  /// Whether every neuron of `layer` uses one compartment and one threshold profile.
  func isUniform(_ layer: Int) -> Bool { compartmentIDs[layer].isEmpty && thresholdIDs[layer].isEmpty }

  /// The distinct profiles of the neurons at positions `range` of `layer`.
  func ids(layer: Int, range: Range<Int>) -> ProfileIDs {
    func distinct(_ all: [Int32], _ uniform: Int32) -> [Int32] {
      guard !all.isEmpty else { return range.isEmpty ? [] : [uniform] }
      return Array(Set(all[range])).sorted()
    }
    return ProfileIDs(
      compartment: distinct(compartmentIDs[layer], uniformCompartment[layer]),
      threshold: distinct(thresholdIDs[layer], uniformThreshold[layer]))
  }

  /// The distinct profiles of all of `layers`' neurons.
  func ids(layers: [Int], sizes: [Int]) -> ProfileIDs {
    var cx = Set<Int32>()
    var vth = Set<Int32>()
    for l in layers {
      let one = ids(layer: l, range: 0..<sizes[l])
      cx.formUnion(one.compartment)
      vth.formUnion(one.threshold)
    }
    return ProfileIDs(compartment: cx.sorted(), threshold: vth.sorted())
  }

  /// The most distinct compartment and threshold profiles any of the `k` equal slices of
  /// `layer` (of `n` neurons) uses. One pass over the layer.
  func worstSlice(layer: Int, size n: Int, pieces k: Int) -> (compartment: Int, threshold: Int) {
    func worst(_ all: [Int32], ids: Int) -> Int {
      guard !all.isEmpty else { return 1 }
      var lastSlice = [Int](repeating: -1, count: ids)
      var most = 0
      for s in 0..<k {
        var count = 0
        for p in (n * s / k)..<(n * (s + 1) / k) where lastSlice[Int(all[p])] != s {
          lastSlice[Int(all[p])] = s
          count += 1
        }
        most = max(most, count)
      }
      return most
    }
    return (worst(compartmentIDs[layer], ids: compartmentProfileCount), worst(thresholdIDs[layer], ids: thresholdProfileCount))
  }

  /// The end of the longest run of `layer` from `start` (at most to `end`) whose profiles,
  /// with those already on a core (`beside`), fit the core's tables; `start` when not even
  /// one neuron fits.
  func runEnd(layer: Int, from start: Int, upTo end: Int, beside core: CoreProfiles, limits: CoreLimits) -> Int {
    guard start < end else { return start }
    if isUniform(layer) {
      return core.admits(ids(layer: layer, range: start..<(start + 1)), limits: limits) ? end : start
    }
    let cxAll = compartmentIDs[layer]
    let vthAll = thresholdIDs[layer]
    var newCx = Set<Int32>()
    var newVth = Set<Int32>()
    let roomCx = limits.compartmentProfiles - core.compartment.count
    let roomVth = limits.thresholdProfiles - core.threshold.count
    var p = start
    while p < end {
      let cx = cxAll.isEmpty ? uniformCompartment[layer] : cxAll[p]
      let vth = vthAll.isEmpty ? uniformThreshold[layer] : vthAll[p]
      let addsCx = !newCx.contains(cx) && !core.contains(compartment: cx)
      let addsVth = !newVth.contains(vth) && !core.contains(threshold: vth)
      if (addsCx && newCx.count + 1 > roomCx) || (addsVth && newVth.count + 1 > roomVth) { break }
      if addsCx { newCx.insert(cx) }
      if addsVth { newVth.insert(vth) }
      p += 1
    }
    return p
  }
}

/// The profile table entries a core holds so far.
struct CoreProfiles: Equatable {
  /// Sorted ids.
  private(set) var compartment: [Int32] = []
  private(set) var threshold: [Int32] = []

  private static func contains(_ sorted: [Int32], _ id: Int32) -> Bool {
    var lo = 0
    var hi = sorted.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if sorted[mid] < id { lo = mid + 1 } else { hi = mid }
    }
    return lo < sorted.count && sorted[lo] == id
  }

  func contains(compartment id: Int32) -> Bool { Self.contains(compartment, id) }
  func contains(threshold id: Int32) -> Bool { Self.contains(threshold, id) }

  /// The sizes of the tables with `ids` added.
  func counts(adding ids: ProfileIDs) -> (compartment: Int, threshold: Int) {
    (
      compartment.count + ids.compartment.count { !Self.contains(compartment, $0) },
      threshold.count + ids.threshold.count { !Self.contains(threshold, $0) }
    )
  }

  /// Whether the tables still fit the core with `ids` added.
  func admits(_ ids: ProfileIDs, limits: CoreLimits) -> Bool {
    let c = counts(adding: ids)
    return c.compartment <= limits.compartmentProfiles && c.threshold <= limits.thresholdProfiles
  }

  /// Adds `ids` to the tables.
  mutating func insert(_ ids: ProfileIDs) {
    compartment = Array(Set(compartment).union(ids.compartment)).sorted()
    threshold = Array(Set(threshold).union(ids.threshold)).sorted()
  }
}
