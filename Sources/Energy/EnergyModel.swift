import CoreMapModel
import Emulator
import HardwareSpec

/// What a run cost on the chip, estimated from its placed core map, the work every core did
/// and every spike's route, priced with the chip spec's figures (docs/energy-model.md).
///
/// Three parts are kept apart, because they scale differently and only the first is what
/// per-operation estimates (KerasSpiking's, snnTorch's) report:
/// - **per-op energy**: synaptic ops, compartment updates (active and idle), spike messages,
///   tile hops and chip crossings, host messages;
/// - **overhead**: the management power of every chip in use (embedded processors, host I/O,
///   synchronisation) over the chip time;
/// - **static**: the idle power of every chip in use over the chip time.
public struct EnergyReport: Sendable, Equatable {
  /// Steps run (summed over copies for a batch).
  public var steps: Int
  /// Seconds per step of the network (for the real-time factor).
  public var dt: Double
  /// Chips and tiles with at least one core in use.
  public var chipsInUse: Int
  public var tilesInUse: Int
  /// Everything the cores did, summed over cores.
  public var activity: CoreActivity
  /// Host → chip spike messages.
  public var hostMessages: Int64
  /// Per-op energy of every core (joules), in core-map order; host messages belong to no core.
  public var perCoreEnergy: [Double]

  /// Per-op energy by kind, joules.
  public var synapticOpEnergy: Double
  public var activeUpdateEnergy: Double
  public var inactiveUpdateEnergy: Double
  /// Every message's within-tile delivery.
  public var spikeEnergy: Double
  /// Tile hops east–west and north–south.
  public var hopEnergy: Double
  /// Chip boundaries crossed.
  public var interChipEnergy: Double
  /// Host messages.
  public var hostEnergy: Double
  /// Management overhead and static energy over the chip time, joules.
  public var overheadEnergy: Double
  public var staticEnergy: Double

  /// Estimated chip time by part, seconds (summed over steps).
  public var computeTime: Double
  public var routeTime: Double
  public var hostIOTime: Double
  public var barrierTime: Double
  /// The barrier of one step, seconds.
  public var barrierPerStep: Double
  /// The longest single step, seconds (barrier included).
  public var longestStep: Double

  /// The sum of the per-op terms.
  public var perOpEnergy: Double {
    synapticOpEnergy + activeUpdateEnergy + inactiveUpdateEnergy + spikeEnergy + hopEnergy + interChipEnergy + hostEnergy
  }
  /// Per-op energy plus overhead: what a rail measurement above idle would see.
  public var dynamicEnergy: Double { perOpEnergy + overheadEnergy }
  /// Everything.
  public var totalEnergy: Double { dynamicEnergy + staticEnergy }
  /// Estimated chip time of the whole run, seconds.
  public var chipTime: Double { computeTime + routeTime + hostIOTime + barrierTime }
  /// Mean chip time per step, seconds.
  public var timePerStep: Double { steps > 0 ? chipTime / Double(steps) : 0 }
  /// Total energy per step, joules.
  public var energyPerStep: Double { steps > 0 ? totalEnergy / Double(steps) : 0 }
  /// How much faster than real time the chip runs the network: (steps × dt) / chip time.
  public var realTimeFactor: Double { chipTime > 0 ? Double(steps) * dt / chipTime : 0 }
}

/// Prices a run with a chip's ``HardwareSpec/EnergySpec``.
public enum EnergyModel {
  /// The step-timing weights the emulator needs to estimate each step's duration.
  public static func timingWeights(_ e: EnergySpec) -> StepTimingWeights {
    StepTimingWeights(
      synapticOp: e.synapticOp.nanoseconds, activeUpdate: e.activeUpdate.nanoseconds,
      inactiveUpdate: e.inactiveUpdate.nanoseconds, withinTile: e.spikeWithinTile.nanoseconds,
      eastWestHop: e.hopEastWest.nanoseconds, northSouthHop: e.hopNorthSouth.nanoseconds,
      chipCrossing: e.chipCrossing.nanoseconds, hostSpike: e.hostSpike.nanoseconds)
  }

  /// Estimates the energy and time of a run of `steps` steps of `map`.
  ///
  /// - Parameters:
  ///   - activity: every core's counters (``Emulator/ChipEmulator/activity``), or their sum
  ///     over the copies of a batch.
  ///   - timing: the emulator's step timing, run with ``timingWeights(_:)``.
  /// - Returns: nil when the chip spec has no energy figures.
  /// What the cores' work costs, by kind (joules): the one place operations are priced.
  static func priced(_ a: CoreActivity, _ e: EnergySpec) -> (
    synapticOps: Double, active: Double, inactive: Double, spikes: Double, hops: Double, interChip: Double
  ) {
    let pJ = 1e-12
    return (
      Double(a.synapticOps) * e.synapticOp.picojoules * pJ, Double(a.activeCompartmentUpdates) * e.activeUpdate.picojoules * pJ,
      Double(a.inactiveCompartmentUpdates) * e.inactiveUpdate.picojoules * pJ, Double(a.spikeMessages) * e.spikeWithinTile.picojoules * pJ,
      (Double(a.eastWestHops) * e.hopEastWest.picojoules + Double(a.northSouthHops) * e.hopNorthSouth.picojoules) * pJ,
      Double(a.chipCrossings) * e.chipCrossing.picojoules * pJ)
  }

  /// The per-op energy of one core's work (joules).
  public static func perOpEnergy(_ a: CoreActivity, _ e: EnergySpec) -> Double {
    let p = priced(a, e)
    return p.synapticOps + p.active + p.inactive + p.spikes + p.hops + p.interChip
  }

  public static func estimate(
    map: CoreMap, activity: [CoreActivity], hostMessages: Int64, timing: StepTimingTotals, steps: Int, dt: Double
  ) -> EnergyReport? {
    guard let e = map.board.chip.energy else { return nil }
    let total = activity.reduce(CoreActivity(), +)
    let chips = Set(map.cores.map(\.chip)).count
    var tiles = Set<Int>()
    for core in map.cores { tiles.insert((core.chip << 32) | (core.meshY << 16) | core.meshX) }
    let pJ = 1e-12
    let ns = 1e-9
    let p = priced(total, e)
    let barrierPerStep = e.barrierNanoseconds(tiles: tiles.count, chips: chips) * ns
    let timeOfSteps = (timing.compute + timing.route + timing.hostIO) * ns + barrierPerStep * Double(steps)
    let managementWatts = e.managementPower.milliwatts * 1e-3 * Double(chips)
    let staticWatts = e.staticPowerPerChip.milliwatts * 1e-3 * Double(chips)
    return EnergyReport(
      steps: steps, dt: dt, chipsInUse: chips, tilesInUse: tiles.count, activity: total, hostMessages: hostMessages,
      perCoreEnergy: activity.map { perOpEnergy($0, e) },
      synapticOpEnergy: p.synapticOps, activeUpdateEnergy: p.active, inactiveUpdateEnergy: p.inactive, spikeEnergy: p.spikes,
      hopEnergy: p.hops, interChipEnergy: p.interChip,
      hostEnergy: Double(hostMessages) * e.hostSpike.picojoules * pJ,
      overheadEnergy: managementWatts * timeOfSteps, staticEnergy: staticWatts * timeOfSteps,
      computeTime: timing.compute * ns, routeTime: timing.route * ns, hostIOTime: timing.hostIO * ns,
      barrierTime: barrierPerStep * Double(steps), barrierPerStep: barrierPerStep,
      longestStep: timing.longestStep * ns + barrierPerStep)
  }
}
