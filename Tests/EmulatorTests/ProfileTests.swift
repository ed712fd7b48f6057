import CoreMapModel
import Emulator
import Foundation
import HardwareSpec
import LoihiArithmetic
@testable import Mapper
import NetworkModel
import NeuroIO
import Testing

/// `randomLayeredNetwork` with per-neuron decay_u, decay_v, vth_mant and refract_delay
/// drawn from palettes of `compartmentKinds` tuples and `thresholdKinds` mantissas, so
/// layers need more profile table entries than small cores hold.
func randomProfileNetwork(seed: UInt64, sizes: [Int], compartmentKinds: Int, thresholdKinds: Int, steps: Int = 40) -> Network {
  var net = randomLayeredNetwork(seed: seed, sizes: sizes, inputSize: 40, steps: steps)
  var rng = SplitMix64(seed: seed &+ 99)
  for l in net.layers.indices {
    let n = net.layers[l].size
    let lif = net.layers[l].neuron.model == .loihiLIF
    let palette = (0..<compartmentKinds).map { _ in
      (Int(rng.next() % 4096), lif ? Int(rng.next() % 600) : 0, Int(rng.next() % 5))
    }
    let thresholds = (0..<thresholdKinds).map { _ in 30 + Int(rng.next() % 150) }
    let kinds = (0..<n).map { _ in Int(rng.next() % UInt64(compartmentKinds)) }
    net.layers[l].neuron.decayUPerNeuron = kinds.map { palette[$0].0 }
    net.layers[l].neuron.decayVPerNeuron = kinds.map { palette[$0].1 }
    net.layers[l].neuron.refractoryDelayPerNeuron = kinds.map { palette[$0].2 }
    net.layers[l].neuron.thresholdMantissaPerNeuron = (0..<n).map { _ in thresholds[Int(rng.next() % UInt64(thresholdKinds))] }
  }
  return net
}

/// Checks every core of `map` against every limit of `limits`, profiles included.
func expectWithinLimits(_ map: CoreMap, _ limits: CoreLimits, _ note: String = "") {
  for (i, core) in map.cores.enumerated() {
    #expect(core.compartmentCount <= limits.compartments, "\(note) core \(i)")
    #expect(core.inputAxonCount <= limits.inputAxons, "\(note) core \(i)")
    #expect(core.routes.count <= limits.outputAxons, "\(note) core \(i)")
    #expect(core.synapseWords(limits: limits) <= limits.synapseWords, "\(note) core \(i)")
    #expect(core.compartmentProfileCount <= limits.compartmentProfiles, "\(note) core \(i): \(core.compartmentProfileCount) compartment profiles")
    #expect(core.thresholdProfileCount <= limits.thresholdProfiles, "\(note) core \(i): \(core.thresholdProfileCount) threshold profiles")
  }
  #expect(map.structuralProblems().isEmpty, "\(note)")
}

@Suite("Profile tables: the fifth per-core limit")
struct ProfileTests {
  @Test("a core counts distinct (decay_u, decay_v, refract_delay) tuples and distinct thresholds")
  func counting() throws {
    var p = NeuronParameters(model: .loihiLIF, thresholdMantissa: 10)
    // 6 neurons: tuples (1,2,1) (1,2,1) (1,3,1) (1,2,2) (5,2,1) (1,2,1); thresholds 10 10 11 10 12 12.
    p.decayUPerNeuron = [1, 1, 1, 1, 5, 1]
    p.decayVPerNeuron = [2, 2, 3, 2, 2, 2]
    p.refractoryDelayPerNeuron = [1, 1, 1, 2, 1, 1]
    p.thresholdMantissaPerNeuron = [10, 10, 11, 10, 12, 12]
    let net = Network(layers: [Layer(name: "a", size: 6, neuron: p)])
    let (map, report) = try NetworkCompiler(board: unlimitedBoard).compile(net)
    #expect(map.cores.count == 1)
    #expect(map.cores[0].compartmentProfileCount == 4)
    #expect(map.cores[0].thresholdProfileCount == 3)
    #expect(map.usage()[0].compartmentProfiles == 4 && map.usage()[0].thresholdProfiles == 3)
    #expect(report.lowerBounds["compartment profiles"] == 1 && report.lowerBounds["threshold profiles"] == 1)
    // The table's own view agrees, and uniform layers sharing values share entries.
    let partitioner = Partitioner(network: net, limits: unlimitedBoard.chip.core)
    let ids = partitioner.profiles.ids(layer: 0, range: 0..<6)
    #expect(ids.compartment.count == 4 && ids.threshold.count == 3)
    #expect(partitioner.profiles.worstSlice(layer: 0, size: 6, pieces: 2) == (compartment: 3, threshold: 2))
    let same = NeuronParameters(model: .loihiLIF, thresholdMantissa: 10)
    let two = Network(layers: [Layer(name: "x", size: 3, neuron: same), Layer(name: "y", size: 3, neuron: same)])
    let (shared, _) = try NetworkCompiler(board: unlimitedBoard).compile(two)
    #expect(shared.cores.count == 1 && shared.cores[0].compartmentProfileCount == 1 && shared.cores[0].thresholdProfileCount == 1)
  }

  @Test("Loihi 1's tables: a layer with 40 compartment and 12 threshold profiles is cut, each core within 32 and 8")
  func loihiTables() throws {
    let net = randomProfileNetwork(seed: 5, sizes: [300, 200, 120], compartmentKinds: 40, thresholdKinds: 12)
    let board = try loadBoard("hardware-specs/boards/loihi1-single-chip.json")
    let limits = board.chip.core
    #expect(limits.compartmentProfiles == 32 && limits.thresholdProfiles == 8)
    let (map, report) = try NetworkCompiler(board: board).compile(net)
    expectWithinLimits(map, limits)
    // Without the tables all 620 neurons would fit one core.
    #expect(map.cores.count >= 2)
    #expect(report.lowerBounds["threshold profiles"] ?? 0 >= 2)
    #expect(report.lowerBound <= map.cores.count)
    #expect(report.profileNotes.contains { $0.hasPrefix("layer 'l0': its neurons use 40 compartment profiles") }, "\(report.profileNotes)")
    let reference = try runWithFullProbes(net, steps: 40, board: unlimitedBoard, threads: 1)
    #expect(try runWithFullProbes(net, steps: 40, board: board, threads: 2) == reference)
    let spikes = reference.filter { $0.key.hasSuffix(".spikes") }.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + Int($1) } }
    #expect(spikes > 50, "the network should be active")
  }

  @Test("small random tables on random networks: every core within every limit, bit-identical to one unlimited core", arguments: Array(UInt64(200)..<UInt64(216)))
  func randomTables(_ seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let sizes = (0..<3).map { _ in 5 + Int(rng.next() % 120) }
    let net = randomProfileNetwork(
      seed: seed, sizes: sizes, compartmentKinds: 1 + Int(rng.next() % 40), thresholdKinds: 1 + Int(rng.next() % 20), steps: 30)
    let limits = CoreLimits(
      compartments: 16 + Int(rng.next() % 64), inputAxons: 1024, outputAxons: 256 + Int(rng.next() % 900),
      synapseWords: 600 + Int(rng.next() % 3000), synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10,
      compartmentProfiles: 1 + Int(rng.next() % 8), thresholdProfiles: 1 + Int(rng.next() % 4))
    let board = BoardSpec(name: "random", chip: ChipSpec(name: "random chip", coresPerChip: 16, core: limits), chipCount: 64, chipsX: 8)
    let compiled: (CoreMap, MappingReport)
    do {
      compiled = try NetworkCompiler(board: board).compile(net)
    } catch {
      // Tables of one entry cut layers into many slices, which can cost their sources more
      // output axons than a core has: a refusal with the numbers, never a mapper bug.
      #expect(!error.description.contains("mapper bug") && error.description.contains("output axons"), "seed \(seed): \(error)")
      return
    }
    let (map, report) = compiled
    expectWithinLimits(map, limits, "seed \(seed)")
    #expect(report.lowerBound <= map.cores.count)
    #expect(try NetworkCompiler(board: board).compile(net).0 == map, "deterministic")
    let reference = try runWithFullProbes(net, steps: 30, board: unlimitedBoard, threads: 1)
    #expect(try runWithFullProbes(net, steps: 30, board: board, threads: 2, minimumSliceSize: 5) == reference, "seed \(seed)")
  }

  @Test("one profile entry per core: every core holds neurons of one tuple and one threshold")
  func singleEntryTables() throws {
    let net = randomProfileNetwork(seed: 77, sizes: [60, 40, 30], compartmentKinds: 3, thresholdKinds: 2, steps: 20)
    let limits = CoreLimits(
      compartments: 64, inputAxons: 1024, outputAxons: 4096, synapseWords: 1 << 16, synapseWordBits: 64, synapsesPerChunk: 64,
      chunkHeaderBits: 10, compartmentProfiles: 1, thresholdProfiles: 1)
    let board = BoardSpec(name: "one entry", chip: ChipSpec(name: "one entry chip", coresPerChip: 128, core: limits), chipCount: 4)
    let (map, report) = try NetworkCompiler(board: board).compile(net)
    expectWithinLimits(map, limits)
    #expect(report.lowerBound <= map.cores.count)
    #expect(try runWithFullProbes(net, steps: 20, board: board) == (try runWithFullProbes(net, steps: 20, board: unlimitedBoard)))
  }

  @Test("convolution layers (the fill packer) keep within the tables", arguments: Array(UInt64(0)..<UInt64(12)))
  func convolutions(_ seed: UInt64) throws {
    var net = randomConvolutionNetwork(seed: seed, steps: 8)
    guard net.validate().isEmpty else { return }
    var rng = SplitMix64(seed: seed &+ 5)
    for l in net.layers.indices where net.layers[l].kind.hasNeurons && net.layers[l].real == nil {
      let n = net.layers[l].size
      net.layers[l].neuron.thresholdMantissaPerNeuron = (0..<n).map { _ in 20 + Int(rng.next() % 6) }
      if net.layers[l].neuron.model == .loihiLIF {
        net.layers[l].neuron.decayVPerNeuron = (0..<n).map { _ in Int(rng.next() % 5) * 50 }
      }
    }
    guard net.validate().isEmpty else { return }
    let limits = CoreLimits(
      compartments: 48, inputAxons: 512, outputAxons: 512, synapseWords: 2048, synapseWordBits: 64, synapsesPerChunk: 64,
      chunkHeaderBits: 10, compartmentProfiles: 3, thresholdProfiles: 2)
    let board = BoardSpec(name: "small", chip: ChipSpec(name: "small chip", coresPerChip: 16, core: limits), chipCount: 64, chipsX: 8)
    let compiled: (CoreMap, MappingReport)
    do {
      compiled = try NetworkCompiler(board: board).compile(net)
    } catch {
      #expect(!error.description.contains("mapper bug"), "seed \(seed): \(error)")
      return
    }
    expectWithinLimits(compiled.0, limits, "seed \(seed)")
    #expect(compiled.1.lowerBound <= compiled.0.cores.count)
    #expect(try runWithFullProbes(net, steps: 8, board: board, threads: 1) == (try runWithFullProbes(net, steps: 8, board: unlimitedBoard)))
  }

  @Test("a spec's profile tables: loaded, written into core maps, refused when not positive")
  func specFields() throws {
    let loihi = try loadBoard("hardware-specs/loihi1.json")
    let net = randomProfileNetwork(seed: 3, sizes: [40, 20, 10], compartmentKinds: 4, thresholdKinds: 3, steps: 5)
    let (map, _) = try NetworkCompiler(board: loihi).compile(net)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("profiles-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("map.coremap.json")
    try CoreMapFile.write(map, to: file)
    let read = try CoreMapFile.read(from: file)
    #expect(read.board.chip.core.compartmentProfiles == 32 && read.board.chip.core.thresholdProfiles == 8)
    // A core map that breaks the tables is refused when checked.
    var broken = map
    broken.board.chip.core.thresholdProfiles = 1
    #expect(broken.structuralProblems().contains { $0.contains("threshold profiles, but a core of 'Loihi 1' holds 32 and 1") }, "\(broken.structuralProblems())")
    let spec = dir.appendingPathComponent("chip.json")
    try Data(
      #"{"kind": "chip", "version": 1, "name": "x", "cores_per_chip": 4, "core": {"compartments": 4, "input_axons": 1, "output_axons": 1, "synapse_words": 1, "synapse_word_bits": 64, "synapses_per_chunk": 64, "chunk_header_bits": 10, "threshold_profiles": 0}}"#
        .utf8
    ).write(to: spec)
    do {
      _ = try SpecLoader.loadChip(from: spec)
      Issue.record("expected a refusal")
    } catch {
      #expect(error.description.hasSuffix("chip.json: core.threshold_profiles: 0 is not positive; use a value ≥ 1"), "\(error)")
    }
  }
}

@Suite("Per-neuron conformance fixtures on Loihi 1's profile tables")
struct ProfileFixtureTests {
  @Test("NengoLoihi's per-compartment fixtures, cut by Loihi 1's tables, match NengoLoihi bit for bit", arguments: ["per_neuron_profiles", "per_neuron_time_constants"])
  func fixture(_ name: String) throws {
    let dir = try #require(ConformanceCases.root).appendingPathComponent(name)
    let network = try NetworkLoader.load(from: dir.appendingPathComponent("network.json"))
    #expect(network.layers.contains { $0.neuron.hasPerNeuronProfiles })
    let board = try loadBoard("hardware-specs/boards/loihi1-single-chip.json")
    let (map, _) = try NetworkCompiler(board: board).compile(network)
    expectWithinLimits(map, board.chip.core, name)
    if name == "per_neuron_profiles" {
      // 68 neurons would fit one core; 40 compartment and 12 threshold profiles do not.
      #expect(map.cores.count >= 2)
    }
    let steps = 100
    let recordings = try runWithFullProbes(network, steps: steps, board: board, threads: 2)
    for layer in network.layers {
      for kind in ProbeKind.allCases {
        let file = dir.appendingPathComponent("expected/\(layer.name).\(kind.rawValue).npy")
        let expected = try NPYFile.readIntegers(at: file, displayPath: file.lastPathComponent)
        let got = try #require(recordings["\(layer.name).\(kind.rawValue)"])
        #expect(Array(got.values.prefix(steps * layer.size)) == Array(expected.values.prefix(steps * layer.size)), "\(name): \(layer.name).\(kind.rawValue)")
      }
    }
  }
}
