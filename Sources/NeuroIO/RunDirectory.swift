import Foundation

/// A run's output directory read back (`neuromesh run --out DIR`): per layer and per core,
/// what fired and what it cost — what `neuromesh inspect RUN_DIR` shows.
public struct RunDirectory: Sendable, Equatable {
  /// One layer of the run.
  public struct Layer: Sendable, Equatable {
    public var name: String
    public var neurons: Int
    public var spikes: Int
    /// The most spikes any one neuron fired.
    public var peakNeuronSpikes: Int
    /// Cores holding part of the layer.
    public var cores: [Int]
  }

  /// Consecutive neurons `from ..< to` of one layer, held by consecutive compartments.
  public struct NeuronRun: Sendable, Equatable {
    public var layer: String
    public var from: Int
    public var to: Int
  }

  /// One core of the run.
  public struct Core: Sendable, Equatable {
    public var index: Int
    public var chip: Int
    /// Index of the core on its chip (0 when the summary predates it).
    public var coreOnChip: Int = 0
    public var meshX: Int
    public var meshY: Int
    public var compartments: Int
    /// Input axons, output axons and synapse memory words in use (0 when the summary
    /// predates them).
    public var inputAxons: Int = 0
    public var outputAxons: Int = 0
    public var synapseWords: Int = 0
    /// The neurons it holds: runs of consecutive neurons of one layer.
    public var neurons: [NeuronRun]
    public var spikes: Int
    public var synapticOps: Int
    public var activeUpdates: Int
    public var compartmentUpdates: Int
    public var spikeMessages: Int
    public var interChipMessages: Int
    public var eastWestHops: Int
    public var northSouthHops: Int
    public var chipCrossings: Int
    /// First and last step with a spike (nil without spikes, or without a spike log).
    public var firstSpike: Int?
    public var lastSpike: Int?
    /// The spike log's file in the run directory (nil when the run wrote none).
    public var spikeLog: String?
  }

  /// The board's geometry and per-core limits, as the summary gives them.
  public struct Layout: Sendable, Equatable {
    public var chips: Int
    public var chipsX: Int
    public var coresPerChip: Int
    public var coresPerTile: Int
    public var tilesX: Int
    public var tilesY: Int
    public var compartments: Int
    public var inputAxons: Int
    public var outputAxons: Int
    public var synapseWords: Int

    /// The largest share of any per-core limit that `core` uses (0 ... 1).
    public func utilisation(of core: Core) -> Double {
      func share(_ used: Int, _ limit: Int) -> Double { limit > 0 ? Double(used) / Double(limit) : 0 }
      return max(
        share(core.compartments, compartments), share(core.inputAxons, inputAxons), share(core.outputAxons, outputAxons),
        share(core.synapseWords, synapseWords))
    }
  }

  /// Where the run's files are.
  public var directory: URL
  public var network: String
  public var board: String
  public var steps: Int
  public var layers: [Layer]
  public var cores: [Core]
  /// Per-op energy of every core (joules), as `energy.json` gives it (empty without one).
  public var perCoreEnergy: [Double]
  /// Seconds per step (0.001 when the summary predates it).
  public var dt: Double = 0.001
  /// Whether the run was stopped before its requested steps.
  public var partial = false
  /// The board layout (nil when the summary predates it).
  public var layout: Layout?
  /// Quantization of the layers given in real units.
  public var quantization: [QuantizationSummary] = []
  /// `energy.json`'s `energy_joules` and `time_seconds` (empty without one).
  public var energyJoules: [String: Double] = [:]
  public var timeSeconds: [String: Double] = [:]
  /// `energy.json`'s real-time factor.
  public var realTimeFactor: Double?

  /// The per-op energy of one core (joules), or nil when the run has no energy estimate.
  public func perOpEnergy(of core: Core) -> Double? {
    perCoreEnergy.indices.contains(core.index) ? perCoreEnergy[core.index] : nil
  }

  /// The spikes of the `k`-th core from its spike log, in log order (none when the run
  /// wrote no log): step, compartment, and the neuron it is.
  public func spikes(ofCore k: Int) throws(InputFileError) -> [(step: Int, compartment: Int, layer: String, neuron: Int)] {
    let core = cores[k]
    guard let path = core.spikeLog else { return [] }
    let url = directory.appendingPathComponent(path)
    func damaged(_ what: String) -> InputFileError {
      InputFileError(file: url.relativePath, problem: what, fix: "run the network again with --out to rewrite it")
    }
    var out: [(step: Int, compartment: Int, layer: String, neuron: Int)] = []
    if path.hasSuffix(".npy") {
      // [spikes, 2]: step, compartment; the neuron comes from the core's runs.
      var names: [(String, Int)] = []
      for r in core.neurons { for n in r.from..<r.to { names.append((r.layer, n)) } }
      let array = try NPYFile.readIntegers(at: url, displayPath: url.relativePath)
      guard array.shape.count == 2, array.shape[1] == 2 else { throw damaged("has shape \(array.shape), not [spikes, 2]") }
      for i in 0..<array.shape[0] {
        let c = Int(array.values[2 * i + 1])
        guard names.indices.contains(c) else { throw damaged("row \(i) names compartment \(c), which the core does not have") }
        out.append((Int(array.values[2 * i]), c, names[c].0, names[c].1))
      }
      return out
    }
    guard InputFile.problem(at: url) == nil, let text = try? String(contentsOf: url, encoding: .utf8) else { throw damaged("cannot be read as a regular text file") }
    for (i, row) in text.split(separator: "\n").dropFirst().enumerated() {
      let f = row.split(separator: ",")
      guard f.count == 5, let step = Int(f[0]), let c = Int(f[2]), let n = Int(f[4]) else {
        throw damaged("line \(i + 2) is not 'step,core,compartment,layer,neuron'")
      }
      out.append((step, c, String(f[3]), n))
    }
    return out
  }

  /// Reads `directory`.
  ///
  /// - Throws: ``InputFileError`` naming the directory or file when it is not a run's
  ///   output or is damaged.
  public static func read(_ directory: URL) throws(InputFileError) -> RunDirectory {
    let display = directory.relativePath
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw InputFileError(file: display, problem: "is not a directory", fix: "give the folder a 'neuromesh run --out DIR' wrote")
    }
    let summaryURL = directory.appendingPathComponent("summary.json")
    guard FileManager.default.fileExists(atPath: summaryURL.path) else {
      throw InputFileError(file: display, problem: "holds no summary.json, so it is not a run's output", fix: "give the folder a 'neuromesh run --out DIR' wrote")
    }
    let root = try readJSONDocument(summaryURL, kind: "the run summary")
    let summaryDisplay = summaryURL.relativePath
    func bad(_ what: String) -> InputFileError {
      InputFileError(file: summaryDisplay, problem: what, fix: "run the network again with --out to rewrite it")
    }
    guard case .object(let top, _) = root else { throw bad("is not a JSON object") }
    guard case .string(let format)? = top["format"], format == RunOutputWriter.marker else {
      throw bad("is not a run summary (format \"\(RunOutputWriter.marker)\")")
    }
    func int(_ o: [String: JSONValue], _ key: String) throws(InputFileError) -> Int {
      guard case .number(let n)? = o[key], let i = n.integer, i >= 0 else { throw bad("'\(key)' is missing or not a non-negative integer") }
      return i
    }
    func string(_ o: [String: JSONValue], _ key: String) throws(InputFileError) -> String {
      guard case .string(let s)? = o[key] else { throw bad("'\(key)' is missing or not a string") }
      return s
    }
    let steps = try int(top, "steps")
    guard case .array(let layerItems)? = top["layers"], case .array(let coreItems)? = top["cores"] else {
      throw bad("has no 'layers' or 'cores' list")
    }
    var layers: [Layer] = []
    for item in layerItems {
      guard case .object(let o, _) = item else { throw bad("a layer entry is not an object") }
      layers.append(Layer(name: try string(o, "name"), neurons: try int(o, "neurons"), spikes: try int(o, "spikes"), peakNeuronSpikes: 0, cores: []))
    }
    var cores: [Core] = []
    for item in coreItems {
      guard case .object(let o, _) = item else { throw bad("a core entry is not an object") }
      var runs: [NeuronRun] = []
      if case .array(let items)? = o["neurons"] {
        for r in items {
          guard case .object(let ro, _) = r else { throw bad("a 'neurons' entry is not an object") }
          let (from, to) = (try int(ro, "from"), try int(ro, "to"))
          guard from <= to else { throw bad("a 'neurons' run goes from \(from) down to \(to)") }
          runs.append(NeuronRun(layer: try string(ro, "layer"), from: from, to: to))
        }
      }
      let held = runs.reduce(0) { $0 + ($1.to - $1.from) }
      guard held <= (try int(o, "compartments")), held <= 1 << 24 else { throw bad("a core's 'neurons' runs hold \(held) neurons, more than its compartments") }
      cores.append(
        Core(
          index: try int(o, "core"), chip: try int(o, "chip"), coreOnChip: (try? int(o, "core_on_chip")) ?? 0, meshX: (try? int(o, "mesh_x")) ?? 0, meshY: (try? int(o, "mesh_y")) ?? 0,
          compartments: try int(o, "compartments"), inputAxons: (try? int(o, "input_axons")) ?? 0, outputAxons: (try? int(o, "output_axons")) ?? 0,
          synapseWords: (try? int(o, "synapse_words")) ?? 0, neurons: runs, spikes: try int(o, "spikes"), synapticOps: try int(o, "synaptic_ops"),
          activeUpdates: (try? int(o, "active_compartment_updates")) ?? 0, compartmentUpdates: try int(o, "compartment_updates"),
          spikeMessages: try int(o, "spike_messages"), interChipMessages: try int(o, "inter_chip_messages"),
          eastWestHops: (try? int(o, "east_west_hops")) ?? 0, northSouthHops: (try? int(o, "north_south_hops")) ?? 0,
          chipCrossings: (try? int(o, "chip_crossings")) ?? 0, firstSpike: nil, lastSpike: nil,
          spikeLog: { if case .string(let p)? = o["spike_log"] { return p } else { return nil } }()))
    }
    // Per-neuron counts and first/last spikes from the spike logs (CSV or .npy).
    var perNeuron: [String: [Int: Int]] = [:]
    let partial = RunDirectory(directory: directory, network: "", board: "", steps: steps, layers: [], cores: cores, perCoreEnergy: [])
    for k in cores.indices {
      for s in try partial.spikes(ofCore: k) {
        perNeuron[s.layer, default: [:]][s.neuron, default: 0] += 1
        cores[k].firstSpike = min(cores[k].firstSpike ?? s.step, s.step)
        cores[k].lastSpike = max(cores[k].lastSpike ?? s.step, s.step)
      }
    }
    for l in layers.indices {
      layers[l].peakNeuronSpikes = perNeuron[layers[l].name]?.values.max() ?? 0
      layers[l].cores = cores.filter { $0.neurons.contains { $0.layer == layers[l].name } }.map(\.index)
    }
    var run = RunDirectory(
      directory: directory, network: (try? string(top, "network")) ?? "", board: (try? string(top, "board")) ?? "", steps: steps, layers: layers, cores: cores,
      perCoreEnergy: [])
    if case .number(let dt)? = top["dt"], dt.double > 0, dt.double.isFinite { run.dt = dt.double }
    if case .bool(let partial)? = top["partial"] { run.partial = partial }
    if case .object(let o, _)? = top["layout"], case .object(let l, _)? = o["core_limits"] {
      let layout = Layout(
        chips: try int(o, "chips"), chipsX: try int(o, "chips_x"), coresPerChip: try int(o, "cores_per_chip"), coresPerTile: try int(o, "cores_per_tile"),
        tilesX: try int(o, "tiles_x"), tilesY: try int(o, "tiles_y"), compartments: try int(l, "compartments"), inputAxons: try int(l, "input_axons"),
        outputAxons: try int(l, "output_axons"), synapseWords: try int(l, "synapse_words"))
      // The report draws every chip's grid: keep the sizes sane before anything is drawn.
      guard layout.chips <= 1 << 16, layout.coresPerChip <= 1 << 16, layout.tilesX <= 1 << 8, layout.tilesY <= 1 << 8,
        layout.coresPerTile <= 1 << 8, layout.chipsX >= 1, layout.tilesX >= 1, layout.tilesY >= 1, layout.coresPerTile >= 1
      else { throw bad("'layout' has sizes no board has (\(layout))") }
      run.layout = layout
    }
    if case .array(let items)? = top["quantization"] {
      for item in items {
        guard case .object(let o, _) = item else { throw bad("a 'quantization' entry is not an object") }
        func real(_ key: String) throws(InputFileError) -> Double {
          guard case .number(let n)? = o[key], n.double.isFinite else { throw bad("quantization '\(key)' is missing or not a number") }
          return n.double
        }
        run.quantization.append(
          QuantizationSummary(
            layer: try string(o, "layer"), weights: try int(o, "weights"), weightErrorP50: try real("weight_error_p50"),
            weightErrorP90: try real("weight_error_p90"), weightErrorP99: try real("weight_error_p99"), weightErrorMax: try real("weight_error_max"),
            weightErrorOfLargest: try real("weight_error_of_largest"), weightsRoundedToZero: try int(o, "weights_rounded_to_zero"),
            biasErrorMax: try real("bias_error_max"), biasErrorMean: try real("bias_error_mean")))
      }
    }
    let energyURL = directory.appendingPathComponent("energy.json")
    if FileManager.default.fileExists(atPath: energyURL.path) {
      let energy = try readJSONDocument(energyURL, kind: "the energy estimate")
      if case .object(let e, _) = energy {
        if case .array(let items)? = e["per_core_per_op_joules"] {
          for item in items { if case .number(let j) = item { run.perCoreEnergy.append(j.double) } }
        }
        func numbers(_ key: String) -> [String: Double] {
          guard case .object(let o, _)? = e[key] else { return [:] }
          return o.compactMapValues { if case .number(let n) = $0, n.double.isFinite { n.double } else { nil } }
        }
        run.energyJoules = numbers("energy_joules")
        run.timeSeconds = numbers("time_seconds")
        if case .number(let f)? = e["real_time_factor"], f.double.isFinite { run.realTimeFactor = f.double }
      }
    }
    return run
  }
}
