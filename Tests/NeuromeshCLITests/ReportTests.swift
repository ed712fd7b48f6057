import Foundation
import NeuroIO
import Training
import Testing

@testable import NeuromeshCLI
@testable import Report

@Suite("neuromesh report")
struct ReportTests {
  let quickstart = repositoryRoot.appendingPathComponent("examples/quickstart/network.json").path

  /// Values of `attribute="…"` in `text`, in order.
  func attributes(_ attribute: String, in text: Substring) -> [String] {
    text.components(separatedBy: " \(attribute)=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
  }

  /// The SVG element with `id`, as text.
  func svg(_ id: String, in html: String) throws -> Substring {
    let start = try #require(html.range(of: "<svg id=\"\(id)\""))
    let end = try #require(html[start.upperBound...].range(of: "</svg>"))
    return html[start.lowerBound..<end.upperBound]
  }

  @Test("a known run: every core in the mesh, every spike in the rasters, the energy file's figures in the bars, nothing loaded")
  func quickstartReport() throws {
    let s = try Scratch()
    #expect(Neuromesh.main(arguments: ["run", quickstart, "--steps", "300", "--out", s.path("run")]).0 == .success)
    let (status, out) = Neuromesh.main(arguments: ["report", s.path("run"), "-o", s.path("page.html")])
    #expect(status == .success, "\(out.standardError)")
    #expect(out.standardOutput.hasPrefix("wrote \(s.path("page.html")) ("))
    let html = try s.read("page.html")
    // Self-contained: no scripts, links, images or URLs of any kind.
    for external in ["<script", "<link", "<img", "src=", "href=", "url(", "@import", "http:", "https:"] {
      #expect(!html.contains(external), "\(external)")
    }
    #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
    // The mesh: both cores, in each of the four colourings.
    #expect(attributes("data-core", in: html[...]) == ["0", "1", "0", "1", "0", "1", "0", "1"])
    #expect(html.contains("<label for=\"m-util\">utilisation</label>") && html.contains("id=\"m-chip\""))
    // Rasters: 300 steps fit, so every spike of every layer is drawn, one row per neuron.
    let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: s.url.appendingPathComponent("run/summary.json"))) as? [String: Any])
    let layers = try #require(summary["layers"] as? [[String: Any]])
    let spikes = layers.compactMap { $0["spikes"] as? Int }
    #expect(spikes == [417, 621, 300])
    let layerRasters = html.components(separatedBy: "<svg class=\"raster\" data-kind=\"layer\" data-marks=\"").dropFirst().map { Int($0.prefix { $0 != "\"" }) }
    #expect(layerRasters == spikes)
    // The hidden layer's marks are the spike log's (step, neuron) pairs, drawn at the step's column.
    let coreRasters = html.components(separatedBy: "<svg class=\"raster\" data-kind=\"core\" data-marks=\"").dropFirst().map { Int($0.prefix { $0 != "\"" }) }
    #expect(coreRasters == [417, 921])
    #expect(html.contains("Steps 1–300 of 300."))
    // Rates: one line per layer; the legend's means are spikes / neurons / seconds.
    #expect(attributes("data-layer", in: try svg("rates-plot", in: html)) == ["hidden", "inhib", "output"])
    #expect(html.contains(">hidden · mean 21.7 Hz<") && html.contains(">inhib · mean 129.4 Hz<") && html.contains(">output · mean 100.0 Hz<"))
    // Energy: the bars carry energy.json's figures.
    // (Read with Neuromesh's own JSON reader: Foundation's on Linux rounds some doubles.)
    let joules = try RunDirectory.read(s.url.appendingPathComponent("run")).energyJoules
    #expect(joules.count == 12)
    let expected = ["synaptic_ops", "active_updates", "inactive_updates", "spikes_within_tile", "hops", "inter_chip", "host", "overhead", "static"]
      .map { joules[$0] ?? -1 }
    #expect(attributes("data-value", in: try svg("energy-bars", in: html)).compactMap(Double.init) == expected)
    #expect(html.contains("energy of the run by kind (total \(SVG.si(joules["total"] ?? 0, "J")))"))
    // Integer layers: nothing was quantized.
    #expect(html.contains("Every layer was given in chip integers"))
  }

  @Test("a network in real units: the quantization errors of summary.json, per layer; without logs, no rasters")
  func realUnits() throws {
    let s = try Scratch()
    try s.write(
      "real.json",
      #"""
      {"version": 2, "name": "real", "dt": 0.001,
       "inputs": [{"name": "x", "kind": "real", "size": 3, "values": [0.9, 0.2, 0.5], "encoding": {"kind": "spiking"}}],
       "layers": [{"name": "h", "size": 2, "neuron": {"model": "LoihiSpikingRectifiedLinear", "tau_s": 0.005}},
                  {"name": "o", "size": 2, "neuron": {"model": "LoihiLIF", "tau_rc": 0.02, "tau_ref": 0.002, "tau_s": 0.005, "amplitude": 0.01}}],
       "connections": [{"from": "x", "to": "h", "weights": [[1.3, 0.0007, 0.31], [0.2, 0.9, 0.05]]},
                       {"from": "h", "to": "o", "weights": [[0.7, 0.001], [0.33, 0.8]]}]}
      """#)
    #expect(Neuromesh.main(arguments: ["run", s.path("real.json"), "--steps", "50", "--board", board, "--record", "none", "--out", s.path("run")]).0 == .success)
    let (status, out) = Neuromesh.main(arguments: ["report", s.path("run")])
    #expect(status == .success, "\(out.standardError)")
    let html = try s.read("run/report.html")
    let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: s.url.appendingPathComponent("run/summary.json"))) as? [String: Any])
    let quantization = try #require(summary["quantization"] as? [[String: Any]])
    #expect(quantization.compactMap { $0["layer"] as? String } == ["h", "o"])
    for q in quantization {
      let name = try #require(q["layer"] as? String)
      func pct(_ key: String) -> String { String(format: "%.2f %%", 100 * ((q[key] as? Double) ?? -1)) }
      let row = "<tr><td>\(name)</td><td>\(q["weights"] as? Int ?? -1)</td><td>\(pct("weight_error_p50"))</td><td>\(pct("weight_error_p90"))</td><td>\(pct("weight_error_p99"))</td><td>\(pct("weight_error_max"))</td>"
      #expect(html.contains(row), "\(row)")
    }
    #expect(html.components(separatedBy: "class=\"qbar\"").count - 1 == 8)
    #expect(html.contains("The run wrote no spike logs (--record)") && !html.contains("class=\"raster\""))
  }

  @Test("bad arguments exit 64, a missing or foreign folder 65, an unwritable page 1; nothing is written", arguments: [
    (["report"], NeuromeshCLI.ExitStatus.usage, "error: missing the run directory"),
    (["report", "RUN", "--raster-rows", "0"], .usage, "error: --raster-rows must be in 1 ... 2000, got 0"),
    (["report", "RUN", "--raster-steps", "x"], .usage, "error: option '--raster-steps' needs an integer, got 'x'"),
    (["report", "RUN", "--colour", "red"], .usage, "error: unknown option '--colour' (known options: -o, --raster-steps, --raster-rows, --core-rasters, --time-constants, --help)"),
    (["report", "NOPE"], .invalidInput, "error: NOPE: is not a directory; give the folder a 'neuromesh run --out DIR' wrote"),
    (["report", "EMPTY"], .invalidInput, "error: EMPTY: holds no summary.json, so it is not a run's output; give the folder a 'neuromesh run --out DIR' wrote"),
    (["report", "RUN", "-o", "RUN"], .usage, "error: -o RUN is a directory; give the file to write, e.g. -o RUN/report.html"),
    (["report", "RUN", "-o", "MISSING/page.html"], .failure, "error: MISSING/page.html: cannot be written: its folder MISSING does not exist; create it first\n"),
  ])
  func refusals(_ arguments: [String], _ status: NeuromeshCLI.ExitStatus, _ message: String) throws {
    let s = try Scratch()
    #expect(Neuromesh.main(arguments: ["run", s.path("net.json"), "--steps", "5", "--board", board, "--out", s.path("run")]).0 == .success)
    try FileManager.default.createDirectory(at: s.url.appendingPathComponent("empty"), withIntermediateDirectories: true)
    let names = ["RUN": s.path("run"), "NOPE": s.path("nope"), "EMPTY": s.path("empty"), "MISSING": s.path("missing")]
    func resolved(_ text: String) -> String {
      names.reduce(text) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
    }
    let (got, out) = Neuromesh.main(arguments: arguments.map(resolved))
    #expect(got == status)
    #expect(out.standardError.hasPrefix(resolved(message)), "\(out.standardError)")
    #expect(!s.exists("run/report.html") && !s.exists("missing"))
  }

  @Test("ticks reach past the maximum; SI values drop trailing zeros; text is escaped")
  func helpers() {
    #expect(SVG.ticks(upTo: 520) == [0, 200, 400, 600])
    #expect(SVG.ticks(upTo: 300, count: 6) == [0, 50, 100, 150, 200, 250, 300])
    #expect(SVG.ticks(upTo: 0) == [0])
    #expect(SVG.si(0.001, "s") == "1 ms" && SVG.si(2.17e-6, "J") == "2.17 µJ" && SVG.si(496e-6, "s") == "496 µs" && SVG.si(0, "J") == "0 J")
    #expect(SVG.escape("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;")
    #expect(SVG.count(1_234_567) == "1,234,567" && SVG.count(-12) == "-12")
    #expect(SVG.viridis(0) == "#440154" && SVG.viridis(1) == "#fde725")
  }

  @Test("training folders: their loss and test accuracy per epoch side by side, one line per run and panel")
  func trainingCurves() throws {
    let s = try Scratch()
    for (name, kind, losses) in [("a", "fast_sigmoid", [2.0, 1.0, 0.5]), ("b", "arctan", [2.2, 1.5, 0.9])] {
      let entries = losses.enumerated().map { i, l in
        "{\"epoch\": \(i + 1), \"loss\": \(l), \"train_accuracy\": 0.5, \"test_accuracy\": \(0.6 + 0.1 * Double(i)), \"seconds\": 1}"
      }
      try FileManager.default.createDirectory(at: s.url.appendingPathComponent(name), withIntermediateDirectories: true)
      try s.write(
        "\(name)/training_log.json",
        "{\"format\": \"neuromesh-training-log\", \"version\": 1, \"name\": \"toy\", \"mode\": \"surrogate\", \"surrogate\": {\"kind\": \"\(kind)\", \"slope\": 5}, \"log\": [\(entries.joined(separator: ", "))]}")
    }
    let (status, out) = Neuromesh.main(arguments: ["report", s.path("a"), s.path("b"), "-o", s.path("curves.svg")])
    #expect(status == .success, "\(out.standardError)")
    #expect(out.standardOutput == "wrote \(s.path("curves.svg")): loss and test accuracy per epoch of 2 training run(s)\n")
    let svg = try s.read("curves.svg")
    #expect(attributes("data-run", in: svg[...]) == ["surrogate, fast_sigmoid", "surrogate, arctan", "surrogate, fast_sigmoid", "surrogate, arctan"])
    #expect(svg.components(separatedBy: "class=\"curve\"").count - 1 == 4)
    #expect(svg.contains(">surrogate, fast_sigmoid · final loss 0.500, test 80.00 %<"))
    #expect(svg.contains(">surrogate, arctan · final loss 0.900, test 80.00 %<"))
    let noOut = Neuromesh.main(arguments: ["report", s.path("a")])
    #expect(noOut.0 == .usage && noOut.1.standardError.hasPrefix("error: give -o curves.svg for the training curves"))
    #expect(Neuromesh.main(arguments: ["run", s.path("net.json"), "--steps", "5", "--board", board, "--out", s.path("r1")]).0 == .success)
    let two = Neuromesh.main(arguments: ["report", s.path("r1"), s.path("r1")])
    #expect(two.0 == .usage && two.1.standardError.hasPrefix("error: a report draws one run directory"))
  }

  @Test("learned time constants: one histogram per trained layer field, the initial and learned decays binned by their time constants")
  func timeConstants() throws {
    let s = try Scratch()
    try FileManager.default.createDirectory(at: s.url.appendingPathComponent("t"), withIntermediateDirectories: true)
    // decay_u 1024 keeps u·3071/4096 (τ = −1/ln(3071/4096) = 3.47 steps); 256 → 15.4 steps; 4095 keeps nothing (τ 0, the first bin).
    try s.write(
      "t/training_log.json",
      "{\"format\": \"neuromesh-training-log\", \"version\": 1, \"name\": \"order\", \"mode\": \"surrogate\", \"log\": [{\"epoch\": 1, \"loss\": 1, \"train_accuracy\": 0.5}], "
        + "\"time_constants\": [{\"layer\": \"h1\", \"field\": \"decay_u\", \"initial\": [1024, 1024, 1024, 1024], \"learned\": [1024, 256, 256, 4095]}]}")
    let (status, out) = Neuromesh.main(arguments: ["report", s.path("t"), "--time-constants", "-o", s.path("tau.svg")])
    #expect(status == .success, "\(out.standardError)")
    let svg = try s.read("tau.svg")
    // Initial: one bin of 4; learned: three bins (3.5, 15.4 and 0 steps).
    #expect(svg.components(separatedBy: "class=\"initial\"").count - 1 == 1)
    #expect(svg.components(separatedBy: "class=\"learned\"").count - 1 == 3)
    #expect(svg.contains("layer h1: synaptic (current) time constant τ_u, decay_u — 4 neurons"))
    #expect(svg.contains("initial median 3.5 · learned median 15.4, 3 distinct values"))
    #expect(abs(TimeConstantGrid.steps(decay: 1024, current: true) - 3.4721) < 1e-3 && TimeConstantGrid.steps(decay: 4095, current: true) == 0)
    // A log without trained time constants is refused with the reason.
    try FileManager.default.createDirectory(at: s.url.appendingPathComponent("n"), withIntermediateDirectories: true)
    try s.write("n/training_log.json", "{\"format\": \"neuromesh-training-log\", \"version\": 1, \"name\": \"x\", \"log\": []}")
    let none = Neuromesh.main(arguments: ["report", s.path("n"), "--time-constants", "-o", s.path("none.svg")])
    #expect(none.0 == .usage && none.1.standardError.hasPrefix("error: \(s.path("n")) trained no time constants"))
    #expect(!FileManager.default.fileExists(atPath: s.path("none.svg")))
  }
}
