import CoreMapModel
import Dispatch
import Foundation

/// Many independent copies of one core map, stepped together: the way to present a data
/// set with a fresh chip per sample.
///
/// Every copy is a ``ChipEmulator`` of the same map. The map's synapse memory, routes and
/// compartment parameters are shared (one copy in memory); each copy has its own state,
/// inboxes, host encoders, counters and probe recordings. A run spreads the copies over the
/// worker threads, each copy stepped start to end by one worker with no synchronisation
/// between copies, so every copy's results are bit-identical to a separate run of a fresh
/// ``ChipEmulator`` with the same inputs.
///
/// ```swift
/// let batch = try BatchEmulator(coreMap: map, copies: 64)
/// for k in 0..<64 { batch.copy(k).setEncoderIncrements(input: 0, increments: sample[k]) }
/// batch.run(steps: 50)
/// let counts = batch.copy(3).probeRecordings[0]
/// ```
public final class BatchEmulator {
  /// The program every copy executes.
  public let coreMap: CoreMap
  /// Worker threads a run uses.
  public let workers: Int
  private let emulators: [ChipEmulator]

  /// Prepares `copies` copies of `coreMap`, all at zero state.
  ///
  /// - Parameters:
  ///   - threads: worker threads (default: every active processor). Each copy itself runs
  ///     on one thread, so small maps use the processors fully.
  ///   - recordsSpikeLogs: whether copies keep per-core spike logs (off by default: a batch
  ///     is read through its probes).
  /// - Throws: ``InvalidCoreMap`` if the map is inconsistent.
  public init(
    coreMap: CoreMap, copies: Int, threads: Int? = nil, recordsSpikeLogs: Bool = false, timing: StepTimingWeights? = nil
  ) throws(InvalidCoreMap) {
    precondition(copies >= 1, "a batch has at least one copy")
    let options = EmulatorOptions(threads: 1, recordsSpikeLogs: recordsSpikeLogs, timing: timing)
    let first = try ChipEmulator(coreMap: coreMap, options: options)
    var emulators = [first]
    for _ in 1..<copies { emulators.append(first.freshCopy()) }
    self.emulators = emulators
    self.coreMap = coreMap
    self.workers = max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, copies))
  }

  /// Number of copies.
  public var copies: Int { emulators.count }

  /// Copy `k`: set its inputs before a run, read its probes and counters after.
  public func copy(_ k: Int) -> ChipEmulator { emulators[k] }

  /// Resets every copy to a newly started chip (``ChipEmulator/reset()``).
  public func reset() {
    for e in emulators { e.reset() }
  }

  /// Runs `steps` more steps on copies `0 ..< active` (default: all), spread over the
  /// workers.
  public func run(steps: Int, active: Int? = nil) {
    let n = min(active ?? emulators.count, emulators.count)
    let emulators = self.emulators
    let workers = min(self.workers, n)
    if workers <= 1 {
      for k in 0..<n { emulators[k].run(steps: steps) }
      return
    }
    // Interleaved assignment: worker w steps copies w, w + workers, … — each copy is
    // touched by exactly one worker.
    let shared = SendableEmulators(emulators)
    DispatchQueue.concurrentPerform(iterations: workers) { w in
      for k in stride(from: w, to: n, by: workers) { shared.emulators[k].run(steps: steps) }
    }
  }
}

/// The copies, handed to the workers of a run. Each emulator is touched by exactly one
/// worker during a run, which is what makes sharing the array safe.
private struct SendableEmulators: @unchecked Sendable {
  let emulators: [ChipEmulator]
  init(_ emulators: [ChipEmulator]) { self.emulators = emulators }
}
