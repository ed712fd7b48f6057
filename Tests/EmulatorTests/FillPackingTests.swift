import CoreMapModel
import Emulator
import HardwareSpec
import LoihiArithmetic
@testable import Mapper
import NetworkModel
import Testing

/// A random chain of convolutions (random channels, kernels, strides and padding), sometimes
/// with a dense read-out, a second vmin/vmax group, or a recurrent read-out (a cycle).
func randomConvolutionNetwork(seed: UInt64, steps: Int = 5) -> Network {
  var rng = SplitMix64(seed: seed)
  func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
  var shape = [pick(1...2), pick(8...14), pick(8...14)]
  let input = spikeInput("in", shape: shape, steps: steps, seed: seed &+ 1)
  var layers: [Layer] = []
  var connections: [Connection] = []
  var previous = "in"
  for i in 0..<pick(2...3) {
    let kernel = pick(1...4)
    let stride = pick(1...2)
    let padding = pick(0...1)
    let conv = Conv2D(kernelShape: [pick(2...6), shape[0], kernel, kernel], stride: [stride, stride], padding: [padding, padding])
    guard let out = conv.outputShape(input: shape), out.allSatisfy({ $0 > 0 }) else { break }
    var neuron = NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 20 + pick(0...60))
    if rng.chance(0.2) { neuron.vmin = -(1 << 10) + 1 }
    var layer = Layer(name: "c\(i)", size: out.reduce(1, *), neuron: neuron)
    layer.shape = out
    let count = conv.kernelShape.reduce(1, *)
    var connection = Connection(
      from: previous, to: layer.name,
      weights: WeightMatrix(rows: conv.kernelShape[0], columns: count / conv.kernelShape[0], values: (0..<count).map { _ in Int32(pick(-60...120)) }))
    connection.conv = conv
    layers.append(layer)
    connections.append(connection)
    previous = layer.name
    shape = out
  }
  if rng.chance(0.5), let last = layers.last {
    let size = pick(3...12)
    layers.append(Layer(name: "readout", size: size, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 90)))
    connections.append(
      Connection(
        from: last.name, to: "readout",
        weights: WeightMatrix(rows: size, columns: last.size, values: (0..<(size * last.size)).map { _ in Int32(pick(-20...40)) })))
    if rng.chance(0.3) {
      connections.append(
        Connection(from: "readout", to: "readout", weights: WeightMatrix(rows: size, columns: size, values: (0..<(size * size)).map { _ in Int32(pick(-30...30)) })))
    }
  }
  return Network(inputs: [input], layers: layers, connections: connections)
}

@Suite("Fill packing of convolutions")
struct FillPackingTests {
  @Test("the best chunk rate and the synapse-word bound are what the chunk arithmetic gives")
  func chunkRate() throws {
    let limits = CoreLimits(
      compartments: 1024, inputAxons: 4096, outputAxons: 4096, synapseWords: 16384, synapseWordBits: 64, synapsesPerChunk: 64,
      chunkHeaderBits: 10)
    let partitioner = Partitioner(network: Network(layers: []), limits: limits)
    // 18-bit synapses (8 weight + 10 index bits): the best is 3.5 synapses per word, first
    // reached by 35 synapses in 10 words (640 bits), also by 63 in 18.
    let (words, synapses) = partitioner.bestChunkRate(bitsPerSynapse: 18)
    #expect(words * 7 == synapses * 2)
    // A full chunk of 64 is worse: 64 × 18 + 10 = 1162 bits → 19 words.
    #expect(limits.synapseWords(forListOf: 64, bitsPerSynapse: 18) == 19)
    #expect(limits.synapseWords(forListOf: 63, bitsPerSynapse: 18) == 18)
    // 8-bit dense synapses: 64 × 8 + 10 = 522 bits → 9 words; 62 × 8 + 10 = 506 → 8 words.
    let dense = partitioner.bestChunkRate(bitsPerSynapse: 8)
    #expect(dense.words * 62 == dense.synapses * 8)
  }

  @Test("every spread slice fits, slices cover each layer once, and their needs match the partitioner's", arguments: Array(UInt64(300)..<UInt64(320)))
  func fillPackingRespectsLimits(_ seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let described = randomConvolutionNetwork(seed: seed)
    let network = try Discretizer.discretize(try Lowering.lower(described)).0
    let limits = CoreLimits(
      compartments: 24 + Int(rng.next() % 100), inputAxons: 200 + Int(rng.next() % 400), outputAxons: 120 + Int(rng.next() % 600),
      synapseWords: 300 + Int(rng.next() % 2000), synapseWordBits: 64, synapsesPerChunk: 16 + Int(rng.next() % 49), chunkHeaderBits: 10)
    let partitioner = Partitioner(network: network, limits: limits)
    guard let counts = try? partitioner.sliceCounts() else { return }  // too large a fan-in for these limits
    let filler = FillPacker(network: network, partitioner: partitioner, limits: limits, sliceCounts: counts)
    let hasCycle = network.connections.contains { $0.from == $0.to }
    #expect(filler.applies == !hasCycle)
    for percent in [90, 100, 110] {
      guard let packing = filler.pack(targetCores: max(1, filler.estimatedCores * percent / 100)) else {
        #expect(hasCycle)
        continue
      }
      // Each layer is covered exactly once, in order.
      var cuts = [[Int]](repeating: [0], count: network.layers.count)
      for slice in packing.slices {
        #expect(slice.range.lowerBound == cuts[slice.layer].last)
        cuts[slice.layer].append(slice.range.upperBound)
      }
      for (i, layer) in network.layers.enumerated() { #expect(cuts[i].last == layer.size) }
      // Needs agree with the partitioner's independent count, and every core fits.
      var used = [SliceDemand](repeating: SliceDemand(compartments: 0, inputAxons: 0, outputAxons: 0, synapseWords: 0), count: packing.coreCount)
      var registers = [Set<Int>](repeating: [], count: packing.coreCount)
      for (slice, core) in zip(packing.slices, packing.coreOfSlice) {
        #expect(partitioner.demand(layer: slice.layer, range: slice.range, cuts: cuts) == slice.demand, "seed \(seed) layer \(slice.layer) \(slice.range)")
        used[core] = used[core] + slice.demand
        registers[core].insert(slice.vmin)
      }
      for (core, u) in used.enumerated() {
        #expect(u.fits(limits), "seed \(seed) core \(core): \(u)")
        #expect(registers[core].count == 1)
      }
    }
    // Whatever strategy wins, the compiled map fits, places every neuron and is deterministic.
    let board = BoardSpec(name: "random", chip: ChipSpec(name: "random chip", coresPerChip: 32, core: limits), chipCount: 64, chipsX: 8)
    let (map, report) = try NetworkCompiler(board: board).compile(described)
    #expect(map.structuralProblems().isEmpty)
    #expect(report.lowerBound <= map.cores.count)
    #expect(try NetworkCompiler(board: board).compile(described).0 == map)
  }

  @Test("a convolution chain packed by filling spikes exactly as on one unlimited core, on fewer cores than first fit")
  func fillPackingInvariance() throws {
    // An event-camera-like chain: a compartment-heavy first convolution and two whose synapse
    // memory fills a core first.
    let input = spikeInput("in", shape: [2, 18, 18], steps: 40, seed: 9)
    var rng = SplitMix64(seed: 4)
    func conv(_ from: String, _ to: String, _ cin: Int, _ cout: Int) -> Connection {
      var c = Connection(
        from: from, to: to,
        weights: WeightMatrix(rows: cout, columns: cin * 9, values: (0..<(cout * cin * 9)).map { _ in Int32(Int(rng.next() % 120) - 30) }))
      c.conv = Conv2D(kernelShape: [cout, cin, 3, 3])
      return c
    }
    func layer(_ name: String, _ shape: [Int], _ threshold: Int) -> Layer {
      var l = Layer(name: name, size: shape.reduce(1, *), neuron: NeuronParameters(model: .loihiLIF, decayU: 1024, decayV: 400, thresholdMantissa: threshold))
      l.shape = shape
      return l
    }
    let network = Network(
      inputs: [input], layers: [layer("c1", [8, 16, 16], 30), layer("c2", [8, 14, 14], 60), layer("c3", [8, 12, 12], 60)],
      connections: [conv("in", "c1", 2, 8), conv("c1", "c2", 8, 8), conv("c2", "c3", 8, 8)])
    let limits = CoreLimits(compartments: 256, inputAxons: 1024, outputAxons: 1024, synapseWords: 2048, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)
    let board = BoardSpec(name: "small chips", chip: ChipSpec(name: "small", coresPerChip: 16, core: limits), chipCount: 8, chipsX: 4)

    let (map, report) = try NetworkCompiler(board: board).compile(network)
    #expect(report.packing == "fill")
    #expect(map.cores.count < report.firstFitCores, "\(map.cores.count) cores, first fit \(report.firstFitCores)")
    // Cores this small cut every list short, paying chunk headers the bound (lists whole)
    // does not; 34 cores against 31 when this was written, first fit 37.
    #expect(report.coreRatio <= 1.10, "\(map.cores.count) cores against a bound of \(report.lowerBound)")
    #expect(Set(map.cores.map(\.chip)).count > 1)
    let cut = try runWithFullProbes(network, steps: 40, board: board, threads: 2, minimumSliceSize: 4)
    let whole = try runWithFullProbes(network, steps: 40, board: unlimitedBoard)
    #expect(cut == whole)
    #expect(whole["c3.spikes"]!.values.reduce(0) { $0 + Int($1) } > 50)
  }
}

/// A random graph of layers sharing one spatial size: one or two spike inputs, layers with
/// up to three incoming connections each (convolutions or dense matrices from any earlier
/// layer or input, several weight widths), some without inputs, some with a second vmin,
/// sometimes a back edge (a cycle) and a dense read-out.
func randomLayerGraph(seed: UInt64, steps: Int) -> Network {
  var rng = SplitMix64(seed: seed)
  func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
  let (h, w) = (pick(3...7), pick(3...7))
  var inputs: [SpikeInput] = []
  var shapes: [String: [Int]] = [:]
  for i in 0..<pick(1...2) {
    let shape = [pick(1...3), h, w]
    inputs.append(spikeInput("in\(i)", shape: shape, steps: steps, seed: seed &+ UInt64(i) &+ 100))
    shapes["in\(i)"] = shape
  }
  var layers: [Layer] = []
  var connections: [Connection] = []
  var sources = inputs.map(\.name)
  func dense(_ from: String, _ to: String, rows: Int, columns: Int) -> Connection {
    let values = (0..<(rows * columns)).map { _ in rng.chance(0.7) ? 0 : Int32(pick(-40...80)) }
    return Connection(from: from, to: to, weights: WeightMatrix(rows: rows, columns: columns, values: values), weightBits: [8, 6, 4][pick(0...2)])
  }
  let count = pick(2...5)
  for i in 0..<count {
    let shape = [pick(1...4), h, w]
    var neuron = NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 30 + pick(0...60))
    if rng.chance(0.25) { neuron.vmin = -(1 << 10) + 1 }
    if rng.chance(0.3) { neuron.biasMantissa = [pick(1...20)] }
    var layer = Layer(name: "L\(i)", size: shape.reduce(1, *), neuron: neuron)
    if rng.chance(0.85) { layer.shape = shape }
    for _ in 0..<(rng.chance(0.15) ? 0 : pick(1...3)) {
      let from = sources[pick(0...(sources.count - 1))]
      let fromShape = shapes[from] ?? [1, h, w]
      if layer.shape != nil && rng.chance(0.7) {
        let k = [1, 3][pick(0...1)]
        let conv = Conv2D(kernelShape: [shape[0], fromShape[0], k, k], padding: [k / 2, k / 2])
        let n = conv.kernelShape.reduce(1, *)
        var c = Connection(
          from: from, to: layer.name, weights: WeightMatrix(rows: shape[0], columns: n / shape[0], values: (0..<n).map { _ in Int32(pick(-40...100)) }),
          weightBits: [8, 6, 4][pick(0...2)])
        c.conv = conv
        connections.append(c)
      } else {
        connections.append(dense(from, layer.name, rows: layer.size, columns: fromShape.reduce(1, *)))
      }
    }
    layers.append(layer)
    sources.append(layer.name)
    shapes[layer.name] = shape
  }
  if rng.chance(0.2) { connections.append(dense(layers[count - 1].name, layers[0].name, rows: layers[0].size, columns: layers[count - 1].size)) }
  if rng.chance(0.4) {
    let last = layers[pick(0...(count - 1))]
    let size = pick(2...10)
    layers.append(Layer(name: "readout", size: size, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 60)))
    connections.append(dense(last.name, "readout", rows: size, columns: last.size))
  }
  return Network(inputs: inputs, layers: layers, connections: connections)
}

func smallRandomLimits(seed: UInt64) -> CoreLimits {
  var rng = SplitMix64(seed: seed &* 7919 &+ 3)
  return CoreLimits(
    compartments: 12 + Int(rng.next() % 70), inputAxons: 60 + Int(rng.next() % 300), outputAxons: 40 + Int(rng.next() % 300),
    synapseWords: 80 + Int(rng.next() % 1200), synapseWordBits: 64, synapsesPerChunk: 8 + Int(rng.next() % 57), chunkHeaderBits: 10)
}

@Suite("Fill packing of layer graphs")
struct LayerGraphPackingTests {
  @Test("random layer graphs on small cores spike exactly as on one unlimited core, deterministically", arguments: Array(UInt64(0)..<UInt64(40)))
  func graphs(_ seed: UInt64) throws {
    let network = randomLayerGraph(seed: seed, steps: 12)
    // A convolution drawn from a layer without a shape is invalid; such draws are skipped.
    guard network.validate().isEmpty else { return }
    let board = BoardSpec(name: "small", chip: ChipSpec(name: "small chip", coresPerChip: 8, core: smallRandomLimits(seed: seed)), chipCount: 64, chipsX: 8)
    let compiled: (CoreMap, MappingReport)
    do {
      compiled = try NetworkCompiler(board: board).compile(network)
    } catch {
      // Some draws do not fit such small cores; those must be refusals, never mapper bugs.
      #expect(!error.description.contains("mapper bug"), "seed \(seed): \(error)")
      return
    }
    let (map, report) = compiled
    #expect(report.lowerBound <= map.cores.count)
    #expect(try NetworkCompiler(board: board).compile(network).0 == map)
    let cut = try runWithFullProbes(network, steps: 12, board: board, threads: 1, minimumSliceSize: 4)
    #expect(cut == (try runWithFullProbes(network, steps: 12, board: unlimitedBoard)))
  }

  @Test("fill packings never leave a core empty (a reserve too large for a fresh core)")
  func noEmptyCores() throws {
    // Found by review: this graph's fill packing for 7 target cores opened a core the
    // reserve left no room on, and the map failed its check.
    let described = randomLayerGraph(seed: 1280, steps: 12)
    let limits = smallRandomLimits(seed: 1280)
    let network = try Discretizer.discretize(try Lowering.lower(described)).0
    let partitioner = Partitioner(network: network, limits: limits)
    let filler = FillPacker(network: network, partitioner: partitioner, limits: limits, sliceCounts: try partitioner.sliceCounts())
    var packed = 0
    for target in 1...30 {
      guard let packing = filler.pack(targetCores: target) else { continue }
      packed += 1
      #expect(Set(packing.coreOfSlice) == Set(0..<packing.coreCount), "target \(target)")
    }
    #expect(packed == 30)
    let board = BoardSpec(name: "small", chip: ChipSpec(name: "small chip", coresPerChip: 8, core: limits), chipCount: 64, chipsX: 8)
    let (map, report) = try NetworkCompiler(board: board).compile(described)
    #expect(report.packing == "fill")
    #expect(map.cores.count == 11)
  }
}
