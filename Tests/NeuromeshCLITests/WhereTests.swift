import Foundation
import NeuroIO
import NeuromeshCLI
import Testing

@Suite("neuromesh where and inspect")
struct WhereTests {
  let quickstart = repositoryRoot.appendingPathComponent("examples/quickstart/network.json").path

  @Test("a neuron's place, its input axons by source, its routes; and the reverse lookup")
  func lookups() throws {
    let (status, out) = Neuromesh.main(arguments: ["where", quickstart, "hidden", "7", "--board", "loihi1-single-chip"])
    #expect(status == .success, "\(out.standardError)")
    // hidden reads 32 pixels and 16 inhibitory neurons; it projects to the output and the
    // inhibitory layer, both on core 1.
    #expect(
      out.standardOutput == """
        hidden[7]: chip 0, core 0 (core 0 of its chip), compartment 7; tile (0, 0) of the board's mesh
          input axons reaching it: 48 (from inhib ×16, pixels ×32)
          output routes: 2: core 1 (chip 0, tile (0, 0)) axon 7; core 1 (chip 0, tile (0, 0)) axon 71

        """)
    let reverse = Neuromesh.main(arguments: ["where", quickstart, "1:5"])
    #expect(reverse.1.standardOutput == "core 1 (chip 0, core 1 of its chip) compartment 5 is inhib[5]\n")
  }

  @Test("shaped layers take c,y,x: a 3×3 kernel reaches an interior neuron from 9 pixels")
  func shaped() throws {
    // conv1 is [4, 14, 14]: (c 1, y 2, x 3) is neuron (1·14 + 2)·14 + 3 = 227.
    let net = repositoryRoot.appendingPathComponent("examples/conv-refusal/network-fixed.json").path
    let (status, out) = Neuromesh.main(arguments: ["where", net, "conv1", "1,2,3"])
    #expect(status == .success, "\(out.standardError)")
    #expect(out.standardOutput.hasPrefix("conv1[227] (c 1, y 2, x 3): chip 0, core 0 (core 0 of its chip), compartment "))
    #expect(out.standardOutput.contains("\n  input axons reaching it: 9 (from image ×9)\n"))
    let flat = Neuromesh.main(arguments: ["where", net, "conv1", "227"])
    #expect(flat.1.standardOutput == out.standardOutput)
  }

  @Test("bad lookups exit 64 with what to do; inspect of a network says to compile it", arguments: [
    (["hidden", "64"], "error: neuron 64 is outside 'hidden' (size 64); use 0 ..< 64"),
    (["nope", "1"], "error: no layer 'nope' in the map (layers: hidden, inhib, output)"),
    (["hidden", "1,2,3"], "error: 'hidden' has no channels-first shape here; give the flat index 0 ..< 64"),
    (["9:0"], "error: core 9 is not in the map (cores 0 ..< 2)"),
    (["hidden"], "error: '"),
  ])
  func refusals(_ arguments: [String], _ message: String) throws {
    let (status, out) = Neuromesh.main(arguments: ["where", quickstart] + arguments)
    #expect(status == .usage)
    #expect(out.standardError.hasPrefix(message), "\(out.standardError)")
  }

  @Test("a run's summary lists each core's neurons as runs of one layer")
  func neuronRanges() throws {
    let s = try Scratch()
    let (status, out) = Neuromesh.main(arguments: ["run", quickstart, "--steps", "5", "--out", s.path("run")])
    #expect(status == .success, "\(out.standardError)")
    let summary = try s.read("run/summary.json")
    #expect(summary.contains(#""neurons": [{"layer": "hidden", "from": 0, "to": 64}]}"#))
    #expect(summary.contains(#""neurons": [{"layer": "inhib", "from": 0, "to": 16}, {"layer": "output", "from": 0, "to": 10}]}"#))
  }

  @Test("run --progress steps in pieces and writes exactly what a run in one piece writes")
  func progress() throws {
    let s = try Scratch()
    let plain = Neuromesh.main(arguments: ["run", quickstart, "--steps", "300", "--out", s.path("a")])
    #expect(plain.0 == .success)
    // The progress line goes to the process's stderr directly, not to the command's output.
    let shown = Neuromesh.main(arguments: ["run", quickstart, "--steps", "300", "--out", s.path("b"), "--progress"])
    #expect(shown.0 == .success)
    #expect(shown.1.standardOutput.contains("\nwrote \(s.path("b"))/ in "))
    #expect(shown.1.standardOutput.contains(" s (apart from the emulation's wall time): 2 spike log(s) in spikes/, 3 probe trace(s) in probes/, summary.json, energy.json\n"))
    for core in ["core-0000.csv", "core-0001.csv"] {
      #expect(try s.read("a/spikes/\(core)") == (try s.read("b/spikes/\(core)")))
    }
    #expect(try s.read("a/energy.json") == (try s.read("b/energy.json")))
  }

  @Test("inspect RUN_DIR: layers and cores with rates, ops and energy; filters; the per-core energies add up to the run's")
  func inspectRun() throws {
    let s = try Scratch()
    #expect(Neuromesh.main(arguments: ["run", quickstart, "--steps", "200", "--out", s.path("run")]).0 == .success)
    // Independent counts: spikes and the busiest neuron per layer, from the spike logs.
    var perNeuron: [String: [String: Int]] = [:]
    for core in ["core-0000.csv", "core-0001.csv"] {
      for row in try s.read("run/spikes/\(core)").split(separator: "\n").dropFirst() {
        let f = row.split(separator: ",")
        perNeuron[String(f[3]), default: [:]][String(f[4]), default: 0] += 1
      }
    }
    let hiddenSpikes = perNeuron["hidden"]?.values.reduce(0, +) ?? 0
    let hiddenPeak = perNeuron["hidden"]?.values.max() ?? 0
    let (status, out) = Neuromesh.main(arguments: ["inspect", s.path("run")])
    #expect(status == .success, "\(out.standardError)")
    let hiddenRow = out.standardOutput.split(separator: "\n").first { $0.hasPrefix("hidden ") }.map(String.init) ?? ""
    let cells = hiddenRow.split(separator: " ").map(String.init)
    #expect(cells == ["hidden", "64", "\(hiddenSpikes)", String(format: "%.1f", Double(hiddenSpikes) / 64 / 0.2), String(format: "%.1f", Double(hiddenPeak) / 0.2), "0"])
    // --json: per-core per-op energy sums to energy.json's per-op total.
    let json = Neuromesh.main(arguments: ["inspect", s.path("run"), "--json"]).1.standardOutput
    let parsed = try JSONParser.parse(Array(json.utf8))
    guard case .object(let top, _) = parsed, case .array(let cores)? = top["cores"] else { Issue.record("no cores"); return }
    var sum = 0.0
    for core in cores { if case .object(let o, _) = core, case .number(let e)? = o["per_op_energy_joules"] { sum += e.double } }
    let energy = try JSONParser.parse(Array(try s.read("run/energy.json").utf8))
    guard case .object(let e, _) = energy, case .object(let joules, _)? = e["energy_joules"], case .number(let perOp)? = joules["per_op"] else {
      Issue.record("no per-op energy")
      return
    }
    #expect(abs(sum - perOp.double) <= 1e-9 * perOp.double)
    // Filters.
    let one = Neuromesh.main(arguments: ["inspect", s.path("run"), "--core", "1"]).1.standardOutput
    #expect(one.contains("\ninhib ") && one.contains("\noutput ") && !one.contains("\nhidden "))
    // The raster row of core 1's compartment 0 (inhib[0]) against its spike log.
    var steps = Set<Int>()
    for row in try s.read("run/spikes/core-0001.csv").split(separator: "\n").dropFirst() {
      let f = row.split(separator: ",")
      if f[2] == "0", let t = Int(f[0]) { steps.insert(t) }
    }
    let expectedRow = String((1...80).map { steps.contains($0) ? "|" : "." })
    #expect(one.contains("\ninhib[0]   " + expectedRow + "\n"), "\(one)")
    let countRow = one.split(separator: "\n").first { $0.hasPrefix("0            inhib[0]") || $0.hasPrefix("0  ") }
    #expect(countRow?.split(separator: " ").map(String.init).prefix(3) == ["0", "inhib[0]", "\(steps.count)"])
    let bad = Neuromesh.main(arguments: ["inspect", s.path("run"), "--layer", "nope"])
    #expect(bad.0 == .usage)
    #expect(bad.1.standardError.hasPrefix("error: --layer: no layer 'nope' in the run (layers: hidden, inhib, output)"))
    // A damaged summary is refused with the file, never trapped on.
    let summaryText = try s.read("run/summary.json")
    try FileManager.default.createDirectory(at: s.url.appendingPathComponent("damaged"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: s.url.appendingPathComponent("run/spikes"), to: s.url.appendingPathComponent("damaged/spikes"))
    try s.write("damaged/summary.json", summaryText.replacingOccurrences(of: #""from": 0, "to": 64"#, with: #""from": 64, "to": 0"#))
    let damaged = Neuromesh.main(arguments: ["inspect", s.path("damaged")])
    #expect(damaged.0 == .invalidInput)
    #expect(damaged.1.standardError == "error: \(s.path("damaged/summary.json")): a 'neurons' run goes from 64 down to 0; run the network again with --out to rewrite it\n")
    try s.write("damaged/summary.json", summaryText.replacingOccurrences(of: #""from": 0, "to": 64"#, with: #""from": 0, "to": 1000000000000"#))
    #expect(Neuromesh.main(arguments: ["inspect", s.path("damaged")]).1.standardError.contains("neurons, more than its compartments"))
    try FileManager.default.createDirectory(at: s.url.appendingPathComponent("empty"), withIntermediateDirectories: true)
    let empty = Neuromesh.main(arguments: ["inspect", s.path("empty")])
    #expect(empty.0 == .invalidInput)
    #expect(empty.1.standardError.hasPrefix("error: \(s.path("empty")): holds no summary.json, so it is not a run's output;"))
  }

  @Test("--format npy writes the same logs and traces as CSV; --record probes/none leave logs (and traces) out, not the counts")
  func recordAndFormat() throws {
    let s = try Scratch()
    for (dir, extra) in [("csv", [String]()), ("npy", ["--format", "npy"]), ("probes", ["--record", "probes"]), ("none", ["--record", "none"])] {
      let (status, out) = Neuromesh.main(arguments: ["run", quickstart, "--steps", "120", "--out", s.path(dir)] + extra)
      #expect(status == .success, "\(dir): \(out.standardError)")
    }
    // Spike logs: each CSV row's step and compartment is the .npy's row.
    for core in 0..<2 {
      let csv = try s.read("csv/spikes/core-000\(core).csv").split(separator: "\n").dropFirst().map { row -> [Int32] in
        let f = row.split(separator: ",")
        return [Int32(f[0]) ?? -1, Int32(f[2]) ?? -1]
      }
      let npy = try NPYFile.readIntegers(at: s.url.appendingPathComponent("npy/spikes/core-000\(core).npy"), displayPath: "npy")
      #expect(npy.shape == [csv.count, 2])
      #expect(npy.values == csv.flatMap { $0 })
    }
    // Probe traces: the CSV's values without the step column.
    let csvTrace = try s.read("csv/probes/hidden_v.csv").split(separator: "\n").dropFirst().flatMap { $0.split(separator: ",").dropFirst().map { Int32($0) ?? -1 } }
    let npyTrace = try NPYFile.readIntegers(at: s.url.appendingPathComponent("npy/probes/hidden_v.npy"), displayPath: "npy")
    #expect(npyTrace.shape == [120, 4] && npyTrace.values == csvTrace)
    // Without logs: no spikes/ (and, for none, no probes/), but the same spike counts.
    #expect(!s.exists("probes/spikes") && s.exists("probes/probes/hidden_v.csv"))
    #expect(!s.exists("none/spikes") && !s.exists("none/probes"))
    func layers(_ dir: String) throws -> String {
      let text = try s.read("\(dir)/summary.json")
      return String(text[text.range(of: "\"layers\"")!.lowerBound..<text.range(of: "\"cores\"")!.lowerBound])
    }
    #expect(try layers("none") == layers("csv"))
    #expect(try s.read("none/summary.json").contains("\"spike_log\": null,"))
    // inspect reads either format alike.
    let fromCSV = Neuromesh.main(arguments: ["inspect", s.path("csv"), "--core", "1"]).1.standardOutput
    let fromNPY = Neuromesh.main(arguments: ["inspect", s.path("npy"), "--core", "1"]).1.standardOutput
    #expect(fromCSV == fromNPY.replacingOccurrences(of: s.path("npy"), with: s.path("csv")))
    let bad = Neuromesh.main(arguments: ["run", quickstart, "--steps", "5", "--record", "probes,nope", "--out", s.path("x")])
    #expect(
      bad.0 == .usage
        && bad.1.standardError.hasPrefix(
          "error: --record names 'nope', which is not a layer of the network (layers: hidden, inhib, output; or all, none, spikes, probes)"),
      "\(bad.1.standardError)")
    let empty = Neuromesh.main(arguments: ["run", quickstart, "--steps", "5", "--record", "spikes,", "--out", s.path("x")])
    #expect(empty.0 == .usage && empty.1.standardError.hasPrefix("error: --record takes all, none, or a comma list of spikes, probes and layer names, got 'spikes,'"))
    #expect(!s.exists("x"))
    // One layer's logs: only the core that holds it writes one, with that layer's rows only.
    let inhib = Neuromesh.main(arguments: ["run", quickstart, "--steps", "120", "--record", "inhib", "--out", s.path("inhib")])
    #expect(inhib.0 == .success && inhib.1.standardOutput.contains("1 spike log(s) in spikes/, summary.json"), "\(inhib.1)")
    #expect(!s.exists("inhib/spikes/core-0000.csv") && !s.exists("inhib/probes"))
    let allRows = try s.read("csv/spikes/core-0001.csv").split(separator: "\n").filter { $0.contains(",inhib,") }
    #expect(try s.read("inhib/spikes/core-0001.csv").split(separator: "\n") == ["step,core,compartment,layer,neuron"] + allRows)
    #expect(allRows.count > 10)
    let noOut = Neuromesh.main(arguments: ["run", quickstart, "--steps", "5", "--format", "npy"])
    #expect(noOut.0 == .usage && noOut.1.standardError.hasPrefix("error: --record and --format say what --out DIR holds; give --out DIR"))
  }

  @Test("inspect of a network file says it is one and how to compile it")
  func inspectNetwork() {
    let (status, out) = Neuromesh.main(arguments: ["inspect", quickstart])
    #expect(status == .invalidInput)
    #expect(out.standardError.hasPrefix("error: \(quickstart): is a network description, not a core map; compile it first: neuromesh compile "))
  }
}
