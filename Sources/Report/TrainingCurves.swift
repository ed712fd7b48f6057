import Foundation
import NeuroIO
import Training

/// Training runs side by side as one SVG (`neuromesh report TRAIN_DIR TRAIN_DIR… -o
/// curves.svg`): the loss and the test accuracy per epoch, one line per run.
public enum TrainingCurves {
  /// The SVG for `runs` (label, log), in order.
  public static func svg(_ runs: [(label: String, log: TrainingFiles.Log)], title: String) -> String {
    let panelW = 430.0
    let panelH = 240.0
    let (left, top, bottom) = (56.0, 54.0, 40.0)
    let width = 2 * (panelW + left) + 30
    let height = top + panelH + bottom + 24 + Double(runs.count) * 18
    let maxEpoch = max(1, runs.flatMap { $0.log.epochs.map(\.epoch) }.max() ?? 1)
    let maxLoss = max(runs.flatMap { $0.log.epochs.map(\.loss) }.max() ?? 1, 1e-9)
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(SVG.n(width))\" height=\"\(SVG.n(height))\" font-family=\"DejaVu Sans, sans-serif\" role=\"img\" aria-label=\"\(SVG.escape(title))\">"
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    svg += "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"600\">\(SVG.escape(title))</text>"
    func panel(_ index: Int, label: String, yMax: Double, percent: Bool, value: (EpochRecord) -> Double?) {
      let ox = 10 + Double(index) * (panelW + left + 10) + left
      func x(_ e: Int) -> Double { ox + panelW * Double(e - 1) / Double(max(maxEpoch - 1, 1)) }
      func y(_ v: Double) -> Double { top + panelH * (1 - min(max(v / yMax, 0), 1)) }
      for t in SVG.ticks(upTo: yMax, count: 5) where t <= yMax * 1.0001 {
        svg += "<line x1=\"\(SVG.n(ox))\" x2=\"\(SVG.n(ox + panelW))\" y1=\"\(SVG.n(y(t)))\" y2=\"\(SVG.n(y(t)))\" stroke=\"#eceef2\"/>"
        svg += "<text x=\"\(SVG.n(ox - 6))\" y=\"\(SVG.n(y(t) + 4))\" font-size=\"11\" text-anchor=\"end\">\(percent ? "\(Int((t * 100).rounded())) %" : SVG.tickLabel(t))</text>"
      }
      let epochTicks = [1.0] + SVG.ticks(upTo: Double(maxEpoch), count: 6).filter { $0 > 1 && $0 == $0.rounded() && $0 <= Double(maxEpoch) }
      for t in epochTicks {
        svg += "<text x=\"\(SVG.n(x(Int(t))))\" y=\"\(SVG.n(top + panelH + 16))\" font-size=\"11\" text-anchor=\"middle\">\(Int(t))</text>"
      }
      svg += "<text x=\"\(SVG.n(ox + panelW / 2))\" y=\"\(SVG.n(top + panelH + 32))\" font-size=\"11.5\" text-anchor=\"middle\">epoch</text>"
      svg += "<text x=\"\(SVG.n(ox))\" y=\"\(SVG.n(top - 8))\" font-size=\"12.5\" fill=\"#3a4150\">\(SVG.escape(label))</text>"
      for (i, run) in runs.enumerated() {
        let points = run.log.epochs.compactMap { e in value(e).map { "\(SVG.n(x(e.epoch))),\(SVG.n(y($0)))" } }.joined(separator: " ")
        svg += "<polyline class=\"curve\" data-run=\"\(SVG.escape(run.label))\" fill=\"none\" stroke=\"\(SVG.series(i))\" stroke-width=\"1.8\" points=\"\(points)\"/>"
      }
    }
    panel(0, label: "training loss (cross-entropy, during the epoch)", yMax: SVG.ticks(upTo: maxLoss).last ?? maxLoss, percent: false) { $0.loss }
    panel(1, label: "test accuracy (after the epoch)", yMax: 1, percent: true) { $0.testAccuracy }
    for (i, run) in runs.enumerated() {
      let ly = top + panelH + bottom + 14 + Double(i) * 18
      let last = run.log.epochs.last
      let summary = last.map { e in "final loss \(String(format: "%.3f", e.loss))" + (e.testAccuracy.map { ", test \(String(format: "%.2f", 100 * $0)) %" } ?? "") } ?? ""
      svg += "<rect x=\"\(SVG.n(10 + left))\" y=\"\(SVG.n(ly - 9))\" width=\"14\" height=\"3\" fill=\"\(SVG.series(i))\"/>"
      svg += "<text x=\"\(SVG.n(30 + left))\" y=\"\(SVG.n(ly - 4))\" font-size=\"11.5\">\(SVG.escape(run.label)) · \(summary)</text>"
    }
    return svg + "</svg>\n"
  }
}
