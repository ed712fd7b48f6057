import CoreMapModel
import Foundation
import HardwareSpec
import Mapper

/// Renders a core map's resource use as tables a person can read: per chip, then per core.
enum UtilisationTable {
  /// Cores listed before the table is shortened (unless all are asked for).
  static let shortListing = 24

  static func render(_ map: CoreMap, report: MappingReport?, allCores: Bool) -> String {
    let usage = map.usage()
    let limits = map.board.chip.core
    var lines: [String] = []
    let chips = Set(usage.map(\.chip)).sorted()
    var header = "\(map.cores.count) core(s) on \(chips.count) chip(s) of '\(map.board.name)' (\(map.board.chipCount) chip(s) × \(map.board.chip.coresPerChip) cores)"
    if let report {
      let bounds = ["compartments", "input axons", "output axons", "synapse words", "compartment profiles", "threshold profiles"]
        .compactMap { key in report.lowerBounds[key].map { "\(key) \($0)" } }.joined(separator: ", ")
      for note in report.profileNotes { header += "\n" + note }
      header += "\nlower bound \(report.lowerBound) core(s) (\(bounds)); cores used / lower bound = \(String(format: "%.2f", report.coreRatio))"
      if report.packing != "first fit" {
        header += "\npacking: \(report.packing) (equal slices packed first fit would need \(report.firstFitCores) cores)"
      }
    }
    lines.append(header)
    lines.append("")
    func cell(_ used: Int, _ max: Int) -> String {
      "\(used)/\(max) \(max == 0 ? 0 : Int((100 * Double(used) / Double(max)).rounded()))%"
    }
    var chipRows = [["chip", "cores", "compartments", "input axons", "output axons", "synapse words"]]
    for chip in chips {
      let onChip = usage.filter { $0.chip == chip }
      let n = onChip.count
      chipRows.append([
        "\(chip)", "\(n)/\(map.board.chip.coresPerChip)",
        cell(onChip.reduce(0) { $0 + $1.compartments }, n * limits.compartments),
        cell(onChip.reduce(0) { $0 + $1.inputAxons }, n * limits.inputAxons),
        cell(onChip.reduce(0) { $0 + $1.outputAxons }, n * limits.outputAxons),
        cell(onChip.reduce(0) { $0 + $1.synapseWords }, n * limits.synapseWords),
      ])
    }
    lines.append(table(chipRows))
    lines.append("")
    // Profile table entries in use: against the table size, or bare counts on a chip whose
    // spec gives no tables.
    func profiles(_ used: Int, _ max: Int) -> String { max >= CoreLimits.unlimitedProfiles ? "\(used)" : "\(used)/\(max)" }
    var coreRows = [["core", "chip:core", "mesh", "compartments", "input axons", "output axons", "synapse words", "profiles cx vth", "layers"]]
    let shown: [CoreUsage]
    if allCores || usage.count <= shortListing {
      shown = usage
    } else {
      shown = Array(usage.prefix(shortListing - 4)) + Array(usage.suffix(4))
    }
    for (k, u) in shown.enumerated() {
      if !allCores && usage.count > shortListing && k == shortListing - 4 {
        coreRows.append(["…", "", "", "", "", "", "", "", "(\(usage.count - shortListing) more; --all lists every core)"])
      }
      let core = map.cores[u.core]
      coreRows.append([
        "\(u.core)", "\(u.chip):\(u.coreOnChip)", "(\(core.meshX),\(core.meshY))",
        cell(u.compartments, limits.compartments), cell(u.inputAxons, limits.inputAxons),
        cell(u.outputAxons, limits.outputAxons), cell(u.synapseWords, limits.synapseWords),
        "\(profiles(u.compartmentProfiles, limits.compartmentProfiles)) \(profiles(u.thresholdProfiles, limits.thresholdProfiles))",
        u.contents.joined(separator: ", "),
      ])
    }
    lines.append(table(coreRows, leftAligned: [0, 1, 2, 8]))
    let routes = usage.reduce(0) { $0 + $1.outputAxons }
    let crossing = usage.reduce(0) { $0 + $1.interChipRoutes }
    let share = routes == 0 ? 0 : 100 * Double(crossing) / Double(routes)
    lines.append("")
    lines.append(
      "inter-chip traffic: \(crossing) of \(routes) output-axon routes cross chips (\(String(format: "%.1f", share))%); a spike of a neuron with such a route is sent off-chip")
    if let report, !report.quantization.isEmpty {
      lines.append("")
      lines.append(renderQuantization(report.quantization))
    }
    return lines.joined(separator: "\n")
  }

  /// The quantization report of the layers given in real units.
  static func renderQuantization(_ layers: [LayerQuantization]) -> String {
    guard !layers.isEmpty else { return "" }
    func percent(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }
    var rows = [[
      "layer", "vth_mant", "bias_exp", "decay_u", "decay_v", "refract", "weight_exp per source", "weights",
      "err p50", "p90", "p99", "max", "max/|w|max", "→ 0", "bias err max", "mean",
    ]]
    for q in layers {
      let p = q.weightErrorPercentiles
      rows.append([
        q.layer, "\(q.thresholdMantissa)", "\(q.biasExponent)", q.perNeuron ? "per neuron" : "\(q.decayU)",
        q.perNeuron ? "per neuron" : "\(q.decayV)", q.perNeuron ? "per neuron" : "\(q.refractoryDelay)",
        q.weightExponents.isEmpty ? "-" : q.weightExponents.map { "\($0.from) \($0.exponent)" }.joined(separator: ", "),
        "\(q.weightCount)", percent(p[0]), percent(p[1]), percent(p[2]), percent(q.weightMaxRelativeError),
        percent(q.weightMaxErrorOfLargest), "\(q.weightsRoundedToZero) (\(String(format: "%.1f%%", 100 * q.weightsRoundedToZeroShare)))",
        percent(q.biasMaxRelativeError), percent(q.biasMeanRelativeError),
      ])
    }
    return "quantization of the layers given in real units (relative errors of the weights the chip applies: percentiles, largest, largest against the layer's largest weight; weights applied as 0):\n"
      + table(rows, leftAligned: [0, 6])
  }

  static func table(_ rows: [[String]], leftAligned: Set<Int> = [0]) -> String {
    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
    return rows.map { row in
      row.enumerated().map { c, text in
        let pad = String(repeating: " ", count: widths[c] - text.count)
        return leftAligned.contains(c) ? text + pad : pad + text
      }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
  }
}
