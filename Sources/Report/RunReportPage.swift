import Foundation
import NeuroIO

/// A run drawn as one self-contained HTML page (`neuromesh report RUN_DIR -o report.html`):
/// the chip mesh coloured by utilisation, spikes, energy or inter-chip traffic; the energy
/// and step-time breakdowns; rates per layer over time; spike rasters per layer and per
/// core; the quantization error. Every plot is inline SVG; the page loads nothing.
public enum RunReportPage {
  /// What the page shows.
  public struct Options: Sendable, Equatable {
    /// Steps shown in the rasters, from step 1 (nil: all steps, at most 1,000).
    public var rasterSteps: Int?
    /// Neurons (rows) shown per raster at most; larger layers show every k-th neuron.
    public var rasterRows: Int
    /// Spikes drawn per layer raster at most (a quarter of it per core raster); the rest are
    /// counted, not drawn.
    public var rasterMarks: Int
    /// Cores that get a raster of their own (the first ones by index).
    public var coreRasters: Int

    /// Creates options.
    public init(rasterSteps: Int? = nil, rasterRows: Int = 128, rasterMarks: Int = 12_000, coreRasters: Int = 16) {
      self.rasterSteps = rasterSteps
      self.rasterRows = max(1, rasterRows)
      self.rasterMarks = max(0, rasterMarks)
      self.coreRasters = max(0, coreRasters)
    }
  }

  /// Spikes of one raster within its window: (step, row) per mark.
  struct Raster {
    var title: String
    var rows: Int
    /// Every `stride`-th neuron is a row.
    var stride: Int
    var totalRows: Int
    var marks: [(step: Int32, row: Int32)] = []
    var dropped = 0
  }

  /// The page for `run`.
  ///
  /// - Throws: ``InputFileError`` when a spike log of the run cannot be read.
  public static func html(_ run: RunDirectory, options: Options = Options()) throws(InputFileError) -> String {
    // Unless told, show as many steps (up to 1,000) as keep the densest layer's raster
    // within its marks, so that a busy run does not draw a solid block or a huge page.
    let densest = run.layers.map { layer -> Double in
      let stride = max(1, (layer.neurons + options.rasterRows - 1) / options.rasterRows)
      return Double(layer.spikes) / Double(stride) / Double(max(run.steps, 1))
    }.max() ?? 0
    let fitting = densest > 0 ? Int(Double(options.rasterMarks) / densest) : Int.max
    let window = max(1, min(options.rasterSteps ?? min(run.steps, 1_000, max(fitting, 20)), max(run.steps, 1)))
    let coreMarks = options.rasterMarks / 4
    let bins = max(1, min(run.steps, 200))
    let binSteps = max(1, (run.steps + bins - 1) / bins)
    let layerIndex = Dictionary(run.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    var layerBins = [[Int]](repeating: [Int](repeating: 0, count: bins), count: run.layers.count)
    var layerRasters = run.layers.map { layer -> Raster in
      let stride = max(1, (layer.neurons + options.rasterRows - 1) / options.rasterRows)
      return Raster(title: layer.name, rows: (layer.neurons + stride - 1) / stride, stride: stride, totalRows: layer.neurons)
    }
    var coreRasters: [Raster] = []
    var hasLogs = false
    for (k, core) in run.cores.enumerated() {
      let drawsCore = k < options.coreRasters
      let stride = max(1, (core.compartments + options.rasterRows - 1) / options.rasterRows)
      var raster = Raster(
        title: "core \(core.index) (chip \(core.chip)): " + Page.contents(of: core),
        rows: (core.compartments + stride - 1) / stride, stride: stride, totalRows: core.compartments)
      if core.spikeLog != nil { hasLogs = true }
      for s in try run.spikes(ofCore: k) {
        guard let l = layerIndex[s.layer], s.step >= 1 else { continue }
        let bin = min((s.step - 1) / binSteps, bins - 1)
        layerBins[l][bin] += 1
        guard s.step <= window else { continue }
        if s.neuron % layerRasters[l].stride == 0 {
          if layerRasters[l].marks.count < options.rasterMarks {
            layerRasters[l].marks.append((Int32(s.step), Int32(s.neuron / layerRasters[l].stride)))
          } else {
            layerRasters[l].dropped += 1
          }
        }
        if drawsCore && s.compartment % stride == 0 {
          if raster.marks.count < coreMarks {
            raster.marks.append((Int32(s.step), Int32(s.compartment / stride)))
          } else {
            raster.dropped += 1
          }
        }
      }
      if drawsCore { coreRasters.append(raster) }
    }

    var page = Page()
    page.header(run)
    page.mesh(run)
    page.energy(run)
    page.rates(run, bins: layerBins, binSteps: binSteps, hasLogs: hasLogs)
    page.rasters(layerRasters, coreRasters: coreRasters, window: window, run: run, hasLogs: hasLogs, coreRasterLimit: options.coreRasters)
    page.quantization(run)
    page.tables(run)
    return page.finish()
  }
}

/// The page as it is written, section by section.
struct Page {
  private var body: [String] = []
  private var title = "Neuromesh run"

  static let style = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2330;background:#f6f7f9;margin:0}
    main{max-width:1180px;margin:0 auto;padding:20px 28px 40px}
    h1{font-size:22px;margin:4px 0 2px}h2{font-size:17px;margin:0 0 8px}
    .sub{color:#5a6270;margin-bottom:14px}
    section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:14px 18px;margin:14px 0}
    .cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0 4px}
    .card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:8px 12px;min-width:120px}
    .card b{display:block;font-size:18px}.card span{color:#5a6270;font-size:12px}
    .note{color:#5a6270;font-size:12.5px;margin:6px 0 0}
    .grid{display:flex;flex-wrap:wrap;gap:14px}
    .toggle label{margin-right:14px;cursor:pointer}
    .view{display:none}
    #m-util:checked~.v-util,#m-spikes:checked~.v-spikes,#m-energy:checked~.v-energy,#m-chip:checked~.v-chip{display:block}
    table{border-collapse:collapse;font-size:12.5px;font-variant-numeric:tabular-nums}
    th,td{padding:3px 9px;border-bottom:1px solid #eceef2;text-align:right}th{color:#5a6270;font-weight:600}
    td:first-child,th:first-child{text-align:left}
    details summary{cursor:pointer;color:#2a5db0;margin:6px 0}
    svg text{font-family:inherit}
    """

  mutating func header(_ run: RunDirectory) {
    title = "Neuromesh run: \(run.network)"
    let chips = Set(run.cores.map(\.chip)).count
    let spikes = run.layers.reduce(0) { $0 + $1.spikes }
    let synops = run.cores.reduce(0) { $0 + $1.synapticOps }
    body.append("<h1>\(SVG.escape(run.network.isEmpty ? "Neuromesh run" : run.network))</h1>")
    body.append(
      "<div class=\"sub\">\(SVG.escape(run.board)) · \(SVG.count(run.steps)) steps at dt = \(SVG.si(run.dt, "s"))\(run.partial ? " · <b>partial run</b> (stopped early)" : "") · \(run.cores.count) core(s) on \(chips) chip(s) · \(SVG.escape(run.directory.relativePath))</div>"
    )
    var cards = [
      ("spikes", SVG.count(spikes)), ("synaptic ops", SVG.count(synops)),
    ]
    if let total = run.energyJoules["total"] {
      cards.append(("energy, total", SVG.si(total, "J")))
      cards.append(("energy per step", SVG.si(total / Double(max(run.steps, 1)), "J")))
    }
    if let chip = run.timeSeconds["chip"] { cards.append(("chip time", SVG.si(chip, "s"))) }
    if let step = run.timeSeconds["per_step"] { cards.append(("per step on chip", SVG.si(step, "s"))) }
    if let f = run.realTimeFactor { cards.append(("faster than real time", String(format: f >= 10 ? "%.0f×" : "%.2f×", f))) }
    body.append(
      "<div class=\"cards\">" + cards.map { "<div class=\"card\"><b>\(SVG.escape($0.1))</b><span>\(SVG.escape($0.0))</span></div>" }.joined() + "</div>")
  }

  // MARK: Chip mesh

  mutating func mesh(_ run: RunDirectory) {
    body.append("<section id=\"mesh\"><h2>Chip mesh</h2>")
    guard let layout = run.layout else {
      body.append("<p class=\"note\">This run's summary.json has no board layout (written by an older Neuromesh); run it again to draw the mesh.</p></section>")
      return
    }
    let chipsInUse = Set(run.cores.map(\.chip)).sorted()
    let perChip = Dictionary(grouping: run.cores, by: \.chip)
    struct Metric {
      var id: String
      var label: String
      var value: (RunDirectory.Core) -> Double
      var format: (Double) -> String
    }
    let metrics = [
      Metric(id: "util", label: "utilisation (largest share of a per-core limit)", value: { layout.utilisation(of: $0) }, format: { String(format: "%.0f %%", 100 * $0) }),
      Metric(id: "spikes", label: "spikes", value: { Double($0.spikes) }, format: { SVG.count(Int($0)) }),
      Metric(id: "energy", label: "per-op energy", value: { run.perOpEnergy(of: $0) ?? 0 }, format: { SVG.si($0, "J") }),
      Metric(id: "chip", label: "inter-chip messages sent", value: { Double($0.interChipMessages) }, format: { SVG.count(Int($0)) }),
    ]
    var html = "<div class=\"toggle\">"
    for (i, m) in metrics.enumerated() {
      html += "<input type=\"radio\" name=\"mesh\" id=\"m-\(m.id)\"\(i == 0 ? " checked" : "")><label for=\"m-\(m.id)\">\(m.label.split(separator: " ").first ?? "")</label>"
    }
    // Geometry: each chip is tilesX × tilesY tiles, each tile a small grid of cores.
    let cpt = layout.coresPerTile
    let sub = Int(Double(cpt).squareRoot().rounded(.up))
    let subRows = (cpt + sub - 1) / sub
    let chipCount = chipsInUse.count
    let drawn = Array(chipsInUse.prefix(32))
    let cell = max(4.0, min(20.0, 520.0 / Double(layout.tilesX * sub * min(max(chipCount, 1), 4))))
    let tileW = Double(sub) * cell + 3
    let tileH = Double(subRows) * cell + 3
    let chipW = Double(layout.tilesX) * tileW + 10
    let chipH = Double(layout.tilesY) * tileH + 26
    let columns = min(max(drawn.count, 1), max(1, Int(1080 / chipW)))
    let rows = (drawn.count + columns - 1) / columns
    let width = max(Double(columns) * (chipW + 12) + 10, 420)
    let height = Double(rows) * (chipH + 12) + 62
    for m in metrics {
      let maxValue = run.cores.map(m.value).max() ?? 0
      let scaleMax = m.id == "util" ? 1.0 : maxValue
      var svg = "<svg class=\"view v-\(m.id)\" width=\"\(SVG.n(width))\" height=\"\(SVG.n(height))\" role=\"img\" aria-label=\"chip mesh coloured by \(m.label)\">"
      for (i, chip) in drawn.enumerated() {
        let ox = 6 + Double(i % columns) * (chipW + 12)
        let oy = 6 + Double(i / columns) * (chipH + 12)
        let cores = perChip[chip] ?? []
        svg += "<rect x=\"\(SVG.n(ox))\" y=\"\(SVG.n(oy))\" width=\"\(SVG.n(chipW))\" height=\"\(SVG.n(chipH))\" rx=\"5\" fill=\"#eef0f4\" stroke=\"#c9ced8\"/>"
        svg += "<text x=\"\(SVG.n(ox + 6))\" y=\"\(SVG.n(oy + 15))\" font-size=\"12\" fill=\"#3a4150\">chip \(chip) · \(cores.count)/\(layout.coresPerChip) cores</text>"
        var byPosition: [Int: RunDirectory.Core] = [:]
        for c in cores { byPosition[c.coreOnChip] = c }
        for t in 0..<(layout.tilesX * layout.tilesY) {
          let tx = ox + 5 + Double(t % layout.tilesX) * tileW
          let ty = oy + 21 + Double(t / layout.tilesX) * tileH
          for s in 0..<cpt {
            let index = t * cpt + s
            guard index < layout.coresPerChip else { continue }
            let x = tx + Double(s % sub) * cell
            let y = ty + Double(s / sub) * cell
            if let c = byPosition[index] {
              let v = m.value(c)
              let fill = SVG.viridis(scaleMax > 0 ? v / scaleMax : 0)
              svg += "<rect x=\"\(SVG.n(x))\" y=\"\(SVG.n(y))\" width=\"\(SVG.n(cell - 1))\" height=\"\(SVG.n(cell - 1))\" fill=\"\(fill)\" data-core=\"\(c.index)\"><title>core \(c.index) (chip \(c.chip), core \(index) of the chip; tile (\(c.meshX), \(c.meshY))): \(SVG.escape(m.format(v))) · \(SVG.escape(Page.contents(of: c)))</title></rect>"
            } else {
              svg += "<rect x=\"\(SVG.n(x))\" y=\"\(SVG.n(y))\" width=\"\(SVG.n(cell - 1))\" height=\"\(SVG.n(cell - 1))\" fill=\"#dfe2e8\"/>"
            }
          }
        }
      }
      // Legend: the colour bar from 0 to the largest value.
      let ly = height - 30
      let steps = 40
      for k in 0..<steps {
        svg += "<rect x=\"\(SVG.n(10 + Double(k) * 6))\" y=\"\(SVG.n(ly))\" width=\"6.5\" height=\"10\" fill=\"\(SVG.viridis(Double(k) / Double(steps - 1)))\"/>"
      }
      svg += "<text x=\"10\" y=\"\(SVG.n(ly + 23))\" font-size=\"11\">0</text>"
      svg += "<text x=\"250\" y=\"\(SVG.n(ly + 23))\" font-size=\"11\" text-anchor=\"end\">\(SVG.escape(m.format(scaleMax)))</text>"
      svg += "<text x=\"10\" y=\"\(SVG.n(ly - 6))\" font-size=\"11\" fill=\"#5a6270\">\(SVG.escape(m.label)) · grey: core not in use</text>"
      svg += "</svg>"
      html += svg
    }
    html += "</div>"
    body.append(html)
    if chipCount > drawn.count {
      body.append("<p class=\"note\">The first \(drawn.count) of the \(chipCount) chips in use are drawn.</p>")
    }
    body.append("<p class=\"note\">Each chip is its grid of \(layout.tilesX) × \(layout.tilesY) tiles of \(cpt) cores (hover a core for its numbers). Utilisation is the largest of compartments, input axons, output axons and synapse words against the core's limits.</p></section>")
  }

  // MARK: Energy

  mutating func energy(_ run: RunDirectory) {
    body.append("<section id=\"energy\"><h2>Energy and time</h2>")
    guard !run.energyJoules.isEmpty else {
      body.append("<p class=\"note\">The run has no energy.json (its chip spec has no energy figures).</p></section>")
      return
    }
    let e = run.energyJoules
    let kinds: [(String, Double)] = [
      ("synaptic ops", e["synaptic_ops"] ?? 0), ("neuron updates, active", e["active_updates"] ?? 0),
      ("neuron updates, idle", e["inactive_updates"] ?? 0), ("spikes within a tile", e["spikes_within_tile"] ?? 0),
      ("tile hops", e["hops"] ?? 0), ("inter-chip", e["inter_chip"] ?? 0), ("host messages", e["host"] ?? 0),
      ("management (x86 cores, sync)", e["overhead"] ?? 0), ("static power", e["static"] ?? 0),
    ]
    let total = e["total"] ?? kinds.reduce(0) { $0 + $1.1 }
    body.append(Self.bars(kinds, total: total, unit: "J", id: "energy-bars", caption: "energy of the run by kind (total \(SVG.si(total, "J")))"))
    let steps = Double(max(run.steps, 1))
    let t = run.timeSeconds
    let parts: [(String, Double)] = [
      ("busiest core's compute", (t["compute"] ?? 0) / steps), ("farthest spike route", (t["route"] ?? 0) / steps),
      ("host I/O", (t["host_io"] ?? 0) / steps), ("barrier sync", (t["barrier"] ?? 0) / steps),
    ]
    let perStep = t["per_step"] ?? parts.reduce(0) { $0 + $1.1 }
    body.append(Self.bars(parts, total: perStep, unit: "s", id: "time-bars", caption: "mean chip time per step (\(SVG.si(perStep, "s")))"))
    body.append("<p class=\"note\">Per-op terms are priced from the chip spec's figures (Davies et al. 2018, Table 2); management and static power are charged per chip in use over the chip time. See docs/energy-model.md for every term and its source.</p></section>")
  }

  /// Horizontal bars with value and share labels.
  static func bars(_ items: [(String, Double)], total: Double, unit: String, id: String, caption: String) -> String {
    let labelW = 240.0
    let barW = 560.0
    let rowH = 22.0
    let maxValue = items.map(\.1).max() ?? 0
    let height = Double(items.count) * rowH + 30
    var svg = "<svg id=\"\(id)\" width=\"\(SVG.n(labelW + barW + 190))\" height=\"\(SVG.n(height))\" role=\"img\" aria-label=\"\(SVG.escape(caption))\">"
    svg += "<text x=\"0\" y=\"14\" font-size=\"12.5\" fill=\"#3a4150\">\(SVG.escape(caption))</text>"
    for (i, (label, value)) in items.enumerated() {
      let y = 24 + Double(i) * rowH
      let w = maxValue > 0 ? barW * value / maxValue : 0
      let share = total > 0 ? 100 * value / total : 0
      svg += "<text x=\"\(SVG.n(labelW - 8))\" y=\"\(SVG.n(y + 14))\" font-size=\"12\" text-anchor=\"end\">\(SVG.escape(label))</text>"
      svg += "<rect class=\"bar\" x=\"\(SVG.n(labelW))\" y=\"\(SVG.n(y + 3))\" width=\"\(SVG.n(max(w, value > 0 ? 1 : 0)))\" height=\"\(SVG.n(rowH - 7))\" fill=\"\(SVG.series(i))\" data-value=\"\(value)\"/>"
      svg += "<text x=\"\(SVG.n(labelW + w + 6))\" y=\"\(SVG.n(y + 14))\" font-size=\"12\">\(SVG.escape(SVG.si(value, unit))) · \(String(format: share >= 1 || share == 0 ? "%.0f" : "%.1f", share)) %</text>"
    }
    return svg + "</svg>"
  }

  // MARK: Rates over time

  mutating func rates(_ run: RunDirectory, bins: [[Int]], binSteps: Int, hasLogs: Bool) {
    body.append("<section id=\"rates\"><h2>Rates per layer over time</h2>")
    guard hasLogs else {
      body.append("<p class=\"note\">The run wrote no spike logs (--record), so rates over time and rasters cannot be drawn; the totals above are exact.</p></section>")
      return
    }
    let w = 900.0
    let h = 240.0
    let (left, top, bottom) = (58.0, 12.0, 34.0)
    let seconds = Double(binSteps) * run.dt
    let series = run.layers.enumerated().map { l, layer in
      bins[l].enumerated().map { b, count -> Double in
        let stepsInBin = min(binSteps, max(0, run.steps - b * binSteps))
        return layer.neurons == 0 || stepsInBin == 0 ? 0 : Double(count) / Double(layer.neurons) / (Double(stepsInBin) * run.dt)
      }
    }
    let maxRate = series.flatMap { $0 }.max() ?? 0
    let ticks = SVG.ticks(upTo: max(maxRate, 1))
    let yMax = max(ticks.last ?? 1, maxRate, 1e-9)
    let count = bins.first?.count ?? 1
    func x(_ b: Int) -> Double { left + (w - left - 10) * (count <= 1 ? 0.5 : Double(b) / Double(count - 1)) }
    func y(_ v: Double) -> Double { top + (h - top - bottom) * (1 - v / yMax) }
    var svg = "<svg id=\"rates-plot\" width=\"\(SVG.n(w + 200))\" height=\"\(SVG.n(h))\" role=\"img\" aria-label=\"rates per layer over time\">"
    for t in ticks {
      svg += "<line x1=\"\(SVG.n(left))\" x2=\"\(SVG.n(w - 10))\" y1=\"\(SVG.n(y(t)))\" y2=\"\(SVG.n(y(t)))\" stroke=\"#eceef2\"/>"
      svg += "<text x=\"\(SVG.n(left - 6))\" y=\"\(SVG.n(y(t) + 4))\" font-size=\"11\" text-anchor=\"end\">\(SVG.tickLabel(t))</text>"
    }
    svg += "<text x=\"12\" y=\"\(SVG.n(top + (h - top - bottom) / 2))\" font-size=\"11\" transform=\"rotate(-90 12 \(SVG.n(top + (h - top - bottom) / 2)))\" text-anchor=\"middle\">Hz per neuron</text>"
    let stepTicks = SVG.ticks(upTo: Double(run.steps), count: 6).filter { $0 <= Double(run.steps) }
    for t in stepTicks {
      let px = left + (w - left - 10) * (run.steps <= 1 ? 0 : t / Double(run.steps))
      svg += "<text x=\"\(SVG.n(px))\" y=\"\(SVG.n(h - bottom + 16))\" font-size=\"11\" text-anchor=\"middle\">\(SVG.tickLabel(t))</text>"
    }
    svg += "<text x=\"\(SVG.n((left + w) / 2))\" y=\"\(SVG.n(h - 3))\" font-size=\"11\" text-anchor=\"middle\">step (bins of \(binSteps) step\(binSteps == 1 ? "" : "s"), \(SVG.si(seconds, "s")))</text>"
    for (l, values) in series.enumerated() {
      let points = values.enumerated().map { "\(SVG.n(x($0.offset))),\(SVG.n(y($0.element)))" }.joined(separator: " ")
      svg += "<polyline class=\"rate\" data-layer=\"\(SVG.escape(run.layers[l].name))\" fill=\"none\" stroke=\"\(SVG.series(l))\" stroke-width=\"1.6\" points=\"\(points)\"/>"
      svg += "<rect x=\"\(SVG.n(w + 4))\" y=\"\(SVG.n(top + Double(l) * 18))\" width=\"12\" height=\"3\" fill=\"\(SVG.series(l))\"/>"
      let mean = run.layers[l].neurons == 0 || run.steps == 0 ? 0 : Double(run.layers[l].spikes) / Double(run.layers[l].neurons) / (Double(run.steps) * run.dt)
      svg += "<text x=\"\(SVG.n(w + 22))\" y=\"\(SVG.n(top + Double(l) * 18 + 5))\" font-size=\"11.5\">\(SVG.escape(run.layers[l].name)) · mean \(String(format: "%.1f", mean)) Hz</text>"
    }
    body.append(svg + "</svg></section>")
  }

  // MARK: Rasters

  mutating func rasters(
    _ layers: [RunReportPage.Raster], coreRasters: [RunReportPage.Raster], window: Int, run: RunDirectory, hasLogs: Bool, coreRasterLimit: Int
  ) {
    guard hasLogs else { return }
    body.append("<section id=\"rasters\"><h2>Spike rasters</h2><div class=\"grid\">")
    for r in layers { body.append(Self.raster(r, window: window, kind: "layer")) }
    body.append("</div>")
    body.append("<details><summary>per core (\(coreRasters.count) of \(run.cores.count))</summary><div class=\"grid\">")
    for r in coreRasters { body.append(Self.raster(r, window: window, kind: "core")) }
    body.append("</div></details>")
    body.append("<p class=\"note\">Steps 1–\(window) of \(run.steps). Layers and cores with more rows than shown draw every k-th neuron (said in the title).</p></section>")
  }

  static func raster(_ r: RunReportPage.Raster, window: Int, kind: String) -> String {
    let w = 540.0
    let plotH = min(220.0, max(60.0, Double(r.rows) * 2.5))
    let (left, top) = (44.0, 22.0)
    let h = top + plotH + 30
    let dx = (w - left - 8) / Double(window)
    let dy = plotH / Double(max(r.rows, 1))
    var svg = "<svg class=\"raster\" data-kind=\"\(kind)\" data-marks=\"\(r.marks.count)\" width=\"\(SVG.n(w))\" height=\"\(SVG.n(h))\" role=\"img\" aria-label=\"spike raster of \(SVG.escape(r.title))\">"
    let every = r.stride > 1 ? " · 1 in \(r.stride) of \(SVG.count(r.totalRows)) rows" : ""
    svg += "<text x=\"0\" y=\"13\" font-size=\"12\" fill=\"#3a4150\">\(SVG.escape(r.title))\(every)</text>"
    svg += "<rect x=\"\(SVG.n(left))\" y=\"\(SVG.n(top))\" width=\"\(SVG.n(w - left - 8))\" height=\"\(SVG.n(plotH))\" fill=\"#fbfbfc\" stroke=\"#dde1e7\"/>"
    // One path of short vertical strokes: far smaller than a rect per spike.
    var path = ""
    path.reserveCapacity(r.marks.count * 16)
    let mark = max(1.0, min(dy, 4))
    for m in r.marks {
      let x = left + (Double(m.step) - 0.5) * dx
      let y = top + (Double(m.row) + 0.5) * dy - mark / 2
      path += "M\(SVG.n(x)) \(SVG.n(y))v\(SVG.n(mark))"
    }
    svg += "<path d=\"\(path)\" stroke=\"#1d3f7a\" stroke-width=\"\(SVG.n(max(0.8, min(dx * 0.8, 2.5))))\" fill=\"none\"/>"
    svg += "<text x=\"\(SVG.n(left - 5))\" y=\"\(SVG.n(top + 9))\" font-size=\"10\" text-anchor=\"end\">0</text>"
    svg += "<text x=\"\(SVG.n(left - 5))\" y=\"\(SVG.n(top + plotH))\" font-size=\"10\" text-anchor=\"end\">\(r.totalRows - 1)</text>"
    svg += "<text x=\"\(SVG.n(left))\" y=\"\(SVG.n(top + plotH + 14))\" font-size=\"10\">1</text>"
    svg += "<text x=\"\(SVG.n(w - 8))\" y=\"\(SVG.n(top + plotH + 14))\" font-size=\"10\" text-anchor=\"end\">\(window)</text>"
    svg += "<text x=\"\(SVG.n((left + w) / 2))\" y=\"\(SVG.n(top + plotH + 26))\" font-size=\"10.5\" text-anchor=\"middle\">step · \(SVG.count(r.marks.count)) spikes drawn\(r.dropped > 0 ? ", \(SVG.count(r.dropped)) more not drawn" : "")</text>"
    return svg + "</svg>"
  }

  // MARK: Quantization

  mutating func quantization(_ run: RunDirectory) {
    body.append("<section id=\"quantization\"><h2>Quantization error</h2>")
    guard !run.quantization.isEmpty else {
      body.append("<p class=\"note\">Every layer was given in chip integers: the chip applies its weights and biases exactly.</p></section>")
      return
    }
    let q = run.quantization
    let groupW = 150.0
    let (left, top, plotH) = (58.0, 26.0, 170.0)
    // Log scale from 0.01 % to 100 %: the median error and the worst case differ by orders
    // of magnitude, and a weight rounded to 0 is a 100 % error.
    let (lowest, highest) = (-2.0, 2.0)
    func y(_ percent: Double) -> Double {
      let l = min(max(log10(max(percent, 1e-9)), lowest), highest)
      return top + plotH * (1 - (l - lowest) / (highest - lowest))
    }
    let names = ["p50", "p90", "p99", "max / largest weight"]
    let w = left + Double(q.count) * groupW + 190
    var svg = "<svg id=\"quantization-plot\" width=\"\(SVG.n(w))\" height=\"\(SVG.n(top + plotH + 40))\" role=\"img\" aria-label=\"weight quantization error per layer\">"
    svg += "<text x=\"0\" y=\"14\" font-size=\"12.5\" fill=\"#3a4150\">relative error of the weights the chip applies, per layer (log scale)</text>"
    for (t, label) in [(0.01, "0.01 %"), (0.1, "0.1 %"), (1, "1 %"), (10, "10 %"), (100, "100 %")] {
      svg += "<line x1=\"\(SVG.n(left))\" x2=\"\(SVG.n(w - 190))\" y1=\"\(SVG.n(y(t)))\" y2=\"\(SVG.n(y(t)))\" stroke=\"#eceef2\"/>"
      svg += "<text x=\"\(SVG.n(left - 6))\" y=\"\(SVG.n(y(t) + 4))\" font-size=\"11\" text-anchor=\"end\">\(label)</text>"
    }
    for (i, layer) in q.enumerated() {
      let values = [layer.weightErrorP50, layer.weightErrorP90, layer.weightErrorP99, layer.weightErrorOfLargest].map { 100 * $0 }
      for (k, v) in values.enumerated() {
        let x = left + Double(i) * groupW + 14 + Double(k) * 30
        let bar = v > 0 ? y(0.01) - y(v) : 0
        svg += "<rect class=\"qbar\" x=\"\(SVG.n(x))\" y=\"\(SVG.n(y(0.01) - bar))\" width=\"24\" height=\"\(SVG.n(bar))\" fill=\"\(SVG.series(k))\"><title>\(SVG.escape(layer.layer)) \(names[k]): \(String(format: "%.3f", v)) %</title></rect>"
      }
      svg += "<text x=\"\(SVG.n(left + Double(i) * groupW + 70))\" y=\"\(SVG.n(top + plotH + 16))\" font-size=\"11.5\" text-anchor=\"middle\">\(SVG.escape(layer.layer))</text>"
    }
    for (k, name) in names.enumerated() {
      let ly = top + 10 + Double(k) * 18
      svg += "<rect x=\"\(SVG.n(w - 180))\" y=\"\(SVG.n(ly - 9))\" width=\"12\" height=\"12\" fill=\"\(SVG.series(k))\"/><text x=\"\(SVG.n(w - 162))\" y=\"\(SVG.n(ly + 1))\" font-size=\"11.5\">\(name)</text>"
    }
    body.append(svg + "</svg>")
    var table = "<table><tr><th>layer</th><th>weights</th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>max / largest weight</th><th>applied as 0</th><th>bias error, max</th><th>mean</th></tr>"
    func pct(_ x: Double) -> String { String(format: "%.2f %%", 100 * x) }
    for l in q {
      table +=
        "<tr><td>\(SVG.escape(l.layer))</td><td>\(SVG.count(l.weights))</td><td>\(pct(l.weightErrorP50))</td><td>\(pct(l.weightErrorP90))</td><td>\(pct(l.weightErrorP99))</td><td>\(pct(l.weightErrorMax))</td><td>\(pct(l.weightErrorOfLargest))</td><td>\(SVG.count(l.weightsRoundedToZero))</td><td>\(pct(l.biasErrorMax))</td><td>\(pct(l.biasErrorMean))</td></tr>"
    }
    body.append(table + "</table><p class=\"note\">Layers given in real units only (docs/quantization.md). The largest relative error is often a tiny weight rounded to 0; the error against the layer's largest weight bounds what a rounding does to the current.</p></section>")
  }

  // MARK: Tables

  mutating func tables(_ run: RunDirectory) {
    let seconds = Double(run.steps) * run.dt
    func hz(_ spikes: Int, _ n: Int) -> String { n == 0 || seconds == 0 ? "0" : String(format: "%.1f", Double(spikes) / Double(n) / seconds) }
    var t = "<section id=\"tables\"><h2>Layers and cores</h2><table id=\"layer-table\"><tr><th>layer</th><th>neurons</th><th>spikes</th><th>mean Hz</th><th>peak Hz</th><th>cores</th></tr>"
    for l in run.layers {
      t += "<tr><td>\(SVG.escape(l.name))</td><td>\(SVG.count(l.neurons))</td><td>\(SVG.count(l.spikes))</td><td>\(hz(l.spikes, l.neurons))</td><td>\(hz(l.peakNeuronSpikes, 1))</td><td>\(l.cores.count)</td></tr>"
    }
    t += "</table><details><summary>every core (\(run.cores.count))</summary><table id=\"core-table\"><tr><th>core</th><th>chip</th><th>tile</th><th>neurons</th><th>utilisation</th><th>spikes</th><th>synaptic ops</th><th>messages</th><th>inter-chip</th><th>per-op energy</th></tr>"
    for c in run.cores.prefix(2_000) {
      let util = run.layout.map { String(format: "%.0f %%", 100 * $0.utilisation(of: c)) } ?? "–"
      t +=
        "<tr><td>\(c.index)</td><td>\(c.chip)</td><td>(\(c.meshX), \(c.meshY))</td><td>\(SVG.escape(Page.contents(of: c)))</td><td>\(util)</td><td>\(SVG.count(c.spikes))</td><td>\(SVG.count(c.synapticOps))</td><td>\(SVG.count(c.spikeMessages))</td><td>\(SVG.count(c.interChipMessages))</td><td>\(run.perOpEnergy(of: c).map { SVG.si($0, "J") } ?? "–")</td></tr>"
    }
    t += "</table></details></section>"
    body.append(t)
  }

  /// What a core holds, short: `hidden[0..<64]` for one run of neurons, else per layer
  /// `conv1 ×512` (a layer spread over the core in several runs).
  static func contents(of core: RunDirectory.Core) -> String {
    var order: [String] = []
    var held: [String: (neurons: Int, runs: Int, first: RunDirectory.NeuronRun)] = [:]
    for r in core.neurons {
      if let h = held[r.layer] {
        held[r.layer] = (h.neurons + r.to - r.from, h.runs + 1, h.first)
      } else {
        order.append(r.layer)
        held[r.layer] = (r.to - r.from, 1, r)
      }
    }
    let parts = order.prefix(6).compactMap { name -> String? in
      guard let h = held[name] else { return nil }
      return h.runs == 1 ? "\(name)[\(h.first.from)..<\(h.first.to)]" : "\(name) ×\(h.neurons)"
    }
    return parts.joined(separator: ", ") + (order.count > 6 ? ", … (\(order.count) layers)" : "")
  }

  func finish() -> String {
    """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
    <meta name="generator" content="neuromesh report">
    <title>\(SVG.escape(title))</title>
    <style>\(Self.style)</style></head>
    <body><main>
    \(body.joined(separator: "\n"))
    <p class="note">Written by <code>neuromesh report</code>. Self-contained: no scripts, fonts or images are loaded.</p>
    </main></body></html>

    """
  }
}
