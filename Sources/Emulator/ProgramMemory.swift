import CoreMapModel
import LoihiArithmetic

/// The read-only part of a core map — compartment parameters, synapse lists, routes, host
/// spike schedules — laid out once in memory of its own and shared by every copy of an
/// emulator.
///
/// The hot loops read it through plain pointers (``CoreMemory``, ``InputMemory``): no
/// reference counting, no exclusivity checks, and no shared counters that worker threads
/// running different copies would fight over (retaining one array from two threads makes
/// its reference count bounce between the cores' caches). Nothing here is written after
/// `init`, which is what makes sharing it across threads safe.
final class ProgramMemory: @unchecked Sendable {
  let cores: [CoreMemory]
  let inputs: [InputMemory]
  private var allocations: [UnsafeMutableRawPointer] = []

  init(_ map: CoreMap) {
    var allocations: [UnsafeMutableRawPointer] = []
    func copy<T>(_ values: [T]) -> UnsafePointer<T> {
      let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(values.count, 1))
      _ = buffer.initialize(from: values)
      allocations.append(UnsafeMutableRawPointer(buffer.baseAddress!))
      return UnsafePointer(buffer.baseAddress!)
    }
    cores = map.cores.map { p in
      CoreMemory(
        chip: p.chip, compartmentCount: p.compartmentCount, vmin: p.vmin, vmax: p.vmax,
        currentFactor: copy(p.decayU.map(FixedPoint.currentDecayFactor(decayU:))),
        voltageFactor: copy(p.decayV.map(FixedPoint.voltageDecayFactor(decayV:))),
        threshold: copy(p.threshold), bias: copy(p.bias), refractoryDelay: copy(p.refractoryDelay),
        axonSegmentStart: copy(p.axonSegmentStart), segments: copy(p.segments), weights: copy(p.weights),
        sparseTargets: copy(p.sparseTargets), routeStart: copy(p.routeStart), routes: copy(p.routes),
        allSegmentsDense: p.segments.allSatisfy(\.isDense),
        meanSynapsesPerAxon: p.synapseCount / max(p.inputAxonCount, 1))
    }
    inputs = map.inputs.map { i in
      InputMemory(
        size: i.size, routeStart: copy(i.routeStart), routes: copy(i.routes), stepStart: copy(i.stepStart),
        eventSources: copy(i.eventSources), lastStep: i.lastStep)
    }
    self.allocations = allocations
  }

  deinit {
    for p in allocations { p.deallocate() }
  }
}

/// One core's program, as pointers into ``ProgramMemory`` (valid while it lives).
struct CoreMemory {
  let chip: Int
  let compartmentCount: Int
  let vmin: Int32
  let vmax: Int32
  /// `4095 − decay_u` and `4096 − decay_v` per compartment.
  let currentFactor: UnsafePointer<Int32>
  let voltageFactor: UnsafePointer<Int32>
  let threshold: UnsafePointer<Int32>
  let bias: UnsafePointer<Int32>
  let refractoryDelay: UnsafePointer<Int32>
  let axonSegmentStart: UnsafePointer<Int32>
  let segments: UnsafePointer<SynapseSegment>
  let weights: UnsafePointer<Int8>
  let sparseTargets: UnsafePointer<Int32>
  let routeStart: UnsafePointer<Int32>
  let routes: UnsafePointer<AxonRoute>
  /// Whether every synapse segment targets a contiguous range, so the core can be cut into
  /// slices that deliver independently.
  let allSegmentsDense: Bool
  /// Average synapses per input axon, to estimate a step's work from the inbox size.
  let meanSynapsesPerAxon: Int
}

/// One host input's routes and spike schedule, as pointers into ``ProgramMemory``.
struct InputMemory {
  let size: Int
  let routeStart: UnsafePointer<Int32>
  let routes: UnsafePointer<AxonRoute>
  /// Events of step `t` are `eventSources[stepStart[t − 1] ..< stepStart[t]]`, t ≤ lastStep.
  let stepStart: UnsafePointer<Int32>
  let eventSources: UnsafePointer<Int32>
  let lastStep: Int
}
