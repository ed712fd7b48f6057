import Dispatch
import Foundation

/// A request to stop a long command at the end of its current piece of work: set by Ctrl-C
/// (SIGINT) while the command is catching it, or by ``request()``. One per command run.
final class StopRequest: @unchecked Sendable {
  private let lock = NSLock()
  private var requested = false

  /// Asks the running command to stop.
  func request() { lock.withLock { requested = true } }
  /// Whether a stop was asked for.
  var isRequested: Bool { lock.withLock { requested } }
  /// Until the returned handle is released, SIGINT requests this stop instead of killing
  /// the process.
  func catchInterrupt() -> Handle { Handle(self) }

  /// SIGINT delivered through a dispatch source; `release()` restores the default action.
  final class Handle {
    private let source: DispatchSourceSignal

    fileprivate init(_ stop: StopRequest) {
      signal(SIGINT, SIG_IGN)
      source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
      source.setEventHandler { stop.request() }
      source.resume()
    }

    func release() {
      source.cancel()
      signal(SIGINT, SIG_DFL)
    }
  }
}
