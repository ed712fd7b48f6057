import HardwareSpec

/// A slice of a layer: a contiguous range of its neurons that will live on one core.
struct LayerSlice: Equatable {
  /// Layer index.
  var layer: Int
  /// Neuron range within the layer.
  var range: Range<Int>
  /// What the slice needs on its core.
  var demand: SliceDemand
  /// The voltage limits, which are per-core registers: slices sharing a core must agree.
  var vmin: Int
  var vmax: Int
}

/// Packs slices onto as few cores as every limit allows.
///
/// First fit in slice order (layer by layer): a slice goes on the first core that has room
/// for it under all four limits and holds the same vmin/vmax; otherwise it opens a new core.
/// Keeping slice order keeps connected layers on neighbouring cores and makes the result
/// deterministic.
struct CorePacker {
  let limits: CoreLimits

  /// Core index of every slice, and the number of cores used.
  func pack(_ slices: [LayerSlice]) -> (coreOfSlice: [Int], coreCount: Int) {
    var used: [SliceDemand] = []
    var registers: [(Int, Int)] = []
    var coreOfSlice: [Int] = []
    // Cores that still have spare compartments, to bound the first-fit scan.
    var open: [Int] = []
    for slice in slices {
      var chosen: Int? = nil
      for c in open where registers[c] == (slice.vmin, slice.vmax) && (used[c] + slice.demand).fits(limits) {
        chosen = c
        break
      }
      if let c = chosen {
        used[c] = used[c] + slice.demand
        if used[c].compartments >= limits.compartments { open.removeAll { $0 == c } }
        coreOfSlice.append(c)
      } else {
        used.append(slice.demand)
        registers.append((slice.vmin, slice.vmax))
        let c = used.count - 1
        coreOfSlice.append(c)
        if slice.demand.compartments < limits.compartments { open.append(c) }
        // Only the most recent cores are worth scanning; older ones are nearly full.
        if open.count > 64 { open.removeFirst() }
      }
    }
    return (coreOfSlice, used.count)
  }
}
