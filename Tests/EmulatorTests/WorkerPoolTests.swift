import Emulator
import Foundation
import EmulatorKernels
import Mapper
import Testing

/// The worker pool of the parallel phase (Sources/EmulatorKernels/WorkerPool.c), and what
/// the parallel phase now does besides delivery and the update: routes and spike logs.
@Suite("Worker pool and parallel routing")
struct WorkerPoolTests {
  /// A job's items as the pool's C callback sees them: one counter per item.
  final class Counters {
    var hits: [Int32]
    init(_ n: Int) { hits = [Int32](repeating: 0, count: n) }
  }

  @Test("every item of every job runs exactly once, on 1 to 8 threads, with jobs of changing size", arguments: [0, 1, 3, 7])
  func itemsRunOnce(workers: Int) throws {
    let pool = try #require(nm_pool_create(Int32(workers)))
    defer { nm_pool_destroy(pool) }
    #expect(nm_pool_threads(pool) == Int32(workers))
    // Sizes around the thread count, a large job, an empty one, and a pause long enough
    // (> 0.2 ms) for the workers to go to sleep in between.
    let sizes = [1, 2, 3, 9, 64, 0, 1000, 5, 17]
    for round in 0..<60 {
      let n = sizes[round % sizes.count]
      let counters = Counters(n)
      counters.hits.withUnsafeMutableBufferPointer { hits in
        nm_pool_run(
          pool, { ctx, i in
            // Atomic not needed: each item has its own counter, and an item that ran twice
            // would show as 2 (or as a lost update, 1 too few elsewhere).
            ctx!.assumingMemoryBound(to: Int32.self)[Int(i)] += 1
          }, hits.baseAddress, Int64(n))
      }
      #expect(counters.hits.allSatisfy { $0 == 1 }, "round \(round): \(n) items")
      if round % 20 == 19 { usleep(2000) }
    }
  }

  @Test("spike logs and every counter of a run cut into slices on several threads equal the one-thread run")
  func slicedLogsAndCounters() throws {
    let net = EmulatorBehaviourTests.randomNetwork(seed: 5)
    let map = try NetworkCompiler(board: unlimitedBoard).compile(net).0
    func run(threads: Int, slice: Int) throws -> ([CoreSpikeLog], [CoreActivity], Int64) {
      let e = try ChipEmulator(
        coreMap: map, options: EmulatorOptions(threads: threads, parallelWorkThreshold: 0, minimumSliceSize: slice))
      e.run(steps: 40)
      e.clearSpikeLogs()  // what a streaming writer does; logging continues after it
      e.run(steps: 35)
      return (map.cores.indices.map { e.spikeLog(core: $0) }, e.activity, e.hostSpikeMessages)
    }
    let one = try run(threads: 1, slice: 512)
    #expect(one.0.reduce(0) { $0 + $1.count } > 50, "the network should spike after the logs were cleared")
    #expect(one.0.allSatisfy { $0.steps.allSatisfy { $0 > 40 } })
    for (threads, slice) in [(2, 3), (3, 5), (8, 1)] {
      let cut = try run(threads: threads, slice: slice)
      #expect(cut.0 == one.0, "spike logs, \(threads) threads, slices of \(slice)")
      #expect(cut.1 == one.1, "counters, \(threads) threads, slices of \(slice)")
      #expect(cut.2 == one.2)
    }
  }
}
