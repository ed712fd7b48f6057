import CoreMapModel
import Emulator
import Energy
import Foundation
import HardwareSpec
import Mapper
import NetworkModel
import Testing

/// Round figures, so that every expected number below can be worked out by hand.
let roundFigures = EnergySpec(
  synapticOp: .init(picojoules: 10, nanoseconds: 1, source: "test"),
  activeUpdate: .init(picojoules: 100, nanoseconds: 10, source: "test"),
  inactiveUpdate: .init(picojoules: 1, nanoseconds: 1, source: "test"),
  spikeWithinTile: .init(picojoules: 2, nanoseconds: 3, source: "test"),
  hopEastWest: .init(picojoules: 5, nanoseconds: 7, source: "test"),
  hopNorthSouth: .init(picojoules: 6, nanoseconds: 8, source: "test"),
  chipCrossing: .init(picojoules: 50, nanoseconds: 60, source: "test"),
  hostSpike: .init(picojoules: 0, nanoseconds: 100, source: "test"),
  barrierOneTileNanoseconds: 1000, barrierTilesNanoseconds: 2000, barrierTiles: 4, barrierChipsNanoseconds: 4000, barrierChips: 4,
  barrierSource: "test", managementPower: .init(milliwatts: 1, source: "test"), staticPowerPerChip: .init(milliwatts: 2, source: "test"))

let core = CoreLimits(compartments: 64, inputAxons: 1024, outputAxons: 1024, synapseWords: 1 << 20, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)

func run(_ network: Network, board: BoardSpec, steps: Int) throws -> EnergyReport {
  let (map, _) = try NetworkCompiler(board: board).compile(network)
  let emulator = try ChipEmulator(coreMap: map, options: EmulatorOptions(timing: EnergyModel.timingWeights(roundFigures)))
  emulator.run(steps: steps)
  return try #require(
    EnergyModel.estimate(
      map: map, activity: emulator.activity, hostMessages: emulator.hostSpikeMessages, timing: emulator.stepTiming, steps: steps, dt: 0.001))
}

func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-30) }

@Suite("Energy and time model")
struct EnergyModelTests {
  @Test("one core: per-op energy, step times, overhead and static worked out by hand")
  func oneCore() throws {
    // Source 0 spikes at steps 1, 2, 3 and source 1 at step 2; each reaches 3 compartments
    // one step later. Neuron 2 has zero weights and no bias, so it never becomes active;
    // neurons 0 and 1 are active from step 2 (input, then a voltage that stays).
    let input = SpikeInput(name: "in", size: 2, spikes: SpikeTrain(perSource: [[1, 2, 3], [2]]))
    let layer = Layer(name: "a", size: 3, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 100_000))
    let network = Network(
      inputs: [input], layers: [layer],
      connections: [Connection(from: "in", to: "a", weights: WeightMatrix(rows: 3, columns: 2, values: [10, 10, 10, 10, 0, 0]))])
    let chip = ChipSpec(name: "test", coresPerChip: 4, core: core, mesh: ChipMesh(coresPerTile: 4, tilesX: 1, tilesY: 1), energy: roundFigures)
    let e = try run(network, board: BoardSpec(singleChip: chip), steps: 5)
    // Deliveries at steps 2, 3, 3, 4: 4 × 3 synapses.
    #expect(e.activity.synapticOps == 12)
    #expect(e.activity.activeCompartmentUpdates == 8 && e.activity.inactiveCompartmentUpdates == 7)
    #expect(e.hostMessages == 4 && e.activity.spikeMessages == 0)
    let perOp: Double = 927e-12  // 12 × 10 + 8 × 100 + 7 × 1 pJ
    #expect(close(e.perOpEnergy, perOp))
    // Busiest (only) core per step: 3, 24, 27, 24, 21 ns; host link 4 × 100 ns; barrier
    // 1,000 ns on one tile for each of 5 steps.
    #expect(close(e.computeTime, 99e-9))
    #expect(close(e.hostIOTime, 400e-9))
    #expect(e.routeTime == 0)
    #expect(close(e.barrierTime, 5000e-9))
    #expect(close(e.chipTime, 5499e-9))
    let chipTime: Double = 5499e-9
    #expect(close(e.overheadEnergy, 1e-3 * chipTime))
    #expect(close(e.staticEnergy, 2e-3 * chipTime))
    #expect(close(e.totalEnergy, perOp + 3e-3 * chipTime))
    #expect(close(e.realTimeFactor, 0.005 / chipTime))
    // The longest step: step 2 with its two host messages (24 + 200 ns), plus the barrier.
    let longest: Double = 1224e-9
    #expect(close(e.longestStep, longest))
  }

  @Test("two chips: messages, hops, chip crossings and the farthest route per step")
  func twoChips() throws {
    // 'src' (1 neuron) fires every step and drives 'dst' (1 neuron) on the other chip:
    // 1 east–west tile hop and 1 chip crossing per message.
    let src = Layer(name: "src", size: 1, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 1, biasMantissa: [4000]))
    let dst = Layer(name: "dst", size: 1, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 100_000))
    let network = Network(layers: [src, dst], connections: [Connection(from: "src", to: "dst", weights: WeightMatrix(rows: 1, columns: 1, values: [2]))])
    var oneCompartment = core
    oneCompartment.compartments = 1
    let oneCoreChip = ChipSpec(name: "one core", coresPerChip: 1, core: oneCompartment, mesh: ChipMesh(coresPerTile: 1, tilesX: 1, tilesY: 1), energy: roundFigures)
    let board = BoardSpec(name: "two chips", chip: oneCoreChip, chipCount: 2, chipsX: 2)
    let steps = 10
    let e = try run(network, board: board, steps: steps)
    #expect(e.chipsInUse == 2 && e.tilesInUse == 2)
    #expect(e.activity.spikes == 10 && e.activity.spikeMessages == 10)
    #expect(e.activity.eastWestHops == 10 && e.activity.northSouthHops == 0 && e.activity.chipCrossings == 10 && e.activity.interChipMessages == 10)
    let (spike, hop, crossing): (Double, Double, Double) = (20e-12, 50e-12, 500e-12)
    #expect(close(e.spikeEnergy, spike))
    #expect(close(e.hopEnergy, hop))
    #expect(close(e.interChipEnergy, crossing))
    // Every step's farthest message: within tile 3 + one E-W hop 7 + one crossing 60 ns.
    let route: Double = 700e-9
    #expect(close(e.routeTime, route))
    // Barrier over two chips: 2,000 + (log 2 / log 4) × (4,000 − 2,000) ns.
    #expect(close(e.barrierPerStep, 3000e-9))
    // Deliveries at steps 2 … 10: 9 synaptic ops; both compartments active every step but
    // the destination's first.
    #expect(e.activity.synapticOps == 9)
    #expect(e.activity.activeCompartmentUpdates == 19)
  }

  @Test("the barrier: linear in tiles on one chip, log-linear in chips")
  func barrier() {
    #expect(roundFigures.barrierNanoseconds(tiles: 1, chips: 1) == 1000)
    #expect(roundFigures.barrierNanoseconds(tiles: 4, chips: 1) == 2000)
    let twoTiles: Double = 1000 + 1000.0 / 3
    #expect(close(roundFigures.barrierNanoseconds(tiles: 2, chips: 1), twoTiles))
    #expect(roundFigures.barrierNanoseconds(tiles: 99, chips: 1) == 2000)
    #expect(roundFigures.barrierNanoseconds(tiles: 8, chips: 4) == 4000)
    #expect(roundFigures.barrierNanoseconds(tiles: 8, chips: 64) == 4000)
  }

  @Test("no energy figures, no estimate")
  func noFigures() throws {
    let layer = Layer(name: "a", size: 1, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 1))
    let chip = ChipSpec(name: "bare", coresPerChip: 1, core: core)
    let (map, _) = try NetworkCompiler(board: BoardSpec(singleChip: chip)).compile(Network(layers: [layer]))
    #expect(EnergyModel.estimate(map: map, activity: [CoreActivity()], hostMessages: 0, timing: StepTimingTotals(), steps: 1, dt: 0.001) == nil)
  }
}
