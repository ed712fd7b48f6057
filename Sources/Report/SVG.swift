import Foundation

/// Small helpers for writing SVG and HTML by hand: escaping, number formats, axis ticks and
/// colour scales. Everything is inline text; the page loads nothing.
enum SVG {
  /// `text` with `&`, `<`, `>` and `"` escaped for HTML and SVG text and attributes.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for ch in text {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(ch)
      }
    }
    return out
  }

  /// A coordinate with at most two decimals (`12.5`, `3`).
  static func n(_ x: Double) -> String {
    guard x.isFinite else { return "0" }
    let r = (x * 100).rounded() / 100
    return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
  }

  /// `value` with an SI prefix and `unit`: `1.23 mJ`, `496 µs`, `0 J`.
  static func si(_ value: Double, _ unit: String) -> String {
    guard value.isFinite, value != 0 else { return "0 \(unit)" }
    let prefixes: [(Double, String)] = [(1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p")]
    let magnitude = abs(value)
    let (scale, prefix) = prefixes.first { magnitude >= $0.0 * 0.9995 } ?? (1e-12, "p")
    let scaled = value / scale
    let digits = abs(scaled) >= 100 ? 0 : abs(scaled) >= 10 ? 1 : 2
    var text = String(format: "%.\(digits)f", scaled)
    if text.contains(".") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    return text + " \(prefix)\(unit)"
  }

  /// A count with thousands separators: `1,234,567`.
  static func count(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
      out.append(ch)
    }
    return (value < 0 ? "-" : "") + out
  }

  /// About `count` round tick values from 0 through the first at or above `maximum`.
  static func ticks(upTo maximum: Double, count: Int = 5) -> [Double] {
    guard maximum > 0, maximum.isFinite else { return [0] }
    let raw = maximum / Double(max(count, 1))
    let power = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
    // Through the first tick at or above the maximum, so that the top of the axis is labelled.
    let last = (maximum / step * 0.9999).rounded(.up) * step
    return stride(from: 0.0, through: last * 1.0001, by: step).map { $0 }
  }

  /// A tick label: integers plainly, small values with the digits they need.
  static func tickLabel(_ x: Double) -> String {
    if x == x.rounded() && abs(x) < 1e7 { return String(Int(x)) }
    if abs(x) >= 0.01 { return String(format: "%g", (x * 1000).rounded() / 1000) }
    return String(format: "%.1e", x)
  }

  /// The viridis colour scale at `t` in 0 ... 1 (perceptually even, readable in grey).
  static func viridis(_ t: Double) -> String {
    let stops: [(Double, Double, Double)] = [
      (68, 1, 84), (72, 40, 120), (62, 73, 137), (49, 104, 142), (38, 130, 142),
      (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37),
    ]
    let x = min(max(t.isFinite ? t : 0, 0), 1) * Double(stops.count - 1)
    let i = min(Int(x), stops.count - 2)
    let f = x - Double(i)
    let (a, b) = (stops[i], stops[i + 1])
    func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * f).rounded()) }
    return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
  }

  /// Distinct colours for series (Okabe–Ito, safe for colour-blind readers).
  static let palette = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#999999", "#7a5195", "#3f7f3f"]

  /// The colour of series `i`.
  static func series(_ i: Int) -> String { palette[i % palette.count] }
}
