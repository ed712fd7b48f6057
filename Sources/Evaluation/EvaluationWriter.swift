import Energy
import Foundation
import HardwareSpec
import NeuroIO

/// Writes an evaluation's results into a directory, atomically (see
/// ``NeuroIO/RunOutputWriter/replaceAtomically(_:fill:)``):
///
/// - `predictions.npy`: int32 `[N]`, the predicted class of every sample;
/// - `readout.npy`: float64 `[N, outputs]`, the readout values (spike counts, or mean
///   current/voltage in real units);
/// - `summary.json`: accuracy, ties, confusion matrix, agreement, timing, options and the
///   readout's integer → real scale (schema in `docs/cli.md`).
public enum EvaluationWriter {
  /// The `format` value of `summary.json`.
  public static let marker = "neuromesh-evaluation"

  /// Writes `result` into `directory`.
  public static func write(
    _ result: EvaluationResult, networkName: String, energySpec: EnergySpec? = nil, to directory: URL
  ) throws(OutputError) {
    try RunOutputWriter.replaceAtomically(directory) { staging in
      try Data(NPYFile.encode(result.predictions.map { Int32($0) }, shape: [result.samples]))
        .write(to: staging.appendingPathComponent("predictions.npy"))
      try Data(NPYFile.encodeReals(result.values, shape: [result.samples, result.outputs]))
        .write(to: staging.appendingPathComponent("readout.npy"))
      try Data(summaryJSON(result, networkName: networkName).utf8).write(to: staging.appendingPathComponent("summary.json"))
      if let energy = result.energy, let spec = energySpec {
        try Data(energy.json(spec: spec, stepsPerInference: energy.steps / max(result.samples, 1)).utf8)
          .write(to: staging.appendingPathComponent("energy.json"))
      }
    }
  }

  /// The summary as JSON text.
  public static func summaryJSON(_ r: EvaluationResult, networkName: String) -> String {
    func number(_ x: Double?) -> String {
      guard let x else { return "null" }
      return x.isFinite ? "\(x)" : "null"
    }
    let q = jsonQuoted
    var lines = ["{"]
    lines.append("  \"format\": \(q(marker)),")
    lines.append("  \"version\": 1,")
    lines.append("  \"network\": \(q(networkName)),")
    lines.append("  \"board\": \(q(r.boardName)),")
    lines.append("  \"cores\": \(r.coresUsed),")
    lines.append("  \"samples\": \(r.samples),")
    lines.append("  \"steps_per_sample\": \(r.options.stepsPerSample),")
    lines.append("  \"presentation\": \(q(r.options.presentation.rawValue)),")
    lines.append("  \"blank_steps\": \(r.options.blankSteps),")
    lines.append("  \"skip_steps\": \(r.options.skipSteps),")
    lines.append("  \"readout\": {\"layer\": \(q(r.readoutLayer)), \"kind\": \(q(r.readout.rawValue)), \"outputs\": \(r.outputs), \"real_units\": \(r.readoutIsReal), \"integer_units_per_real\": \(number(r.unitsPerReal))},")
    lines.append("  \"accuracy\": \(number(r.accuracy)),")
    lines.append("  \"correct\": \(r.correct.map(String.init) ?? "null"),")
    lines.append("  \"ties\": \(r.ties),")
    lines.append("  \"ties_including_label\": \(r.tiesIncludingLabel.map(String.init) ?? "null"),")
    lines.append("  \"agreement_with_reference\": \(number(r.agreement)),")
    let confusion = r.confusion.map { "[" + $0.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]" } ?? "null"
    lines.append("  \"confusion\": \(confusion),")
    lines.append(
      "  \"clipped_inputs\": [" + r.clipped.map {
        "{\"input\": \(q($0.input)), \"count\": \($0.count), \"of\": \($0.total), \"min\": \(number($0.minimum)), \"max\": \(number($0.maximum)), \"range\": [\(number($0.range.lowerBound)), \(number($0.range.upperBound))]}"
      }.joined(separator: ", ") + "],")
    lines.append(
      "  \"probe_scales\": [" + r.mapping.quantization.map {
        "{\"layer\": \(q($0.layer)), \"voltage_units_per_real\": \(number($0.voltageUnitsPerReal)), \"current_units_per_real\": \(number($0.currentUnitsPerReal))}"
      }.joined(separator: ", ") + "],")
    lines.append("  \"seconds\": \(number(r.seconds)),")
    lines.append("  \"samples_per_second\": \(number(r.samplesPerSecond)),")
    lines.append("  \"predictions\": \"predictions.npy\",")
    lines.append("  \"readout_values\": \"readout.npy\"")
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }
}
