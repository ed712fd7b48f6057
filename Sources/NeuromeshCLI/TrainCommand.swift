import Foundation
import NeuroIO
import Training

/// `neuromesh train CONFIG.json -o DIR`: trains a network for the chip and writes it as a
/// network directory that `compile`, `run` and `evaluate` take as it is.
enum TrainCommand {
  static let options = [
    OptionSpec(name: "-o", valueName: "DIR", help: "Write network.json, its .npy files and training_log.json to DIR (replaced atomically; required)."),
    OptionSpec(name: "--epochs", valueName: "N", help: "Override the configuration's epoch count."),
    OptionSpec(name: "--help", valueName: nil, help: "Show this help."),
  ]

  static var usage: String {
    usageText(
      command: "train", synopsis: "CONFIG.json -o DIR [--epochs N]",
      abstract: "Train a spiking network for the chip (mode loihi-rate: the chip's own rates forward, a smooth derivative backward; mode surrogate: the chip's integer dynamics forward, BPTT with a surrogate backward; mode fine-tune: surrogate training from a trained or converted network) and write it as a network directory.",
      options: options)
  }

  static func execute(_ arguments: [String], output: inout CommandOutput) -> ExitStatus {
    let start = parseCommand(
      arguments, options: options, usage: usage, usageLine: "neuromesh train CONFIG.json -o DIR  (see 'neuromesh train --help')",
      what: "training configuration", output: &output
    ) { parsed -> (out: URL, epochs: Int?) in
      guard let out = parsed.values["-o"] else { throw UsageError(message: "give -o DIR for the trained network") }
      let epochs = try parsed.integer("--epochs")
      if let epochs, !(1...10_000).contains(epochs) { throw UsageError(message: "--epochs must be in 1 ... 10000, got \(epochs)") }
      return (URL(fileURLWithPath: out), epochs)
    }
    guard case .ready(_, let file, let (outURL, epochs)) = start else { return start.exitStatus }
    do {
      var setup = try TrainingFiles.load(URL(fileURLWithPath: file))
      if let epochs { setup.config.epochs = epochs }
      try RunOutputWriter.checkWritable(outURL)
      let config = setup.config
      let architecture = ["\(setup.train.shape)"] + config.layers.map(\.summary)
      output.print(
        "Training '\(config.name)' (\(config.mode.rawValue)): \(architecture.joined(separator: " → ")), \(setup.train.count) training samples\(setup.test.map { ", \($0.count) test samples" } ?? ""), \(config.epochs) epochs of batches of \(config.batchSize), seed \(config.seed).")
      var lines: [String] = []
      let report = { (record: EpochRecord) in
        let line =
          "epoch \(record.epoch)/\(config.epochs): loss \(String(format: "%.4f", record.loss)), train \(percent(record.trainAccuracy))"
          + (record.testAccuracy.map { ", test \(percent($0))" } ?? "") + " (\(String(format: "%.2f", record.seconds)) s)"
        FileHandle.standardError.write(Data((line + "\n").utf8))
        lines.append(line)
      }
      let sample = Array(setup.train.inputs.prefix(setup.train.featureCount))
      let readout: String
      switch config.mode {
      case .loihiRate:
        let result = try Trainer(config: config).train(setup.train, test: setup.test, classes: setup.classes, progress: report)
        try TrainingFiles.write(result, config: config, inputShape: setup.train.shape, sample: sample, to: outURL)
        readout = "current"
      case .surrogate, .fineTune:
        let trainer = SurrogateTrainer(config: config)
        if let base = setup.base {
          let before = trainer.accuracy(base, on: setup.test ?? setup.train)
          output.print("Starting point, spiking on the chip: \(setup.test == nil ? "train" : "test") accuracy \(percent(before)) (\(config.spiking.readout.rawValue) readout, \(config.timesteps) steps).")
        }
        let (network, log, scores) = trainer.train(config: config, base: setup.base, on: setup.train, test: setup.test, progress: report)
        try TrainingFiles.write(
          spiking: network, log: log, testScores: scores, config: config, sample: config.spikeTrainInput ? [] : sample, to: outURL,
          testSet: setup.generated ? setup.test : nil)
        readout = switch config.spiking.readout {
        case .spikeCount: "spikes"
        case .current: "current"
        case .voltage: "voltage"
        }
      }
      if let last = lines.last { output.print(last) }
      output.print("wrote \(outURL.relativePath)/network.json (and its .npy files, training_log.json)")
      let (inputs, labels) =
        setup.generated && setup.test != nil ? ("\(outURL.relativePath)/test_inputs.npy", "\(outURL.relativePath)/test_labels.npy") : ("TEST_INPUTS.npy", "TEST_LABELS.npy")
      output.print(
        "measure the chip's accuracy, and its agreement with the model, with:\n  neuromesh evaluate \(outURL.relativePath)/network.json --inputs \(inputs) --labels \(labels) --steps-per-sample \(config.timesteps) --readout \(readout)"
          + (setup.test == nil ? "" : " --reference-logits \(outURL.relativePath)/test_logits.npy"))
      return .success
    } catch {
      return .reporting(error, to: &output)
    }
  }

  static func percent(_ x: Double) -> String { String(format: "%.2f %%", 100 * x) }
}
