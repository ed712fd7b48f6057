import Foundation
import NeuroIO
import Report

/// `neuromesh report RUN_DIR [-o report.html]`: a run as one self-contained HTML page.
enum ReportCommand {
  static let options = [
    OptionSpec(name: "-o", valueName: "FILE", help: "Write the page to FILE (atomically). Default: RUN_DIR/report.html."),
    OptionSpec(name: "--raster-steps", valueName: "N", help: "Steps shown in the spike rasters, from step 1 (default: up to 1000, fewer when the densest layer would draw more than 12,000 spikes)."),
    OptionSpec(name: "--raster-rows", valueName: "N", help: "Neurons per raster at most; larger layers show every k-th neuron (default 128)."),
    OptionSpec(name: "--core-rasters", valueName: "N", help: "Cores that get a raster of their own, the first N by index (default 16)."),
    OptionSpec(name: "--time-constants", valueName: nil, help: "With one folder 'neuromesh train' wrote: draw its learned time constants against their initial values instead of the curves."),
    OptionSpec(name: "--help", valueName: nil, help: "Show this help."),
  ]

  static var usage: String {
    usageText(
      command: "report", synopsis: "RUN_DIR [-o report.html] [--raster-steps N] [--raster-rows N] [--core-rasters N]",
      abstract: "Draw a run's output directory as one self-contained HTML page: the chip mesh coloured by utilisation, spikes, energy or inter-chip traffic; the energy and step-time breakdown; rates per layer over time; spike rasters per layer and per core; the quantization error. Given folders 'neuromesh train' wrote, draws their loss and test accuracy per epoch side by side as one SVG (or, with --time-constants, one folder's learned time constants).",
      options: options)
  }

  static func execute(_ arguments: [String], output: inout CommandOutput) -> ExitStatus {
    let start = parseCommand(
      arguments, options: options, usage: usage, usageLine: "neuromesh report RUN_DIR [-o report.html]  (see 'neuromesh report --help')",
      what: "run directory", output: &output, allowsSeveral: true
    ) { parsed -> RunReportPage.Options in
      func bounded(_ name: String, _ range: ClosedRange<Int>) throws(UsageError) -> Int? {
        guard let n = try parsed.integer(name) else { return nil }
        guard range.contains(n) else { throw UsageError(message: "\(name) must be in \(range.lowerBound) ... \(range.upperBound), got \(n)") }
        return n
      }
      var options = RunReportPage.Options()
      options.rasterSteps = try bounded("--raster-steps", 1...100_000)
      if let rows = try bounded("--raster-rows", 1...2_000) { options.rasterRows = rows }
      if let cores = try bounded("--core-rasters", 0...1_024) { options.coreRasters = cores }
      return options
    }
    guard case .ready(let parsed, let directory, let pageOptions) = start else { return start.exitStatus }
    // Folders `neuromesh train` wrote: their loss and accuracy curves side by side.
    if parsed.positional.contains(where: { FileManager.default.fileExists(atPath: URL(fileURLWithPath: $0).appendingPathComponent("training_log.json").path) }) {
      return trainingCurves(parsed, output: &output)
    }
    guard parsed.positional.count == 1 else {
      output.error("error: a report draws one run directory; several folders are compared only when 'neuromesh train' wrote them")
      return .usage
    }
    do {
      let runURL = URL(fileURLWithPath: directory)
      let run = try RunDirectory.read(runURL)
      let html = try RunReportPage.html(run, options: pageOptions)
      let target = parsed.values["-o"].map { URL(fileURLWithPath: $0) } ?? runURL.appendingPathComponent("report.html")
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: target.path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw UsageError(message: "-o \(target.relativePath) is a directory; give the file to write, e.g. -o \(target.relativePath)/report.html")
      }
      try OutputFile.write(Data(html.utf8), to: target, what: "the report")
      output.print("wrote \(target.relativePath) (\(html.utf8.count / 1024) KB, self-contained: open it in a browser)")
      return .success
    } catch {
      return .reporting(error, to: &output)
    }
  }

  /// `report TRAIN_DIR… -o curves.svg`: the runs' loss and test accuracy per epoch.
  static func trainingCurves(_ parsed: ParsedArguments, output: inout CommandOutput) -> ExitStatus {
    do {
      guard let path = parsed.values["-o"] else { throw UsageError(message: "give -o curves.svg for the training curves") }
      if parsed.flags.contains("--time-constants") {
        guard parsed.positional.count == 1 else { throw UsageError(message: "--time-constants draws one training folder; give one") }
        let log = try TrainingFiles.readLog(in: URL(fileURLWithPath: parsed.positional[0]))
        guard let svg = TimeConstantPlot.svg(log, title: "\(log.name): time constants learned") else {
          throw UsageError(message: "\(parsed.positional[0]) trained no time constants (its config has no \"train_time_constants\")")
        }
        let target = URL(fileURLWithPath: path)
        try OutputFile.write(Data(svg.utf8), to: target, what: "the plot")
        output.print("wrote \(target.relativePath): time constants of \(log.timeConstants.count) trained layer field(s), initial against learned")
        return .success
      }
      var runs: [(label: String, log: TrainingFiles.Log)] = []
      for folder in parsed.positional {
        let log = try TrainingFiles.readLog(in: URL(fileURLWithPath: folder))
        runs.append((log.surrogate.map { "\(log.mode), \($0)" } ?? (log.mode.isEmpty ? log.name : "\(log.mode): \(log.name)"), log))
      }
      let svg = TrainingCurves.svg(runs, title: runs.count == 1 ? runs[0].log.name : "training runs compared")
      let target = URL(fileURLWithPath: path)
      try OutputFile.write(Data(svg.utf8), to: target, what: "the plot")
      output.print("wrote \(target.relativePath): loss and test accuracy per epoch of \(runs.count) training run(s)")
      return .success
    } catch {
      return .reporting(error, to: &output)
    }
  }
}
