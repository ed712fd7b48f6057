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
