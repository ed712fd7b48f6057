import Evaluation
import Foundation
import Mapper
import NetworkModel
import NeuroIO

/// `neuromesh evaluate NETWORK.json --inputs X.npy [--labels Y.npy] --steps-per-sample T ...`.
enum EvaluateCommand {
  static let options = [
    OptionSpec(name: "--inputs", valueName: "X.npy|DIR", help: "Samples [N, …input shape] for the network's real-valued input, or a folder of NAME.npy, one per real-valued input (required)."),
    OptionSpec(name: "--labels", valueName: "Y.npy", help: "Integer class of every sample [N]: prints accuracy and the confusion matrix."),
    OptionSpec(name: "--steps-per-sample", valueName: "T", help: "Steps each sample is shown for (required)."),
    OptionSpec(name: "--presentation", valueName: "MODE", help: "fresh (default: every sample starts from a zero state) or continuous (back to back, state carried over)."),
    OptionSpec(name: "--blank", valueName: "K", help: "Continuous only: K steps of zero input between samples (default 0)."),
    OptionSpec(name: "--skip", valueName: "K", help: "Leave the first K steps of each sample out of the readout (default 0)."),
    OptionSpec(name: "--readout", valueName: "KIND", help: "spikes (default: output spike counts), current (mean J = u + bias, real units) or voltage (mean v, real units)."),
    OptionSpec(name: "--readout-layer", valueName: "NAME", help: "The layer to read (default: the one layer nothing reads from)."),
    OptionSpec(name: "--reference-logits", valueName: "L.npy", help: "The source model's outputs [N, classes]: prints the agreement of the predictions."),
    OptionSpec(name: "--limit", valueName: "N", help: "Evaluate only the first N samples."),
    OptionSpec.board(),
    OptionSpec(name: "--threads", valueName: "N", help: "Worker threads (default: all processors)."),
    OptionSpec(name: "--out", valueName: "DIR", help: "Write predictions.npy, readout.npy and summary.json to DIR (replaced atomically)."),
    OptionSpec(name: "--progress", valueName: nil, help: "Show progress on stderr even when it is not a terminal."),
    OptionSpec(name: "--help", valueName: nil, help: "Show this help."),
  ]

  static var usage: String {
    usageText(
      command: "evaluate",
      synopsis: "NETWORK.json --inputs X.npy [--labels Y.npy] --steps-per-sample T [--presentation fresh|continuous] [--blank K] [--skip K] [--readout spikes|current|voltage] [--reference-logits L.npy] [--out DIR]",
      abstract: "Present a data set to a network on the emulated chip, sample by sample, and read a class from its output layer: accuracy, ties, confusion matrix, samples/s.",
      options: options)
  }

  struct Settings {
    var options: EvaluationOptions
    var limit: Int?
  }

  static func execute(_ arguments: [String], output: inout CommandOutput) -> ExitStatus {
    let start = parseCommand(
      arguments, options: options, usage: usage,
      usageLine: "neuromesh evaluate NETWORK.json --inputs X.npy --steps-per-sample T [options]  (see 'neuromesh evaluate --help')",
      what: "network file", output: &output
    ) { parsed -> Settings in
      guard parsed.values["--inputs"] != nil else { throw UsageError(message: "missing --inputs X.npy (or a folder of NAME.npy)") }
      guard let steps = try parsed.integer("--steps-per-sample") else { throw UsageError(message: "missing --steps-per-sample T") }
      var options = EvaluationOptions(stepsPerSample: steps)
      if let text = parsed.values["--presentation"] {
        guard let p = Presentation(rawValue: text) else {
          throw UsageError(message: "--presentation must be fresh or continuous, got '\(text)'")
        }
        options.presentation = p
      }
      if let text = parsed.values["--readout"] {
        guard let r = Readout(rawValue: text) else {
          throw UsageError(message: "--readout must be spikes, current or voltage, got '\(text)'")
        }
        options.readout = r
      }
      options.blankSteps = try parsed.integer("--blank") ?? 0
      options.skipSteps = try parsed.integer("--skip") ?? 0
      options.readoutLayer = parsed.values["--readout-layer"]
      options.threads = try parsed.integer("--threads")
      if let problem = options.problem { throw UsageError(message: problem) }
      let limit = try parsed.integer("--limit")
      if let limit, limit < 1 { throw UsageError(message: "--limit must be at least 1, got \(limit)") }
      return Settings(options: options, limit: limit)
    }
    guard case .ready(let parsed, let file, let settings) = start else { return start.exitStatus }
    let networkURL = URL(fileURLWithPath: file)
    let outURL = parsed.values["--out"].map { URL(fileURLWithPath: $0) }
    do {
      guard let board = try RunCommand.loadBoard(parsed.values["--board"], near: networkURL, output: &output) else { return .usage }
      let network = try NetworkLoader.load(from: networkURL)
      var data = try Dataset.load(
        inputs: URL(fileURLWithPath: parsed.values["--inputs"] ?? ""),
        labels: parsed.values["--labels"].map { URL(fileURLWithPath: $0) }, for: network)
      var reference: [Double]? = nil
      if let path = parsed.values["--reference-logits"] {
        let (shape, values) = try NPYFile.readReals(at: URL(fileURLWithPath: path), displayPath: path)
        guard shape.count == 2, shape[0] == data.count else {
          throw DatasetError(file: path, message: "has shape \(shape); reference logits are [\(data.count), classes], one row per sample")
        }
        reference = values
      }
      if let limit = settings.limit, limit < data.count {
        let n = limit
        for (name, values) in data.inputs { data.inputs[name] = Array(values.prefix(values.count / data.count * n)) }
        data.labels = data.labels.map { Array($0.prefix(n)) }
        if let r = reference { reference = Array(r.prefix(r.count / data.count * n)) }
        data.count = n
      }
      if let outURL { try RunOutputWriter.checkWritable(outURL) }
      let showProgress = parsed.flags.contains("--progress") || isatty(2) == 1
      let meter = ProgressMeter(enabled: showProgress, unit: "samples")
      let result: EvaluationResult
      do {
        result = try Evaluator.evaluate(
          network: network, board: board, data: data, options: settings.options, referenceLogits: reference,
          progress: { meter.update(done: $0, total: $1) })
      } catch let error as MappingError {
        meter.finish()
        throw error.inFile(networkURL.relativePath)
      }
      meter.finish()
      let name = network.name.isEmpty ? networkURL.deletingPathExtension().lastPathComponent : network.name
      if let outURL { try EvaluationWriter.write(result, networkName: name, energySpec: board.chip.energy, to: outURL) }
      printSummary(result, name: name, out: outURL, output: &output)
      return .success
    } catch {
      return .reporting(error, to: &output)
    }
  }

  static func printSummary(_ r: EvaluationResult, name: String, out: URL?, output: inout CommandOutput) {
    let o = r.options
    let presentation =
      o.presentation == .fresh ? "fresh state per sample" : "continuous" + (o.blankSteps > 0 ? ", \(o.blankSteps) blank steps between samples" : "")
    output.print(
      "Evaluated '\(name)' on \(r.boardName) (\(r.coresUsed) core\(r.coresUsed == 1 ? "" : "s")): \(r.samples) samples × \(o.stepsPerSample) steps, \(presentation).")
    var readout = "readout: \(r.readout.rawValue) of '\(r.readoutLayer)' (\(r.outputs) neurons)"
    if o.skipSteps > 0 { readout += ", steps \(o.skipSteps + 1)…\(o.stepsPerSample) of each sample" }
    if let scale = r.unitsPerReal {
      readout += r.readoutIsReal
        ? "; real units: 1 = \(RunCommand.format(scale, digits: 3)) integer units of the \(r.readout == .current ? "current" : "voltage") probe"
        : "; integer units (the layer is given in chip integers)"
    }
    output.print(readout)
    for c in r.clipped {
      output.error(
        "warning: input '\(c.input)': \(c.count) of \(c.total) values lie outside the encoder's range [\(c.range.lowerBound), \(c.range.upperBound)] (min \(c.minimum), max \(c.maximum)) and were clipped; rescale the data (or use on_off encoding for signed values)")
    }
    let percent = { (x: Double) in RunCommand.format(100 * x, digits: 2) + " %" }
    if let accuracy = r.accuracy, let correct = r.correct {
      output.print("accuracy \(percent(accuracy)) (\(correct)/\(r.samples))")
    }
    var tieLine = "ties: \(r.ties) sample\(r.ties == 1 ? "" : "s") with a shared largest readout (the first such neuron is taken)"
    if let withLabel = r.tiesIncludingLabel, r.ties > 0 { tieLine += ", \(withLabel) of them including the label" }
    output.print(tieLine)
    if let agreement = r.agreement, let agreeing = r.agreeing {
      output.print("agreement with the reference logits: \(percent(agreement)) (\(agreeing)/\(r.samples))")
    }
    if let confusion = r.confusion {
      output.print("confusion matrix (rows: label, columns: predicted):")
      var rows = [["", ] + (0..<r.outputs).map(String.init)]
      for (label, row) in confusion.enumerated() { rows.append(["\(label)"] + row.map(String.init)) }
      output.print(RunCommand.table(rows))
    }
    output.print(
      "\(r.samples) samples in \(RunCommand.format(r.seconds, digits: 3)) s: \(RunCommand.format(r.samplesPerSecond, digits: 1)) samples/s (compilation excluded)")
    if let energy = r.energy { output.print(EnergySummary.render(energy, chip: r.boardName, inferences: r.samples)) }
    if let out { output.print("wrote \(out.relativePath)/: predictions.npy, readout.npy, summary.json\(r.energy == nil ? "" : ", energy.json")") }
  }
}
