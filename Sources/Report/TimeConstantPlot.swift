import Foundation
import NeuroIO
import Training

/// Learned time constants against those training started from, as one SVG (`neuromesh
/// report TRAIN_DIR --time-constants -o tau.svg`): per trained layer and decay, a histogram
/// of the neurons' time constants in steps on a log axis, initial in grey, learned in
/// colour.
public enum TimeConstantPlot {
  /// The SVG for the time constants of `log`; nil when it trained none.
  public static func svg(_ log: TrainingFiles.Log, title: String) -> String? {
    let records = log.timeConstants
    guard !records.isEmpty else { return nil }
    let panelW = 520.0
    let panelH = 150.0
    let (left, top, gap) = (56.0, 52.0, 62.0)
    let width = left + panelW + 30
    let height = top + Double(records.count) * (panelH + gap) + 10
    // Bins: 32 per decade… from half a step to 4096 steps, log-spaced.
    let (lo, hi) = (Foundation.log10(0.5), Foundation.log10(4096.0))
    let bins = 56
    func bin(_ tau: Double) -> Int {
      let x = Foundation.log10(max(tau, 0.5))
      return min(max(Int(((x - lo) / (hi - lo) * Double(bins)).rounded(.down)), 0), bins - 1)
    }
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(SVG.n(width))\" height=\"\(SVG.n(height))\" font-family=\"DejaVu Sans, sans-serif\" role=\"img\" aria-label=\"\(SVG.escape(title))\">"
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    svg += "<text x=\"10\" y=\"20\" font-size=\"13\" font-weight=\"600\" textLength=\"\(SVG.n(min(width - 20, Double(title.count) * 7.4)))\" lengthAdjust=\"spacingAndGlyphs\">\(SVG.escape(title))</text>"
    for (r, record) in records.enumerated() {
      let current = record.field == "decay_u"
      let initial = record.initial.map { TimeConstantGrid.steps(decay: $0, current: current) }
      let learned = record.learned.map { TimeConstantGrid.steps(decay: $0, current: current) }
      var counts = (initial: [Int](repeating: 0, count: bins), learned: [Int](repeating: 0, count: bins))
      for t in initial { counts.initial[bin(t)] += 1 }
      for t in learned { counts.learned[bin(t)] += 1 }
      let maxCount = max(1, (counts.initial + counts.learned).max() ?? 1)
      let oy = top + Double(r) * (panelH + gap) + 18
      func x(_ tau: Double) -> Double { left + panelW * (Foundation.log10(max(tau, 0.5)) - lo) / (hi - lo) }
      func y(_ c: Int) -> Double { oy + panelH * (1 - Double(c) / Double(maxCount)) }
      let name = current ? "synaptic (current) time constant τ_u, decay_u" : "membrane (voltage) time constant τ_v, decay_v"
      svg += "<text x=\"\(SVG.n(left))\" y=\"\(SVG.n(oy - 8))\" font-size=\"12.5\" fill=\"#3a4150\">layer \(SVG.escape(record.layer)): \(name) — \(record.learned.count) neurons</text>"
      for t in SVG.ticks(upTo: Double(maxCount), count: 4) where t <= Double(maxCount) {
        let yy = y(Int(t))
        svg += "<line x1=\"\(SVG.n(left))\" x2=\"\(SVG.n(left + panelW))\" y1=\"\(SVG.n(yy))\" y2=\"\(SVG.n(yy))\" stroke=\"#eceef2\"/>"
        svg += "<text x=\"\(SVG.n(left - 6))\" y=\"\(SVG.n(yy + 4))\" font-size=\"11\" text-anchor=\"end\">\(Int(t))</text>"
      }
      let binW = panelW / Double(bins)
      for b in 0..<bins {
        let bx = left + Double(b) * binW
        if counts.initial[b] > 0 {
          svg += "<rect class=\"initial\" x=\"\(SVG.n(bx))\" y=\"\(SVG.n(y(counts.initial[b])))\" width=\"\(SVG.n(binW))\" height=\"\(SVG.n(oy + panelH - y(counts.initial[b])))\" fill=\"#b8bcc6\" fill-opacity=\"0.7\"/>"
        }
        if counts.learned[b] > 0 {
          svg += "<rect class=\"learned\" x=\"\(SVG.n(bx + binW * 0.2))\" y=\"\(SVG.n(y(counts.learned[b])))\" width=\"\(SVG.n(binW * 0.6))\" height=\"\(SVG.n(oy + panelH - y(counts.learned[b])))\" fill=\"\(SVG.series(0))\"/>"
        }
      }
      for tau in [1.0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096] {
        svg += "<line x1=\"\(SVG.n(x(tau)))\" x2=\"\(SVG.n(x(tau)))\" y1=\"\(SVG.n(oy + panelH))\" y2=\"\(SVG.n(oy + panelH + 4))\" stroke=\"#3a4150\"/>"
        svg += "<text x=\"\(SVG.n(x(tau)))\" y=\"\(SVG.n(oy + panelH + 16))\" font-size=\"11\" text-anchor=\"middle\">\(Int(tau))</text>"
      }
      svg += "<line x1=\"\(SVG.n(left))\" x2=\"\(SVG.n(left + panelW))\" y1=\"\(SVG.n(oy + panelH))\" y2=\"\(SVG.n(oy + panelH))\" stroke=\"#3a4150\"/>"
      func median(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.sorted()[v.count / 2] }
      svg += "<text x=\"\(SVG.n(left + panelW / 2))\" y=\"\(SVG.n(oy + panelH + 32))\" font-size=\"11.5\" text-anchor=\"middle\">time constant (steps, log scale) · initial median \(String(format: "%.1f", median(initial))) · learned median \(String(format: "%.1f", median(learned))), \(Set(record.learned).count) distinct values</text>"
    }
    let ly = 38.0
    svg += "<rect x=\"10\" y=\"\(SVG.n(ly - 9))\" width=\"12\" height=\"10\" fill=\"#b8bcc6\"/><text x=\"26\" y=\"\(SVG.n(ly))\" font-size=\"11.5\">initial</text>"
    svg += "<rect x=\"80\" y=\"\(SVG.n(ly - 9))\" width=\"12\" height=\"10\" fill=\"\(SVG.series(0))\"/><text x=\"96\" y=\"\(SVG.n(ly))\" font-size=\"11.5\">learned (snapped to the grid the chip runs)</text>"
    return svg + "</svg>\n"
  }
}
