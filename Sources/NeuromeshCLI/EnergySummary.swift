import Energy
import Foundation

/// The energy and time lines `run` and `evaluate` print.
enum EnergySummary {
  /// Joules with a unit that keeps three significant digits readable (pJ … J).
  static func joules(_ x: Double) -> String { scaled(x, units: [(1, "J"), (1e-3, "mJ"), (1e-6, "µJ"), (1e-9, "nJ"), (1e-12, "pJ")]) }
  /// Seconds likewise (s … ns).
  static func seconds(_ x: Double) -> String { scaled(x, units: [(1, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")]) }

  static func scaled(_ x: Double, units: [(Double, String)]) -> String {
    if x == 0 { return "0 \(units.last?.1 ?? "")" }
    for (scale, unit) in units where abs(x) >= scale { return String(format: "%.3g %@", x / scale, unit) }
    let (scale, unit) = units[units.count - 1]
    return String(format: "%.3g %@", x / scale, unit)
  }

  static func render(_ e: EnergyReport, chip: String, inferences: Int? = nil) -> String {
    var lines: [String] = []
    lines.append(
      "energy (\(chip) figures, see docs/energy-model.md): \(joules(e.totalEnergy)) total = \(joules(e.perOpEnergy)) per-op + \(joules(e.overheadEnergy)) overhead + \(joules(e.staticEnergy)) static; \(joules(e.energyPerStep)) per step")
    if let inferences, inferences > 0 {
      let n = Double(inferences)
      lines.append(
        "  per inference: \(joules(e.totalEnergy / n)) total, \(joules(e.dynamicEnergy / n)) dynamic (per-op + overhead), \(joules(e.perOpEnergy / n)) per-op; \(seconds(e.chipTime / n)) of chip time")
    }
    lines.append(
      "  per-op: synaptic ops \(joules(e.synapticOpEnergy)), neuron updates \(joules(e.activeUpdateEnergy + e.inactiveUpdateEnergy)) (active \(joules(e.activeUpdateEnergy)), idle \(joules(e.inactiveUpdateEnergy))), spikes and tile hops \(joules(e.spikeEnergy + e.hopEnergy)), inter-chip \(joules(e.interChipEnergy)), host \(joules(e.hostEnergy))")
    let factor = e.realTimeFactor
    lines.append(
      "chip time \(seconds(e.chipTime)) (\(seconds(e.timePerStep)) per step: compute \(seconds(e.computeTime / Double(max(e.steps, 1)))), routes \(seconds(e.routeTime / Double(max(e.steps, 1)))), host I/O \(seconds(e.hostIOTime / Double(max(e.steps, 1)))), barrier \(seconds(e.barrierPerStep))); "
        + (factor >= 1 ? String(format: "%.3g× faster than real time", factor) : String(format: "%.3g× slower than real time", factor > 0 ? 1 / factor : 0))
        + " at dt = \(seconds(e.dt))")
    return lines.joined(separator: "\n")
  }
}
