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
/// First fit in slice order (layer by layer): a slice goes on the first open core that has
/// room for it under all four resource limits, whose profile tables still hold the union of
/// its profiles and theirs (the fifth limit), and that holds the same vmin/vmax; otherwise
/// it opens a new core. Keeping slice order keeps connected layers on neighbouring cores and makes the
/// result deterministic.
///
/// Slices of *divisible* layers — layers no other layer projects to, so cutting them costs
/// no core's output axons — are packed last and may be cut further to fill the room left on
/// open cores (for example the compartments beside a slice whose synapse memory is full).
struct CorePacker {
  let limits: CoreLimits
  /// Whether a layer may be cut further while packing.
  let divisible: [Bool]
  /// The profiles of every neuron.
  let profiles: ProfileTable
  /// What the neurons `range` of `layer` need on one core.
  let demand: (_ layer: Int, _ range: Range<Int>) -> SliceDemand

  /// Pieces smaller than this are not cut off to fill a gap.
  static let smallestFill = 16
  /// How many of the most recently opened cores stay candidates (bounds the first-fit scan).
  static let openCoreLimit = 2048

  /// The placed pieces, in order, with their core, and the number of cores used.
  func pack(_ slices: [LayerSlice]) -> (pieces: [(slice: LayerSlice, core: Int)], coreCount: Int) {
    var used: [SliceDemand] = []
    var registers: [(Int, Int)] = []
    var tables: [CoreProfiles] = []
    var pieces: [(slice: LayerSlice, core: Int)] = []
    // Cores that may still take something; only recent ones are worth scanning.
    var open: [Int] = []

    // Where each core's pieces are, to find a neighbour of the same layer to merge with.
    var piecesOfCore: [[Int]] = []
    /// A piece of the same layer on `core` that `slice` continues (or precedes), and the
    /// merged slice: one slice per run of a layer on a core, so its sources need one input
    /// axon each there, not one per piece.
    func merge(_ slice: LayerSlice, _ core: Int) -> (index: Int, merged: LayerSlice)? {
      for i in piecesOfCore[core] {
        let p = pieces[i].slice
        guard p.layer == slice.layer else { continue }
        if p.range.upperBound == slice.range.lowerBound || slice.range.upperBound == p.range.lowerBound {
          var merged = p
          merged.range = min(p.range.lowerBound, slice.range.lowerBound)..<max(p.range.upperBound, slice.range.upperBound)
          merged.demand = demand(slice.layer, merged.range)
          return (i, merged)
        }
      }
      return nil
    }
    func place(_ slice: LayerSlice, on core: Int) {
      tables[core].insert(profiles.ids(layer: slice.layer, range: slice.range))
      if let (i, merged) = merge(slice, core), (used[core] - pieces[i].slice.demand + merged.demand).fits(limits) {
        used[core] = used[core] - pieces[i].slice.demand + merged.demand
        pieces[i].slice = merged
      } else {
        used[core] = used[core] + slice.demand
        pieces.append((slice, core))
        piecesOfCore[core].append(pieces.count - 1)
      }
      if used[core].compartments >= limits.compartments { open.removeAll { $0 == core } }
    }
    func openCore(for slice: LayerSlice) {
      used.append(SliceDemand(compartments: 0, inputAxons: 0, outputAxons: 0, synapseWords: 0))
      piecesOfCore.append([])
      registers.append((slice.vmin, slice.vmax))
      tables.append(CoreProfiles())
      open.append(used.count - 1)
      if open.count > Self.openCoreLimit { open.removeFirst() }
      place(slice, on: used.count - 1)
    }
    func fits(_ slice: LayerSlice, _ ids: ProfileIDs, _ core: Int) -> Bool {
      guard registers[core] == (slice.vmin, slice.vmax), tables[core].admits(ids, limits: limits) else { return false }
      if let (i, merged) = merge(slice, core), (used[core] - pieces[i].slice.demand + merged.demand).fits(limits) { return true }
      return (used[core] + slice.demand).fits(limits)
    }

    // Indivisible slices first, in order; divisible ones then fill the gaps they leave.
    let ordered = slices.filter { !divisible[$0.layer] } + slices.filter { divisible[$0.layer] }
    for slice in ordered {
      let ids = profiles.ids(layer: slice.layer, range: slice.range)
      if let core = open.first(where: { fits(slice, ids, $0) }) {
        place(slice, on: core)
        continue
      }
      guard divisible[slice.layer] else {
        openCore(for: slice)
        continue
      }
      // Fill gaps: cut off the largest piece that fits an open core, repeatedly.
      var rest = slice
      while true {
        let restIDs = profiles.ids(layer: rest.layer, range: rest.range)
        if let core = open.first(where: { fits(rest, restIDs, $0) }) {
          place(rest, on: core)
          break
        }
        var best: (core: Int, size: Int)? = nil
        for core in open where registers[core] == (rest.vmin, rest.vmax) {
          // The profile tables cap the piece first (a run that adds no more entries than fit).
          let cap =
            profiles.runEnd(
              layer: rest.layer, from: rest.range.lowerBound, upTo: rest.range.upperBound, beside: tables[core], limits: limits)
            - rest.range.lowerBound
          let size = cap < Self.smallestFill ? 0 : largestPiece(of: rest, fitting: used[core], atMost: cap)
          if size >= Self.smallestFill && size > (best?.size ?? 0) { best = (core, size) }
        }
        guard let (core, size) = best else {
          openCore(for: rest)
          break
        }
        let lo = rest.range.lowerBound
        var piece = rest
        piece.range = lo..<(lo + size)
        piece.demand = demand(rest.layer, piece.range)
        place(piece, on: core)
        rest.range = (lo + size)..<rest.range.upperBound
        rest.demand = demand(rest.layer, rest.range)
      }
    }
    return (pieces, used.count)
  }

  /// The most neurons of `slice`, at most `cap`, that fit beside `used` (demand grows with size).
  private func largestPiece(of slice: LayerSlice, fitting used: SliceDemand, atMost cap: Int) -> Int {
    var lo = 0
    var hi = min(cap, slice.range.count - 1)  // the whole slice was already found not to fit
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      let start = slice.range.lowerBound
      if (used + demand(slice.layer, start..<(start + mid))).fits(limits) { lo = mid } else { hi = mid - 1 }
    }
    return lo
  }
}
