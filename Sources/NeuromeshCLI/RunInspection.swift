import Foundation
import NeuroIO

/// `neuromesh inspect RUN_DIR`: a run's activity per layer and per core.
enum RunInspection {
  static func render(_ run: RunDirectory, parsed: ParsedArguments, output: inout CommandOutput) throws {
    var layers = run.layers
    var cores = run.cores
    if let name = parsed.values["--layer"] {
      guard let layer = layers.first(where: { $0.name == name }) else {
        throw UsageError(message: "--layer: no layer '\(name)' in the run (layers: \(layers.map(\.name).joined(separator: ", ")))")
      }
      layers = [layer]
      cores = cores.filter { layer.cores.contains($0.index) }
    }
    if let text = parsed.values["--core"] {
      guard let c = Int(text), let core = run.cores.first(where: { $0.index == c }) else {
        throw UsageError(message: "--core: no core '\(text)' in the run (cores 0 ..< \(run.cores.count))")
      }
      cores = [core]
      layers = layers.filter { l in core.neurons.contains { $0.layer == l.name } }
    }
    if let text = parsed.values["--chip"] {
      let chips = Set(run.cores.map(\.chip))
      guard let k = Int(text), chips.contains(k) else {
        throw UsageError(message: "--chip: no core of the run is on chip '\(text)' (chips in use: \(chips.sorted().map(String.init).joined(separator: ", ")))")
      }
      cores = cores.filter { $0.chip == k }
      layers = layers.filter { l in cores.contains { $0.neurons.contains { $0.layer == l.name } } }
    }
    let seconds = Double(run.steps) * run.dt
    func rate(_ spikes: Int, _ neurons: Int) -> Double { neurons == 0 || seconds == 0 ? 0 : Double(spikes) / Double(neurons) / seconds }
    if parsed.flags.contains("--json") {
      var lines = ["{", "  \"network\": \(jsonQuoted(run.network)),", "  \"steps\": \(run.steps),", "  \"layers\": ["]
      lines.append(
        layers.map {
          "    {\"name\": \(jsonQuoted($0.name)), \"neurons\": \($0.neurons), \"spikes\": \($0.spikes), \"mean_rate_hz\": \(rate($0.spikes, $0.neurons)), \"peak_rate_hz\": \(rate($0.peakNeuronSpikes, 1)), \"cores\": \($0.cores)}"
        }.joined(separator: ",\n"))
      lines.append("  ],")
      lines.append("  \"cores\": [")
      lines.append(
        cores.map { c in
          let energy = run.perOpEnergy(of: c).map { "\($0)" } ?? "null"
          return
            "    {\"core\": \(c.index), \"chip\": \(c.chip), \"mesh_x\": \(c.meshX), \"mesh_y\": \(c.meshY), \"compartments\": \(c.compartments), \"spikes\": \(c.spikes), \"mean_rate_hz\": \(rate(c.spikes, c.compartments)), \"synaptic_ops\": \(c.synapticOps), \"spike_messages\": \(c.spikeMessages), \"inter_chip_messages\": \(c.interChipMessages), \"per_op_energy_joules\": \(energy), \"first_spike\": \(c.firstSpike.map(String.init) ?? "null"), \"last_spike\": \(c.lastSpike.map(String.init) ?? "null")}"
        }.joined(separator: ",\n"))
      lines.append("  ]")
      lines.append("}")
      output.print(lines.joined(separator: "\n"))
      return
    }
    output.print("Run of '\(run.network)' on \(run.board): \(run.steps) steps, \(run.cores.count) core(s) on \(Set(run.cores.map(\.chip)).count) chip(s) (rates at dt = \(String(format: "%g", run.dt * 1000)) ms).")
    var rows = [["layer", "neurons", "spikes", "mean Hz", "peak Hz", "cores"]]
    for l in layers {
      rows.append([
        l.name, "\(l.neurons)", "\(l.spikes)", String(format: "%.1f", rate(l.spikes, l.neurons)), String(format: "%.1f", rate(l.peakNeuronSpikes, 1)),
        l.cores.count <= 6 ? l.cores.map(String.init).joined(separator: ",") : "\(l.cores.count) cores",
      ])
    }
    output.print(UtilisationTable.table(rows, leftAligned: [0, 5]))
    output.print("")
    rows = [["core", "chip", "tile", "neurons", "spikes", "mean Hz", "synaptic ops", "messages", "inter-chip", "per-op energy", "spikes in steps"]]
    for c in cores {
      rows.append([
        "\(c.index)", "\(c.chip)", "(\(c.meshX),\(c.meshY))", c.neurons.map { "\($0.layer)[\($0.from)..<\($0.to)]" }.joined(separator: ", "),
        "\(c.spikes)", String(format: "%.1f", rate(c.spikes, c.compartments)), "\(c.synapticOps)", "\(c.spikeMessages)", "\(c.interChipMessages)",
        run.perOpEnergy(of: c).map(EnergySummary.joules) ?? "-",
        c.firstSpike.map { "\($0)…\(c.lastSpike ?? $0)" } ?? "-",
      ])
    }
    output.print(UtilisationTable.table(rows, leftAligned: [0, 2, 3, 10]))
    if let text = parsed.values["--core"], let k = Int(text), let core = cores.first, core.index == k {
      try renderCore(core, run: run, all: parsed.flags.contains("--all"), output: &output)
    }
  }

  /// One core in detail: every compartment's neuron, spikes, rate, first and last spike, and
  /// a raster of the first steps.
  static func renderCore(_ core: RunDirectory.Core, run: RunDirectory, all: Bool, output: inout CommandOutput) throws {
    guard let position = run.cores.firstIndex(where: { $0.index == core.index }), core.spikeLog != nil else {
      output.print("")
      output.print("core \(core.index): the run wrote no spike log (--record), so there is no compartment table or raster")
      return
    }
    let spikes = try run.spikes(ofCore: position)
    var count = [Int](repeating: 0, count: core.compartments)
    var first = [Int?](repeating: nil, count: core.compartments)
    var last = [Int?](repeating: nil, count: core.compartments)
    for s in spikes where s.compartment < core.compartments {
      count[s.compartment] += 1
      first[s.compartment] = min(first[s.compartment] ?? s.step, s.step)
      last[s.compartment] = max(last[s.compartment] ?? s.step, s.step)
    }
    // Compartment → neuron name, from the core's runs (compartment order).
    var names: [String] = []
    for r in core.neurons { for n in r.from..<r.to { names.append("\(r.layer)[\(n)]") } }
    let shown = all ? core.compartments : min(core.compartments, 32)
    let seconds = Double(run.steps) * run.dt
    var rows = [["compartment", "neuron", "spikes", "Hz", "first", "last"]]
    for c in 0..<shown {
      rows.append([
        "\(c)", c < names.count ? names[c] : "?", "\(count[c])", String(format: "%.1f", seconds > 0 ? Double(count[c]) / seconds : 0),
        first[c].map(String.init) ?? "-", last[c].map(String.init) ?? "-",
      ])
    }
    output.print("")
    output.print("core \(core.index), compartment by compartment\(shown < core.compartments ? " (first \(shown) of \(core.compartments); --all for every one)" : ""):")
    output.print(UtilisationTable.table(rows, leftAligned: [1]))
    // Raster: one row per compartment, one column per step ('|' spike, '.' none).
    let width = min(run.steps, 80)
    var raster = [[Character]](repeating: [Character](repeating: ".", count: width), count: shown)
    for s in spikes where s.compartment < shown && s.step >= 1 && s.step <= width { raster[s.compartment][s.step - 1] = "|" }
    output.print("")
    output.print("raster, steps 1…\(width) (| = spike):")
    let label = names.prefix(shown).map(\.count).max() ?? 0
    for c in 0..<shown {
      let name = c < names.count ? names[c] : "?"
      output.print(name + String(repeating: " ", count: label - name.count) + "  " + String(raster[c]))
    }
  }
}
