import CoreMapModel
import Emulator
import Foundation
import HardwareSpec
import LoihiArithmetic
import Mapper
import NetworkModel
import NeuroIO
import Testing

/// A random layered network with recurrence and feedback, generated from `seed`.
func randomLayeredNetwork(seed: UInt64, sizes: [Int], inputSize: Int, steps: Int, density: Double = 1) -> Network {
  var rng = SplitMix64(seed: seed)
  var input: [[Int]] = []
  for _ in 0..<inputSize { input.append((1...steps).filter { _ in rng.chance(0.15) }) }
  var layers: [Layer] = []
  for (i, n) in sizes.enumerated() {
    let lif = rng.next() % 2 == 0
    layers.append(
      Layer(
        name: "l\(i)", size: n,
        neuron: NeuronParameters(
          model: lif ? .loihiLIF : .loihiSpikingRectifiedLinear, decayU: Int(rng.next() % 4096),
          decayV: lif ? Int(rng.next() % 600) : 0, thresholdMantissa: 30 + Int(rng.next() % 150),
          biasMantissa: (0..<n).map { _ in Int(rng.next() % 160) - 60 }, refractoryDelay: Int(rng.next() % 4),
          vmin: rng.next() % 3 == 0 ? -8_388_607 : 0)))
  }
  func dense(_ from: String, _ to: String, _ rows: Int, _ columns: Int) -> Connection {
    let values = (0..<rows * columns).map { _ in rng.chance(density) ? Int32(Int(rng.next() % 512) - 256) : 0 }
    return Connection(
      from: from, to: to, weights: WeightMatrix(rows: rows, columns: columns, values: values),
      weightExponent: Int(rng.next() % 4) - 2, weightBits: [8, 6, 4][Int(rng.next() % 3)])
  }
  var connections = [dense("in", "l0", sizes[0], inputSize)]
  for i in 1..<sizes.count { connections.append(dense("l\(i - 1)", "l\(i)", sizes[i], sizes[i - 1])) }
  connections.append(dense("l1", "l1", sizes[1], sizes[1]))
  connections.append(dense("l\(sizes.count - 1)", "l0", sizes[0], sizes[sizes.count - 1]))
  return Network(
    inputs: [SpikeInput(name: "in", size: inputSize, spikes: SpikeTrain(perSource: input))],
    layers: layers, connections: connections)
}

func tinyBoard() throws -> BoardSpec { try loadBoard("hardware-specs/boards/tiny-test-board.json") }

@Suite("Mapper: splitting, packing and placement")
struct MapperTests {
  @Test("cut over many cores and chips, spikes, voltages and currents are bit-identical to one unlimited core", arguments: [UInt64(11), 12, 13])
  func placementInvariance(_ seed: UInt64) throws {
    let net = randomLayeredNetwork(seed: seed, sizes: [150, 90, 70], inputSize: 60, steps: 50)
    let board = try tinyBoard()
    let (map, _) = try NetworkCompiler(board: board).compile(net)
    #expect(map.cores.count > 8, "the tiny board should force heavy splitting")
    #expect(Set(map.cores.map(\.chip)).count > 1, "and several chips")
    #expect(map.usage().reduce(0) { $0 + $1.interChipRoutes } > 0)
    let reference = try runWithFullProbes(net, steps: 50, board: unlimitedBoard, threads: 1)
    let cut = try runWithFullProbes(net, steps: 50, board: board, threads: 2, minimumSliceSize: 5)
    #expect(cut == reference)
    let spikes = reference.filter { $0.key.hasSuffix(".spikes") }.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + Int($1) } }
    #expect(spikes > 100, "the network should be active")
  }

  @Test("the conformance fixtures also match when cut over the tiny board", arguments: ["random_net_a", "random_net_c", "recurrent_self", "feedback_to_earlier_layer"])
  func fixturesOnTinyBoard(_ name: String) throws {
    let dir = try #require(ConformanceCases.root).appendingPathComponent(name)
    let network = try NetworkLoader.load(from: dir.appendingPathComponent("network.json"))
    let steps = 40
    let reference = try runWithFullProbes(network, steps: steps, board: unlimitedBoard, threads: 1)
    // Small cores with room for the fixtures' 300-source fan-in.
    let limits = CoreLimits(compartments: 32, inputAxons: 1024, outputAxons: 1024, synapseWords: 4096, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)
    let board = BoardSpec(
      name: "many small chips", chip: ChipSpec(name: "small", coresPerChip: 4, core: limits), chipCount: 64, chipsX: 8)
    #expect(try runWithFullProbes(network, steps: steps, board: board) == reference)
  }

  @Test("every core respects every limit, on many random networks", arguments: Array(UInt64(100)..<UInt64(130)))
  func limitsRespected(_ seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let sizes = (0..<3).map { _ in 5 + Int(rng.next() % 160) }
    let net = randomLayeredNetwork(seed: seed, sizes: sizes, inputSize: 10 + Int(rng.next() % 100), steps: 5)
    let limits = CoreLimits(
      compartments: 16 + Int(rng.next() % 64), inputAxons: 260 + Int(rng.next() % 400),
      outputAxons: 64 + Int(rng.next() % 900), synapseWords: 200 + Int(rng.next() % 3000), synapseWordBits: 64,
      synapsesPerChunk: 64, chunkHeaderBits: 10)
    let board = BoardSpec(name: "random", chip: ChipSpec(name: "random chip", coresPerChip: 16, core: limits), chipCount: 64, chipsX: 8)
    let (map, report) = try NetworkCompiler(board: board).compile(net)
    for (i, core) in map.cores.enumerated() {
      #expect(core.compartmentCount <= limits.compartments, "core \(i)")
      #expect(core.inputAxonCount <= limits.inputAxons, "core \(i)")
      #expect(core.routes.count <= limits.outputAxons, "core \(i)")
      #expect(core.synapseWords(limits: limits) <= limits.synapseWords, "core \(i)")
      #expect(core.chip < board.chipCount && core.coreOnChip < board.chip.coresPerChip)
      // vmin/vmax are per-core registers: every compartment on a core must share them.
      let layersHere = Set(core.compartmentLayer.map { Int($0) })
      #expect(Set(layersHere.map { net.layers[$0].neuron.vmin }).count == 1)
    }
    #expect(report.coresUsed == map.cores.count)
    #expect(report.lowerBound <= map.cores.count)
    #expect(map.structuralProblems().isEmpty)
    // Every neuron placed exactly once.
    var seen = Set<Int64>()
    for layer in map.layers {
      for (c, k) in zip(layer.neuronCore, layer.neuronCompartment) { seen.insert(Int64(c) << 32 | Int64(k)) }
    }
    #expect(seen.count == net.layers.reduce(0) { $0 + $1.size })
    // Compilation is deterministic.
    #expect(try NetworkCompiler(board: board).compile(net).0 == map)
  }

  @Test("packing small layers: cores used stay near the lower bound")
  func packingRatio() throws {
    // Twenty layers of 100 neurons in a chain: 2,000 compartments → lower bound 2 Loihi cores.
    var layers: [Layer] = []
    var connections: [Connection] = []
    for i in 0..<20 {
      layers.append(Layer(name: "l\(i)", size: 100, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 10)))
      if i > 0 {
        connections.append(Connection(from: "l\(i - 1)", to: "l\(i)", weights: WeightMatrix(rows: 100, columns: 100, values: [Int32](repeating: 1, count: 10_000))))
      }
    }
    let board = try loadBoard("hardware-specs/boards/loihi1-single-chip.json")
    let (map, report) = try NetworkCompiler(board: board).compile(Network(layers: layers, connections: connections))
    // Synapse memory binds: 19 × 100 axons × 15 words = 28,500 words → 2 cores.
    #expect(report.lowerBounds["compartments"] == 2)
    #expect(report.lowerBounds["synapse words"] == 2)
    #expect(map.cores.count == 2)
    #expect(report.coreRatio == 1.0)
  }

  @Test("refusals name the layer, the resource, the numbers and a fix")
  func refusals() throws {
    let limits = CoreLimits(compartments: 8, inputAxons: 10, outputAxons: 12, synapseWords: 20, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)
    let board = BoardSpec(name: "tiny", chip: ChipSpec(name: "tiny", coresPerChip: 2, core: limits), chipCount: 2)
    func message(_ net: Network) -> String {
      do {
        _ = try NetworkCompiler(board: board).compile(net)
        return "compiled"
      } catch {
        return error.description
      }
    }
    func relu(_ name: String, _ size: Int) -> Layer {
      Layer(name: name, size: size, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 10))
    }
    func dense(_ from: String, _ to: String, _ rows: Int, _ columns: Int, bits: Int = 8) -> Connection {
      Connection(from: from, to: to, weights: WeightMatrix(rows: rows, columns: columns, values: [Int32](repeating: 2, count: rows * columns)), weightBits: bits)
    }
    func input(_ size: Int) -> [SpikeInput] { [SpikeInput(name: "in", size: size, spikes: SpikeTrain())] }

    #expect(message(Network(inputs: input(11), layers: [relu("a", 2)], connections: [dense("in", "a", 2, 11)]))
      == "layers[0]: layer 'a': receives from 11 source neurons (one input axon each) but a core has 10 input axons, and cutting the layer does not reduce its fan-in; reduce the fan-in: fewer or smaller source layers, or an intermediate layer")
    // 10 inputs × (1 synapse of 8 bits + 10 header bits → 1 word) = 10 words fits; 64-bit
    // chunks: with 9 inputs of 2-bit weights... use a wide chunk header to break memory.
    let memoryLimits = CoreLimits(compartments: 8, inputAxons: 10, outputAxons: 12, synapseWords: 5, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)
    let memoryBoard = BoardSpec(name: "small memory", chip: ChipSpec(name: "small memory", coresPerChip: 2, core: memoryLimits), chipCount: 1)
    do {
      _ = try NetworkCompiler(board: memoryBoard).compile(Network(inputs: input(6), layers: [relu("a", 2)], connections: [dense("in", "a", 2, 6)]))
      Issue.record("expected a refusal")
    } catch {
      #expect(error.description == "layers[0]: layer 'a': needs 6 synapse memory words even for a single neuron (fan-in 6) but a core has 5; reduce the fan-in or the weight bits of its incoming connections")
    }
    // A 6-neuron layer projecting to 13 layers of 1 neuron needs 13 output axons per neuron.
    var fanOutLayers = [relu("src", 6)]
    var fanOut: [Connection] = []
    for i in 0..<13 {
      fanOutLayers.append(relu("t\(i)", 1))
      fanOut.append(dense("src", "t\(i)", 1, 6))
    }
    #expect(message(Network(layers: fanOutLayers, connections: fanOut))
      == "layers[0]: layer 'src': even one neuron per core needs 13 output axons (one per destination core of each outgoing connection) but a core has 12; reduce the number or size of the layers it projects to, or use a chip with more output axons")
    #expect(message(Network(layers: [relu("a", 8), relu("b", 8), relu("c", 8), relu("d", 8), relu("e", 8)]))
      == "network: needs 5 cores but board 'tiny' has 4 (2 chip(s) × 2 cores); use a board with more chips, or make the network smaller")
    // A layer larger than a core is split rather than refused.
    let (split, _) = try NetworkCompiler(board: board).compile(Network(layers: [relu("big", 30)]))
    #expect(split.cores.map(\.compartmentCount) == [7, 8, 7, 8])
  }

  @Test("chip placement keeps connected cores together and records mesh positions")
  func chipPlacement() throws {
    // Two independent chains of 4 full cores each on a board of 4-core chips: each chain
    // should land on one chip, so no route crosses chips.
    func chain(_ prefix: String) -> ([Layer], [Connection]) {
      let layers = (0..<4).map { Layer(name: "\(prefix)\($0)", size: 8, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 10)) }
      let connections = (1..<4).map { Connection(from: "\(prefix)\($0 - 1)", to: "\(prefix)\($0)", weights: WeightMatrix(rows: 8, columns: 8, values: [Int32](repeating: 4, count: 64))) }
      return (layers, connections)
    }
    let (a, ac) = chain("a")
    let (b, bc) = chain("b")
    // Interleave the layers so that file order alone would mix the chains across chips.
    let layers = zip(a, b).flatMap { [$0, $1] }
    let limits = CoreLimits(compartments: 8, inputAxons: 100, outputAxons: 100, synapseWords: 1000, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)
    let chip = ChipSpec(name: "4-core chip", coresPerChip: 4, core: limits, mesh: ChipMesh(coresPerTile: 2, tilesX: 2, tilesY: 1))
    let board = BoardSpec(name: "2 chips", chip: chip, chipCount: 2, chipsX: 2)
    let (map, report) = try NetworkCompiler(board: board).compile(Network(layers: layers, connections: ac + bc))
    #expect(map.usage().allSatisfy { $0.interChipRoutes == 0 })
    #expect(Set(map.cores.map(\.chip)).count == 2)
    #expect(report.lowerBound == 8)
    let chipOfLayer = map.layers.map { map.cores[Int($0.neuronCore[0])].chip }
    #expect(Set(chipOfLayer.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)).count == 1)
    #expect(map.cores.map { [$0.meshX, $0.meshY] } == [[0, 0], [0, 0], [1, 0], [1, 0], [2, 0], [2, 0], [3, 0], [3, 0]])
    #expect(map.hops(from: 0, to: 1) == 0)
    #expect(map.hops(from: 0, to: 7) == 3)
    // Each chain's 3 links: core k → k+1 within a chip; count the hops its 8 neurons travel.
    let hops = map.usage().map(\.routeHops)
    #expect(hops.reduce(0, +) == map.cores.indices.reduce(0) { total, i in
      total + map.cores[i].routes.reduce(0) { $0 + map.hops(from: i, to: Int($1.core)) }
    })
  }

  @Test("a core map survives writing and reading unchanged")
  func coreMapRoundTrip() throws {
    let net = randomLayeredNetwork(seed: 21, sizes: [150, 90, 70], inputSize: 60, steps: 30)
    let (map, _) = try NetworkCompiler(board: try tinyBoard()).compile(net)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("roundtrip-\(UUID().uuidString).coremap.json")
    defer { try? FileManager.default.removeItem(at: url) }
    try CoreMapFile.write(map, to: url)
    #expect(CoreMapFile.isCoreMap(url))
    let read = try CoreMapFile.read(from: url)
    #expect(read == map)
  }
}

@Suite("Mapper: hostile and extreme inputs")
struct MapperRobustnessTests {
  @Test("a long chain whose slicing settles slowly still respects every limit")
  func slowSettling() throws {
    // 70 layers of 2 then one of 4, on cores of 2 compartments and 3 output axons: each cut
    // of a layer forces its source to be cut again, one layer per round.
    var layers = (0..<70).map { Layer(name: "l\($0)", size: 2, neuron: NeuronParameters(model: .loihiLIF, thresholdMantissa: 100)) }
    layers.append(Layer(name: "l70", size: 4, neuron: NeuronParameters(model: .loihiLIF, thresholdMantissa: 100)))
    let connections = (1...70).map { i in
      Connection(
        from: "l\(i - 1)", to: "l\(i)",
        weights: WeightMatrix(rows: layers[i].size, columns: 2, values: [Int32](repeating: 2, count: layers[i].size * 2)))
    }
    let limits = CoreLimits(compartments: 2, inputAxons: 16, outputAxons: 3, synapseWords: 4096, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)
    let board = BoardSpec(name: "t", chip: ChipSpec(name: "t", coresPerChip: 1000, core: limits), chipCount: 1)
    let (map, _) = try NetworkCompiler(board: board).compile(Network(layers: layers, connections: connections))
    #expect(map.cores.allSatisfy { $0.routes.count <= 3 && $0.compartmentCount <= 2 })
  }

  @Test("pooling or flattening on/off-encoded values is refused, not miscompiled")
  func stagesOverOnOff() throws {
    var flat = Layer(name: "f", size: 0, neuron: NeuronParameters(model: .loihiLIF, thresholdMantissa: 1))
    flat.kind = .flatten
    flat.input = "x"
    var network = Network(
      layers: [flat, Layer(name: "y", size: 1, neuron: NeuronParameters(model: .loihiLIF, thresholdMantissa: 10))],
      connections: [Connection(from: "f", to: "y", weights: WeightMatrix(rows: 1, columns: 2, values: [1, 1]))])
    network.realInputs = [RealInput(name: "x", size: 2, values: [0.5, -0.5])]
    #expect(network.validate().isEmpty)
    do {
      _ = try NetworkCompiler(board: unlimitedBoard).compile(network)
      Issue.record("expected a refusal")
    } catch {
      #expect(error.description.hasPrefix("connections[0]: 'f' → 'y': reads on/off-encoded values from 'x' through pooling or flatten stages;"))
    }
  }

  @Test("extreme real parameters are refused or clamped, never trapped on")
  func extremes() throws {
    func compile(_ real: RealNeuronParameters, weights: [[Double]] = []) -> String {
      var network = Network(dt: 0.001, layers: [Layer(name: "a", size: 1, real: real)])
      for (k, w) in weights.enumerated() {
        network.inputs.append(SpikeInput(name: "in\(k)", size: 1, spikes: SpikeTrain()))
        network.connections.append(Connection(from: "in\(k)", to: "a", weights: WeightMatrix(rows: 1, columns: 1, real: w)))
      }
      do {
        _ = try NetworkCompiler(board: unlimitedBoard).compile(network)
        return "ok"
      } catch {
        return error.description
      }
    }
    #expect(compile(RealNeuronParameters(model: .loihiLIF, tauRef: 1e20)).hasPrefix("layers[0]: layer 'a': tau_ref = 1e+20 s is"))
    #expect(compile(RealNeuronParameters(model: .loihiLIF, minVoltage: -1e308)) == "ok")
    #expect(compile(RealNeuronParameters(model: .loihiLIF), weights: [[1.0], [Double.leastNormalMagnitude / 1e7]]) == "ok")
    #expect(compile(RealNeuronParameters(model: .loihiLIF, gain: [1e306]), weights: [[1e10]]).hasPrefix("layers[0]: layer 'a': a weight × gain × amplitude / dt is too large"))
  }
}

@Suite("Core map checks: damaged files")
struct CoreMapDamageTests {
  @Test("negative counts, empty boards and inputs with both encoders and events are refused")
  func damaged() throws {
    let network = chain(input: [[1]], layers: [relu("a", size: 3, vth: 10)], connections: [Connection(from: "in", to: "a", weights: WeightMatrix(rows: 3, columns: 1, values: [2, 2, 2]))])
    let original = try NetworkCompiler(board: unlimitedBoard).compile(network).0
    var map = original
    map.cores[0].segments[0].count = -1
    #expect(map.structuralProblems().first == "core 0: synapse segment 0 points outside the core's weights or compartments")
    map = original
    map.board.chip.core.synapsesPerChunk = 0
    #expect(map.structuralProblems() == ["board: a limit, count or mesh size is not positive"])
    map = original
    map.inputs[0].encoderRows = 1
    map.inputs[0].encoderIncrements = [1 << 24]
    #expect(map.structuralProblems().contains("input 'in': has both an encoder and scheduled events"))
    map = original
    map.board.chip.core.compartments = 2
    #expect(map.structuralProblems().contains("core 0: uses more compartments, input axons, output axons or synapse words than a core of 'unlimited' has"))
  }
}

@Suite("Refusals in one pass")
struct RefusalPassTests {
  @Test("every refusal a compilation can find is reported at once, each with its JSON path")
  func allAtOnce() throws {
    var pool = Layer(name: "mp", size: 4, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 1))
    pool.kind = .maxpool2d
    pool.input = "c"
    pool.poolKernel = [2, 2]
    pool.poolStride = [2, 2]
    var c = Layer(name: "c", size: 16, real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear))
    c.shape = [1, 4, 4]
    let slow = Layer(name: "slow", size: 4, real: RealNeuronParameters(model: .loihiLIF, tauRC: 100))
    let long = Layer(name: "long", size: 4, real: RealNeuronParameters(model: .loihiLIF, tauRef: 1))
    var conv = Connection(from: "x", to: "c", weights: WeightMatrix(rows: 1, columns: 9, real: [Double](repeating: 0.1, count: 9)))
    conv.conv = Conv2D(kernelShape: [1, 1, 3, 3], padding: [1, 1])
    var network = Network(
      dt: 0.001, layers: [c, pool, slow, long],
      connections: [
        conv,
        Connection(from: "mp", to: "slow", weights: WeightMatrix(rows: 4, columns: 4, real: [Double](repeating: 0.1, count: 16))),
        Connection(from: "slow", to: "long", weights: WeightMatrix(rows: 4, columns: 4, real: [Double](repeating: 0.1, count: 16))),
      ])
    network.realInputs = [RealInput(name: "x", size: 16, shape: [1, 4, 4], values: [Double](repeating: 0.5, count: 16), encoding: .onOff)]
    #expect(network.validate().isEmpty)
    do {
      _ = try NetworkCompiler(board: unlimitedBoard).compile(network)
      Issue.record("expected refusals")
    } catch {
      let lines = error.description.split(separator: "\n").map { String($0.prefix(50)) }
      #expect(lines == [
        "connections[0]: conv2d from 'x' to 'c': 'x' is a r",
        "layers[1]: layer 'mp' (maxpool2d): a Loihi core ad",
        "layers[2]: layer 'slow': tau_rc = 100.0 s leaks le",
        "layers[3]: layer 'long': tau_ref = 1.0 s is 1000 s",
      ])
      #expect(error.inFile("net.json").description.hasPrefix("net.json: connections[0]: conv2d from 'x' to 'c'"))
      #expect(error.inFile("net.json").description.contains("\nnet.json: layers[3]: layer 'long'"))
    }
  }

  @Test("a fan-in widened by a folded pooling stage says so")
  func poolWidenedFanIn() throws {
    // 1×8×8 spikes pooled 4×4 → 1×2×2 (4 values) into a dense layer: on the chip each target
    // reads all 64 sources, more than the 40 input axons of a core.
    var source = SpikeInput(name: "s", size: 64, spikes: SpikeTrain())
    source.shape = [1, 8, 8]
    var pool = Layer(name: "p", size: 4, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 1))
    pool.kind = .avgpool2d
    pool.input = "s"
    pool.poolKernel = [4, 4]
    pool.poolStride = [4, 4]
    let target = Layer(name: "t", size: 3, real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear))
    let network = Network(
      dt: 0.001, inputs: [source], layers: [pool, target],
      connections: [Connection(from: "p", to: "t", weights: WeightMatrix(rows: 3, columns: 4, real: [Double](repeating: 0.5, count: 12)))])
    let limits = CoreLimits(compartments: 40, inputAxons: 40, outputAxons: 1 << 20, synapseWords: 1 << 26, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)
    let board = BoardSpec(singleChip: ChipSpec(name: "40 axons", coresPerChip: 8, core: limits))
    do {
      _ = try NetworkCompiler(board: board).compile(network)
      Issue.record("expected a refusal")
    } catch {
      #expect(
        error.description
          == "layers[1]: layer 't': receives from 64 source neurons (one input axon each) at a single neuron but a core has 40 input axons, and cutting the layer does not reduce its fan-in (avgpool2d 'p' folded into its input widens the fan-in: each neuron reads every source of the pooling window, not the pooled value); reduce the fan-in: pool with a smaller window, or put a neuron layer after the pooling (it then feeds pooled spikes)")
    }
  }
}

@Suite("Packing pieces of one layer")
struct PieceMergeTests {
  @Test("pieces of a layer that land next to each other on one core become one slice: one input axon per source")
  func adjacentPiecesMerge() throws {
    // The keyword spotter: 780 on/off input units into l1, cut to fill three cores.
    let network = try NetworkLoader.load(from: repositoryRoot.appendingPathComponent("examples/keyword-spotter/network.json"))
    let (map, _) = try NetworkCompiler(board: try loadBoard("hardware-specs/boards/loihi1-single-chip.json")).compile(network)
    // l1's pieces: each core sees each input unit once (780), core 0 also l1's 256 outputs for l2.
    #expect(map.cores.map(\.inputAxonCount) == [1036, 780, 780])
    #expect(map.layers[0].neuronCore.count == 256)
    // Every piece of l1 on a core is one contiguous run.
    for (k, core) in map.cores.enumerated() {
      let neurons = (0..<core.compartmentCount).filter { core.compartmentLayer[$0] == 0 }.map { Int(core.compartmentNeuron[$0]) }
      if let first = neurons.first { #expect(neurons == Array(first..<(first + neurons.count)), "core \(k)") }
    }
  }
}
