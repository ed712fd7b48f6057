import CoreMapModel
import HardwareSpec
import LoihiArithmetic
import NetworkModel

/// Compiles a network onto a board: partition every layer into slices that fit a core,
/// pack slices onto cores, place cores on chips, and build the integer core map with its
/// axon routes.
///
/// Placement never changes behaviour: the core map spikes exactly as the same network on
/// one unlimited core (tested on networks cut over many cores and chips).
public struct NetworkCompiler: Sendable {
  /// The board to compile for.
  public var board: BoardSpec

  /// Creates a compiler for `board`.
  public init(board: BoardSpec) { self.board = board }

  /// Compiles `network`.
  ///
  /// - Throws: ``MappingError`` when the network is invalid or does not fit the board; the
  ///   error names the layer, the resource, what is needed against what there is, and a fix.
  public func compile(_ described: Network) throws(MappingError) -> (CoreMap, MappingReport) {
    if let issue = described.validate().first {
      throw MappingError(subject: "network", problem: "is invalid: \(issue.path): \(issue.problem)", fix: issue.fix)
    }
    // Stages fold into connections, convolutions become sparse matrices, and layers given
    // in real units become the chip's integers.
    let (network, quantization) = try Discretizer.discretize(try Lowering.lower(described))
    if let issue = network.validate().first {
      throw MappingError(subject: "network", problem: "quantized to invalid values: \(issue.path): \(issue.problem)", fix: issue.fix)
    }
    let limits = board.chip.core
    let partitioner = Partitioner(network: network, limits: limits)
    let counts = try partitioner.sliceCounts()

    // Slices in layer order, with their demands under the final slice counts.
    let outputPrefixes = partitioner.outputAxonPrefixes(sliceCounts: counts)
    var slices: [LayerSlice] = []
    var slicesOfLayer = [[Int]](repeating: [], count: network.layers.count)
    for (i, layer) in network.layers.enumerated() {
      for range in Partitioner.ranges(size: layer.size, pieces: counts[i]) {
        slicesOfLayer[i].append(slices.count)
        slices.append(
          LayerSlice(
            layer: i, range: range,
            demand: partitioner.demand(layer: i, range: range, sliceCounts: counts, outputPrefix: outputPrefixes[i]),
            vmin: layer.neuron.vmin, vmax: layer.neuron.vmax))
      }
    }
    // A layer no other layer projects to can be cut further at no cost to any core. (Not
    // layers with sparse inputs: what their pieces need depends on where they are cut, and
    // searching for gap-sized pieces would cost a pass over their synapses each time.)
    var divisible = network.layers.indices.map { !partitioner.hasSparseInputs($0) }
    for c in network.connections {
      if partitioner.layerIndex[c.from] != nil, let t = partitioner.layerIndex[c.to] { divisible[t] = false }
    }
    let packer = CorePacker(limits: limits, divisible: divisible) { layer, range in
      partitioner.demand(layer: layer, range: range, sliceCounts: counts, outputPrefix: outputPrefixes[layer])
    }
    let (pieces, coreCount) = packer.pack(slices)
    if let over = pieces.first(where: { !$0.slice.demand.fits(limits) }) {
      // The partitioner guarantees this cannot happen; never emit a map that breaks a limit.
      let d = over.slice.demand
      throw MappingError(
        subject: "layer '\(network.layers[over.slice.layer].name)'",
        problem:
          "a slice needs \(d.compartments) compartments, \(d.inputAxons) input axons, \(d.outputAxons) output axons and \(d.synapseWords) synapse words, more than a core of '\(board.chip.name)' has",
        fix: "this is a mapper bug; please report it with the network")
    }
    slices = pieces.map(\.slice)
    let coreOfSlicePacked = pieces.map(\.core)
    slicesOfLayer = [[Int]](repeating: [], count: network.layers.count)
    for (i, slice) in slices.enumerated() { slicesOfLayer[slice.layer].append(i) }
    if coreCount > board.totalCores {
      throw MappingError(
        subject: "network",
        problem:
          "needs \(coreCount) cores but board '\(board.name)' has \(board.totalCores) (\(board.chipCount) chip(s) × \(board.chip.coresPerChip) cores)",
        fix: "use a board with more chips, or make the network smaller")
    }

    // Traffic between packed cores: one unit per output-axon route. A dense connection routes
    // every source neuron to every target slice; a convolution only to the slices its
    // kernel reaches (its target's slices are the equal ranges the partitioner chose).
    var trafficMap = [[Int: Int]](repeating: [:], count: coreCount)
    func addTraffic(_ ca: Int, _ cb: Int, _ w: Int) {
      if ca == cb { return }
      trafficMap[ca][cb, default: 0] += w
      trafficMap[cb][ca, default: 0] += w
    }
    for (k, c) in network.connections.enumerated() {
      guard let s = partitioner.layerIndex[c.from], let t = partitioner.layerIndex[c.to] else { continue }
      guard let sparse = partitioner.sparsePositions[k] else {
        for a in slicesOfLayer[s] {
          for b in slicesOfLayer[t] { addTraffic(coreOfSlicePacked[a], coreOfSlicePacked[b], slices[a].range.count) }
        }
        continue
      }
      let n = network.layers[t].size
      let pieces = slicesOfLayer[t].count
      for a in slicesOfLayer[s] {
        var reached: [Int: Int] = [:]  // target slice → routes from this source slice
        for position in slices[a].range {
          let column = partitioner.neuron(layer: s, at: position)
          var last = -1
          for e in sparse.start[column]..<sparse.start[column + 1] {
            let q = Int(sparse.positions[e])
            var j = q * pieces / n
            while j + 1 < pieces && n * (j + 1) / pieces <= q { j += 1 }
            if j != last {
              reached[j, default: 0] += 1
              last = j
            }
          }
        }
        for (j, w) in reached { addTraffic(coreOfSlicePacked[a], coreOfSlicePacked[slicesOfLayer[t][j]], w) }
      }
    }
    let traffic = trafficMap.map { $0.map { (core: $0.key, weight: $0.value) }.sorted { $0.core < $1.core } }
    let placement = ChipPlacer(coresPerChip: board.chip.coresPerChip).place(coreCount: coreCount, traffic: traffic)
    // Final global order: by chip, then by index on the chip.
    let order = (0..<coreCount).sorted {
      placement[$0].chip != placement[$1].chip
        ? placement[$0].chip < placement[$1].chip : placement[$0].index < placement[$1].index
    }
    var globalOfPacked = [Int](repeating: 0, count: coreCount)
    for (g, p) in order.enumerated() { globalOfPacked[p] = g }
    let coreOfSlice = coreOfSlicePacked.map { globalOfPacked[$0] }

    let builder = CoreMapBuilder(
      network: network, board: board, partitioner: partitioner, slices: slices, slicesOfLayer: slicesOfLayer,
      coreOfSlice: coreOfSlice,
      corePlacement: order.map { placement[$0] })
    let map = builder.build()
    if let problem = map.structuralProblems().first {
      throw MappingError(subject: "core map", problem: problem, fix: "this is a mapper bug; please report it with the network")
    }
    var report = makeReport(map: map, network: network, partitioner: partitioner)
    report.quantization = quantization
    return (map, report)
  }

  private func makeReport(map: CoreMap, network: Network, partitioner: Partitioner) -> MappingReport {
    let limits = board.chip.core
    // Lower bound: every layer whole, summed, divided by a core's capacity. Layers with
    // different vmin/vmax (per-core registers) can never share a core, so each such group
    // is bounded separately and the bounds add up.
    let ones = [Int](repeating: 1, count: network.layers.count)
    var groups: [[Int]: SliceDemand] = [:]
    for (i, layer) in network.layers.enumerated() {
      let key = [layer.neuron.vmin, layer.neuron.vmax]
      let d = partitioner.demand(layer: i, range: 0..<layer.size, sliceCounts: ones)
      groups[key] = (groups[key] ?? SliceDemand(compartments: 0, inputAxons: 0, outputAxons: 0, synapseWords: 0)) + d
    }
    func bound(_ used: Int, _ capacity: Int) -> Int { (used + capacity - 1) / capacity }
    var groupBound = 0
    var bounds = ["compartments": 0, "input axons": 0, "output axons": 0, "synapse words": 0]
    for total in groups.values {
      let group = [
        "compartments": bound(total.compartments, limits.compartments),
        "input axons": bound(total.inputAxons, limits.inputAxons),
        "output axons": bound(total.outputAxons, limits.outputAxons),
        "synapse words": bound(total.synapseWords, limits.synapseWords),
      ]
      // Within a group, the binding resource sets the group's bound; report per resource.
      for (k, v) in group { bounds[k, default: 0] += v }
      groupBound += max(1, group.values.max() ?? 1)
    }
    return MappingReport(coresUsed: map.cores.count, lowerBounds: bounds, registerGroupBound: groupBound)
  }
}

/// Builds the integer arrays of a core map from a placement.
struct CoreMapBuilder {
  let network: Network
  let board: BoardSpec
  let partitioner: Partitioner
  let slices: [LayerSlice]
  let slicesOfLayer: [[Int]]
  let coreOfSlice: [Int]
  /// (chip, index on chip) of every global core.
  let corePlacement: [(chip: Int, index: Int)]

  func build() -> CoreMap {
    let coreCount = corePlacement.count
    var slicesOnCore = [[Int]](repeating: [], count: coreCount)
    for (i, c) in coreOfSlice.enumerated() { slicesOnCore[c].append(i) }
    var inputIndex: [String: Int] = [:]
    for (i, input) in network.inputs.enumerated() { inputIndex[input.name] = i }

    // Compartment offset of every slice on its core, and input-axon base of every
    // (slice, incoming connection).
    var sliceOffset = [Int](repeating: 0, count: slices.count)
    var axonBase: [[Int: Int]] = Array(repeating: [:], count: slices.count)
    // For sparse connections: the input axon of every source neuron on the slice's core, or −1.
    var sparseAxon: [[Int: [Int32]]] = Array(repeating: [:], count: slices.count)
    var cores: [CoreProgram] = []
    cores.reserveCapacity(coreCount)
    for core in 0..<coreCount {
      var program = emptyProgram(core: core)
      var axons = 0
      for s in slicesOnCore[core] {
        let slice = slices[s]
        let layer = network.layers[slice.layer]
        let p = layer.neuron
        sliceOffset[s] = program.compartmentCount
        let n = slice.range.count
        // The slice's neurons, in the layer's layout order.
        let neurons = slice.range.map { partitioner.neuron(layer: slice.layer, at: $0) }
        program.decayU += repeatElement(Int32(p.decayU), count: n)
        program.decayV += repeatElement(Int32(p.decayV), count: n)
        program.threshold += repeatElement(Int32(FixedPoint.threshold(mantissa: p.thresholdMantissa)), count: n)
        program.bias += neurons.map { Int32(FixedPoint.bias(mantissa: p.biasMantissa(ofNeuron: $0), exponent: p.biasExponent)) }
        program.refractoryDelay += repeatElement(Int32(p.refractoryDelay), count: n)
        program.vmin = Int32(p.vmin)
        program.vmax = Int32(p.vmax)
        program.compartmentLayer += repeatElement(Int32(slice.layer), count: n)
        program.compartmentNeuron += neurons.map { Int32($0) }
        for k in partitioner.incoming[slice.layer] {
          let c = network.connections[k]
          if let positions = partitioner.sparsePositions[k] {
            sparseAxon[s][k] = appendSparseSegments(
              for: c, positions: positions, slice: slice.range, compartmentOffset: sliceOffset[s], firstAxon: axons,
              into: &program)
            axons = program.inputAxonCount
          } else {
            axonBase[s][k] = axons
            appendSegments(for: c, rows: neurons, compartmentOffset: sliceOffset[s], into: &program)
            axons += c.weights.columns
          }
        }
      }
      cores.append(program)
    }

    // Routes: for every source neuron, per outgoing connection (file order), per target slice.
    func routes(fromSource neuron: Int, connections: [Int]) -> [AxonRoute] {
      var out: [AxonRoute] = []
      for k in connections {
        guard let target = partitioner.layerIndex[network.connections[k].to] else { continue }
        for t in slicesOfLayer[target] {
          if let axons = sparseAxon[t][k] {
            if axons[neuron] >= 0 { out.append(AxonRoute(core: Int32(coreOfSlice[t]), axon: axons[neuron])) }
          } else {
            out.append(AxonRoute(core: Int32(coreOfSlice[t]), axon: Int32(axonBase[t][k, default: 0] + neuron)))
          }
        }
      }
      return out
    }
    for core in 0..<coreCount {
      var start: [Int32] = [0]
      var list: [AxonRoute] = []
      for s in slicesOnCore[core] {
        let slice = slices[s]
        for position in slice.range {
          let neuron = partitioner.neuron(layer: slice.layer, at: position)
          list += routes(fromSource: neuron, connections: partitioner.outgoing[slice.layer])
          start.append(Int32(list.count))
        }
      }
      cores[core].routeStart = start
      cores[core].routes = list
    }
    var inputConnections = [[Int]](repeating: [], count: network.inputs.count)
    for (k, c) in network.connections.enumerated() {
      if let i = inputIndex[c.from] { inputConnections[i].append(k) }
    }
    let inputs = network.inputs.enumerated().map { i, input in
      HostInput.make(
        name: input.name, size: input.size, train: input.spikes, encoder: input.encoder,
        routesPerSource: (0..<input.size).map { routes(fromSource: $0, connections: inputConnections[i]) })
    }

    let layers = network.layers.enumerated().map { i, layer in
      var neuronCore = [Int32](repeating: 0, count: layer.size)
      var neuronCompartment = [Int32](repeating: 0, count: layer.size)
      for s in slicesOfLayer[i] {
        for position in slices[s].range {
          let n = partitioner.neuron(layer: i, at: position)
          neuronCore[n] = Int32(coreOfSlice[s])
          neuronCompartment[n] = Int32(sliceOffset[s] + position - slices[s].range.lowerBound)
        }
      }
      return LayerPlacement(name: layer.name, neuronCore: neuronCore, neuronCompartment: neuronCompartment)
    }
    let layerIndex = partitioner.layerIndex
    let probes = network.probes.map { probe in
      let layer = layerIndex[probe.layer] ?? 0
      let neurons = probe.neurons ?? Array(0..<network.layers[layer].size)
      return ProbePlacement(name: probe.name, layer: layer, variable: ProbedVariable(probe.kind), neurons: neurons.map { Int32($0) })
    }
    return CoreMap(networkName: network.name, board: board, cores: cores, inputs: inputs, layers: layers, probes: probes)
  }

  private func emptyProgram(core: Int) -> CoreProgram {
    let (chip, index) = corePlacement[core]
    let position = board.meshPosition(chip: chip, core: index)
    return CoreProgram(
      chip: chip, coreOnChip: index, meshX: position.x, meshY: position.y, decayU: [], decayV: [], threshold: [],
      bias: [], refractoryDelay: [], vmin: 0, vmax: 0, compartmentLayer: [], compartmentNeuron: [],
      axonSegmentStart: [0], segments: [], weights: [], sparseTargets: [], routeStart: [0], routes: [])
  }

  /// One sparse segment per source neuron of the sparse connection `c` that reaches the
  /// target positions `slice`; returns the input axon of every source neuron (−1 for none).
  private func appendSparseSegments(
    for c: Connection, positions: (start: [Int], positions: [Int32], entries: [Int32]), slice: Range<Int>,
    compartmentOffset: Int, firstAxon: Int, into program: inout CoreProgram
  ) -> [Int32] {
    let shift = Int32(SynapseWeight.storedShift(exponent: c.weightExponent, bits: c.weightBits))
    let bits = Int32(c.weightBits + partitioner.indexBits)
    var axonOf = [Int32](repeating: -1, count: c.weights.columns)
    var axon = firstAxon
    let mantissaOf = ChipFields.weightRange.map {
      Int8(SynapseWeight.storedMantissa(wgt: $0, exponent: c.weightExponent, bits: c.weightBits))
    }
    for j in 0..<c.weights.columns {
      // Positions are ascending within a column: bisect to the slice's run.
      func firstSlot(atLeast value: Int) -> Int {
        var lo = positions.start[j]
        var hi = positions.start[j + 1]
        while lo < hi {
          let mid = (lo + hi) / 2
          if Int(positions.positions[mid]) < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
      }
      let inRange = firstSlot(atLeast: slice.lowerBound)..<firstSlot(atLeast: slice.upperBound)
      if inRange.isEmpty { continue }
      let weightOffset = Int32(program.weights.count)
      let targetOffset = Int32(program.sparseTargets.count)
      for slot in inRange {
        let e = Int(positions.entries[slot])
        program.weights.append(mantissaOf[Int(c.weights.values[e]) - ChipFields.weightRange.lowerBound])
        program.sparseTargets.append(Int32(compartmentOffset + Int(positions.positions[slot]) - slice.lowerBound))
      }
      program.segments.append(
        SynapseSegment(
          firstCompartment: 0, count: Int32(inRange.count), weightOffset: weightOffset, targetOffset: targetOffset,
          shift: shift, synapseBits: bits))
      program.axonSegmentStart.append(Int32(program.segments.count))
      axonOf[j] = Int32(axon)
      axon += 1
    }
    return axonOf
  }

  /// One dense segment per source neuron of `c`, over the target rows `rows` (in order).
  private func appendSegments(for c: Connection, rows: [Int], compartmentOffset: Int, into program: inout CoreProgram) {
    let shift = Int32(SynapseWeight.storedShift(exponent: c.weightExponent, bits: c.weightBits))
    var mantissaOf = [Int8](repeating: 0, count: 512)
    for wgt in ChipFields.weightRange {
      mantissaOf[wgt + 256] = Int8(SynapseWeight.storedMantissa(wgt: wgt, exponent: c.weightExponent, bits: c.weightBits))
    }
    let columns = c.weights.columns
    program.weights.reserveCapacity(program.weights.count + rows.count * columns)
    c.weights.values.withUnsafeBufferPointer { values in
      for source in 0..<columns {
        let offset = Int32(program.weights.count)
        for row in rows {
          program.weights.append(mantissaOf[Int(values[row * columns + source]) + 256])
        }
        program.segments.append(
          SynapseSegment(
            firstCompartment: Int32(compartmentOffset), count: Int32(rows.count), weightOffset: offset, shift: shift,
            synapseBits: Int32(c.weightBits)))
        program.axonSegmentStart.append(Int32(program.segments.count))
      }
    }
  }
}
