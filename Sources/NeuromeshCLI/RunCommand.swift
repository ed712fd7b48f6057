import CoreMapModel
import Emulator
import Energy
import Foundation
import HardwareSpec
import Mapper
import NetworkModel
import NeuroIO

/// `neuromesh run NETWORK.json --steps N [--board SPEC.json] [--out DIR]`.
enum RunCommand {
  static let options = [
    OptionSpec(name: "--steps", valueName: "N", help: "Number of timesteps to run (required, ≥ 0)."),
    OptionSpec.board(" Not used with a core map."),
    OptionSpec(name: "--out", valueName: "DIR", help: "Write per-core spike logs, probe traces and summary.json to DIR (replaced atomically)."),
    OptionSpec(name: "--threads", valueName: "N", help: "Worker threads for the per-core phase (default: all processors)."),
    OptionSpec(name: "--record", valueName: "WHAT", help: "What --out holds besides summary.json and energy.json: all (default: spike logs and probe traces), none, or a comma list of spikes, probes and layer names (spike logs of those layers only), e.g. --record l2,probes. Logs and traces stream to disk as the run goes."),
    OptionSpec(name: "--format", valueName: "FMT", help: "csv (default) or npy (int32 arrays) for spike logs and probe traces."),
    OptionSpec(name: "--progress", valueName: nil, help: "Show progress on stderr (steps, steps/s, ETA) even when it is not a terminal."),
    OptionSpec(name: "--help", valueName: nil, help: "Show this help."),
  ]

  static var usage: String {
    usageText(
      command: "run", synopsis: "(NETWORK.json | FILE.coremap.json) --steps N [--board SPEC.json] [--out DIR] [--threads N]",
      abstract: "Compile a network onto a board (or take a compiled core map) and emulate it step by step in the chip's integer arithmetic.",
      options: options)
  }

  static let defaultBoardPath = "hardware-specs/boards/loihi1-single-chip.json"

  /// Runs the command; `stop` ends the run early at the end of a piece (Ctrl-C sets it).
  static func execute(_ arguments: [String], output: inout CommandOutput, stop: StopRequest = StopRequest()) -> ExitStatus {
    let start = parseCommand(
      arguments, options: options, usage: usage,
      usageLine: "neuromesh run NETWORK.json --steps N [--board SPEC.json] [--out DIR]  (see 'neuromesh run --help')",
      what: "network file", output: &output
    ) { parsed -> (steps: Int, threads: Int?, write: RunOutputWriter.WriteOptions) in
      guard let n = try parsed.integer("--steps") else { throw UsageError(message: "missing --steps N") }
      guard n >= 0 else { throw UsageError(message: "--steps must not be negative, got \(n)") }
      guard n <= Int(Int32.max) else { throw UsageError(message: "--steps must be at most \(Int32.max), got \(n)") }
      let threads = try parsed.integer("--threads")
      if let threads, !(1...1024).contains(threads) { throw UsageError(message: "--threads must be in 1 ... 1024, got \(threads)") }
      var write = try recordOptions(parsed.values["--record"] ?? "all")
      switch parsed.values["--format"] ?? "csv" {
      case "csv": break
      case "npy": write.npy = true
      case let other: throw UsageError(message: "--format must be csv or npy, got '\(other)'")
      }
      if parsed.values["--out"] == nil && (parsed.values["--record"] != nil || parsed.values["--format"] != nil) {
        throw UsageError(message: "--record and --format say what --out DIR holds; give --out DIR")
      }
      return (n, threads, write)
    }
    guard case .ready(let parsed, let file, let (steps, threads, writeOptions)) = start else { return start.exitStatus }

    let inputURL = URL(fileURLWithPath: file)
    let outURL = parsed.values["--out"].map { URL(fileURLWithPath: $0) }
    let showsProgress = parsed.flags.contains("--progress") || isatty(2) == 1
    do {
      let map: CoreMap
      let name: String
      var dt = 0.001
      var quantization: [LayerQuantization] = []
      if CoreMapFile.isCoreMap(inputURL) {
        if parsed.values["--board"] != nil {
          throw UsageError(message: "a core map is already placed on its board; drop --board")
        }
        map = try CoreMapFile.read(from: inputURL)
        name = map.networkName.isEmpty ? inputURL.lastPathComponent.replacingOccurrences(of: ".coremap.json", with: "") : map.networkName
      } else {
        guard let board = try loadBoard(parsed.values["--board"], near: inputURL, output: &output) else { return .usage }
        let meter = compileMeter(enabled: showsProgress)
        meter.begin("loading \(inputURL.lastPathComponent)")
        let network = try NetworkLoader.load(from: inputURL)
        let (compiled, mapping) = try compileNamingFile(network, board: board, file: inputURL, meter: meter)
        meter.finish()
        map = compiled
        dt = network.dt
        quantization = mapping.quantization
        for warning in mapping.warnings { output.error("warning: \(inputURL.relativePath): \(warning)") }
        name = network.name.isEmpty ? inputURL.deletingPathExtension().lastPathComponent : network.name
      }
      if let unknown = writeOptions.spikeLayers?.subtracting(map.layers.map(\.name)).sorted().first {
        throw UsageError(
          message: "--record names '\(unknown)', which is not a layer of the network (layers: \(map.layers.map(\.name).joined(separator: ", ")); or all, none, spikes, probes)")
      }
      let stream = try outURL.map { url throws(OutputError) in try RunOutputStream(directory: url, map: map, options: writeOptions) }
      let energySpec = map.board.chip.energy
      let emulator = try ChipEmulator(
        coreMap: map,
        options: EmulatorOptions(
          threads: threads, recordsSpikeLogs: stream != nil && writeOptions.spikeLogs, recordsProbes: stream != nil && writeOptions.probes,
          timing: energySpec.map(EnergyModel.timingWeights)))
      let start = DispatchTime.now().uptimeNanoseconds
      let meter = ProgressMeter(enabled: showsProgress, unit: "steps")
      // In pieces, so that progress shows and Ctrl-C stops at the end of a piece; stepping
      // is sequential, so the results are the same as in one piece.
      let interrupt = stop.catchInterrupt()
      defer { interrupt.release() }
      let piece = max(1, min(meter.enabled ? steps / 100 : 1_000, 1_000))
      var done = 0
      while done < steps {
        let n = min(piece, steps - done)
        emulator.run(steps: n)
        try stream?.drain(emulator)
        done += n
        meter.update(done: done, total: steps)
        if stop.isRequested { break }
      }
      meter.finish()
      let interrupted = done < steps
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 - (stream?.writeSeconds ?? 0)
      var report = RunReport(
        networkName: name, steps: done, emulationSeconds: seconds, activity: emulator.activity,
        hostSpikeMessages: emulator.hostSpikeMessages)
      if interrupted { report.requestedSteps = steps }
      report.dt = dt
      report.quantization = quantization.map(QuantizationSummary.init)
      report.probeScales = quantization.map {
        ProbeScale(layer: $0.layer, voltageUnitsPerReal: $0.voltageUnitsPerReal, currentUnitsPerReal: $0.currentUnitsPerReal)
      }
      let energy = EnergyModel.estimate(
        map: map, activity: report.activity, hostMessages: emulator.hostSpikeMessages, timing: emulator.stepTiming, steps: done, dt: dt)
      var extra: [String: [UInt8]] = [:]
      if let energy, let energySpec { extra["energy.json"] = Array(energy.json(spec: energySpec).utf8) }
      try stream?.finish(report: report, emulator: emulator, extraFiles: extra)
      let writeSeconds = stream?.writeSeconds ?? 0
      printSummary(report, emulator: emulator, out: outURL, writeSeconds: writeSeconds, write: writeOptions, output: &output)
      if let energy { output.print(EnergySummary.render(energy, chip: map.board.chip.name)) }
      if interrupted {
        output.error(
          "interrupted after \(done) of \(steps) steps: \(outURL == nil ? "nothing was written (no --out)" : "wrote what ran, marked partial in summary.json")")
        return .failure
      }
      if !quantization.isEmpty { output.print(UtilisationTable.renderQuantization(quantization)) }
      return .success
    } catch {
      return .reporting(error, to: &output)
    }
  }

  /// Parses `--record`: all, none, or a comma list of spikes, probes and layer names.
  static func recordOptions(_ text: String) throws(UsageError) -> RunOutputWriter.WriteOptions {
    switch text {
    case "all": return RunOutputWriter.WriteOptions()
    case "none": return RunOutputWriter.WriteOptions(spikeLogs: false, probes: false)
    default: break
    }
    var options = RunOutputWriter.WriteOptions(spikeLogs: false, probes: false)
    var layers: Set<String> = []
    for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
      switch item {
      case "spikes": options.spikeLogs = true
      case "probes": options.probes = true
      case "", "all", "none":
        throw UsageError(message: "--record takes all, none, or a comma list of spikes, probes and layer names, got '\(text)'")
      default: layers.insert(item)
      }
    }
    if !layers.isEmpty && !options.spikeLogs {
      options.spikeLogs = true
      options.spikeLayers = layers
    }
    return options
  }

  /// Looks for the default board file in the network's directory, the current directory,
  /// and their ancestors.
  static func findDefaultBoard(near network: URL) -> URL? {
    let fm = FileManager.default
    var starts = [network.deletingLastPathComponent().standardizedFileURL]
    starts.append(URL(fileURLWithPath: fm.currentDirectoryPath))
    for start in starts {
      var dir = start
      while true {
        let candidate = dir.appendingPathComponent(defaultBoardPath)
        if fm.fileExists(atPath: candidate.path) { return candidate }
        let parent = dir.deletingLastPathComponent()
        if parent.path == dir.path { break }
        dir = parent
      }
    }
    return nil
  }

  /// Loads the board named by `--board` — a spec file, or the name of a built-in one
  /// (`nahuku-32`) — or finds the default one: `hardware-specs/boards/loihi1-single-chip.json`
  /// above the network or the current directory, else the built-in copy of it.
  static func loadBoard(_ path: String?, near network: URL, output: inout CommandOutput) throws(InputFileError) -> BoardSpec? {
    if let path {
      if FileManager.default.fileExists(atPath: path) { return try SpecLoader.loadBoard(from: URL(fileURLWithPath: path)) }
      if let builtin = try SpecLoader.loadBuiltinBoard(named: path) { return builtin }
      if path.hasSuffix(".json") || path.contains("/") { return try SpecLoader.loadBoard(from: URL(fileURLWithPath: path)) }
      throw InputFileError(
        file: path, problem: "is neither a spec file nor a built-in board",
        fix: "give a spec file's path or one of: \(SpecLoader.builtinNames.joined(separator: ", ")) ('neuromesh boards' lists them)")
    }
    if let found = findDefaultBoard(near: network) { return try SpecLoader.loadBoard(from: found) }
    return try SpecLoader.loadBuiltinBoard(named: "loihi1-single-chip")
  }

  static func printSummary(
    _ report: RunReport, emulator: ChipEmulator, out: URL?, writeSeconds: Double = 0,
    write: RunOutputWriter.WriteOptions = RunOutputWriter.WriteOptions(), output: inout CommandOutput
  ) {
    let map = emulator.coreMap
    let chipsUsed = Set(map.cores.map(\.chip)).count
    output.print(
      "Ran '\(report.networkName)' for \(report.steps) steps on \(map.board.name): \(map.cores.count) core(s) on \(chipsUsed) chip(s).")
    let perLayer = RunOutputWriter.spikesPerLayer(emulator)
    var rows = [["layer", "neurons", "cores", "spikes", "spikes/neuron/step"]]
    for (i, layer) in map.layers.enumerated() {
      let cores = Set(layer.neuronCore).count
      let rate = report.steps == 0 ? 0 : Double(perLayer[i]) / Double(layer.size * report.steps)
      rows.append([layer.name, "\(layer.size)", "\(cores)", "\(perLayer[i])", format(rate, digits: 4)])
    }
    output.print(table(rows))
    let seconds = report.emulationSeconds
    let stepsPerSecond = seconds > 0 ? Double(report.steps) / seconds : 0
    let eventsPerSecond = seconds > 0 ? Double(report.synapticEvents) / seconds : 0
    output.print(
      "wall time \(format(seconds, digits: 3)) s, \(format(stepsPerSecond, digits: 1)) timesteps/s, \(report.synapticEvents) synaptic events (\(scientific(eventsPerSecond)) events/s)")
    if let out {
      output.print(
        "wrote \(out.relativePath)/ in \(format(writeSeconds, digits: 3)) s (apart from the emulation's wall time): "
          + (write.spikeLogs ? "\(spikeLogCount(map, write)) spike log(s) in spikes/, " : "")
          + (write.probes ? "\(map.probes.count) probe trace(s) in probes/, " : "")
          + "summary.json\(map.board.chip.energy == nil ? "" : ", energy.json")" + (write.npy ? " (arrays as .npy)" : ""))
    }
  }

  /// Cores that write a spike log.
  static func spikeLogCount(_ map: CoreMap, _ write: RunOutputWriter.WriteOptions) -> Int {
    guard let layers = write.spikeLayers else { return map.cores.count }
    let logged = Set(map.layers.indices.filter { layers.contains(map.layers[$0].name) }.map(Int32.init))
    return map.cores.filter { $0.compartmentLayer.contains(where: logged.contains) }.count
  }

  static func table(_ rows: [[String]]) -> String {
    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
    return rows.map { row in
      row.enumerated().map { c, cell in
        c == 0
          ? cell + String(repeating: " ", count: widths[c] - cell.count)
          : String(repeating: " ", count: widths[c] - cell.count) + cell
      }.joined(separator: "  ")
    }.joined(separator: "\n")
  }

  static func format(_ x: Double, digits: Int) -> String { String(format: "%.\(digits)f", x) }
  static func scientific(_ x: Double) -> String { String(format: "%.3g", x) }
}

extension QuantizationSummary {
  /// The summary of the mapper's quantization report of one layer.
  init(_ q: LayerQuantization) {
    let p = q.weightErrorPercentiles + [0, 0, 0]
    self.init(
      layer: q.layer, weights: q.weightCount, weightErrorP50: p[0], weightErrorP90: p[1], weightErrorP99: p[2],
      weightErrorMax: q.weightMaxRelativeError, weightErrorOfLargest: q.weightMaxErrorOfLargest, weightsRoundedToZero: q.weightsRoundedToZero,
      biasErrorMax: q.biasMaxRelativeError, biasErrorMean: q.biasMeanRelativeError)
  }
}
