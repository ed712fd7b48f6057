import Dispatch
import Foundation

/// A progress line on stderr (`\r`-rewritten, at most every 0.2 s): done/total, rate, ETA.
/// Writes nothing when disabled.
final class ProgressMeter: @unchecked Sendable {
  let enabled: Bool
  let unit: String
  let start = DispatchTime.now().uptimeNanoseconds
  var last: UInt64 = 0
  var printed = false

  init(enabled: Bool, unit: String) {
    self.enabled = enabled
    self.unit = unit
  }

  func update(done: Int, total: Int) {
    guard enabled else { return }
    let now = DispatchTime.now().uptimeNanoseconds
    guard now - last > 200_000_000 || done == total else { return }
    last = now
    let seconds = Double(now - start) / 1e9
    let rate = seconds > 0 ? Double(done) / seconds : 0
    let eta = rate > 0 ? Double(total - done) / rate : 0
    let line = "\r\(done)/\(total) \(unit), \(RunCommand.format(rate, digits: 0)) \(unit)/s, ETA \(RunCommand.format(eta, digits: 1)) s   "
    FileHandle.standardError.write(Data(line.utf8))
    printed = true
  }

  func finish() {
    if enabled && printed { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}

/// Stages of a longer task on one `\r`-rewritten stderr line: "compile 3/8: packing slices
/// onto cores (1.2 s)". Writes nothing when disabled.
final class StageMeter: @unchecked Sendable {
  let enabled: Bool
  let task: String
  let count: Int
  let start = DispatchTime.now().uptimeNanoseconds
  private var index = 0
  private var width = 0
  private let sink: @Sendable (String) -> Void

  /// A meter of `count` stages of `task`, written to `sink` (default: stderr).
  init(
    enabled: Bool, task: String, count: Int,
    sink: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
  ) {
    self.enabled = enabled
    self.task = task
    self.count = count
    self.sink = sink
  }

  /// Shows that the next stage, `name`, has started.
  func begin(_ name: String) {
    index += 1
    guard enabled else { return }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    show("\(task) \(min(index, count))/\(count): \(name) (\(RunCommand.format(seconds, digits: 1)) s)")
  }

  /// Rewrites the line with `line`, blanking what is left of a longer one.
  private func show(_ line: String) {
    let padding = max(0, width - line.count)
    width = line.count
    sink("\r" + line + String(repeating: " ", count: padding))
  }

  /// Ends the line (when anything was shown).
  func finish() {
    guard enabled, index > 0 else { return }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    show("\(task): done in \(RunCommand.format(seconds, digits: 1)) s")
    sink("\n")
  }
}
