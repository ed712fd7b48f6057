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
    OptionSpec(name: "--help", valueName: nil, help: "Show this help."),
  ]

  static var usage: String {
    usageText(
      command: "report", synopsis: "RUN_DIR [-o report.html] [--raster-steps N] [--raster-rows N] [--core-rasters N]",
      abstract: "Draw a run's output directory as one self-contained HTML page: the chip mesh coloured by utilisation, spikes, energy or inter-chip traffic; the energy and step-time breakdown; rates per layer over time; spike rasters per layer and per core; the quantization error.",
      options: options)
  }

  static func execute(_ arguments: [String], output: inout CommandOutput) -> ExitStatus {
    let start = parseCommand(
      arguments, options: options, usage: usage, usageLine: "neuromesh report RUN_DIR [-o report.html]  (see 'neuromesh report --help')",
      what: "run directory", output: &output
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
    do {
      let runURL = URL(fileURLWithPath: directory)
      let run = try RunDirectory.read(runURL)
      let html = try RunReportPage.html(run, options: pageOptions)
      let target = parsed.values["-o"].map { URL(fileURLWithPath: $0) } ?? runURL.appendingPathComponent("report.html")
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: target.path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw UsageError(message: "-o \(target.relativePath) is a directory; give the file to write, e.g. -o \(target.relativePath)/report.html")
      }
      do {
        try Data(html.utf8).write(to: target, options: .atomic)
      } catch {
        throw OutputError(path: target.relativePath, message: "could not be written (\(error.localizedDescription)); check that its folder exists and is writable")
      }
      output.print("wrote \(target.relativePath) (\(html.utf8.count / 1024) KB, self-contained: open it in a browser)")
      return .success
    } catch {
      return .reporting(error, to: &output)
    }
  }
}
