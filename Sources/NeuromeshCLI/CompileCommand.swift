import CoreMapModel
import Foundation
import HardwareSpec
import Mapper
import NetworkModel
import NeuroIO

/// `neuromesh compile NETWORK.json [--board BOARD.json] -o NET.coremap.json [--check]`.
enum CompileCommand {
  static let options = [
    OptionSpec.board(),
    OptionSpec(name: "-o", valueName: "FILE", help: "Write the core map to FILE (atomically). Required unless --check."),
    OptionSpec(name: "--check", valueName: nil, help: "Dry run: say whether the network fits and print the tables; write nothing."),
    OptionSpec(name: "--all", valueName: nil, help: "List every core (long maps are shortened by default)."),
    OptionSpec(name: "--progress", valueName: nil, help: "Show each stage on stderr as it starts, even when stderr is not a terminal."),
    OptionSpec(name: "--help", valueName: nil, help: "Show this help."),
  ]

  static var usage: String {
    usageText(
      command: "compile", synopsis: "NETWORK.json [--board BOARD.json] (-o FILE.coremap.json | --check) [--all]",
      abstract: "Compile a network onto a board: split layers into slices that fit the cores, pack them, place cores on chips, route axons, and write the integer core map.",
      options: options)
  }

  static func execute(_ arguments: [String], output: inout CommandOutput) -> ExitStatus {
    let start = parseCommand(
      arguments, options: options, usage: usage,
      usageLine: "neuromesh compile NETWORK.json [--board BOARD.json] (-o FILE.coremap.json | --check)  (see 'neuromesh compile --help')",
      what: "network file", output: &output
    ) { parsed in
      if parsed.values["-o"] == nil && !parsed.flags.contains("--check") {
        throw UsageError(message: "give -o FILE.coremap.json, or --check for a dry run")
      }
      if parsed.values["-o"] != nil && parsed.flags.contains("--check") {
        throw UsageError(message: "--check writes nothing; drop -o or --check")
      }
    }
    guard case .ready(let parsed, let file, _) = start else { return start.exitStatus }
    let networkURL = URL(fileURLWithPath: file)
    do {
      guard let board = try RunCommand.loadBoard(parsed.values["--board"], near: networkURL, output: &output) else {
        return .usage
      }
      let writing = parsed.values["-o"] != nil
      let meter = compileMeter(enabled: parsed.flags.contains("--progress") || isatty(2) == 1, writing: writing)
      meter.begin("loading \(networkURL.lastPathComponent)")
      let network = try NetworkLoader.load(from: networkURL)
      let (map, report) = try compileNamingFile(network, board: board, file: networkURL, meter: meter)
      if writing { meter.begin("writing the core map") }
      for warning in report.warnings { output.error("warning: \(networkURL.relativePath): \(warning)") }
      let name = network.name.isEmpty ? networkURL.deletingPathExtension().lastPathComponent : network.name
      if parsed.flags.contains("--check") {
        meter.finish()
        output.print("'\(name)' fits \(board.name).")
      } else if let path = parsed.values["-o"] {
        try CoreMapFile.write(map, to: URL(fileURLWithPath: path))
        meter.finish()
        output.print("Compiled '\(name)' to \(path).")
      }
      output.print(UtilisationTable.render(map, report: report, allCores: parsed.flags.contains("--all")))
      return .success
    } catch {
      return .reporting(error, to: &output)
    }
  }
}

/// `neuromesh inspect FILE.coremap.json [--all]`.
enum InspectCommand {
  static let options = [
    OptionSpec(name: "--all", valueName: nil, help: "List every core."),
    OptionSpec(name: "--layer", valueName: "NAME", help: "Run directory: only this layer and the cores holding it."),
    OptionSpec(name: "--core", valueName: "C", help: "Run directory: only this core."),
    OptionSpec(name: "--chip", valueName: "K", help: "Run directory: only the cores of this chip."),
    OptionSpec(name: "--json", valueName: nil, help: "Run directory: the same tables as JSON."),
    OptionSpec(name: "--help", valueName: nil, help: "Show this help."),
  ]

  static var usage: String {
    usageText(
      command: "inspect", synopsis: "(FILE.coremap.json [--all] | RUN_DIR [--layer NAME] [--core C] [--chip K] [--json])",
      abstract: "Show a compiled core map (cores per chip, utilisation, what lives on each core, inter-chip traffic), or a run's output directory (per layer and per core: spikes, rates, synaptic ops, messages, energy).",
      options: options)
  }

  static func execute(_ arguments: [String], output: inout CommandOutput) -> ExitStatus {
    let start = parseCommand(
      arguments, options: options, usage: usage, usageLine: "neuromesh inspect FILE.coremap.json [--all]",
      what: "core map file", output: &output
    ) { _ in }
    guard case .ready(let parsed, let file, _) = start else { return start.exitStatus }
    do {
      let url = URL(fileURLWithPath: file)
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
        try RunInspection.render(try RunDirectory.read(url), parsed: parsed, output: &output)
        return .success
      }
      if InputFile.problem(at: url) == nil, !CoreMapFile.isCoreMap(url), let text = try? String(contentsOf: url, encoding: .utf8), text.contains("\"layers\"") {
        throw InputFileError(
          file: url.relativePath, problem: "is a network description, not a core map",
          fix: "compile it first: neuromesh compile \(file) -o \(url.deletingPathExtension().lastPathComponent).coremap.json (or see it placed at once: neuromesh compile \(file) --check)")
      }
      let runOnly = ["--layer", "--core", "--chip"].filter { parsed.values[$0] != nil } + (parsed.flags.contains("--json") ? ["--json"] : [])
      if let option = runOnly.first {
        throw UsageError(message: "\(option) applies to a run directory, not a core map; for a core map give --all to list every core")
      }
      let map = try CoreMapFile.read(from: url)
      output.print(UtilisationTable.render(map, report: nil, allCores: parsed.flags.contains("--all")))
      return .success
    } catch {
      return .reporting(error, to: &output)
    }
  }
}
