import HardwareSpec
import NetworkModel

/// A second way to cut and pack, for networks whose layers need very different resources —
/// a convolution whose synapse memory fills a core long before its compartments do, beside
/// one whose compartments or output axons fill first. Equal slices packed first fit leave
/// such cores half used; this packer cuts the layers to fill them.
///
/// Layers are cut in reverse topological order, targets before sources, so that when a
/// layer is cut the slices of every layer it projects to are known and with them its output
/// axons. Layers with sparse inputs (convolution targets) are *spread*: swept over the cores
/// in order, every core takes the longest run of the layer's neurons that fits its room less
/// a reserve for the spread layers still to come (their estimated need divided by the target
/// core count), so each core ends up holding complementary pieces. The other layers keep
/// equal slices (as many as fit under the final cuts) and go on the first core with room.
///
/// Used only when it needs fewer cores than ``CorePacker``; a compiled map is checked against
/// every limit either way.
struct FillPacker {
  let network: Network
  let partitioner: Partitioner
  let limits: CoreLimits
  /// Equal slice counts that fit: the layers that are not spread start from them.
  let sliceCounts: [Int]
  /// Layers in the order they are cut (targets first), or nil when layers form a cycle.
  let order: [Int]?
  /// Whether each layer is spread over the cores.
  let spread: [Bool]
  /// Per layer, the need of its equal slices under the equal cuts: the reserve's estimate.
  let estimate: [SliceDemand]
  /// Per spread layer, the need of each of its equal slices (empty for the other layers).
  let equalSliceDemands: [[SliceDemand]]
  /// Per spread layer, its synapses indexed by target position.
  let sweeps: [SpreadSweep?]

  /// The cut and packed slices.
  struct Packing {
    var slices: [LayerSlice]
    var coreOfSlice: [Int]
    var coreCount: Int
  }

  /// `outputPrefixes` are ``Partitioner/outputAxonPrefixes(cuts:)`` under the equal cuts of
  /// `sliceCounts`, when the caller has them already.
  init(network: Network, partitioner: Partitioner, limits: CoreLimits, sliceCounts: [Int], outputPrefixes: [[Int]]? = nil) {
    self.network = network
    self.partitioner = partitioner
    self.limits = limits
    self.sliceCounts = sliceCounts
    let layers = network.layers.indices
    spread = layers.map { partitioner.hasSparseInputs($0) }
    // Reverse topological order: a layer is ready when every layer it projects to is cut.
    var pendingTargets = layers.map { partitioner.outgoing[$0].count { partitioner.layerIndex[network.connections[$0].to] != nil } }
    var ready = layers.filter { pendingTargets[$0] == 0 }
    var order: [Int] = []
    while let layer = ready.first {
      ready.removeFirst()
      order.append(layer)
      for k in partitioner.incoming[layer] {
        guard let source = partitioner.layerIndex[network.connections[k].from] else { continue }
        pendingTargets[source] -= 1
        if pendingTargets[source] == 0 { ready.append(source) }
      }
    }
    self.order = order.count == network.layers.count ? order : nil
    let cuts = partitioner.cuts(sliceCounts: sliceCounts)
    let zero = SliceDemand(compartments: 0, inputAxons: 0, outputAxons: 0, synapseWords: 0)
    let spread = self.spread
    var sweeps = layers.map { spread[$0] ? SpreadSweep(partitioner: partitioner, network: network, limits: limits, layer: $0) : nil }
    equalSliceDemands = layers.map { layer in
      guard var sweep = sweeps[layer] else { return [] }
      let known = outputPrefixes.flatMap { $0.indices.contains(layer) ? $0[layer] : nil } ?? []
      let prefix = known.isEmpty ? partitioner.outputAxonPrefix(layer: layer, cuts: cuts) : known
      let demands = (0..<(cuts[layer].count - 1)).map { s in
        sweep.measure(cuts[layer][s]..<cuts[layer][s + 1], outputPrefix: prefix)
      }
      sweeps[layer] = sweep
      return demands
    }
    estimate = equalSliceDemands.map { $0.reduce(zero, +) }
    self.sweeps = sweeps
  }

  /// Whether this packer has anything to add: some layer to spread and no cycle.
  var applies: Bool { order != nil && spread.contains(true) }

  /// The core count every resource's estimated total needs at least.
  var estimatedCores: Int {
    var total = SliceDemand(compartments: 0, inputAxons: 0, outputAxons: 0, synapseWords: 0)
    for layer in network.layers.indices where spread[layer] { total = total + estimate[layer] }
    func bound(_ a: Int, _ b: Int) -> Int { (a + b - 1) / max(1, b) }
    return max(
      1, bound(total.compartments, limits.compartments), bound(total.inputAxons, limits.inputAxons),
      bound(total.outputAxons, limits.outputAxons), bound(total.synapseWords, limits.synapseWords))
  }

  /// Cuts and packs aiming at `targetCores` cores (the reserve's divisor). Returns nil when it
  /// cannot (a cycle, or a neuron that fits no empty core under the final cuts).
  func pack(targetCores: Int) -> Packing? {
    guard let order else { return nil }
    let zero = SliceDemand(compartments: 0, inputAxons: 0, outputAxons: 0, synapseWords: 0)
    var cuts = partitioner.cuts(sliceCounts: sliceCounts)
    var used: [SliceDemand] = []
    var registers: [(vmin: Int, vmax: Int)?] = []
    var tables: [CoreProfiles] = []
    let profiles = partitioner.profiles
    var slices: [LayerSlice] = []
    var coreOfSlice: [Int] = []
    var remainingSpread = zero
    for layer in order where spread[layer] { remainingSpread = remainingSpread + estimate[layer] }

    func room(_ core: Int, reserve: SliceDemand) -> SliceDemand {
      let u = used[core]
      return SliceDemand(
        compartments: max(0, limits.compartments - u.compartments - reserve.compartments),
        inputAxons: max(0, limits.inputAxons - u.inputAxons - reserve.inputAxons),
        outputAxons: max(0, limits.outputAxons - u.outputAxons - reserve.outputAxons),
        synapseWords: max(0, limits.synapseWords - u.synapseWords - reserve.synapseWords))
    }
    func openCore() {
      used.append(zero)
      registers.append(nil)
      tables.append(CoreProfiles())
    }

    for layer in order {
      let neuron = network.layers[layer].neuron
      let regs = (vmin: neuron.vmin, vmax: neuron.vmax)
      let size = network.layers[layer].size
      let outputPrefix = partitioner.outputAxonPrefix(layer: layer, cuts: cuts)
      var pieces: [(range: Range<Int>, demand: SliceDemand, core: Int)] = []

      if spread[layer] {
        remainingSpread = remainingSpread - estimate[layer]
        let n = max(1, targetCores)
        let reserve = SliceDemand(
          compartments: remainingSpread.compartments / n, inputAxons: remainingSpread.inputAxons / n,
          outputAxons: remainingSpread.outputAxons / n, synapseWords: remainingSpread.synapseWords / n)
        guard var sweep = sweeps[layer] else { return nil }
        var position = 0
        var core = 0
        while position < size {
          if core == used.count { openCore() }
          if let r = registers[core], r != regs {
            core += 1
            continue
          }
          let empty = used[core] == zero
          // The core's profile tables cap the run (the fifth per-core limit).
          let cap = profiles.runEnd(layer: layer, from: position, upTo: size, beside: tables[core], limits: limits)
          var end = sweep.longestRun(
            from: position, fitting: room(core, reserve: core < targetCores ? reserve : zero), upTo: cap, outputPrefix: outputPrefix)
          if end == position && empty && core < targetCores {
            // Not even one neuron beside the reserve: an empty core takes what fits anyway.
            end = sweep.longestRun(from: position, fitting: room(core, reserve: zero), upTo: cap, outputPrefix: outputPrefix)
          }
          if end == position {
            if empty { return nil }  // a neuron that fits no empty core under these cuts
            core += 1
            continue
          }
          let demand = sweep.demand(of: position..<end, outputPrefix: outputPrefix)
          pieces.append((position..<end, demand, core))
          used[core] = used[core] + demand
          registers[core] = regs
          tables[core].insert(profiles.ids(layer: layer, range: position..<end))
          position = end
          if position < size { core += 1 }
        }
      } else {
        // Equal slices, as many as it takes under the cuts of the layers it projects to.
        var k = sliceCounts[layer]
        var ranges: [Range<Int>] = []
        var demands: [SliceDemand] = []
        while true {
          ranges = Partitioner.ranges(size: size, pieces: k)
          demands = ranges.map { partitioner.demand(layer: layer, range: $0, cuts: cuts, outputPrefix: outputPrefix) }
          let worst = profiles.worstSlice(layer: layer, size: size, pieces: k)
          if demands.allSatisfy({ $0.fits(limits) }) && worst.compartment <= limits.compartmentProfiles
            && worst.threshold <= limits.thresholdProfiles
          {
            break
          }
          if k == size { return nil }
          k += 1
        }
        for (range, demand) in zip(ranges, demands) {
          let ids = profiles.ids(layer: layer, range: range)
          var core = 0
          while core < used.count {
            if (registers[core] == nil || registers[core]! == regs) && (used[core] + demand).fits(limits)
              && tables[core].admits(ids, limits: limits)
            {
              break
            }
            core += 1
          }
          if core == used.count { openCore() }
          pieces.append((range, demand, core))
          used[core] = used[core] + demand
          registers[core] = regs
          tables[core].insert(ids)
        }
      }
      cuts[layer] = pieces.map(\.range.lowerBound) + [size]
      for piece in pieces {
        slices.append(LayerSlice(layer: layer, range: piece.range, demand: piece.demand, vmin: regs.vmin, vmax: regs.vmax))
        coreOfSlice.append(piece.core)
      }
    }
    // Every core holds something (a core is only opened for a piece placed on it), but never
    // hand on an empty one.
    var renumbered = [Int](repeating: -1, count: used.count)
    var coreCount = 0
    for core in used.indices where used[core].compartments > 0 {
      renumbered[core] = coreCount
      coreCount += 1
    }
    coreOfSlice = coreOfSlice.map { renumbered[$0] }
    // Slices in layer order, each layer's in neuron order (what the core map builder expects).
    let sorted = slices.indices.sorted {
      slices[$0].layer != slices[$1].layer
        ? slices[$0].layer < slices[$1].layer : slices[$0].range.lowerBound < slices[$1].range.lowerBound
    }
    return Packing(slices: sorted.map { slices[$0] }, coreOfSlice: sorted.map { coreOfSlice[$0] }, coreCount: coreCount)
  }
}

/// Grows runs of a layer with sparse inputs neuron by neuron, keeping what the run needs up
/// to date: one input axon and one synapse list per source that reaches the run (a list's
/// words follow its length), the dense inputs' lists over the whole run, and the output
/// axons from a prefix sum. A run costs one pass over the synapses into it.
struct SpreadSweep {
  let limits: CoreLimits
  /// The sparse connections into the layer: their transposes (per position, the source
  /// columns that reach it) and the list id of their column 0.
  private var transposes: [(start: [Int], sources: [Int32], base: Int32)] = []
  /// Positions in the layer.
  private let size: Int
  /// Bits per synapse of every list id.
  private var listBits: [Int] = []
  /// Per list id, where its bit width's word increments start in ``wordIncrement``.
  private var incrementBase: [Int32] = []
  /// Per bit width and per list length modulo the chunk size, the words one more synapse adds.
  private var wordIncrement: [Int32] = []
  /// Dense incoming connections: (source count, bits per synapse).
  private var dense: [(columns: Int, bits: Int)] = []
  /// The current run: synapses per list, and the lists it touches.
  private var count: [Int32] = []
  private var touched: [Int32] = []
  private var runStart = 0
  private var runEnd = 0
  private var sparseAxons = 0
  private var sparseWords = 0

  init(partitioner: Partitioner, network: Network, limits: CoreLimits, layer: Int) {
    self.limits = limits
    size = network.layers[layer].size
    var lists = 0
    for k in partitioner.incoming[layer] {
      let c = network.connections[k]
      if let transpose = partitioner.sourcesByPosition[k] {
        transposes.append((transpose.start, transpose.sources, Int32(lists)))
        listBits += repeatElement(c.weightBits + partitioner.indexBits, count: c.weights.columns)
        lists += c.weights.columns
      } else {
        dense.append((c.weights.columns, c.weightBits))
      }
    }
    count = [Int32](repeating: 0, count: lists)
    let chunk = max(1, limits.synapsesPerChunk)
    var baseOfBits: [Int: Int32] = [:]
    for bits in listBits where baseOfBits[bits] == nil {
      baseOfBits[bits] = Int32(wordIncrement.count)
      for r in 0..<chunk { wordIncrement.append(Int32(words(r + 1, bits) - words(r, bits))) }
    }
    incrementBase = listBits.map { baseOfBits[$0] ?? 0 }
  }

  /// Words of one list of `n` synapses of `bits` bits (chunks of at most `synapsesPerChunk`).
  private func words(_ n: Int, _ bits: Int) -> Int {
    let c = limits.synapsesPerChunk
    let w = limits.synapseWordBits
    let full = (c * bits + limits.chunkHeaderBits + w - 1) / w
    let r = n % c
    return (n / c) * full + (r > 0 ? (r * bits + limits.chunkHeaderBits + w - 1) / w : 0)
  }

  /// What the neurons `range` need (the range must be the last run grown), with the output
  /// axons per neuron given as a prefix sum.
  func demand(of range: Range<Int>, outputPrefix: [Int]) -> SliceDemand {
    var axons = sparseAxons
    var wordCount = sparseWords
    for d in dense {
      axons += d.columns
      wordCount += d.columns * words(range.count, d.bits)
    }
    return SliceDemand(
      compartments: range.count, inputAxons: axons, outputAxons: outputPrefix[range.upperBound] - outputPrefix[range.lowerBound],
      synapseWords: wordCount)
  }

  private mutating func reset(at position: Int) {
    for list in touched { count[Int(list)] = 0 }
    touched.removeAll(keepingCapacity: true)
    sparseAxons = 0
    sparseWords = 0
    runStart = position
    runEnd = position
  }

  // One more synapse on a list of n adds the words of its chunk remainder n % chunk (a whole
  // chunk's words repeat, so the increment depends on the remainder only).
  private mutating func add(_ p: Int) {
    let chunk = Int32(max(1, limits.synapsesPerChunk))
    for t in transposes {
      for e in t.start[p]..<t.start[p + 1] {
        let list = Int(t.base + t.sources[e])
        let n = count[list]
        if n == 0 {
          sparseAxons += 1
          touched.append(Int32(list))
        }
        sparseWords += Int(wordIncrement[Int(incrementBase[list] + n % chunk)])
        count[list] = n + 1
      }
    }
    runEnd = p + 1
  }

  private mutating func remove(_ p: Int) {
    let chunk = Int32(max(1, limits.synapsesPerChunk))
    for t in transposes {
      for e in t.start[p]..<t.start[p + 1] {
        let list = Int(t.base + t.sources[e])
        let n = count[list] - 1
        if n == 0 { sparseAxons -= 1 }
        sparseWords -= Int(wordIncrement[Int(incrementBase[list] + n % chunk)])
        count[list] = n
      }
    }
    runEnd = p
  }

  /// The end of the longest run from `position`, ending at most at `end`, whose need fits
  /// `room` (`position` itself when not even one neuron fits). Leaves that run as the
  /// current one.
  mutating func longestRun(from position: Int, fitting room: SliceDemand, upTo end: Int, outputPrefix: [Int]) -> Int {
    reset(at: position)
    var p = position
    while p < min(size, end) {
      add(p)
      if !demand(of: runStart..<(p + 1), outputPrefix: outputPrefix).fits(room) {
        remove(p)
        break
      }
      p += 1
    }
    return p
  }

  /// What the neurons `range` need, measured by growing a run over it.
  mutating func measure(_ range: Range<Int>, outputPrefix: [Int]) -> SliceDemand {
    reset(at: range.lowerBound)
    for p in range { add(p) }
    return demand(of: range, outputPrefix: outputPrefix)
  }
}
