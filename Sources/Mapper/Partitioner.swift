import Dispatch
import HardwareSpec
import NetworkModel

/// The per-core resources one piece of a layer needs.
struct SliceDemand: Equatable {
  var compartments: Int
  var inputAxons: Int
  var outputAxons: Int
  var synapseWords: Int

  static func + (a: SliceDemand, b: SliceDemand) -> SliceDemand {
    SliceDemand(
      compartments: a.compartments + b.compartments, inputAxons: a.inputAxons + b.inputAxons,
      outputAxons: a.outputAxons + b.outputAxons, synapseWords: a.synapseWords + b.synapseWords)
  }

  static func - (a: SliceDemand, b: SliceDemand) -> SliceDemand {
    SliceDemand(
      compartments: a.compartments - b.compartments, inputAxons: a.inputAxons - b.inputAxons,
      outputAxons: a.outputAxons - b.outputAxons, synapseWords: a.synapseWords - b.synapseWords)
  }

  /// Whether this need fits within `room`, resource by resource.
  func fits(_ room: SliceDemand) -> Bool {
    compartments <= room.compartments && inputAxons <= room.inputAxons && outputAxons <= room.outputAxons
      && synapseWords <= room.synapseWords
  }

  func fits(_ limits: CoreLimits) -> Bool {
    compartments <= limits.compartments && inputAxons <= limits.inputAxons
      && outputAxons <= limits.outputAxons && synapseWords <= limits.synapseWords
  }
}

/// Decides how many equal, contiguous slices every layer is cut into so that each slice
/// fits a core under all five limits: compartments, input axons, output axons, synapse
/// memory, and the profile tables (``ProfileTable``: distinct compartment and threshold
/// profiles per slice).
///
/// A slice of `m` neurons of layer L needs `m` compartments; one input axon per source
/// neuron of every connection into L (each holds a dense list over the slice); synapse
/// memory for those lists (`m` synapses each, counted in chunks and whole words); and one
/// output axon per neuron per destination slice of every connection out of L. The last
/// term couples layers: cutting a target into more slices costs its sources output axons.
/// The partitioner therefore iterates until no layer needs more slices (counts only grow,
/// so it terminates).
struct Partitioner {
  let network: Network
  let limits: CoreLimits
  let layerIndex: [String: Int]

  /// Incoming connections of each layer (indices into `network.connections`).
  let incoming: [[Int]]
  /// Outgoing connections of each layer.
  let outgoing: [[Int]]
  /// The order in which each layer's neurons are laid out on cores, or empty for the
  /// natural order. Layers fed by convolutions are laid out position-major (all channels of
  /// a pixel together), so a slice is a spatial tile with every channel: the channels share
  /// their input axons, which is what keeps a convolution's fan-in per core small.
  let order: [[Int32]]
  /// Inverse of ``order``: the position of every neuron (empty for the natural order).
  let position: [[Int32]]
  /// For every sparse connection: per source column, the positions (in the target's order)
  /// of the neurons it reaches, ascending.
  let sparsePositions: [Int: (start: [Int], positions: [Int32], entries: [Int32])]
  /// For every sparse connection, the transpose: per target position (in the target's
  /// order), the source columns that reach it, ascending.
  let sourcesByPosition: [Int: (start: [Int], sources: [Int32])]
  /// The compartment and threshold profiles of every neuron (the fifth per-core limit).
  let profiles: ProfileTable

  init(network: Network, limits: CoreLimits) {
    self.network = network
    self.limits = limits
    var index: [String: Int] = [:]
    for (i, layer) in network.layers.enumerated() { index[layer.name] = i }
    layerIndex = index
    var incoming = [[Int]](repeating: [], count: network.layers.count)
    var outgoing = [[Int]](repeating: [], count: network.layers.count)
    for (k, c) in network.connections.enumerated() {
      if let t = index[c.to] { incoming[t].append(k) }
      if let s = index[c.from] { outgoing[s].append(k) }
    }
    self.incoming = incoming
    self.outgoing = outgoing
    var order = [[Int32]](repeating: [], count: network.layers.count)
    var position = [[Int32]](repeating: [], count: network.layers.count)
    for (i, layer) in network.layers.enumerated() {
      guard let shape = layer.shape, shape.count == 3, incoming[i].contains(where: { network.connections[$0].weights.sparse != nil })
      else { continue }
      let (c, h, w) = (shape[0], shape[1], shape[2])
      var o = [Int32](repeating: 0, count: layer.size)
      var p = [Int32](repeating: 0, count: layer.size)
      var k = 0
      for y in 0..<h {
        for x in 0..<w {
          for ch in 0..<c {
            let neuron = (ch * h + y) * w + x
            o[k] = Int32(neuron)
            p[neuron] = Int32(k)
            k += 1
          }
        }
      }
      order[i] = o
      position[i] = p
    }
    self.order = order
    self.position = position
    profiles = ProfileTable(network: network, order: order)
    var sparsePositions: [Int: (start: [Int], positions: [Int32], entries: [Int32])] = [:]
    for (k, c) in network.connections.enumerated() {
      guard let sparse = c.weights.sparse, let t = index[c.to] else { continue }
      var positions = sparse.rowIndex
      var entries = (0..<Int32(sparse.rowIndex.count)).map { $0 }
      if !position[t].isEmpty {
        // Per column, its entries by target position: sort (position, entry) packed in 64
        // bits. Columns are independent, so chunks of them sort on all cores.
        let columns = c.weights.columns
        let columnStart = sparse.columnStart
        let chunks = min(columns, 16)
        positions.withUnsafeMutableBufferPointer { positionsOut in
          entries.withUnsafeMutableBufferPointer { entriesOut in
            sparse.rowIndex.withUnsafeBufferPointer { rows in
              position[t].withUnsafeBufferPointer { layout in
                // Each chunk writes only its own columns' slots.
                nonisolated(unsafe) let (positionsOut, entriesOut, rows, layout) = (positionsOut, entriesOut, rows, layout)
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                  var keys: [UInt64] = []
                  for j in (columns * chunk / chunks)..<(columns * (chunk + 1) / chunks) {
                    let range = columnStart[j]..<columnStart[j + 1]
                    keys.removeAll(keepingCapacity: true)
                    for e in range { keys.append(UInt64(UInt32(layout[Int(rows[e])])) << 32 | UInt64(e - range.lowerBound)) }
                    keys.sort()
                    for (slot, key) in zip(range, keys) {
                      positionsOut[slot] = Int32(truncatingIfNeeded: key >> 32)
                      entriesOut[slot] = Int32(range.lowerBound + Int(key & 0xFFFF_FFFF))
                    }
                  }
                }
              }
            }
          }
        }
      }
      sparsePositions[k] = (sparse.columnStart, positions, entries)
    }
    self.sparsePositions = sparsePositions
    // The transposes: per target position, the source columns that reach it.
    var sourcesByPosition: [Int: (start: [Int], sources: [Int32])] = [:]
    for (k, column) in sparsePositions {
      guard let t = index[network.connections[k].to] else { continue }
      let n = network.layers[t].size
      var start = [Int](repeating: 0, count: n + 1)
      for p in column.positions { start[Int(p) + 1] += 1 }
      for p in 0..<n { start[p + 1] += start[p] }
      var fill = Array(start.dropLast())
      var sources = [Int32](repeating: 0, count: column.positions.count)
      for j in 0..<(column.start.count - 1) {
        for e in column.start[j]..<column.start[j + 1] {
          let p = Int(column.positions[e])
          sources[fill[p]] = Int32(j)
          fill[p] += 1
        }
      }
      sourcesByPosition[k] = (start, sources)
    }
    self.sourcesByPosition = sourcesByPosition
  }

  /// The neuron at `position` of `layer`'s layout.
  func neuron(layer: Int, at position: Int) -> Int {
    order[layer].isEmpty ? position : Int(order[layer][position])
  }

  /// The position of `neuron` in `layer`'s layout.
  func position(layer: Int, of neuron: Int) -> Int {
    position[layer].isEmpty ? neuron : Int(position[layer][neuron])
  }

  /// Bits a sparse synapse spends on its target index: enough to address every compartment
  /// of a core, in the widths the synapse format offers (6…12).
  var indexBits: Int {
    let needed = max(1, Int.bitWidth - (limits.compartments - 1).leadingZeroBitCount)
    return min(max(needed, 6), 12)
  }

  /// What the neurons at positions `range` of `layer` need on one core when every layer is
  /// cut into `sliceCounts` slices.
  ///
  /// A dense connection needs an input axon per source neuron, each with a list over the
  /// whole range; a sparse one (a convolution) only for the source neurons that reach the
  /// range, each with a list of the targets it reaches there (plus index bits per synapse).
  func demand(layer: Int, range: Range<Int>, sliceCounts: [Int], outputPrefix: [Int]? = nil) -> SliceDemand {
    var d = inputDemand(layer: layer, range: range)
    if hasSparseOutputs(layer) {
      let prefix = outputPrefix ?? outputAxonPrefix(layer: layer, cuts: cuts(sliceCounts: sliceCounts))
      d.outputAxons = prefix[range.upperBound] - prefix[range.lowerBound]
    } else {
      // Dense targets only: every neuron reaches every slice of every target.
      d.outputAxons = range.count * outgoing[layer].reduce(0) { $0 + sliceCounts[layerIndex[network.connections[$1].to] ?? 0] }
    }
    return d
  }

  /// What the neurons at positions `range` of `layer` need on one core when every layer is
  /// cut at `cuts` (per layer, the ascending slice boundaries from 0 to its size).
  func demand(layer: Int, range: Range<Int>, cuts: [[Int]], outputPrefix: [Int]? = nil) -> SliceDemand {
    var d = inputDemand(layer: layer, range: range)
    if hasSparseOutputs(layer) {
      let prefix = outputPrefix ?? outputAxonPrefix(layer: layer, cuts: cuts)
      d.outputAxons = prefix[range.upperBound] - prefix[range.lowerBound]
    } else {
      d.outputAxons = range.count * outgoing[layer].reduce(0) { $0 + cuts[layerIndex[network.connections[$1].to] ?? 0].count - 1 }
    }
    return d
  }

  /// Compartments, input axons and synapse words of the neurons `range` of `layer` (output
  /// axons left at zero: they depend on how the targets are cut).
  private func inputDemand(layer: Int, range: Range<Int>) -> SliceDemand {
    var axons = 0
    var words = 0
    for k in incoming[layer] {
      let c = network.connections[k]
      if let sparse = sparsePositions[k] {
        let bits = c.weightBits + indexBits
        for j in 0..<c.weights.columns {
          let rows = sparse.positions[sparse.start[j]..<sparse.start[j + 1]]
          let n = countInRange(rows, range)
          if n > 0 {
            axons += 1
            words += limits.synapseWords(forListOf: n, bitsPerSynapse: bits)
          }
        }
      } else {
        axons += c.weights.columns
        words += c.weights.columns * limits.synapseWords(forListOf: range.count, bitsPerSynapse: c.weightBits)
      }
    }
    return SliceDemand(compartments: range.count, inputAxons: axons, outputAxons: 0, synapseWords: words)
  }

  /// The boundaries of `k` equal slices of `n` neurons: sizes differ by at most one.
  static func bounds(size n: Int, pieces k: Int) -> [Int] {
    (0...k).map { n * $0 / k }
  }

  /// Every layer cut into `sliceCounts` equal slices.
  func cuts(sliceCounts: [Int]) -> [[Int]] {
    network.layers.indices.map { Self.bounds(size: network.layers[$0].size, pieces: sliceCounts[$0]) }
  }

  /// For every position of a layer cut at `bounds`, the slice it falls in.
  static func sliceOfPosition(bounds: [Int]) -> [Int32] {
    sliceOfPosition(ranges: (0..<(bounds.count - 1)).map { bounds[$0]..<bounds[$0 + 1] }, size: bounds.last ?? 0)
  }

  /// For every position of a layer of `size` neurons cut into `ranges`, the index of the
  /// range it falls in.
  static func sliceOfPosition(ranges: [Range<Int>], size: Int) -> [Int32] {
    var slice = [Int32](repeating: 0, count: size)
    for (s, range) in ranges.enumerated() {
      for p in range { slice[p] = Int32(s) }
    }
    return slice
  }

  /// Output axons of every neuron of `layer`, by position: one per destination slice it
  /// reaches — every slice of a dense target, only the slices its kernel reaches of a
  /// convolution's target. One pass over the layer's outgoing synapses.
  func outputAxonTable(layer: Int, sliceCounts: [Int]) -> [Int] {
    outputAxonTable(layer: layer, cuts: cuts(sliceCounts: sliceCounts))
  }

  /// ``outputAxonTable(layer:sliceCounts:)`` with every layer cut at `cuts`.
  func outputAxonTable(layer: Int, cuts: [[Int]]) -> [Int] {
    let size = network.layers[layer].size
    var table = [Int](repeating: 0, count: size)
    for k in outgoing[layer] {
      let target = layerIndex[network.connections[k].to] ?? 0
      guard let sparse = sparsePositions[k] else {
        let pieces = cuts[target].count - 1
        for p in 0..<size { table[p] += pieces }
        continue
      }
      let sliceOf = Self.sliceOfPosition(bounds: cuts[target])
      sparse.positions.withUnsafeBufferPointer { positions in
        sliceOf.withUnsafeBufferPointer { sliceOf in
          for p in 0..<size {
            let column = neuron(layer: layer, at: p)
            var lastSlice: Int32 = -1
            var reached = 0
            for e in sparse.start[column]..<sparse.start[column + 1] {
              let slice = sliceOf[Int(positions[e])]
              if slice != lastSlice {
                reached += 1
                lastSlice = slice
              }
            }
            table[p] += reached
          }
        }
      }
    }
    return table
  }

  /// Prefix sums of ``outputAxonTable(layer:cuts:)``: a range's output axons in one subtraction.
  func outputAxonPrefix(layer: Int, cuts: [[Int]]) -> [Int] {
    var prefix = [0]
    prefix.reserveCapacity(network.layers[layer].size + 1)
    for x in outputAxonTable(layer: layer, cuts: cuts) { prefix.append(prefix[prefix.count - 1] + x) }
    return prefix
  }

  /// Prefix sums of the output-axon tables of the layers with sparse outputs (empty for the
  /// others), with every layer cut at `cuts`.
  func outputAxonPrefixes(cuts: [[Int]]) -> [[Int]] {
    network.layers.indices.map { layer in
      hasSparseOutputs(layer) ? outputAxonPrefix(layer: layer, cuts: cuts) : []
    }
  }

  /// The fewest synapse memory words the connections into `layer` can take however the
  /// layer is cut. A source's synapses may end up in several lists on several cores, but
  /// every list is made of chunks of at most ``CoreLimits/synapsesPerChunk`` synapses, each
  /// rounded up to whole words; so a source with `n` synapses needs at least `n` times the
  /// best words-per-synapse rate any chunk size achieves, rounded up.
  func minimumSynapseWords(layer: Int) -> Int {
    var total = 0
    for k in incoming[layer] {
      let c = network.connections[k]
      if let sparse = sparsePositions[k] {
        let (words, per) = bestChunkRate(bitsPerSynapse: c.weightBits + indexBits)
        for j in 0..<c.weights.columns {
          total += ((sparse.start[j + 1] - sparse.start[j]) * words + per - 1) / per
        }
      } else {
        let (words, per) = bestChunkRate(bitsPerSynapse: c.weightBits)
        total += c.weights.columns * ((network.layers[layer].size * words + per - 1) / per)
      }
    }
    return total
  }

  /// The chunk size with the fewest words per synapse, as (words, synapses) of one chunk.
  func bestChunkRate(bitsPerSynapse bits: Int) -> (words: Int, synapses: Int) {
    var best = (words: Int.max, synapses: 1)
    for n in 1...max(1, limits.synapsesPerChunk) {
      let words = limits.synapseWords(forListOf: n, bitsPerSynapse: bits)
      if words * best.synapses < best.words * n || best.words == Int.max { best = (words, n) }
    }
    return best
  }

  /// Whether any connection out of `layer` is sparse.
  func hasSparseOutputs(_ layer: Int) -> Bool {
    outgoing[layer].contains { sparsePositions[$0] != nil }
  }

  /// Whether any connection into `layer` is sparse (then slices differ in what they need).
  func hasSparseInputs(_ layer: Int) -> Bool {
    incoming[layer].contains { network.connections[$0].weights.sparse != nil }
  }

  /// How many of the ascending `rows` lie in `range`.
  private func countInRange(_ rows: ArraySlice<Int32>, _ range: Range<Int>) -> Int {
    func firstAtLeast(_ value: Int) -> Int {
      var lo = rows.startIndex
      var hi = rows.endIndex
      while lo < hi {
        let mid = (lo + hi) / 2
        if Int(rows[mid]) < value { lo = mid + 1 } else { hi = mid }
      }
      return lo
    }
    return firstAtLeast(range.upperBound) - firstAtLeast(range.lowerBound)
  }

  /// The most any one of the `k` slices of `layer` needs.
  ///
  /// With sparse inputs, one pass over the layer's synapses: every source column's sorted
  /// positions fall into a few consecutive slices, each of which gets one axon and one list.
  func worstSlice(layer: Int, pieces k: Int, sliceCounts: [Int], outputTable: [Int]? = nil) -> SliceDemand {
    let n = network.layers[layer].size
    if !hasSparseInputs(layer) && !hasSparseOutputs(layer) {
      return demand(layer: layer, range: 0..<((n + k - 1) / k), sliceCounts: sliceCounts)
    }
    func start(_ i: Int) -> Int { n * i / k }
    var axons = [Int](repeating: 0, count: k)
    var words = [Int](repeating: 0, count: k)
    for c in incoming[layer] {
      let connection = network.connections[c]
      if let sparse = sparsePositions[c] {
        let bits = connection.weightBits + indexBits
        for j in 0..<connection.weights.columns {
          var e = sparse.start[j]
          let end = sparse.start[j + 1]
          while e < end {
            let p = Int(sparse.positions[e])
            var slice = p * k / n
            while slice + 1 < k && start(slice + 1) <= p { slice += 1 }
            let limit = start(slice + 1)
            var count = 0
            while e < end && Int(sparse.positions[e]) < limit {
              count += 1
              e += 1
            }
            axons[slice] += 1
            words[slice] += limits.synapseWords(forListOf: count, bitsPerSynapse: bits)
          }
        }
      } else {
        for slice in 0..<k {
          let m = start(slice + 1) - start(slice)
          axons[slice] += connection.weights.columns
          words[slice] += connection.weights.columns * limits.synapseWords(forListOf: m, bitsPerSynapse: connection.weightBits)
        }
      }
    }
    var outputs = [Int](repeating: 0, count: k)
    if !outgoing[layer].isEmpty {
      let table = outputTable ?? outputAxonTable(layer: layer, sliceCounts: sliceCounts)
      for slice in 0..<k {
        for p in start(slice)..<start(slice + 1) { outputs[slice] += table[p] }
      }
    }
    return SliceDemand(
      compartments: (n + k - 1) / k, inputAxons: axons.max() ?? 0, outputAxons: outputs.max() ?? 0,
      synapseWords: words.max() ?? 0)
  }

  /// The slices of a layer of `n` neurons cut into `k` pieces: sizes differ by at most one.
  static func ranges(size n: Int, pieces k: Int) -> [Range<Int>] {
    let b = bounds(size: n, pieces: k)
    return (0..<k).map { b[$0]..<b[$0 + 1] }
  }

  /// The number of slices per layer, or the first layer that cannot be made to fit.
  func sliceCounts() throws(MappingError) -> [Int] {
    let layers = network.layers
    var counts = [Int](repeating: 1, count: layers.count)
    // Fan-in does not shrink by cutting the target: refuse early with the numbers, every
    // such layer in one pass.
    var refusals: [MappingError] = []
    for (i, layer) in layers.enumerated() {
      // The neediest single neuron: with dense inputs all are alike; with sparse ones, count
      // each neuron's in-degree in one pass.
      var one = demand(layer: i, range: 0..<1, sliceCounts: counts)
      if hasSparseInputs(i) {
        var axons = [Int](repeating: 0, count: layer.size)
        var words = [Int](repeating: 0, count: layer.size)
        for k in incoming[i] {
          let c = network.connections[k]
          if let sparse = sparsePositions[k] {
            let perSynapse = limits.synapseWords(forListOf: 1, bitsPerSynapse: c.weightBits + indexBits)
            for p in sparse.positions {
              axons[Int(p)] += 1
              words[Int(p)] += perSynapse
            }
          } else {
            let perAxon = limits.synapseWords(forListOf: 1, bitsPerSynapse: c.weightBits)
            for n in 0..<layer.size {
              axons[n] += c.weights.columns
              words[n] += c.weights.columns * perAxon
            }
          }
        }
        if let worst = axons.indices.max(by: { axons[$0] < axons[$1] }) {
          one = SliceDemand(compartments: 1, inputAxons: axons[worst], outputAxons: one.outputAxons, synapseWords: words.max() ?? 0)
        }
      }
      // A pooling stage folded into an incoming connection makes every target read each
      // neuron of the window: say so, since the network file shows the narrower fan-in.
      let pools = incoming[i].flatMap { network.connections[$0].foldedPools }
      let widened =
        pools.isEmpty
        ? ""
        : " (\(pools.map { "avgpool2d '\($0)'" }.joined(separator: ", ")) folded into its input\(pools.count == 1 ? "" : "s") widens the fan-in: each neuron reads every source of the pooling window, not the pooled value)"
      if one.inputAxons > limits.inputAxons {
        refusals.append(
          MappingError(
            subject: "layer '\(layer.name)'",
            problem:
              "receives from \(one.inputAxons) source neurons (one input axon each) \(one.compartments == 1 && hasSparseInputs(i) ? "at a single neuron " : "")but a core has \(limits.inputAxons) input axons, and cutting the layer does not reduce its fan-in\(widened)",
            fix: pools.isEmpty
              ? "reduce the fan-in: fewer or smaller source layers, or an intermediate layer"
              : "reduce the fan-in: pool with a smaller window, or put a neuron layer after the pooling (it then feeds pooled spikes)",
            layer: layer.name))
      } else if one.synapseWords > limits.synapseWords {
        refusals.append(
          MappingError(
            subject: "layer '\(layer.name)'",
            problem:
              "needs \(one.synapseWords) synapse memory words even for a single neuron (fan-in \(one.inputAxons)\(widened)) but a core has \(limits.synapseWords)",
            fix: "reduce the fan-in or the weight bits of its incoming connections",
            layer: layer.name))
      }
    }
    try refusals.throwIfAny()
    var changed = true
    while changed {
      changed = false
      for (i, layer) in layers.enumerated() {
        var k = counts[i]
        // Output axons per neuron depend only on the other counts: one table for the search.
        let table = (hasSparseInputs(i) || hasSparseOutputs(i)) && !outgoing[i].isEmpty ? outputAxonTable(layer: i, sliceCounts: counts) : nil
        func worstSlice(layer: Int, pieces: Int, sliceCounts: [Int]) -> SliceDemand {
          self.worstSlice(layer: layer, pieces: pieces, sliceCounts: sliceCounts, outputTable: table)
        }
        // Profiles: every slice's distinct profiles must fit the core's tables. (Uniform
        // layers need one entry of each, which always fits.)
        let uniform = profiles.isUniform(i)
        func profilesFit(_ pieces: Int) -> Bool {
          if uniform { return true }
          let worst = profiles.worstSlice(layer: i, size: layer.size, pieces: pieces)
          return worst.compartment <= limits.compartmentProfiles && worst.threshold <= limits.thresholdProfiles
        }
        if !uniform {
          // At least as many slices as the layer's distinct profiles fill tables.
          let own = profiles.ids(layer: i, range: 0..<layer.size)
          k = max(
            k, (own.compartment.count + limits.compartmentProfiles - 1) / limits.compartmentProfiles,
            (own.threshold.count + limits.thresholdProfiles - 1) / limits.thresholdProfiles)
          k = min(k, layer.size)
        }
        if hasSparseInputs(i) && !(worstSlice(layer: i, pieces: k, sliceCounts: counts).fits(limits) && profilesFit(k)) {
          // Each trial costs a pass over the layer's synapses: search k by doubling, then bisect.
          var low = k
          var high = k
          while !(worstSlice(layer: i, pieces: high, sliceCounts: counts).fits(limits) && profilesFit(high)) {
            low = high
            if high == layer.size { break }
            high = min(2 * high, layer.size)
          }
          while low + 1 < high {
            let mid = (low + high) / 2
            if worstSlice(layer: i, pieces: mid, sliceCounts: counts).fits(limits) && profilesFit(mid) { high = mid } else { low = mid }
          }
          k = high
        }
        while true {
          let largest = (layer.size + k - 1) / k
          let d = worstSlice(layer: i, pieces: k, sliceCounts: counts)
          if d.fits(limits) {
            if uniform { break }
            let worst = profiles.worstSlice(layer: i, size: layer.size, pieces: k)
            if worst.compartment <= limits.compartmentProfiles && worst.threshold <= limits.thresholdProfiles { break }
            // One neuron uses one profile of each kind, and the tables hold at least one.
            if largest == 1 {
              throw MappingError(
                subject: "layer '\(layer.name)'",
                problem:
                  "a single neuron needs more profile table entries than a core holds (\(limits.compartmentProfiles) compartment, \(limits.thresholdProfiles) threshold profiles)",
                fix: "use a chip spec whose compartment_profiles and threshold_profiles are at least 1",
                layer: layer.name)
            }
            // Shrink the slices by how far the fullest table is over, then re-check.
            let over = max(
              Double(worst.compartment) / Double(limits.compartmentProfiles),
              Double(worst.threshold) / Double(limits.thresholdProfiles))
            let target = max(1, Int(Double(largest) / over))
            k = min(layer.size, max(k + 1, (layer.size + target - 1) / target))
            continue
          }
          if largest == 1 {
            throw MappingError(
              subject: "layer '\(layer.name)'",
              problem:
                "even one neuron per core needs \(d.outputAxons) output axons (one per destination core of each outgoing connection) but a core has \(limits.outputAxons)",
              fix: "reduce the number or size of the layers it projects to, or use a chip with more output axons",
              layer: layer.name)
          }
          // Jump straight to the smallest k the binding limit allows, then re-check.
          k = max(k + 1, nextCount(layer: i, current: k, demand: d))
        }
        if k != counts[i] {
          counts[i] = k
          changed = true
        }
      }
      // Counts only grow and never exceed layer sizes, so this ends.
    }
    return counts
  }

  /// A lower bound on the slice count that would satisfy the limits the demand breaks.
  private func nextCount(layer: Int, current k: Int, demand d: SliceDemand) -> Int {
    let n = network.layers[layer].size
    var needed = k
    if d.compartments > limits.compartments {
      needed = max(needed, (n + limits.compartments - 1) / limits.compartments)
    }
    if d.outputAxons > limits.outputAxons && d.compartments > 0 {
      let perNeuron = max(1, d.outputAxons / d.compartments)
      let maxNeurons = max(1, limits.outputAxons / perNeuron)
      needed = max(needed, (n + maxNeurons - 1) / maxNeurons)
    }
    return needed
  }
}
