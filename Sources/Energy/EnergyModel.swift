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
    let barrierPerStep = e.barrierNanoseconds(tiles: tiles.count, chips: chips) * ns
    let timeOfSteps = (timing.compute + timing.route + timing.hostIO) * ns + barrierPerStep * Double(steps)
    let managementWatts = e.managementPower.milliwatts * 1e-3 * Double(chips)
    let staticWatts = e.staticPowerPerChip.milliwatts * 1e-3 * Double(chips)
    return EnergyReport(
      steps: steps, dt: dt, chipsInUse: chips, tilesInUse: tiles.count, activity: total, hostMessages: hostMessages,
      synapticOpEnergy: Double(total.synapticOps) * e.synapticOp.picojoules * pJ,
      activeUpdateEnergy: Double(total.activeCompartmentUpdates) * e.activeUpdate.picojoules * pJ,
      inactiveUpdateEnergy: Double(total.inactiveCompartmentUpdates) * e.inactiveUpdate.picojoules * pJ,
      spikeEnergy: Double(total.spikeMessages) * e.spikeWithinTile.picojoules * pJ,
      hopEnergy: (Double(total.eastWestHops) * e.hopEastWest.picojoules + Double(total.northSouthHops) * e.hopNorthSouth.picojoules) * pJ,
      interChipEnergy: Double(total.chipCrossings) * e.chipCrossing.picojoules * pJ,
      hostEnergy: Double(hostMessages) * e.hostSpike.picojoules * pJ,
      overheadEnergy: managementWatts * timeOfSteps, staticEnergy: staticWatts * timeOfSteps,
      computeTime: timing.compute * ns, routeTime: timing.route * ns, hostIOTime: timing.hostIO * ns,
      barrierTime: barrierPerStep * Double(steps), barrierPerStep: barrierPerStep,
      longestStep: timing.longestStep * ns + barrierPerStep)
  }
}

extension EnergyReport {
  /// The report as `energy.json` (schema `neuromesh-energy` version 1, docs/energy-model.md).
  ///
  /// - Parameters:
  ///   - spec: the figures it was priced with (copied in, with their sources).
  ///   - stepsPerInference: steps of one inference, for per-inference figures (nil: none).
  public func json(spec: EnergySpec, stepsPerInference: Int? = nil) -> String {
    func n(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
    func q(_ s: String) -> String {
      var out = "\""
      for ch in s.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default: out += ch.value < 0x20 ? String(format: "\\u%04x", ch.value) : String(ch)
        }
      }
      return out + "\""
    }
    let a = activity
    let inferences = stepsPerInference.map { Double(steps) / Double(max($0, 1)) }
    var lines = ["{"]
    lines.append("  \"format\": \"neuromesh-energy\",")
    lines.append("  \"version\": 1,")
    lines.append("  \"steps\": \(steps),")
    lines.append("  \"dt\": \(n(dt)),")
    lines.append("  \"steps_per_inference\": \(stepsPerInference.map(String.init) ?? "null"),")
    lines.append("  \"chips_in_use\": \(chipsInUse),")
    lines.append("  \"tiles_in_use\": \(tilesInUse),")
    lines.append(
      "  \"counts\": {\"synaptic_ops\": \(a.synapticOps), \"active_updates\": \(a.activeCompartmentUpdates), \"inactive_updates\": \(a.inactiveCompartmentUpdates), \"spikes\": \(a.spikes), \"spike_messages\": \(a.spikeMessages), \"same_core_messages\": \(a.sameCoreMessages), \"same_tile_messages\": \(a.sameTileMessages), \"east_west_hops\": \(a.eastWestHops), \"north_south_hops\": \(a.northSouthHops), \"inter_chip_messages\": \(a.interChipMessages), \"chip_crossings\": \(a.chipCrossings), \"host_messages\": \(hostMessages), \"barrier_syncs\": \(steps)},")
    lines.append(
      "  \"energy_joules\": {\"synaptic_ops\": \(n(synapticOpEnergy)), \"active_updates\": \(n(activeUpdateEnergy)), \"inactive_updates\": \(n(inactiveUpdateEnergy)), \"spikes_within_tile\": \(n(spikeEnergy)), \"hops\": \(n(hopEnergy)), \"inter_chip\": \(n(interChipEnergy)), \"host\": \(n(hostEnergy)), \"per_op\": \(n(perOpEnergy)), \"overhead\": \(n(overheadEnergy)), \"dynamic\": \(n(dynamicEnergy)), \"static\": \(n(staticEnergy)), \"total\": \(n(totalEnergy))},")
    lines.append(
      "  \"time_seconds\": {\"compute\": \(n(computeTime)), \"route\": \(n(routeTime)), \"host_io\": \(n(hostIOTime)), \"barrier\": \(n(barrierTime)), \"chip\": \(n(chipTime)), \"per_step\": \(n(timePerStep)), \"longest_step\": \(n(longestStep)), \"barrier_per_step\": \(n(barrierPerStep))},")
    lines.append("  \"real_time_factor\": \(n(realTimeFactor)),")
    lines.append("  \"energy_per_step_joules\": {\"per_op\": \(n(perOpEnergy / Double(max(steps, 1)))), \"dynamic\": \(n(dynamicEnergy / Double(max(steps, 1)))), \"total\": \(n(energyPerStep))},")
    if let inferences, inferences > 0 {
      lines.append(
        "  \"per_inference\": {\"inferences\": \(n(inferences)), \"per_op_joules\": \(n(perOpEnergy / inferences)), \"dynamic_joules\": \(n(dynamicEnergy / inferences)), \"total_joules\": \(n(totalEnergy / inferences)), \"time_seconds\": \(n(chipTime / inferences))},")
    } else {
      lines.append("  \"per_inference\": null,")
    }
    func cost(_ c: EnergySpec.Cost) -> String { "{\"pJ\": \(n(c.picojoules)), \"ns\": \(n(c.nanoseconds)), \"source\": \(q(c.source))}" }
    lines.append("  \"priced_with\": {")
    lines.append("    \"synaptic_op\": \(cost(spec.synapticOp)),")
    lines.append("    \"active_update\": \(cost(spec.activeUpdate)),")
    lines.append("    \"inactive_update\": \(cost(spec.inactiveUpdate)),")
    lines.append("    \"spike_within_tile\": \(cost(spec.spikeWithinTile)),")
    lines.append("    \"hop_east_west\": \(cost(spec.hopEastWest)),")
    lines.append("    \"hop_north_south\": \(cost(spec.hopNorthSouth)),")
    lines.append("    \"chip_crossing\": \(cost(spec.chipCrossing)),")
    lines.append("    \"host_spike\": \(cost(spec.hostSpike)),")
    lines.append("    \"barrier_source\": \(q(spec.barrierSource)),")
    lines.append("    \"management_power\": {\"mW\": \(n(spec.managementPower.milliwatts)), \"source\": \(q(spec.managementPower.source))},")
    lines.append("    \"static_power_per_chip\": {\"mW\": \(n(spec.staticPowerPerChip.milliwatts)), \"source\": \(q(spec.staticPowerPerChip.source))}")
    lines.append("  }")
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }
}
