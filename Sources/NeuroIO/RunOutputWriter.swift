import CoreMapModel
import Emulator
import Foundation

/// Everything a run writes, gathered before anything touches the disk.
public struct RunReport: Sendable {
  /// Network name.
  public var networkName: String
  /// Steps executed.
  public var steps: Int
  /// Wall-clock seconds of the emulation loop alone.
  public var emulationSeconds: Double
  /// Activity of every core.
  public var activity: [CoreActivity]
  /// Spike messages from the host.
  public var hostSpikeMessages: Int64
  /// For every layer given in real units: integer probe units per real unit.
  public var probeScales: [ProbeScale] = []
  /// When the run was stopped early (Ctrl-C): the steps asked for (``steps`` ran).
  public var requestedSteps: Int?
  /// Seconds per step of the network (what rates in Hz are computed with).
  public var dt: Double = 0.001
  /// How well the chip's integers represent each layer given in real units.
  public var quantization: [QuantizationSummary] = []

  /// Creates a report.
  public init(
    networkName: String, steps: Int, emulationSeconds: Double, activity: [CoreActivity],
    hostSpikeMessages: Int64
  ) {
    self.networkName = networkName
    self.steps = steps
    self.emulationSeconds = emulationSeconds
    self.activity = activity
    self.hostSpikeMessages = hostSpikeMessages
  }

  /// Synaptic events: every synapse reached by a delivered spike.
  public var synapticEvents: Int64 { activity.reduce(0) { $0 + $1.synapticOps } }
}

/// How a real-valued layer's voltage and current probes convert to its real units: real =
/// integer / units-per-real (the current probe excludes the bias; add the layer's bias in
/// the same units for J).
public struct ProbeScale: Sendable, Equatable {
  /// The layer.
  public var layer: String
  /// Integer voltage-probe units per unit of the real voltage.
  public var voltageUnitsPerReal: Double
  /// Integer current-probe units per unit of the real current.
  public var currentUnitsPerReal: Double

  /// Creates a scale.
  public init(layer: String, voltageUnitsPerReal: Double, currentUnitsPerReal: Double) {
    self.layer = layer
    self.voltageUnitsPerReal = voltageUnitsPerReal
    self.currentUnitsPerReal = currentUnitsPerReal
  }
}

/// How well the chip's integers represent one layer given in real units: the relative
/// errors of the weights and biases the chip applies (docs/quantization.md).
public struct QuantizationSummary: Sendable, Equatable {
  /// The layer.
  public var layer: String
  /// Nonzero real weights into the layer.
  public var weights: Int
  /// 50th, 90th and 99th percentile and largest relative error of the applied weights.
  public var weightErrorP50: Double
  public var weightErrorP90: Double
  public var weightErrorP99: Double
  public var weightErrorMax: Double
  /// The largest weight error as a fraction of the layer's largest weight.
  public var weightErrorOfLargest: Double
  /// Nonzero weights the chip applies as 0.
  public var weightsRoundedToZero: Int
  /// Largest and mean relative error of the nonzero biases.
  public var biasErrorMax: Double
  public var biasErrorMean: Double

  /// Creates a summary.
  public init(
    layer: String, weights: Int, weightErrorP50: Double, weightErrorP90: Double, weightErrorP99: Double, weightErrorMax: Double,
    weightErrorOfLargest: Double, weightsRoundedToZero: Int, biasErrorMax: Double, biasErrorMean: Double
  ) {
    self.layer = layer
    self.weights = weights
    self.weightErrorP50 = weightErrorP50
    self.weightErrorP90 = weightErrorP90
    self.weightErrorP99 = weightErrorP99
    self.weightErrorMax = weightErrorMax
    self.weightErrorOfLargest = weightErrorOfLargest
    self.weightsRoundedToZero = weightsRoundedToZero
    self.biasErrorMax = biasErrorMax
    self.biasErrorMean = biasErrorMean
  }
}

/// An output directory problem (exists and is not ours, cannot be written).
public struct OutputError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The directory or file.
  public var path: String
  /// What went wrong and what to do.
  public var message: String

  public var description: String { "\(path): \(message)" }

  /// Creates an error about `path`.
  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }
}

/// Writes a run's spike logs, probe traces and summary into a directory, atomically: the
/// files are written into a staging directory beside the target, which then replaces the
/// target in one rename. A failed run leaves no partial directory behind.
///
/// Layout (see `docs/cli.md`):
/// - `spikes/core-NNNN.csv`: `step,core,compartment,layer,neuron`, one file per core in use;
/// - `probes/NAME.csv`: `step,n<i>,...`, one row per step;
/// - `summary.json`: steps, timing, spikes per layer and activity per core.
public enum RunOutputWriter {
  /// The marker that identifies a directory written by this tool.
  public static let marker = "neuromesh-run-output"
  /// Markers of every kind of output directory this tool writes and may replace.
  public static let knownMarkers = [marker, "neuromesh-evaluation", "neuromesh-training-log"]

  /// Checks before a run that `directory` can be (re)placed: it must not exist, or be an
  /// earlier Neuromesh output, or be empty.
  public static func checkWritable(_ directory: URL) throws(OutputError) {
    // Under the output's lock: another writer's swap must not be seen half done.
    if let problem = StaleOutputs.withLock(beside: directory, { writeProblem(directory) }) { throw problem }
  }

  private static func writeProblem(_ directory: URL) -> OutputError? {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
      let parent = directory.deletingLastPathComponent()
      var parentIsDirectory: ObjCBool = false
      if fm.fileExists(atPath: parent.path, isDirectory: &parentIsDirectory), !parentIsDirectory.boolValue {
        return OutputError(path: directory.relativePath, message: "cannot be written: \(parent.relativePath) is a file, not a folder; choose another --out")
      }
      guard fm.isWritableFile(atPath: parent.path) else {
        return OutputError(path: directory.relativePath, message: "the parent directory \(parent.relativePath) does not exist or is not writable; create it or choose another --out")
      }
      return nil
    }
    guard isDirectory.boolValue else {
      return OutputError(path: directory.relativePath, message: "exists and is a file; choose another --out directory")
    }
    let contents = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
    if contents.isEmpty || isEarlierOutput(directory) { return nil }
    return OutputError(
      path: directory.relativePath,
      message: "exists and is not a Neuromesh output directory; choose another --out or remove it (Neuromesh only replaces its own outputs)")
  }

  private static func isEarlierOutput(_ directory: URL) -> Bool {
    // A run's or an evaluation's summary.json, or a trained network's training_log.json.
    ["summary.json", "training_log.json"].contains { name in
      let file = directory.appendingPathComponent(name)
      guard InputFile.problem(at: file) == nil, let data = try? Data(contentsOf: file),
        let text = String(data: data, encoding: .utf8)
      else { return false }
      return knownMarkers.contains { text.contains("\"\($0)\"") }
    }
  }

  /// Fills a staging directory beside `directory` with `fill`, then puts it in place of
  /// `directory` in one rename (an earlier output is moved aside first and deleted after):
  /// at no moment does `directory` hold a mix of two outputs, and a failure leaves nothing.
  public static func replaceAtomically(_ directory: URL, fill: (URL) throws -> Void) throws(OutputError) {
    try checkWritable(directory)
    StaleOutputs.clean(beside: directory)
    let fm = FileManager.default
    let staging = stagingURL(for: directory)
    do {
      try? fm.removeItem(at: staging)
      try fm.createDirectory(at: staging, withIntermediateDirectories: true)
      try fill(staging)
      try putInPlace(staging, as: directory)
    } catch {
      try? fm.removeItem(at: staging)
      throw OutputError(path: directory.relativePath, message: "could not write the outputs (\(reason(error))); nothing was written")
    }
  }

  /// The hidden staging directory beside `directory` that its outputs are written into
  /// (this writer's own: `.NAME.partial-PID-TAG`).
  static func stagingURL(for directory: URL) -> URL { StaleOutputs.sibling(of: directory, kind: "partial") }

  /// Moves `staging` to `directory` (``StaleOutputs/swap(_:into:)``).
  static func putInPlace(_ staging: URL, as directory: URL) throws { try StaleOutputs.swap(staging, into: directory) }

  /// What a run writes besides `summary.json` (and `energy.json`).
  public struct WriteOptions: Sendable, Equatable {
    /// Per-core spike logs.
    public var spikeLogs: Bool
    /// The layers whose spikes the logs hold (nil: every layer). Cores holding none of them
    /// write no log.
    public var spikeLayers: Set<String>?
    /// Probe traces.
    public var probes: Bool
    /// `.npy` (int32) instead of CSV for logs and traces.
    public var npy: Bool

    /// Creates options; by default everything, as CSV.
    public init(spikeLogs: Bool = true, spikeLayers: Set<String>? = nil, probes: Bool = true, npy: Bool = false) {
      self.spikeLogs = spikeLogs
      self.spikeLayers = spikeLayers
      self.probes = probes
      self.npy = npy
    }

    /// Per layer of `map`: whether its spikes are logged.
    func loggedLayers(_ map: CoreMap) -> [Bool] {
      map.layers.map { spikeLogs && (spikeLayers?.contains($0.name) ?? true) }
    }

    /// The file of core `index`'s spike log, or nil when it writes none.
    func spikeLogPath(_ index: Int, core: CoreProgram, loggedLayers: [Bool]) -> String? {
      guard spikeLogs, core.compartmentLayer.contains(where: { loggedLayers[Int($0)] }) else { return nil }
      return "spikes/" + (npy ? coreFileName(index).replacingOccurrences(of: ".csv", with: ".npy") : coreFileName(index))
    }

    /// The file of probe `name`'s trace.
    func probePath(_ name: String) -> String { "probes/" + OutputNames.probeFileStem(name) + (npy ? ".npy" : ".csv") }
  }

  /// Writes the outputs of `emulator`'s run into `directory` in one go (what
  /// ``RunOutputStream`` writes when it is drained only at the end).
  public static func write(
    report: RunReport, emulator: ChipEmulator, to directory: URL, extraFiles: [String: [UInt8]] = [:],
    options: WriteOptions = WriteOptions()
  ) throws(OutputError) {
    let stream = try RunOutputStream(directory: directory, map: emulator.coreMap, options: options)
    try stream.finish(report: report, emulator: emulator, extraFiles: extraFiles)
  }

  /// `core-0007.csv` for global core 7.
  public static func coreFileName(_ core: Int) -> String {
    let digits = String(core)
    return "core-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + ".csv"
  }

  /// Spikes per layer, summed from every compartment's spike total.
  public static func spikesPerLayer(_ emulator: ChipEmulator) -> [Int] {
    let map = emulator.coreMap
    var counts = [Int](repeating: 0, count: map.layers.count)
    for core in map.cores.indices {
      for (c, n) in emulator.spikeTotals(core: core).enumerated() { counts[Int(map.cores[core].compartmentLayer[c])] += Int(n) }
    }
    return counts
  }

  /// The core's neurons as runs of consecutive neurons of one layer, in compartment order:
  /// `{"layer": "l1", "from": 64, "to": 214}` (to exclusive).
  static func neuronRuns(_ core: CoreProgram, map: CoreMap) -> String {
    var runs: [String] = []
    var c = 0
    while c < core.compartmentCount {
      let layer = core.compartmentLayer[c]
      let first = core.compartmentNeuron[c]
      var end = c + 1
      while end < core.compartmentCount && core.compartmentLayer[end] == layer
        && core.compartmentNeuron[end] == first + Int32(end - c)
      { end += 1 }
      runs.append("{\"layer\": \(jsonQuoted(map.layers[Int(layer)].name)), \"from\": \(first), \"to\": \(Int(first) + end - c)}")
      c = end
    }
    return runs.joined(separator: ", ")
  }

  static func summaryJSON(report: RunReport, map: CoreMap, emulator: ChipEmulator, options: WriteOptions = WriteOptions()) -> String {
    let perLayer = spikesPerLayer(emulator)
    let logged = options.loggedLayers(map)
    let q = jsonQuoted
    var lines: [String] = []
    lines.append("{")
    lines.append("  \"format\": \(q(marker)),")
    lines.append("  \"version\": 1,")
    lines.append("  \"network\": \(q(report.networkName)),")
    lines.append("  \"board\": \(q(map.board.name)),")
    lines.append("  \"steps\": \(report.steps),")
    lines.append("  \"partial\": \(report.requestedSteps != nil),")
    lines.append("  \"requested_steps\": \(report.requestedSteps ?? report.steps),")
    lines.append("  \"dt\": \(report.dt),")
    lines.append("  \"emulation_seconds\": \(report.emulationSeconds),")
    lines.append("  \"synaptic_events\": \(report.synapticEvents),")
    lines.append("  \"host_spike_messages\": \(report.hostSpikeMessages),")
    lines.append("  \"layers\": [")
    lines.append(
      map.layers.enumerated().map { i, layer in
        "    {\"name\": \(q(layer.name)), \"neurons\": \(layer.size), \"spikes\": \(perLayer[i])}"
      }.joined(separator: ",\n"))
    lines.append("  ],")
    let chip = map.board.chip
    let limits = chip.core
    lines.append(
      "  \"layout\": {\"chips\": \(map.board.chipCount), \"chips_x\": \(map.board.chipsX), \"cores_per_chip\": \(chip.coresPerChip), \"cores_per_tile\": \(chip.mesh.coresPerTile), \"tiles_x\": \(chip.mesh.tilesX), \"tiles_y\": \(chip.mesh.tilesY), \"core_limits\": {\"compartments\": \(limits.compartments), \"input_axons\": \(limits.inputAxons), \"output_axons\": \(limits.outputAxons), \"synapse_words\": \(limits.synapseWords)}},")
    let usage = map.usage()
    lines.append("  \"cores\": [")
    lines.append(
      map.cores.enumerated().map { i, core in
        let a = report.activity[i]
        let u = usage[i]
        return
          "    {\"core\": \(i), \"chip\": \(core.chip), \"core_on_chip\": \(core.coreOnChip), \"compartments\": \(core.compartmentCount), \"input_axons\": \(core.inputAxonCount), \"output_axons\": \(u.outputAxons), \"synapse_words\": \(u.synapseWords), \"synapses\": \(core.synapseCount), \"spike_log\": \(options.spikeLogPath(i, core: core, loggedLayers: logged).map(q) ?? "null"), \"synaptic_ops\": \(a.synapticOps), \"axon_inputs\": \(a.axonInputs), \"compartment_updates\": \(a.compartmentUpdates), \"active_compartment_updates\": \(a.activeCompartmentUpdates), \"spikes\": \(a.spikes), \"spike_messages\": \(a.spikeMessages), \"same_core_messages\": \(a.sameCoreMessages), \"same_tile_messages\": \(a.sameTileMessages), \"east_west_hops\": \(a.eastWestHops), \"north_south_hops\": \(a.northSouthHops), \"inter_chip_messages\": \(a.interChipMessages), \"chip_crossings\": \(a.chipCrossings), \"mesh_x\": \(core.meshX), \"mesh_y\": \(core.meshY), \"neurons\": [\(neuronRuns(core, map: map))]}"
      }.joined(separator: ",\n"))
    lines.append("  ],")
    lines.append(
      "  \"probe_scales\": [" + report.probeScales.map {
        "{\"layer\": \(q($0.layer)), \"voltage_units_per_real\": \($0.voltageUnitsPerReal), \"current_units_per_real\": \($0.currentUnitsPerReal)}"
      }.joined(separator: ", ") + "],")
    lines.append(
      "  \"quantization\": [" + report.quantization.map {
        "{\"layer\": \(q($0.layer)), \"weights\": \($0.weights), \"weight_error_p50\": \($0.weightErrorP50), \"weight_error_p90\": \($0.weightErrorP90), \"weight_error_p99\": \($0.weightErrorP99), \"weight_error_max\": \($0.weightErrorMax), \"weight_error_of_largest\": \($0.weightErrorOfLargest), \"weights_rounded_to_zero\": \($0.weightsRoundedToZero), \"bias_error_max\": \($0.biasErrorMax), \"bias_error_mean\": \($0.biasErrorMean)}"
      }.joined(separator: ", ") + "],")
    lines.append(
      "  \"probes\": [" + (options.probes ? map.probes.map { q(options.probePath($0.name)) } : []).joined(separator: ", ") + "]")
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }
}
