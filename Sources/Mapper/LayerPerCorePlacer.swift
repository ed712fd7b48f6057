import CoreMapModel
import HardwareSpec
import LoihiArithmetic
import NetworkModel

/// The simplest placement: every layer on a core of its own, in file order.
///
/// Each layer becomes one core. Every source neuron of every connection into a layer takes
/// one input axon on that layer's core, holding a dense synapse list over the whole layer;
/// every neuron takes one output axon per connection leaving its layer. A layer that does
/// not fit a core under any of the spec's limits is refused with the resource, the numbers
/// and a fix. This is the placement of the foundation release; the full mapper (splitting,
/// packing, multi-chip placement) replaces it.
public struct LayerPerCorePlacer: Sendable {
  /// The board to place on.
  public var board: BoardSpec

  /// Creates a placer for `board`.
  public init(board: BoardSpec) { self.board = board }

  /// Compiles a network into a core map.
  ///
  /// - Throws: ``MappingError`` when the network is invalid (see ``Network/validate()``) or
  ///   when a layer or the whole network does not fit the board.
  public func place(_ network: Network) throws(MappingError) -> CoreMap {
    if let issue = network.validate().first {
      throw MappingError(subject: "network", problem: "is invalid: \(issue.path): \(issue.problem)", fix: issue.fix)
    }
    let limits = board.chip.core
    if network.layers.count > board.totalCores {
      throw MappingError(
        subject: "network",
        problem:
          "needs \(network.layers.count) cores (one per layer) but board '\(board.name)' has \(board.totalCores) (\(board.chipCount) chip(s) × \(board.chip.coresPerChip) cores)",
        fix: "use a board with more chips or merge layers")
    }
    var layerIndex: [String: Int] = [:]
    for (i, layer) in network.layers.enumerated() { layerIndex[layer.name] = i }
    var inputIndex: [String: Int] = [:]
    for (i, input) in network.inputs.enumerated() { inputIndex[input.name] = i }

    // Input axons: per target layer, connections in file order, one axon per source neuron.
    var axonBase = [Int](repeating: 0, count: network.connections.count)
    var axonsUsed = [Int](repeating: 0, count: network.layers.count)
    var synapseWords = [Int](repeating: 0, count: network.layers.count)
    var outputAxonsUsed = [Int](repeating: 0, count: network.layers.count)
    for (k, c) in network.connections.enumerated() {
      guard let target = layerIndex[c.to] else { continue }
      axonBase[k] = axonsUsed[target]
      axonsUsed[target] += c.weights.columns
      synapseWords[target] +=
        c.weights.columns
        * limits.synapseWords(forListOf: c.weights.rows, bitsPerSynapse: c.weightBits)
      if let source = layerIndex[c.from] { outputAxonsUsed[source] += network.layers[source].size }
    }
    for (i, layer) in network.layers.enumerated() {
      try check(layer.size, limits.compartments, "compartments", layer: layer.name, fix: "split the layer into layers of at most \(limits.compartments) neurons")
      try check(axonsUsed[i], limits.inputAxons, "input axons (one per source neuron of each incoming connection)", layer: layer.name, fix: "reduce the fan-in: fewer or smaller source layers")
      try check(outputAxonsUsed[i], limits.outputAxons, "output axons (one per neuron per outgoing connection)", layer: layer.name, fix: "reduce the number of outgoing connections or the layer size")
      try check(synapseWords[i], limits.synapseWords, "synapse memory words", layer: layer.name, fix: "reduce the fan-in, use fewer weight bits, or split the layer")
    }

    var cores: [CoreProgram] = []
    var placements: [LayerPlacement] = []
    for (i, layer) in network.layers.enumerated() {
      let n = layer.size
      let p = layer.neuron
      let core = Int32(i)
      placements.append(
        LayerPlacement(
          name: layer.name, neuronCore: [Int32](repeating: core, count: n),
          neuronCompartment: (0..<Int32(n)).map { $0 }))
      cores.append(
        CoreProgram(
          chip: i / board.chip.coresPerChip, coreOnChip: i % board.chip.coresPerChip,
          decayU: [Int32](repeating: Int32(p.decayU), count: n),
          decayV: [Int32](repeating: Int32(p.decayV), count: n),
          threshold: [Int32](repeating: Int32(FixedPoint.threshold(mantissa: p.thresholdMantissa)), count: n),
          bias: (0..<n).map { Int32(FixedPoint.bias(mantissa: p.biasMantissa(ofNeuron: $0), exponent: p.biasExponent)) },
          refractoryDelay: [Int32](repeating: Int32(p.refractoryDelay), count: n),
          vmin: Int32(p.vmin), vmax: Int32(p.vmax),
          compartmentLayer: [Int32](repeating: Int32(i), count: n),
          compartmentNeuron: (0..<Int32(n)).map { $0 },
          axonSegmentStart: [0], segments: [], weights: [], sparseTargets: [],
          routeStart: [], routes: []))
    }

    // Synapses: for every connection, one dense segment per source neuron on the target core.
    for (k, c) in network.connections.enumerated() {
      guard let target = layerIndex[c.to] else { continue }
      let shift = Int32(SynapseWeight.storedShift(exponent: c.weightExponent, bits: c.weightBits))
      let rows = c.weights.rows
      // Cache the mantissa of every possible Wgt value (there are only 512).
      var mantissaOf = [Int8](repeating: 0, count: 512)
      for wgt in ChipFields.weightRange {
        mantissaOf[wgt + 256] = Int8(
          SynapseWeight.storedMantissa(wgt: wgt, exponent: c.weightExponent, bits: c.weightBits))
      }
      cores[target].weights.reserveCapacity(cores[target].weights.count + rows * c.weights.columns)
      c.weights.values.withUnsafeBufferPointer { values in
        for source in 0..<c.weights.columns {
          let offset = Int32(cores[target].weights.count)
          for row in 0..<rows {
            cores[target].weights.append(mantissaOf[Int(values[row * c.weights.columns + source]) + 256])
          }
          cores[target].segments.append(
            SynapseSegment(firstCompartment: 0, count: Int32(rows), weightOffset: offset, shift: shift))
          cores[target].axonSegmentStart.append(Int32(cores[target].segments.count))
        }
      }
      precondition(cores[target].inputAxonCount == axonBase[k] + c.weights.columns)
    }

    // Output axons of layers, and routes of host inputs, in connection order.
    var layerRoutes = network.layers.map { [[AxonRoute]](repeating: [], count: $0.size) }
    var inputRoutes = network.inputs.map { [[AxonRoute]](repeating: [], count: $0.size) }
    for (k, c) in network.connections.enumerated() {
      guard let target = layerIndex[c.to] else { continue }
      for source in 0..<c.weights.columns {
        let route = AxonRoute(core: Int32(target), axon: Int32(axonBase[k] + source))
        if let s = layerIndex[c.from] {
          layerRoutes[s][source].append(route)
        } else if let s = inputIndex[c.from] {
          inputRoutes[s][source].append(route)
        }
      }
    }
    for i in cores.indices {
      var start: [Int32] = [0]
      var routes: [AxonRoute] = []
      for list in layerRoutes[i] {
        routes += list
        start.append(Int32(routes.count))
      }
      cores[i].routeStart = start
      cores[i].routes = routes
    }

    let inputs = network.inputs.enumerated().map { (i, input) in
      HostInput.make(
        name: input.name, size: input.size, train: input.spikes, routesPerSource: inputRoutes[i])
    }
    let probes = network.probes.map { probe in
      let layer = layerIndex[probe.layer] ?? 0
      let neurons = probe.neurons ?? Array(0..<network.layers[layer].size)
      return ProbePlacement(
        name: probe.name, layer: layer, variable: ProbedVariable(probe.kind),
        neurons: neurons.map { Int32($0) })
    }
    return CoreMap(
      boardName: board.name, chipCount: board.chipCount, cores: cores, inputs: inputs,
      layers: placements, probes: probes)
  }

  private func check(_ used: Int, _ limit: Int, _ resource: String, layer: String, fix: String)
    throws(MappingError)
  {
    if used > limit {
      throw MappingError(
        subject: "layer '\(layer)'",
        problem: "needs \(used) \(resource) but a core of '\(board.chip.name)' has \(limit)",
        fix: fix)
    }
  }
}

extension ProbedVariable {
  init(_ kind: ProbeKind) {
    switch kind {
    case .spikes: self = .spikes
    case .voltage: self = .voltage
    case .current: self = .current
    }
  }
}

extension HostInput {
  /// Builds the per-step schedule of a sorted spike train.
  static func make(name: String, size: Int, train: SpikeTrain, routesPerSource: [[AxonRoute]])
    -> HostInput
  {
    let lastStep = Int(train.steps.last ?? 0)
    var stepStart = [Int32](repeating: 0, count: lastStep + 1)
    var k = 0
    for t in 1...max(lastStep, 1) where t <= lastStep {
      while k < train.count && Int(train.steps[k]) <= t { k += 1 }
      stepStart[t] = Int32(k)
    }
    var start: [Int32] = [0]
    var routes: [AxonRoute] = []
    for list in routesPerSource {
      routes += list
      start.append(Int32(routes.count))
    }
    return HostInput(
      name: name, size: size, stepStart: stepStart, eventSources: train.sources,
      routeStart: start, routes: routes)
  }
}
