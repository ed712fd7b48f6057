import Dispatch
import Foundation
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
  /// For sparse connections whose columns reach runs of consecutive positions (a kernel's
  /// rows, every channel of a pixel), those runs: per column, its runs' first and last
  /// positions (``PositionRuns``). Absent where runs would not be much fewer than synapses.
  let positionRuns: [Int: PositionRuns]

  /// The runs of consecutive target positions of convolution connection `k`, or one run per
  /// synapse where runs did not pay (``positionRuns`` has no entry then).
  func runs(ofConnection k: Int, _ sparse: (start: [Int], positions: [Int32], entries: [Int32])) -> PositionRuns {
    positionRuns[k] ?? PositionRuns(start: sparse.start, first: sparse.positions, last: sparse.positions)
  }

  /// How many chunks a pass over `count` synapses is cut into for the processors: one below
  /// 2^20 synapses (not worth waking threads), else one per processor, at most 8.
  static func parallelChunks(for count: Int) -> Int {
    count >= 1 << 20 ? min(8, max(1, ProcessInfo.processInfo.activeProcessorCount)) : 1
  }
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
      guard !position[t].isEmpty else {
        sparsePositions[k] = (sparse.columnStart, sparse.rowIndex, (0..<Int32(sparse.rowIndex.count)).map { $0 })
        continue
      }
      // Per column, its entries by target position: sort (position, entry) packed in 64
      // bits. Columns are independent, so chunks of them sort on all cores, each writing
      // every slot of its own columns (the arrays start uninitialized).
      let columns = c.weights.columns
      let columnStart = sparse.columnStart
      let chunks = min(columns, 16)
      let count = sparse.rowIndex.count
      var entries: [Int32] = []
      let positions = [Int32](unsafeUninitializedCapacity: count) { positionsOut, positionsCount in
        entries = [Int32](unsafeUninitializedCapacity: count) { entriesOut, entriesCount in
          if columnStart.first != 0 || columnStart.last != count {
            // Columns that do not cover the entries exactly: no slot is left uninitialized.
            positionsOut.initialize(repeating: 0)
            entriesOut.initialize(repeating: 0)
          }
          sparse.rowIndex.withUnsafeBufferPointer { rows in
            position[t].withUnsafeBufferPointer { layout in
              nonisolated(unsafe) let (positionsOut, entriesOut, rows, layout) = (positionsOut, entriesOut, rows, layout)
              DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var keys: [UInt64] = []
                var marks = PositionMarks()
                for j in (columns * chunk / chunks)..<(columns * (chunk + 1) / chunks) {
                  let range = columnStart[j]..<columnStart[j + 1]
                  // Distinct positions in a narrow window (a kernel's reach) come out in order
                  // from a bitmap; any other column is sorted.
                  if marks.order(range, rows: rows, layout: layout, positionsOut: positionsOut, entriesOut: entriesOut) { continue }
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
          entriesCount = count
        }
        positionsCount = count
      }
      sparsePositions[k] = (sparse.columnStart, positions, entries)
    }
    self.sparsePositions = sparsePositions
    // The transposes: per target position, the source columns that reach it.
    var sourcesByPosition: [Int: (start: [Int], sources: [Int32])] = [:]
    for (k, column) in sparsePositions {
      guard let t = index[network.connections[k].to] else { continue }
      sourcesByPosition[k] = Self.transpose(column, positions: network.layers[t].size)
    }
    self.sourcesByPosition = sourcesByPosition
    var positionRuns: [Int: PositionRuns] = [:]
    for (k, column) in sparsePositions {
      if let runs = PositionRuns(start: column.start, positions: column.positions) { positionRuns[k] = runs }
    }
    self.positionRuns = positionRuns
  }

  /// Per target position (of `n`), the source columns whose lists reach it, ascending.
  ///
  /// Counting sort over the synapses, with the columns split into chunks done in parallel:
  /// each chunk counts its synapses per position, so it knows where its sources go among
  /// the earlier chunks' ones, and fills only its own slots.
  static func transpose(_ column: (start: [Int], positions: [Int32], entries: [Int32]), positions n: Int) -> (
    start: [Int], sources: [Int32]
  ) {
    let columns = column.start.count - 1
    let chunks = Partitioner.parallelChunks(for: column.positions.count)
    // Per chunk, its synapses at every position.
    var counts = [Int](repeating: 0, count: chunks * n)
    var start = [Int](repeating: 0, count: n + 1)
    var sources: [Int32] = []
    column.positions.withUnsafeBufferPointer { positions in
      column.start.withUnsafeBufferPointer { columnStart in
        counts.withUnsafeMutableBufferPointer { counts in
          // Each chunk writes only its own counts, then its own slots of `sources`.
          nonisolated(unsafe) let (positions, columnStart, counts) = (positions, columnStart, counts)
          DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let base = chunk * n
            for e in columnStart[columns * chunk / chunks]..<columnStart[columns * (chunk + 1) / chunks] {
              counts[base + Int(positions[e])] += 1
            }
          }
          // Where each chunk's sources of a position start: after the earlier chunks' ones.
          var total = 0
          for p in 0..<n {
            start[p] = total
            for chunk in 0..<chunks {
              let c = counts[chunk * n + p]
              counts[chunk * n + p] = total
              total += c
            }
          }
          start[n] = total
          // Every slot is written once: the counts add up to the synapses the chunks visit.
          sources = [Int32](unsafeUninitializedCapacity: total) { sources, written in
            nonisolated(unsafe) let sources = sources
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
              let base = chunk * n
              for j in (columns * chunk / chunks)..<(columns * (chunk + 1) / chunks) {
                for e in columnStart[j]..<columnStart[j + 1] {
                  let slot = base + Int(positions[e])
                  sources[counts[slot]] = Int32(truncatingIfNeeded: j)
                  counts[slot] += 1
                }
              }
            }
            written = total
          }
        }
      }
    }
    return (start, sources)
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
      if let prefix = outputPrefix {
        d.outputAxons = prefix[range.upperBound] - prefix[range.lowerBound]
      } else {
        d.outputAxons = outputAxonTable(layer: layer, cuts: cuts(sliceCounts: sliceCounts), range: range).reduce(0, +)
      }
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
      if let prefix = outputPrefix {
        d.outputAxons = prefix[range.upperBound] - prefix[range.lowerBound]
      } else {
        d.outputAxons = outputAxonTable(layer: layer, cuts: cuts, range: range).reduce(0, +)
      }
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
      if let transpose = sourcesByPosition[k],
        transpose.start[range.upperBound] - transpose.start[range.lowerBound] < 8 * c.weights.columns
      {
        // A range with few synapses (a slice): only they are visited — the transpose lists
        // them, and a source's list length is how often it appears there. (Larger ranges
        // bisect every source's positions below.)
        let (n, w) = sparseInputDemand(transpose: transpose, range: range, bits: c.weightBits + indexBits)
        axons += n
        words += w
      } else if let sparse = sparsePositions[k] {
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

  /// Input axons and synapse words of one sparse connection into the positions `range`, from
  /// its transpose: one axon per distinct source, whose list holds as many synapses as the
  /// source appears in the range. One pass over the range's synapses (counts kept over the
  /// span of sources that occur).
  private func sparseInputDemand(transpose: (start: [Int], sources: [Int32]), range: Range<Int>, bits: Int) -> (
    axons: Int, words: Int
  ) {
    let first = transpose.start[range.lowerBound]
    let end = transpose.start[range.upperBound]
    guard first < end else { return (0, 0) }
    return transpose.sources.withUnsafeBufferPointer { sources in
      var low = Int32.max
      var high = Int32.min
      for e in first..<end {
        low = min(low, sources[e])
        high = max(high, sources[e])
      }
      let base = Int(low)
      var count = [Int32](repeating: 0, count: Int(high) - base + 1)
      var axons = 0
      var words = 0
      count.withUnsafeMutableBufferPointer { count in
        for e in first..<end { count[Int(sources[e]) - base] += 1 }
        for e in first..<end {
          let j = Int(sources[e]) - base
          let n = Int(count[j])
          if n > 0 {
            axons += 1
            words += limits.synapseWords(forListOf: n, bitsPerSynapse: bits)
            count[j] = 0
          }
        }
      }
      return (axons, words)
    }
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

  /// ``outputAxonTable(layer:sliceCounts:)`` with every layer cut at `cuts`: the whole
  /// layer, or only the positions `range` (then the table's index 0 is `range.lowerBound`).
  func outputAxonTable(layer: Int, cuts: [[Int]], range: Range<Int>? = nil) -> [Int] {
    let span = range ?? 0..<network.layers[layer].size
    let size = span.count
    let first = span.lowerBound
    var table = [Int](repeating: 0, count: size)
    for k in outgoing[layer] {
      let target = layerIndex[network.connections[k].to] ?? 0
      guard let sparse = sparsePositions[k] else {
        let pieces = cuts[target].count - 1
        for p in 0..<size { table[p] += pieces }
        continue
      }
      let sliceOf = Self.sliceOfPosition(bounds: cuts[target])
      let runs = self.runs(ofConnection: k, sparse)
      // Chunks of positions are independent: large connections split them over the processors.
      let chunks = Partitioner.parallelChunks(for: sparse.positions.count)
      runs.first.withUnsafeBufferPointer { runFirst in
        runs.last.withUnsafeBufferPointer { runLast in
          sliceOf.withUnsafeBufferPointer { sliceOf in
            table.withUnsafeMutableBufferPointer { table in
              // Each chunk writes only its own positions of the table.
              nonisolated(unsafe) let (runFirst, runLast, sliceOf, table) = (runFirst, runLast, sliceOf, table)
              DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                for p in (size * chunk / chunks)..<(size * (chunk + 1) / chunks) {
                  let column = neuron(layer: layer, at: first + p)
                  var lastSlice: Int32 = -1
                  var reached = 0
                  for r in runs.start[column]..<runs.start[column + 1] {
                    let (a, b) = (Int(runFirst[r]), Int(runLast[r]))
                    // A run within one slice needs one look-up; others are walked.
                    if sliceOf[a] == sliceOf[b] {
                      if sliceOf[a] != lastSlice {
                        reached += 1
                        lastSlice = sliceOf[a]
                      }
                      continue
                    }
                    for position in a...b where sliceOf[position] != lastSlice {
                      reached += 1
                      lastSlice = sliceOf[position]
                    }
                  }
                  table[p] += reached
                }
              }
            }
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

  /// The most any one of the `k` slices of `layer` needs; `inputs` is
  /// ``worstSliceInputs(layer:pieces:)`` when the caller has it already.
  func worstSlice(
    layer: Int, pieces k: Int, sliceCounts: [Int], outputTable: [Int]? = nil, inputs: (axons: Int, words: Int)? = nil
  ) -> SliceDemand {
    let n = network.layers[layer].size
    if !hasSparseInputs(layer) && !hasSparseOutputs(layer) {
      return demand(layer: layer, range: 0..<((n + k - 1) / k), sliceCounts: sliceCounts)
    }
    let (axons, words) = inputs ?? worstSliceInputs(layer: layer, pieces: k)
    var outputs = 0
    if !outgoing[layer].isEmpty {
      let table = outputTable ?? outputAxonTable(layer: layer, sliceCounts: sliceCounts)
      for slice in 0..<k {
        var total = 0
        for p in (n * slice / k)..<(n * (slice + 1) / k) { total += table[p] }
        outputs = max(outputs, total)
      }
    }
    return SliceDemand(compartments: (n + k - 1) / k, inputAxons: axons, outputAxons: outputs, synapseWords: words)
  }

  /// The most input axons and the most synapse words any one of the `k` equal slices of
  /// `layer` needs (what does not depend on how other layers are cut).
  ///
  /// With sparse inputs, one pass over the layer's synapses (columns split over the
  /// processors): every source column's sorted positions fall into a few consecutive slices,
  /// each of which gets one axon and one list.
  func worstSliceInputs(layer: Int, pieces k: Int) -> (axons: Int, words: Int) {
    let n = network.layers[layer].size
    let bounds = Self.bounds(size: n, pieces: k)
    var axons = [Int](repeating: 0, count: k)
    var words = [Int](repeating: 0, count: k)
    for c in incoming[layer] {
      let connection = network.connections[c]
      guard let sparse = sparsePositions[c] else {
        for slice in 0..<k {
          let m = bounds[slice + 1] - bounds[slice]
          axons[slice] += connection.weights.columns
          words[slice] += connection.weights.columns * limits.synapseWords(forListOf: m, bitsPerSynapse: connection.weightBits)
        }
        continue
      }
      let bits = connection.weightBits + indexBits
      let columns = connection.weights.columns
      // Words of a list by its length (no list is longer than its column).
      var longest = 0
      for j in 0..<columns { longest = max(longest, sparse.start[j + 1] - sparse.start[j]) }
      let wordsOfLength = (0...longest).map { limits.synapseWords(forListOf: $0, bitsPerSynapse: bits) }
      let chunks = Partitioner.parallelChunks(for: sparse.positions.count)
      let partial = ParallelResults<(axons: [Int], words: [Int])>(count: chunks, initial: ([], []))
      // A column's synapses in a slice are the parts of its runs there, counted by arithmetic.
      let runs = self.runs(ofConnection: c, sparse)
      runs.first.withUnsafeBufferPointer { runFirst in
        runs.last.withUnsafeBufferPointer { runLast in
          bounds.withUnsafeBufferPointer { bounds in
            wordsOfLength.withUnsafeBufferPointer { wordsOfLength in
              // Each chunk counts its own columns into its own arrays.
              nonisolated(unsafe) let (runFirst, runLast, bounds, wordsOfLength) = (runFirst, runLast, bounds, wordsOfLength)
              DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var chunkAxons = [Int](repeating: 0, count: k)
                var chunkWords = [Int](repeating: 0, count: k)
                for j in (columns * chunk / chunks)..<(columns * (chunk + 1) / chunks) {
                  // The slice the column's current list is in, and its length so far.
                  var slice = -1
                  var count = 0
                  for r in runs.start[j]..<runs.start[j + 1] {
                    var p = Int(runFirst[r])
                    let last = Int(runLast[r])
                    while p <= last {
                      // Positions ascend: still the list's slice, or a later one.
                      var s = slice
                      if s < 0 || p >= bounds[s + 1] {
                        s = p * k / n
                        while s + 1 < k && bounds[s + 1] <= p { s += 1 }
                      }
                      let end = min(last, bounds[s + 1] - 1)
                      if s != slice {
                        if slice >= 0 {
                          chunkAxons[slice] += 1
                          chunkWords[slice] += wordsOfLength[count]
                        }
                        slice = s
                        count = 0
                      }
                      count += end - p + 1
                      p = end + 1
                    }
                  }
                  if slice >= 0 {
                    chunkAxons[slice] += 1
                    chunkWords[slice] += wordsOfLength[count]
                  }
                }
                partial.set(chunk, (chunkAxons, chunkWords))
              }
            }
          }
        }
      }
      for (chunkAxons, chunkWords) in partial.all {
        for slice in 0..<k {
          axons[slice] += chunkAxons[slice]
          words[slice] += chunkWords[slice]
        }
      }
    }
    return (axons.max() ?? 0, words.max() ?? 0)
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
          if let transpose = sourcesByPosition[k] {
            // A position's in-degree is the length of its run in the transpose.
            let perSynapse = limits.synapseWords(forListOf: 1, bitsPerSynapse: c.weightBits + indexBits)
            for p in 0..<layer.size {
              let degree = transpose.start[p + 1] - transpose.start[p]
              axons[p] += degree
              words[p] += degree * perSynapse
            }
          } else if let sparse = sparsePositions[k] {
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
    // Per layer, the worst slice inputs measured so far: (slice count, axons, words).
    var measured = [[(pieces: Int, axons: Int, words: Int)]](repeating: [], count: layers.count)
    var changed = true
    while changed {
      changed = false
      for (i, layer) in layers.enumerated() {
        var k = counts[i]
        // Output axons per neuron depend only on the other counts: one table for the search.
        let table = (hasSparseInputs(i) || hasSparseOutputs(i)) && !outgoing[i].isEmpty ? outputAxonTable(layer: i, sliceCounts: counts) : nil
        // A pass over the synapses measures each slice count's inputs once per layer.
        func worstSlice(layer: Int, pieces: Int, sliceCounts: [Int]) -> SliceDemand {
          guard hasSparseInputs(layer) || hasSparseOutputs(layer) else {
            return self.worstSlice(layer: layer, pieces: pieces, sliceCounts: sliceCounts, outputTable: table)
          }
          let inputs: (axons: Int, words: Int)
          if let known = measured[layer].first(where: { $0.pieces == pieces }) {
            inputs = (known.axons, known.words)
          } else {
            inputs = worstSliceInputs(layer: layer, pieces: pieces)
            measured[layer].append((pieces, inputs.axons, inputs.words))
          }
          return self.worstSlice(layer: layer, pieces: pieces, sliceCounts: sliceCounts, outputTable: table, inputs: inputs)
        }
        // Whether `pieces` equal slices fit a core; more compartments than a core has need no pass.
        func fitsCore(_ pieces: Int) -> Bool {
          (layer.size + pieces - 1) / pieces <= limits.compartments && worstSlice(layer: i, pieces: pieces, sliceCounts: counts).fits(limits)
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
        if hasSparseInputs(i) && !(fitsCore(k) && profilesFit(k)) {
          // Each trial costs a pass over the layer's synapses: search k by doubling, then bisect.
          var low = k
          var high = k
          while !(fitsCore(high) && profilesFit(high)) {
            low = high
            if high == layer.size { break }
            high = min(2 * high, layer.size)
          }
          while low + 1 < high {
            let mid = (low + high) / 2
            if fitsCore(mid) && profilesFit(mid) { high = mid } else { low = mid }
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

/// Orders one column's entries by target position with a bitmap over the positions' window,
/// when they are distinct and the window is at most 64 positions per entry (a convolution
/// kernel's reach): one bit per position, so a scan of the bitmap visits them in order.
struct PositionMarks {
  /// One bit per position of the window.
  private var bits: [UInt64] = []
  /// The entry at each marked position (window-relative).
  private var entryAt: [Int32] = []

  /// Writes the entries `range` (rows into the layout `layout`) ordered by position into the
  /// same slots of `positionsOut` and `entriesOut`. Returns false, writing nothing, when the
  /// window is too wide or two entries share a position (the caller sorts instead).
  mutating func order(
    _ range: Range<Int>, rows: UnsafeBufferPointer<Int32>, layout: UnsafeBufferPointer<Int32>,
    positionsOut: UnsafeMutableBufferPointer<Int32>, entriesOut: UnsafeMutableBufferPointer<Int32>
  ) -> Bool {
    guard !range.isEmpty else { return true }
    var low = Int32.max
    var high = Int32.min
    for e in range {
      let p = layout[Int(rows[e])]
      low = min(low, p)
      high = max(high, p)
    }
    let window = Int(high) - Int(low) + 1
    guard window <= 64 * range.count else { return false }
    let words = (window + 63) / 64
    if bits.count < words { bits = [UInt64](repeating: 0, count: words) }
    if entryAt.count < window { entryAt = [Int32](repeating: 0, count: window) }
    var distinct = true
    for e in range {
      let offset = Int(layout[Int(rows[e])] - low)
      let bit = UInt64(1) << UInt64(offset & 63)
      if bits[offset >> 6] & bit != 0 { distinct = false }
      bits[offset >> 6] |= bit
      entryAt[offset] = Int32(truncatingIfNeeded: e)
    }
    guard distinct else {
      for w in 0..<words { bits[w] = 0 }
      return false
    }
    var slot = range.lowerBound
    for w in 0..<words {
      var word = bits[w]
      bits[w] = 0
      while word != 0 {
        let offset = w << 6 + word.trailingZeroBitCount
        word &= word - 1
        positionsOut[slot] = low + Int32(truncatingIfNeeded: offset)
        entriesOut[slot] = entryAt[offset]
        slot += 1
      }
    }
    return true
  }
}

/// A sparse connection's columns as runs of consecutive target positions: what a pass that
/// only needs how many of a column's synapses fall in each slice visits instead of every
/// synapse (a 3×3 kernel over 16 channels reaches 3 runs of 48 positions).
struct PositionRuns: Sendable {
  /// Per column, its runs: `start[j] ..< start[j + 1]`.
  let start: [Int]
  /// Each run's first and last position.
  let first: [Int32]
  let last: [Int32]

  /// Runs given directly (every synapse its own run: `first` and `last` the positions).
  init(start: [Int], first: [Int32], last: [Int32]) {
    self.start = start
    self.first = first
    self.last = last
  }

  /// The runs of the ascending per-column `positions`, or nil when there are more than a
  /// quarter as many runs as synapses (then visiting the synapses costs about as much).
  /// Chunks of columns are cut on all processors.
  init?(start columnStart: [Int], positions: [Int32]) {
    let columns = columnStart.count - 1
    guard columns > 0 else { return nil }
    let chunks = Partitioner.parallelChunks(for: positions.count)
    let limit = positions.count / 4
    let pieces = ParallelResults<(counts: [Int], first: [Int32], last: [Int32])?>(count: chunks, initial: nil)
    positions.withUnsafeBufferPointer { positions in
      nonisolated(unsafe) let positions = positions
      DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let range = (columns * chunk / chunks)..<(columns * (chunk + 1) / chunks)
        var counts: [Int] = []
        var first: [Int32] = []
        var last: [Int32] = []
        counts.reserveCapacity(range.count)
        for j in range {
          let before = first.count
          var e = columnStart[j]
          let end = columnStart[j + 1]
          while e < end {
            let a = positions[e]
            e += 1
            while e < end && Int(positions[e]) == Int(positions[e - 1]) + 1 { e += 1 }
            first.append(a)
            last.append(positions[e - 1])
          }
          counts.append(first.count - before)
          // Too many runs for this to pay: stop early.
          if first.count > limit { break }
        }
        pieces.set(chunk, (counts, first, last))
      }
    }
    var start = [0]
    start.reserveCapacity(columns + 1)
    var first: [Int32] = []
    var last: [Int32] = []
    for case let piece? in pieces.all {
      for n in piece.counts { start.append(start[start.count - 1] + n) }
      first += piece.first
      last += piece.last
    }
    guard start.count == columns + 1, first.count <= limit else { return nil }
    self.start = start
    self.first = first
    self.last = last
  }
}
