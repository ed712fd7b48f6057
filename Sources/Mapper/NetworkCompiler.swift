import CoreMapModel
import Dispatch
import Foundation
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
  /// Called as each stage of a compilation starts (from the compiling thread).
  public var progress: (@Sendable (CompileStage) -> Void)?

  /// Creates a compiler for `board`; `progress` hears of each stage as it starts.
  public init(board: BoardSpec, progress: (@Sendable (CompileStage) -> Void)? = nil) {
    self.board = board
    self.progress = progress
  }

  /// Compiles `network`.
  ///
  /// - Throws: ``MappingError`` when the network is invalid or does not fit the board; the
  ///   error names the layer, the resource, what is needed against what there is, and a fix.
  public func compile(_ described: Network) throws(MappingError) -> (CoreMap, MappingReport) {
    do throws(MappingError) {
      return try compileUnlocated(described)
    } catch {
      throw Self.locate(error, in: described)
    }
  }

  /// How `network`'s layers given in real units would be quantized (the discretizer's
  /// report, with each connection's ``WeightQuantizer``), without placing anything.
  public static func quantization(of network: Network) throws(MappingError) -> [LayerQuantization] {
    try Discretizer.discretize(try Lowering.lower(network)).1
  }

  /// `network` as the chip's integers (stages folded, every layer discretized) and the
  /// discretizer's report: what `compile` places.
  public static func discretized(_ network: Network) throws(MappingError) -> (network: Network, quantization: [LayerQuantization]) {
    let (lowered, report) = try Discretizer.discretize(try Lowering.lower(network))
    return (lowered, report)
  }

  /// Fills in the JSON path (`layers[i]`, `connections[k]`) of every refusal that names a
  /// layer or a connection of `network`.
  static func locate(_ error: MappingError, in network: Network) -> MappingError {
    let located = error.all.map { e -> MappingError in
      var e = e
      if e.path == nil, let name = e.layer, let i = network.layers.firstIndex(where: { $0.name == name }) { e.path = "layers[\(i)]" }
      if e.path == nil, let k = e.connection, network.connections.indices.contains(k) { e.path = "connections[\(k)]" }
      return e
    }
    return MappingError.combining(located)
  }

  /// A warning for every real-valued input whose values lie outside its encoder's range
  /// (they are clipped).
  static func inputWarnings(_ network: Network) -> [String] {
    network.realInputs.compactMap { input in
      let range = HostEncoding.range(input.encoding)
      let out = HostEncoding.outOfRange(values: input.values, encoding: input.encoding)
      guard out.count > 0 else { return nil }
      return "input '\(input.name)': \(out.count) of \(input.values.count) values lie outside the \(input.encoding.rawValue) encoder's range [\(range.lowerBound), \(range.upperBound)] (min \(out.min), max \(out.max)) and are clipped; rescale the values\(input.encoding == .spiking ? ", or use on_off encoding for signed values" : "")"
    }
  }

  private func compileUnlocated(_ described: Network) throws(MappingError) -> (CoreMap, MappingReport) {
    let issues = described.validate()
    if !issues.isEmpty {
      throw MappingError.combining(issues.map { issue in
        var e = MappingError(subject: "invalid network", problem: issue.problem, fix: issue.fix)
        e.path = issue.path
        return e
      })
    }
    // Stages fold into connections, convolutions become sparse matrices, and layers given
    // in real units become the chip's integers. When lowering refuses, the layers' time
    // constants are checked too, so one run reports every refusal it can.
    let lowered: Network
    progress?(.lowering)
    do throws(MappingError) {
      lowered = try Lowering.lower(described)
    } catch {
      let parameters = described.layers.flatMap { layer in
        layer.real.map { Discretizer.timeConstantRefusals(layer, real: $0, dt: described.dt) } ?? []
      }
      throw MappingError.combining(error.all + parameters)
    }
    progress?(.quantizing)
    let (network, quantization) = try Discretizer.discretize(lowered)
    if let issue = network.validate().first {
      throw MappingError(subject: "network", problem: "quantized to invalid values: \(issue.path): \(issue.problem)", fix: issue.fix + " (this is a mapper bug; please report it with the network)")
    }
    let limits = board.chip.core
    progress?(.partitioning)
    let partitioner = Partitioner(network: network, limits: limits)
    let counts = try partitioner.sliceCounts()

    // Slices in layer order, with their demands under the final slice counts (measured in
    // one pass over the synapses for layers with sparse inputs).
    let equalCuts = partitioner.cuts(sliceCounts: counts)
    let outputPrefixes = partitioner.outputAxonPrefixes(cuts: equalCuts)
    let filler = FillPacker(
      network: network, partitioner: partitioner, limits: limits, sliceCounts: counts, outputPrefixes: outputPrefixes)
    var slices: [LayerSlice] = []
    for (i, layer) in network.layers.enumerated() {
      for (s, range) in Partitioner.ranges(size: layer.size, pieces: counts[i]).enumerated() {
        let demand =
          filler.equalSliceDemands[i].isEmpty
          ? partitioner.demand(layer: i, range: range, cuts: equalCuts, outputPrefix: outputPrefixes[i])
          : filler.equalSliceDemands[i][s]
        slices.append(LayerSlice(layer: i, range: range, demand: demand, vmin: layer.neuron.vmin, vmax: layer.neuron.vmax))
      }
    }
    // A layer no other layer projects to can be cut further at no cost to any core. (Not
    // layers with sparse inputs: what their pieces need depends on where they are cut, and
    // searching for gap-sized pieces would cost a pass over their synapses each time.)
    var divisible = network.layers.indices.map { !partitioner.hasSparseInputs($0) }
    for c in network.connections {
      if partitioner.layerIndex[c.from] != nil, let t = partitioner.layerIndex[c.to] { divisible[t] = false }
    }
    let packer = CorePacker(limits: limits, divisible: divisible, profiles: partitioner.profiles) { layer, range in
      partitioner.demand(layer: layer, range: range, cuts: equalCuts, outputPrefix: outputPrefixes[layer])
    }
    progress?(.packing)
    let (pieces, firstFitCores) = packer.pack(slices)
    var candidates = [Candidate(packing: "first fit", slices: pieces.map(\.slice), coreOfSlice: pieces.map(\.core), coreCount: firstFitCores)]
    // Layers with very different needs (convolutions): cut them to fill each other's room.
    // The reserve is a heuristic: try none (0 %) and several fractions of the estimate, in
    // parallel.
    if filler.applies {
      let estimate = filler.estimatedCores
      // Each try is a pass over every convolution synapse: fewer tries for very large networks.
      let sparseSynapses = partitioner.sparsePositions.values.reduce(0) { $0 + $1.positions.count }
      let percents = sparseSynapses > 32_000_000 ? [0, 50, 100, 110] : [0, 40, 50, 60, 80, 90, 100, 110]
      let results = ParallelResults<FillPacker.Packing?>(count: percents.count, initial: nil)
      DispatchQueue.concurrentPerform(iterations: percents.count) { i in
        results.set(i, filler.pack(targetCores: max(1, estimate * percents[i] / 100)))
      }
      for case let packing? in results.all
      where !candidates.contains(where: { $0.coreOfSlice == packing.coreOfSlice && $0.slices == packing.slices }) {
        candidates.append(Candidate(packing: "fill", slices: packing.slices, coreOfSlice: packing.coreOfSlice, coreCount: packing.coreCount))
      }
    }
    // Choose: the fewest cores; on a board where they need several chips, among the
    // candidates on as few chips and within 1 % (rounded down) of the fewest, the one
    // whose chip placement sends the fewest routes across chips. Ties keep list order (first
    // fit first). The first-fit packing stays as the fallback.
    let minCores = candidates.map(\.coreCount).min() ?? firstFitCores
    let perChip = max(1, board.chip.coresPerChip)
    let chipsNeeded = (minCores + perChip - 1) / perChip
    var eligible = candidates.indices.filter {
      candidates[$0].coreCount <= minCores + minCores / 100 && (candidates[$0].coreCount + perChip - 1) / perChip == chipsNeeded
    }
    progress?(.placing)
    let placements = ParallelResults<ChipAssignment?>(count: candidates.count, initial: nil)
    if chipsNeeded <= 1 {
      eligible = eligible.filter { candidates[$0].coreCount == minCores }
    } else {
      let (tried, options) = (eligible, candidates)
      DispatchQueue.concurrentPerform(iterations: tried.count) { e in
        let c = options[tried[e]]
        placements.set(
          tried[e],
          placeOnChips(network: network, partitioner: partitioner, slices: c.slices, coreOfSlicePacked: c.coreOfSlice, coreCount: c.coreCount))
      }
    }
    let placed = placements.all
    func rank(_ i: Int) -> (Int, Int, Int) { (placed[i]?.crossingRoutes ?? 0, candidates[i].coreCount, i) }
    // Should a map fail its check (a mapper bug), fall back through the eligible ones in
    // rank order, then first fit, then the rest by cores.
    var order = eligible.sorted { rank($0) < rank($1) }
    if !order.contains(0) { order.append(0) }
    let rest = candidates.indices.filter { !order.contains($0) }
    order += rest.sorted { (candidates[$0].coreCount, $0) < (candidates[$1].coreCount, $1) }

    progress?(.building)
    var failure: MappingError? = nil
    for i in order {
      let candidate = candidates[i]
      do throws(MappingError) {
        let chips =
          placed[i]
          ?? placeOnChips(
            network: network, partitioner: partitioner, slices: candidate.slices, coreOfSlicePacked: candidate.coreOfSlice,
            coreCount: candidate.coreCount)
        var (map, report) = try assemble(
          network: network, partitioner: partitioner, slices: candidate.slices, coreOfSlicePacked: candidate.coreOfSlice,
          coreCount: candidate.coreCount, chips: chips)
        report.quantization = quantization
        report.warnings = Self.inputWarnings(described)
        report.packing = candidate.packing
        report.firstFitCores = firstFitCores
        return (map, report)
      } catch {
        if failure == nil { failure = error }
      }
    }
    throw failure ?? MappingError(subject: "network", problem: "could not be packed", fix: "this is a mapper bug; please report it with the network")
  }

  /// The stages of a compilation, in order.
  public enum CompileStage: Int, CaseIterable, Sendable {
    case lowering, quantizing, partitioning, packing, placing, building

    /// What the stage does, for a progress line.
    public var description: String {
      switch self {
      case .lowering: "lowering stages and convolutions"
      case .quantizing: "quantizing to the chip's integers"
      case .partitioning: "cutting layers into slices that fit a core"
      case .packing: "packing slices onto cores"
      case .placing: "placing cores on chips"
      case .building: "building the core map and its routes"
      }
    }
  }

  /// One way of cutting and packing the network.
  private struct Candidate {
    var packing: String
    var slices: [LayerSlice]
    var coreOfSlice: [Int]
    var coreCount: Int
  }

  /// Packed cores assigned to chips, and the output-axon routes that cross chips.
  struct ChipAssignment: Sendable {
    var placement: [(chip: Int, index: Int)]
    var crossingRoutes: Int
  }

  /// Assigns packed cores to chips so that few routes cross chips: the traffic-greedy
  /// placement, or the cores in packing order when that crosses less.
  private func placeOnChips(
    network: Network, partitioner: Partitioner, slices: [LayerSlice], coreOfSlicePacked: [Int], coreCount: Int
  ) -> ChipAssignment {
    var slicesOfLayer = [[Int]](repeating: [], count: network.layers.count)
    for (i, slice) in slices.enumerated() { slicesOfLayer[slice.layer].append(i) }
    // Traffic between packed cores: one unit per output-axon route. A dense connection routes
    // every source neuron to every target slice; a convolution only to the slices its
    // kernel reaches.
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
      let sliceOf = Partitioner.sliceOfPosition(ranges: slicesOfLayer[t].map { slices[$0].range }, size: network.layers[t].size)
      let runs = partitioner.runs(ofConnection: k, sparse)
      for a in slicesOfLayer[s] {
        var reached: [Int: Int] = [:]  // target slice → routes from this source slice
        for position in slices[a].range {
          let column = partitioner.neuron(layer: s, at: position)
          var last = -1
          // The target slices of the column's runs (a run within one slice needs one look-up).
          for r in runs.start[column]..<runs.start[column + 1] {
            let (low, high) = (Int(runs.first[r]), Int(runs.last[r]))
            let whole = sliceOf[low] == sliceOf[high]
            for p in low...(whole ? low : high) where Int(sliceOf[p]) != last {
              last = Int(sliceOf[p])
              reached[last, default: 0] += 1
            }
          }
        }
        for (j, w) in reached { addTraffic(coreOfSlicePacked[a], coreOfSlicePacked[slicesOfLayer[t][j]], w) }
      }
    }
    let traffic = trafficMap.map { $0.map { (core: $0.key, weight: $0.value) }.sorted { $0.core < $1.core } }
    func crossing(_ placement: [(chip: Int, index: Int)]) -> Int {
      var total = 0
      for (a, edges) in traffic.enumerated() {
        for edge in edges where edge.core > a && placement[a].chip != placement[edge.core].chip { total += edge.weight }
      }
      return total
    }
    let perChip = max(1, board.chip.coresPerChip)
    let greedy = ChipPlacer(coresPerChip: perChip).place(coreCount: coreCount, traffic: traffic)
    let inOrder = (0..<coreCount).map { (chip: $0 / perChip, index: $0 % perChip) }
    let (g, o) = (crossing(greedy), crossing(inOrder))
    return o < g ? ChipAssignment(placement: inOrder, crossingRoutes: o) : ChipAssignment(placement: greedy, crossingRoutes: g)
  }

  /// Builds the core map of a packing placed on chips, and checks it.
  private func assemble(
    network: Network, partitioner: Partitioner, slices: [LayerSlice], coreOfSlicePacked: [Int], coreCount: Int,
    chips: ChipAssignment
  ) throws(MappingError) -> (CoreMap, MappingReport) {
    let limits = board.chip.core
    if let over = slices.first(where: { !$0.demand.fits(limits) }) {
      // The partitioner guarantees this cannot happen; never emit a map that breaks a limit.
      let d = over.demand
      throw MappingError(
        subject: "layer '\(network.layers[over.layer].name)'",
        problem:
          "a slice needs \(d.compartments) compartments, \(d.inputAxons) input axons, \(d.outputAxons) output axons and \(d.synapseWords) synapse words, more than a core of '\(board.chip.name)' has",
        fix: "this is a mapper bug; please report it with the network")
    }
    var slicesOfLayer = [[Int]](repeating: [], count: network.layers.count)
    for (i, slice) in slices.enumerated() { slicesOfLayer[slice.layer].append(i) }
    if coreCount > board.totalCores {
      var error = MappingError(
        subject: "network",
        problem:
          "needs \(coreCount) cores but board '\(board.name)' has \(board.totalCores) (\(board.chipCount) chip(s) × \(board.chip.coresPerChip) cores)",
        fix: "use a board with more chips, or make the network smaller")
      error.coresNeeded = coreCount
      throw error
    }
    let placement = chips.placement
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
    return (map, makeReport(map: map, network: network, partitioner: partitioner))
  }

  private func makeReport(map: CoreMap, network: Network, partitioner: Partitioner) -> MappingReport {
    let limits = board.chip.core
    // Lower bound: every layer whole, summed, divided by a core's capacity. Layers with
    // different vmin/vmax (per-core registers) can never share a core, so each such group
    // is bounded separately and the bounds add up.
    // Synapse memory is bounded by the best words-per-synapse rate a chunk can reach, not
    // by lists kept whole: cutting a list differently can round to fewer words.
    // Profiles: every distinct profile of a group must be in some core's table, so a group
    // needs at least its distinct profiles divided by a table's size.
    let ones = [Int](repeating: 1, count: network.layers.count)
    var groups: [[Int]: SliceDemand] = [:]
    var groupLayers: [[Int]: [Int]] = [:]
    for (i, layer) in network.layers.enumerated() {
      let key = [layer.neuron.vmin, layer.neuron.vmax]
      var d = partitioner.demand(layer: i, range: 0..<layer.size, sliceCounts: ones)
      d.synapseWords = partitioner.minimumSynapseWords(layer: i)
      groups[key] = (groups[key] ?? SliceDemand(compartments: 0, inputAxons: 0, outputAxons: 0, synapseWords: 0)) + d
      groupLayers[key, default: []].append(i)
    }
    func bound(_ used: Int, _ capacity: Int) -> Int { (used + capacity - 1) / capacity }
    var groupBound = 0
    var bounds = [
      "compartments": 0, "input axons": 0, "output axons": 0, "synapse words": 0, "compartment profiles": 0,
      "threshold profiles": 0,
    ]
    let sizes = network.layers.map(\.size)
    for (key, total) in groups {
      let profiles = partitioner.profiles.ids(layers: groupLayers[key] ?? [], sizes: sizes)
      let group = [
        "compartments": bound(total.compartments, limits.compartments),
        "input axons": bound(total.inputAxons, limits.inputAxons),
        "output axons": bound(total.outputAxons, limits.outputAxons),
        "synapse words": bound(total.synapseWords, limits.synapseWords),
        "compartment profiles": bound(profiles.compartment.count, limits.compartmentProfiles),
        "threshold profiles": bound(profiles.threshold.count, limits.thresholdProfiles),
      ]
      // Within a group, the binding resource sets the group's bound; report per resource.
      for (k, v) in group { bounds[k, default: 0] += v }
      groupBound += max(1, group.values.max() ?? 1)
    }
    var report = MappingReport(coresUsed: map.cores.count, lowerBounds: bounds, registerGroupBound: groupBound)
    // Say which layers their profiles cut, and into how many pieces.
    var piecesOfLayer = [Int](repeating: 0, count: network.layers.count)
    for layer in map.layers.indices where layer < piecesOfLayer.count {
      piecesOfLayer[layer] = Set(map.layers[layer].neuronCore).count
    }
    for (i, layer) in network.layers.enumerated() where !partitioner.profiles.isUniform(i) {
      let own = partitioner.profiles.ids(layer: i, range: 0..<layer.size)
      let over = own.compartment.count > limits.compartmentProfiles || own.threshold.count > limits.thresholdProfiles
      guard over else { continue }
      report.profileNotes.append(
        "layer '\(layer.name)': its neurons use \(own.compartment.count) compartment profiles (decay_u, decay_v, refract_delay) and \(own.threshold.count) threshold profiles (vth_mant), more than a core's tables hold (\(limits.compartmentProfiles) and \(limits.thresholdProfiles)); it is cut over \(piecesOfLayer[i]) cores, each within the tables")
    }
    return report
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
    // For sparse connections: the first input axon on the slice's core and the source
    // neurons (ascending) that reach the slice, one axon each.
    var sparseAxons: [[Int: (first: Int, sources: [Int32])]] = Array(repeating: [:], count: slices.count)
    // Per layer with sparse inputs: which of its slices (index into slicesOfLayer) holds each position.
    let sliceIndexOf = slicesOfLayer.enumerated().map { layer, list in
      partitioner.hasSparseInputs(layer)
        ? Partitioner.sliceOfPosition(ranges: list.map { slices[$0].range }, size: network.layers[layer].size) : []
    }
    // Every core's program depends only on its own slices: build them on all processors,
    // in chunks of cores, then collect in core order.
    let sourceCount = network.connections.map(\.weights.columns).max() ?? 0
    let chunks = min(coreCount, 4 * max(1, ProcessInfo.processInfo.activeProcessorCount))
    let built = ParallelResults<[BuiltCore]>(count: chunks, initial: [])
    let onCore = slicesOnCore
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
      // Scratch marks over a sparse connection's sources (cleared after every use).
      var seen = [Bool](repeating: false, count: sourceCount)
      let range = (coreCount * chunk / chunks)..<(coreCount * (chunk + 1) / chunks)
      built.set(chunk, range.map { buildCore($0, slicesOnCore: onCore[$0], seen: &seen) })
    }
    var cores: [CoreProgram] = []
    cores.reserveCapacity(coreCount)
    for chunk in built.all {
      for core in chunk {
        cores.append(core.program)
        for slice in core.slices {
          sliceOffset[slice.index] = slice.offset
          axonBase[slice.index] = slice.axonBase
          sparseAxons[slice.index] = slice.sparseAxons
        }
      }
    }
    // Routes: for every source neuron, per outgoing connection (file order), per target slice.
    func routes(fromSource neuron: Int, connections: [Int]) -> [AxonRoute] {
      var out: [AxonRoute] = []
      appendRoutes(fromSource: neuron, connections: connections, to: &out)
      return out
    }
    func appendRoutes(fromSource neuron: Int, connections: [Int], to out: inout [AxonRoute]) {
      for k in connections {
        guard let target = partitioner.layerIndex[network.connections[k].to] else { continue }
        if let sparse = partitioner.sparsePositions[k] {
          // Only the slices the kernel reaches, in slice order (positions ascend; a run of
          // consecutive positions within one slice needs one look-up).
          let runs = partitioner.runs(ofConnection: k, sparse)
          var last: Int32 = -1
          for r in runs.start[neuron]..<runs.start[neuron + 1] {
            let (low, high) = (Int(runs.first[r]), Int(runs.last[r]))
            let whole = sliceIndexOf[target][low] == sliceIndexOf[target][high]
            for p in low...(whole ? low : high) {
              let i = sliceIndexOf[target][p]
              if i == last { continue }
              last = i
              let t = slicesOfLayer[target][Int(i)]
              guard let (first, sources) = sparseAxons[t][k] else { continue }
              var lo = 0
              var hi = sources.count
              while lo < hi {
                let mid = (lo + hi) / 2
                if Int(sources[mid]) < neuron { lo = mid + 1 } else { hi = mid }
              }
              out.append(AxonRoute(core: Int32(coreOfSlice[t]), axon: Int32(first + lo)))
            }
          }
        } else {
          for t in slicesOfLayer[target] {
            out.append(AxonRoute(core: Int32(coreOfSlice[t]), axon: Int32(axonBase[t][k, default: 0] + neuron)))
          }
        }
      }
    }
    for core in 0..<coreCount {
      var start: [Int32] = [0]
      var list: [AxonRoute] = []
      for s in slicesOnCore[core] {
        let slice = slices[s]
        for position in slice.range {
          let neuron = partitioner.neuron(layer: slice.layer, at: position)
          appendRoutes(fromSource: neuron, connections: partitioner.outgoing[slice.layer], to: &list)
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

  /// A core's program, and where each of its slices landed on it.
  struct BuiltCore {
    var program: CoreProgram
    var slices: [(index: Int, offset: Int, axonBase: [Int: Int], sparseAxons: [Int: (first: Int, sources: [Int32])])]
  }

  /// The program of `core` holding `slicesOnCore` (in order): compartments slice by slice,
  /// then per slice and incoming connection its input axons and synapse segments.
  /// `seen` is scratch marks over sources, all false on entry and on return.
  private func buildCore(_ core: Int, slicesOnCore: [Int], seen: inout [Bool]) -> BuiltCore {
    var program = emptyProgram(core: core)
    var placed: [(index: Int, offset: Int, axonBase: [Int: Int], sparseAxons: [Int: (first: Int, sources: [Int32])])] = []
    // Synapses of the core's sparse inputs, to reserve the arrays once.
    var synapses = 0
    for s in slicesOnCore {
      for k in partitioner.incoming[slices[s].layer] {
        if let transpose = partitioner.sourcesByPosition[k] {
          synapses += transpose.start[slices[s].range.upperBound] - transpose.start[slices[s].range.lowerBound]
        }
      }
    }
    program.weights.reserveCapacity(synapses)
    program.sparseTargets.reserveCapacity(synapses)
    var axons = 0
    for s in slicesOnCore {
      let slice = slices[s]
      let layer = network.layers[slice.layer]
      let p = layer.neuron
      let offset = program.compartmentCount
      var axonBase: [Int: Int] = [:]
      var sparseAxons: [Int: (first: Int, sources: [Int32])] = [:]
      let n = slice.range.count
      // The slice's neurons, in the layer's layout order.
      let neurons = slice.range.map { partitioner.neuron(layer: slice.layer, at: $0) }
      if p.hasPerNeuronProfiles {
        program.decayU += neurons.map { Int32(p.decayU(ofNeuron: $0)) }
        program.decayV += neurons.map { Int32(p.decayV(ofNeuron: $0)) }
        program.threshold += neurons.map { Int32(FixedPoint.threshold(mantissa: p.thresholdMantissa(ofNeuron: $0))) }
        program.refractoryDelay += neurons.map { Int32(p.refractoryDelay(ofNeuron: $0)) }
      } else {
        program.decayU += repeatElement(Int32(p.decayU), count: n)
        program.decayV += repeatElement(Int32(p.decayV), count: n)
        program.threshold += repeatElement(Int32(FixedPoint.threshold(mantissa: p.thresholdMantissa)), count: n)
        program.refractoryDelay += repeatElement(Int32(p.refractoryDelay), count: n)
      }
      program.bias += neurons.map { Int32(FixedPoint.bias(mantissa: p.biasMantissa(ofNeuron: $0), exponent: p.biasExponent)) }
      program.vmin = Int32(p.vmin)
      program.vmax = Int32(p.vmax)
      program.compartmentLayer += repeatElement(Int32(slice.layer), count: n)
      program.compartmentNeuron += neurons.map { Int32($0) }
      for k in partitioner.incoming[slice.layer] {
        let c = network.connections[k]
        if let positions = partitioner.sparsePositions[k], let sources = partitioner.sourcesByPosition[k] {
          sparseAxons[k] = (
            axons,
            appendSparseSegments(
              for: c, positions: positions, sources: sources, slice: slice.range, compartmentOffset: offset, seen: &seen,
              into: &program)
          )
          axons = program.inputAxonCount
        } else {
          axonBase[k] = axons
          appendSegments(for: c, rows: neurons, compartmentOffset: offset, into: &program)
          axons += c.weights.columns
        }
      }
      placed.append((s, offset, axonBase, sparseAxons))
    }
    return BuiltCore(program: program, slices: placed)
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
  /// target positions `slice`, in source order; returns those source neurons (ascending),
  /// whose input axons follow one another from the core's next free axon.
  private func appendSparseSegments(
    for c: Connection, positions: (start: [Int], positions: [Int32], entries: [Int32]),
    sources bySource: (start: [Int], sources: [Int32]), slice: Range<Int>, compartmentOffset: Int,
    seen: inout [Bool], into program: inout CoreProgram
  ) -> [Int32] {
    let shift = Int32(SynapseWeight.storedShift(exponent: c.weightExponent, bits: c.weightBits))
    let bits = Int32(c.weightBits + partitioner.indexBits)
    let mantissaOf = ChipFields.weightRange.map {
      Int8(SynapseWeight.storedMantissa(wgt: $0, exponent: c.weightExponent, bits: c.weightBits))
    }
    // The sources that reach the slice, from the transpose (which also counts the synapses).
    let synapses = bySource.start[slice.upperBound] - bySource.start[slice.lowerBound]
    program.weights.reserveCapacity(program.weights.count + synapses)
    program.sparseTargets.reserveCapacity(program.sparseTargets.count + synapses)
    var unique: [Int32] = []
    for j in bySource.sources[bySource.start[slice.lowerBound]..<bySource.start[slice.upperBound]] where !seen[Int(j)] {
      seen[Int(j)] = true
      unique.append(j)
    }
    for j in unique { seen[Int(j)] = false }
    unique.sort()
    for j32 in unique {
      let j = Int(j32)
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
    }
    return unique
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

/// Results of work done in parallel, one slot each.
final class ParallelResults<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [Value]

  init(count: Int, initial: Value) { slots = Array(repeating: initial, count: count) }

  func set(_ i: Int, _ value: Value) {
    lock.lock()
    slots[i] = value
    lock.unlock()
  }

  var all: [Value] {
    lock.lock()
    defer { lock.unlock() }
    return slots
  }
}

