import CoreMapModel
import Emulator
import Foundation
import HardwareSpec
import LoihiArithmetic
import Mapper
import NetworkModel
import NeuroIO
import Testing

/// Every probe of every layer, keyed "layer.kind".
func fullyProbed(_ network: Network) -> Network {
  var probed = network
  probed.probes = network.layers.filter { $0.kind.hasNeurons }.flatMap { layer in
    ProbeKind.allCases.map { Probe(name: "\(layer.name).\($0.rawValue)", layer: layer.name, kind: $0) }
  }
  return probed
}

/// What a run produced, for comparing runs exactly.
struct RunOutcome: Equatable {
  var recordings: [ProbeRecording]
  var spikeLogs: [CoreSpikeLog]
  var activity: [CoreActivity]

  init(_ emulator: ChipEmulator) {
    recordings = emulator.probeRecordings
    spikeLogs = emulator.coreMap.cores.indices.map { emulator.spikeLog(core: $0) }
    activity = emulator.activity
  }
}

@Suite("Batched emulation")
struct BatchEmulatorTests {
  @Test("every copy of a batch equals a separate run, on every conformance case", arguments: ConformanceCases.all)
  func conformanceCopies(_ name: String) throws {
    let dir = try #require(ConformanceCases.root).appendingPathComponent(name)
    let network = fullyProbed(try NetworkLoader.load(from: dir.appendingPathComponent("network.json")))
    let (map, _) = try NetworkCompiler(board: separateCoresBoard).compile(network)
    let steps = 60
    let alone = try ChipEmulator(coreMap: map, options: EmulatorOptions(threads: 1))
    alone.run(steps: steps)
    let batch = try BatchEmulator(coreMap: map, copies: 5, threads: 2, recordsSpikeLogs: true)
    batch.run(steps: steps)
    for k in 0..<5 { #expect(RunOutcome(batch.copy(k)) == RunOutcome(alone), "\(name): copy \(k) differs from a separate run") }
    // A reset copy run again is a fresh chip again.
    batch.reset()
    batch.run(steps: steps, active: 2)
    #expect(RunOutcome(batch.copy(1)) == RunOutcome(alone), "\(name): a reset copy differs from a separate run")
    #expect(batch.copy(4).time == 0)
  }

  /// A spiking-encoded image through two convolutions and a pool into a dense read-out, all
  /// in real units, on small cores so layers are cut into tiles over several cores.
  func convolutionalNetwork(image: [Double]) -> Network {
    var rng = SplitMix64(seed: 11)
    func weights(_ n: Int) -> [Double] { (0..<n).map { _ in Double(Int(rng.next() % 200) - 90) / 100 } }
    let relu = RealNeuronParameters(model: .loihiSpikingRectifiedLinear, tauS: 0.003, gain: [40], amplitude: 0.025)
    var c1 = Layer(name: "c1", size: 4 * 8 * 8, real: relu)
    c1.shape = [4, 8, 8]
    var pool = Layer(name: "p1", size: 4 * 4 * 4, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 1))
    pool.kind = .avgpool2d
    pool.input = "c1"
    pool.shape = [4, 4, 4]
    var c2 = Layer(name: "c2", size: 6 * 4 * 4, real: relu)
    c2.shape = [6, 4, 4]
    let out = Layer(name: "out", size: 5, real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear, gain: [20], bias: [2]))
    var k1 = Connection(from: "image", to: "c1", weights: WeightMatrix(rows: 4, columns: 9, real: weights(36)))
    k1.conv = Conv2D(kernelShape: [4, 1, 3, 3], padding: [1, 1])
    var k2 = Connection(from: "p1", to: "c2", weights: WeightMatrix(rows: 6, columns: 36, real: weights(216)))
    k2.conv = Conv2D(kernelShape: [6, 4, 3, 3], padding: [1, 1])
    let dense = Connection(from: "c2", to: "out", weights: WeightMatrix(rows: 5, columns: 96, real: weights(480)))
    var network = Network(dt: 0.001, layers: [c1, pool, c2, out], connections: [k1, k2, dense])
    network.realInputs = [RealInput(name: "image", size: 64, shape: [1, 8, 8], values: image, encoding: .spiking, rate: 800)]
    return fullyProbed(network)
  }

  static let smallCores = BoardSpec(
    singleChip: ChipSpec(
      name: "small cores", coresPerChip: 64,
      core: CoreLimits(compartments: 48, inputAxons: 1 << 20, outputAxons: 1 << 20, synapseWords: 1 << 26, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)))

  @Test("copies of a convolutional network fed different images equal separate compilations of each image")
  func convolutionalCopies() throws {
    var rng = SplitMix64(seed: 5)
    let images = (0..<6).map { _ in (0..<64).map { _ in Double(rng.next() % 1000) / 999 } }
    // One map, compiled with the first image; the copies get their images through the
    // encoder tables, as the evaluator feeds samples.
    let (map, _) = try NetworkCompiler(board: Self.smallCores).compile(convolutionalNetwork(image: images[0]))
    #expect(map.cores.count > 4)
    let input = try #require(map.inputs.firstIndex { $0.name == "image" })
    let batch = try BatchEmulator(coreMap: map, copies: images.count, threads: 2, recordsSpikeLogs: true)
    for (k, image) in images.enumerated() {
      batch.copy(k).setEncoderIncrements(input: input, increments: HostEncoding.increments(values: image, encoding: .spiking, rate: 800, dt: 0.001))
    }
    batch.run(steps: 40)
    var spiking = 0
    for (k, image) in images.enumerated() {
      let (own, _) = try NetworkCompiler(board: Self.smallCores).compile(convolutionalNetwork(image: image))
      let alone = try ChipEmulator(coreMap: own)
      alone.run(steps: 40)
      #expect(RunOutcome(batch.copy(k)) == RunOutcome(alone), "image \(k): the batch copy differs from its own compilation")
      spiking += alone.activity.reduce(0) { $0 + Int($1.spikes) }
    }
    #expect(spiking > 1000, "the network is active enough to test anything (\(spiking) spikes)")
  }
}
