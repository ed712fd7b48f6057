import Energy
import Foundation
import HardwareSpec

extension EnergyReport {
  /// The report as `energy.json` (schema `neuromesh-energy` version 1, docs/energy-model.md).
  ///
  /// - Parameters:
  ///   - spec: the figures it was priced with (copied in, with their sources).
  ///   - stepsPerInference: steps of one inference, for per-inference figures (nil: none).
  public func json(spec: EnergySpec, stepsPerInference: Int? = nil) -> String {
    func n(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
    let q = jsonQuoted
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
    lines.append("  \"per_core_per_op_joules\": [" + perCoreEnergy.map(n).joined(separator: ", ") + "],")
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
