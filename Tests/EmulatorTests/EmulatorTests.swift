import CoreMapModel
import Emulator
import Foundation
import HardwareSpec
import LoihiArithmetic
import Mapper
import NetworkModel
import NeuroIO
import Testing

/// A network with one input and the given layers/connections, for hand-derived cases.
func chain(
  input: [[Int]] = [], layers: [Layer], connections: [Connection] = []
) -> Network {
  Network(
    inputs: input.isEmpty ? [] : [SpikeInput(name: "in", size: input.count, spikes: SpikeTrain(perSource: input))],
    layers: layers, connections: connections)
}

func relu(_ name: String, size: Int = 1, vth: Int, bias: [Int] = [0], biasExp: Int = 0, refractory: Int = 1, decayU: Int = 4095) -> Layer {
  Layer(
    name: name, size: size,
    neuron: NeuronParameters(
      model: .loihiSpikingRectifiedLinear, decayU: decayU, thresholdMantissa: vth, biasMantissa: bias,
      biasExponent: biasExp, refractoryDelay: refractory))
}

let unlimitedBoard = BoardSpec(
  singleChip: ChipSpec(
    name: "unlimited", coresPerChip: 64,
    core: CoreLimits(compartments: 1 << 20, inputAxons: 1 << 20, outputAxons: 1 << 20, synapseWords: 1 << 26, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)))

/// Cores of 40 compartments: the random test network (40, 30, 20 neurons) gets one core per layer.
let separateCoresBoard = BoardSpec(
  singleChip: ChipSpec(
    name: "40-compartment cores", coresPerChip: 64,
    core: CoreLimits(compartments: 40, inputAxons: 1 << 20, outputAxons: 1 << 20, synapseWords: 1 << 26, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)))

func spikeSteps(_ r: ProbeRecording, column: Int = 0) -> [Int] {
  (1...r.stepCount).filter { r.value(step: $0, column: column) != 0 }
}

func column(_ r: ProbeRecording, _ column: Int = 0) -> [Int32] {
  (1...r.stepCount).map { r.value(step: $0, column: column) }
}

@Suite("Emulator: hand-derived cases")
struct HandDerivedTests {
  @Test("constant bias, non-leaky: first spike at floor(vth/b) + 1, period + refractory")
  func constantBias() throws {
    // vth = 100 << 6 = 6400, bias 1000: v = 1000, 2000, ..., 6000, 7000 > 6400 → spike at 7.
    let net = chain(layers: [relu("a", vth: 100, bias: [1000]), relu("r", vth: 100, bias: [1000], refractory: 3)])
    let rec = try runWithFullProbes(net, steps: 30, board: unlimitedBoard)
    #expect(spikeSteps(rec["a.spikes"]!) == [7, 14, 21, 28])
    #expect(column(rec["a.voltage"]!).prefix(8) == [1000, 2000, 3000, 4000, 5000, 6000, 0, 1000])
    // Refractory 3 holds v at 0 for 2 steps after each spike: period 7 + 2 = 9.
    #expect(spikeSteps(rec["r.spikes"]!) == [7, 16, 25])
    #expect(column(rec["r.voltage"]!)[6...10] == [0, 0, 0, 1000, 2000])
  }

  @Test("the threshold is strict: reaching vth exactly does not spike")
  func strictThreshold() throws {
    let rec = try runWithFullProbes(chain(layers: [relu("a", vth: 100, bias: [640])]), steps: 12, board: unlimitedBoard)
    #expect(column(rec["a.voltage"]!)[9] == 6400)
    #expect(spikeSteps(rec["a.spikes"]!) == [11])
  }

  @Test("a spike at step t arrives at t + 1; current wraps at 23 bits + sign")
  func delayAndCurrentWrap() throws {
    // Wgt 254 with exponent 7: 254 << 7 << 6 = 2,080,768 per spike; decay_u 0 keeps 4095/4096.
    let steps = 8
    let net = chain(
      input: [Array(1...steps)],
      layers: [relu("u", vth: 131_071, decayU: 0)],
      connections: [Connection(from: "in", to: "u", weights: WeightMatrix(rows: 1, columns: 1, values: [254]), weightExponent: 7)])
    let rec = try runWithFullProbes(net, steps: steps, board: unlimitedBoard)
    // Hand computation with u_t = wrap23(trunc(u_{t-1} · 4095/4096) + 2,080,768) from step 2.
    var expected: [Int32] = [0]
    var u: Int64 = 0
    for _ in 2...steps {
      u = u * 4095 / 4096 + 2_080_768
      if u >= 1 << 23 { u -= 1 << 24 }
      expected.append(Int32(u))
    }
    #expect(column(rec["u.current"]!) == expected)
    #expect(expected[5] < 0)  // the wrap happened within the run
  }
}

@Suite("Emulator: determinism, placement and counters")
struct EmulatorBehaviourTests {
  /// A random recurrent network, generated deterministically.
  static func randomNetwork(seed: UInt64) -> Network {
    var rng = SplitMix64(seed: seed)
    let sizes = [40, 30, 20]
    var input: [[Int]] = []
    for _ in 0..<25 { input.append((1...60).filter { _ in rng.next() % 5 == 0 }) }
    var layers: [Layer] = []
    for (i, n) in sizes.enumerated() {
      layers.append(
        Layer(
          name: "l\(i)", size: n,
          neuron: NeuronParameters(
            model: .loihiLIF, decayU: Int(rng.next() % 4096), decayV: Int(rng.next() % 800),
            thresholdMantissa: 20 + Int(rng.next() % 200), biasMantissa: (0..<n).map { _ in Int(rng.next() % 200) - 50 },
            refractoryDelay: Int(rng.next() % 4), vmin: -8_388_607)))
    }
    func dense(_ from: String, _ to: String, _ rows: Int, _ columns: Int, exp: Int) -> Connection {
      Connection(
        from: from, to: to,
        weights: WeightMatrix(rows: rows, columns: columns, values: (0..<rows * columns).map { _ in Int32(Int(rng.next() % 512) - 256) }),
        weightExponent: exp)
    }
    let connections = [
      dense("in", "l0", 40, 25, exp: 0), dense("l0", "l1", 30, 40, exp: -1), dense("l1", "l1", 30, 30, exp: -3),
      dense("l1", "l2", 20, 30, exp: 0), dense("l2", "l0", 40, 20, exp: -2),
    ]
    return chain(input: input, layers: layers, connections: connections)
  }

  @Test("results do not depend on the number of threads", arguments: [UInt64(1), 2, 3])
  func threadInvariance(_ seed: UInt64) throws {
    let net = Self.randomNetwork(seed: seed)
    let one = try runWithFullProbes(net, steps: 60, board: unlimitedBoard, threads: 1)
    let two = try runWithFullProbes(net, steps: 60, board: unlimitedBoard, threads: 2, minimumSliceSize: 3)
    let eight = try runWithFullProbes(net, steps: 60, board: unlimitedBoard, threads: 8, minimumSliceSize: 1)
    #expect(one == two)
    #expect(one == eight)
    let total = one.filter { $0.key.hasSuffix(".spikes") }.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + Int($1) } }
    #expect(total > 50, "the random network should be active")
  }

  @Test("cores on different chips: same spikes, inter-chip messages counted")
  func multiChip() throws {
    let net = Self.randomNetwork(seed: 4)
    let threeChips = BoardSpec(
      name: "three chips of one core", chip: ChipSpec(name: "one-core chip", coresPerChip: 1, core: separateCoresBoard.chip.core), chipCount: 3)
    #expect(try runWithFullProbes(net, steps: 60, board: threeChips) == runWithFullProbes(net, steps: 60, board: unlimitedBoard))
    let map = try NetworkCompiler(board: threeChips).compile(net).0
    #expect(map.cores.map(\.chip) == [0, 1, 2])
    let emulator = try ChipEmulator(coreMap: map)
    emulator.run(steps: 60)
    let a = emulator.activity
    // l1 → l1 stays on chip 1; l0 → l1, l1 → l2 and l2 → l0 cross chips.
    let l1Crossing = a[1].spikes  // each l1 spike: one route to l1 (same chip), one to l2 (other chip)
    #expect(a[1].spikeMessages == 2 * a[1].spikes)
    #expect(a[1].interChipMessages == l1Crossing)
    #expect(a[0].interChipMessages == a[0].spikeMessages)
  }

  @Test("counters: synaptic ops are delivered spikes × fan-out")
  func counters() throws {
    let net = Self.randomNetwork(seed: 5)
    let map = try NetworkCompiler(board: separateCoresBoard).compile(net).0
    #expect(map.layers.map { Set($0.neuronCore) } == [[0], [1], [2]])
    let emulator = try ChipEmulator(coreMap: map)
    let steps = 60
    emulator.run(steps: steps)
    // Count delivered spikes per source from the spike logs and the input schedule.
    func delivered(core: Int) -> Int64 { Int64(emulator.spikeLog(core: core).steps.filter { $0 < steps }.count) }
    let inputDelivered = Int64(net.inputs[0].spikes.steps.filter { $0 < steps }.count)
    let l0 = delivered(core: 0)
    let l1 = delivered(core: 1)
    let l2 = delivered(core: 2)
    let a = emulator.activity
    #expect(a[0].synapticOps == inputDelivered * 40 + l2 * 40)
    #expect(a[1].synapticOps == l0 * 30 + l1 * 30)
    #expect(a[2].synapticOps == l1 * 20)
    #expect(a[0].axonInputs == inputDelivered + l2)
    let updates: [Int64] = [2400, 1800, 1200]  // compartments × 60 steps
    #expect(a.map(\.compartmentUpdates) == updates)
    let logged: [Int64] = (0..<3).map { Int64(emulator.spikeLog(core: $0).count) }
    #expect(a.map(\.spikes) == logged)
    #expect(emulator.hostSpikeMessages == Int64(net.inputs[0].spikes.steps.filter { $0 <= steps }.count))
  }

  @Test("counters by distance and active updates equal a recount from the spike logs, routes and probes")
  func distanceCounters() throws {
    // Two chips side by side, each 2 × 1 tiles of 2 cores of 16 compartments.
    let core = CoreLimits(compartments: 16, inputAxons: 1 << 20, outputAxons: 1 << 20, synapseWords: 1 << 26, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)
    let chip = ChipSpec(name: "4-core chip", coresPerChip: 4, core: core, mesh: ChipMesh(coresPerTile: 2, tilesX: 2, tilesY: 1))
    let board = BoardSpec(name: "2 chips", chip: chip, chipCount: 2, chipsX: 2)
    var net = Self.randomNetwork(seed: 7)
    // Zero biases in two layers, so that idle compartments exist.
    net.layers[1].neuron.biasMantissa = [0]
    net.layers[2].neuron.biasMantissa = [0]
    net.probes = net.layers.flatMap { l in ProbeKind.allCases.map { Probe(name: "\(l.name).\($0.rawValue)", layer: l.name, kind: $0) } }
    let map = try NetworkCompiler(board: board).compile(net).0
    #expect(Set(map.cores.map(\.chip)) == [0, 1], "the network spans both chips")
    let steps = 80
    let emulator = try ChipEmulator(coreMap: map)
    emulator.run(steps: steps)
    let activity = emulator.activity
    for (k, program) in map.cores.enumerated() {
      var expected = CoreActivity()
      for c in emulator.spikeLog(core: k).compartments.map(Int.init) {
        for r in Int(program.routeStart[c])..<Int(program.routeStart[c + 1]) {
          let d = Int(program.routes[r].core)
          let q = map.cores[d]
          expected.spikeMessages += 1
          if d == k { expected.sameCoreMessages += 1 }
          if d != k && q.chip == program.chip && q.meshX == program.meshX && q.meshY == program.meshY { expected.sameTileMessages += 1 }
          expected.eastWestHops += Int64(abs(q.meshX - program.meshX))
          expected.northSouthHops += Int64(abs(q.meshY - program.meshY))
          if q.chip != program.chip {
            expected.interChipMessages += 1
            expected.chipCrossings += Int64(abs(q.chip - program.chip))  // one row of chips
          }
        }
      }
      let a = activity[k]
      #expect(
        [a.spikeMessages, a.sameCoreMessages, a.sameTileMessages, a.eastWestHops, a.northSouthHops, a.interChipMessages, a.chipCrossings]
          == [expected.spikeMessages, expected.sameCoreMessages, expected.sameTileMessages, expected.eastWestHops, expected.northSouthHops, expected.interChipMessages, expected.chipCrossings],
        "core \(k)")
    }
    #expect(activity.reduce(0) { $0 + $1.chipCrossings } > 0 && activity.reduce(0) { $0 + $1.sameTileMessages } > 0)
    // Active updates from the probes: input arrived (u differs from its decayed value), or
    // u, v or the bias was nonzero before the step, or the neuron was refractory (a spike
    // at s holds it for steps s + 1 … s + delay − 1).
    var rec: [String: ProbeRecording] = [:]
    for r in emulator.probeRecordings { rec[r.name] = r }
    var activePerCore = [Int64](repeating: 0, count: map.cores.count)
    for (l, layer) in net.layers.enumerated() {
      let u = try #require(rec["\(layer.name).current"])
      let v = try #require(rec["\(layer.name).voltage"])
      let spiked = try #require(rec["\(layer.name).spikes"])
      let place = map.layers[l]
      for n in 0..<layer.size {
        let program = map.cores[Int(place.neuronCore[n])]
        let c = Int(place.neuronCompartment[n])
        let factor = FixedPoint.currentDecayFactor(decayU: Int32(program.decayU[c]))
        var lastSpike = -1_000
        for t in 1...steps {
          let uBefore = t == 1 ? 0 : u.value(step: t - 1, column: n)
          let vBefore = t == 1 ? 0 : v.value(step: t - 1, column: n)
          let input = FixedPoint.wrap(FixedPoint.decay(uBefore, by: factor), signedBits: 24) != u.value(step: t, column: n)
          let refractory = t - lastSpike <= Int(program.refractoryDelay[c]) - 1
          if input || uBefore != 0 || vBefore != 0 || program.bias[c] != 0 || refractory { activePerCore[Int(place.neuronCore[n])] += 1 }
          if spiked.value(step: t, column: n) != 0 { lastSpike = t }
        }
      }
    }
    #expect(activity.map(\.activeCompartmentUpdates) == activePerCore)
    #expect(activity.allSatisfy { $0.inactiveCompartmentUpdates >= 0 })
    #expect(activity.reduce(0) { $0 + $1.inactiveCompartmentUpdates } > 100, "idle compartments exist")
  }

  @Test("spike logs are in step order, then compartment order, and match the spike probes")
  func spikeLogs() throws {
    var net = Self.randomNetwork(seed: 6)
    net.probes = [Probe(name: "p", layer: "l1", kind: .spikes)]
    let map = try NetworkCompiler(board: separateCoresBoard).compile(net).0
    let emulator = try ChipEmulator(coreMap: map)
    emulator.run(steps: 40)
    let log = emulator.spikeLog(core: 1)
    let keys: [Int64] = zip(log.steps, log.compartments).map { Int64($0) << 32 | Int64($1) }
    #expect(keys == keys.sorted())
    let probe = emulator.probeRecordings[0]
    var fromProbe: [(Int32, Int32)] = []
    for step in 1...40 {
      for n in 0..<30 where probe.value(step: step, column: n) == 1 { fromProbe.append((Int32(step), Int32(n))) }
    }
    #expect(fromProbe.map(\.0) == log.steps)
    #expect(fromProbe.map(\.1) == log.compartments)
  }

  @Test("an inconsistent core map is refused before running")
  func invalidCoreMap() throws {
    var map = try NetworkCompiler(board: separateCoresBoard).compile(Self.randomNetwork(seed: 7)).0
    map.cores[1].routes[0] = AxonRoute(core: 9, axon: 0)
    #expect(throws: InvalidCoreMap(problems: ["core 1: route 0 targets core 9, but there are 3 cores"])) {
      _ = try ChipEmulator(coreMap: map)
    }
    map = try NetworkCompiler(board: separateCoresBoard).compile(Self.randomNetwork(seed: 7)).0
    map.cores[0].segments[3].count = 1000
    #expect(throws: InvalidCoreMap(problems: ["core 0: synapse segment 3 points outside the core's weights or compartments"])) {
      _ = try ChipEmulator(coreMap: map)
    }
  }
}

@Suite("Core map checks")
struct CoreMapCheckTests {
  @Test("a host input that spikes a source twice in one step is refused (inboxes are sized for one)")
  func duplicateEvents() throws {
    let network = chain(input: [[1, 2]], layers: [relu("a", vth: 10)], connections: [Connection(from: "in", to: "a", weights: WeightMatrix(rows: 1, columns: 1, values: [4]))])
    var map = try NetworkCompiler(board: unlimitedBoard).compile(network).0
    map.inputs[0].eventSources = [0, 0]
    map.inputs[0].eventSteps = [1, 1]
    #expect(throws: InvalidCoreMap(problems: ["input 'in': the events of step 1 are not distinct sources in ascending order"])) {
      _ = try ChipEmulator(coreMap: map)
    }
  }
}
