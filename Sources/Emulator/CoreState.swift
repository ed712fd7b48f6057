import CoreMapModel
import EmulatorKernels
import LoihiArithmetic

/// The mutable state of one neuro-core.
///
/// State lives in buffers allocated once, sized by the core map, so a step allocates nothing
/// and several workers can update disjoint compartment ranges of one core at the same time
/// (see ``CoreSlice``). During the parallel phase the inbox is only read; it is cleared and
/// refilled in the sequential routing phase. That discipline is why the class can be
/// `@unchecked Sendable`.
final class CoreState: @unchecked Sendable {
  /// The core's program (shared, read-only), and the memory that holds it.
  let program: CoreMemory
  private let owner: ProgramMemory
  let compartmentCount: Int

  /// Dendritic accumulator in synaptic units (64 current units). Wrapping 16-bit adds are
  /// exactly the chip's 22-bit accumulator: `64 · wrap16(Σw) = wrap22(Σ 64·w)`.
  let input: UnsafeMutableBufferPointer<Int16>
  /// Current `u`, 24-bit signed.
  let current: UnsafeMutableBufferPointer<Int32>
  /// Voltage `v`, within [vmin, vmax].
  let voltage: UnsafeMutableBufferPointer<Int32>
  /// Refractory steps remaining.
  let refractoryCount: UnsafeMutableBufferPointer<Int32>
  /// 1 if the compartment spiked in the last step.
  let spiked: UnsafeMutableBufferPointer<UInt8>
  /// Spikes fired so far, per compartment (kept whether or not spike logs are).
  let spikeTotals: UnsafeMutableBufferPointer<Int32>

  /// Input axons that received a spike to be delivered in the next step: the first
  /// `inboxCount` entries. Capacity is the number of routes that end on this core, the most
  /// that can arrive in one step (each source spikes at most once per step).
  let inbox: UnsafeMutableBufferPointer<Int32>
  /// Number of valid entries in ``inbox``.
  var inboxCount = 0
  /// Counters kept by the sequential phase (axon inputs, routed messages).
  var routingActivity = CoreActivity()

  init(memory: ProgramMemory, core: Int, incomingRoutes: Int) {
    owner = memory
    program = memory.cores[core]
    inbox = .allocate(capacity: max(incomingRoutes, 1))
    inbox.initialize(repeating: 0)
    let n = program.compartmentCount
    compartmentCount = n
    input = Self.allocateLines(n)
    current = Self.allocateLines(n)
    voltage = Self.allocateLines(n)
    refractoryCount = Self.allocateLines(n)
    spiked = Self.allocateLines(n)
    spikeTotals = Self.allocateLines(n)
  }

  /// `n` zeros starting on a cache line (so slices cut at multiples of 64 compartments
  /// share no line).
  private static func allocateLines<T: FixedWidthInteger>(_ n: Int) -> UnsafeMutableBufferPointer<T> {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1) * MemoryLayout<T>.stride, alignment: 64)
    let typed = raw.bindMemory(to: T.self, capacity: max(n, 1))
    typed.initialize(repeating: 0, count: max(n, 1))
    return UnsafeMutableBufferPointer(start: typed, count: n)
  }

  deinit {
    inbox.deallocate()
    for p in [
      UnsafeMutableRawPointer(input.baseAddress!), UnsafeMutableRawPointer(current.baseAddress!),
      UnsafeMutableRawPointer(voltage.baseAddress!), UnsafeMutableRawPointer(refractoryCount.baseAddress!),
      UnsafeMutableRawPointer(spiked.baseAddress!), UnsafeMutableRawPointer(spikeTotals.baseAddress!),
    ] { p.deallocate() }
  }
}

/// A contiguous range of one core's compartments, stepped by one worker: the unit of
/// parallel work. A core whose synapse lists are all dense may be cut into several slices;
/// each slice delivers the part of every spiking axon's list that falls in its range, then
/// updates its compartments.
final class CoreSlice: @unchecked Sendable {
  let core: CoreState
  let coreIndex: Int
  let range: Range<Int>
  /// Compartments of this slice that spiked in the last step, ascending: the first
  /// `spikeCount` entries.
  let spikes: UnsafeMutableBufferPointer<Int32>
  /// Number of valid entries in ``spikes``.
  var spikeCount = 0
  /// Synaptic ops, compartment updates and spikes of this slice.
  var activity = CoreActivity()
  /// Synaptic ops and active compartment updates of the last step (for step timing).
  var lastStepOps = 0
  var lastStepActive = 0
  /// The output axon routes of the last step's spikes, in spike order: the first
  /// `outboxCount` entries. The sequential phase copies them into the destination inboxes.
  /// Capacity is every route of the slice's compartments (each spikes at most once a step).
  let outbox: UnsafeMutableBufferPointer<AxonRoute>
  /// Number of valid entries in ``outbox``.
  var outboxCount = 0
  /// With step timing: the travel time of the last step's farthest spike message (ns).
  var lastStepFarthest = 0.0
  /// Travel times, when the run estimates step timing.
  private let timing: StepTimingWeights?
  /// Steps this slice has run (every slice runs every step, so this is the emulator's time).
  var time: Int32 = 0
  /// Whether spikes are logged, and the spikes this slice fired since the log was last
  /// cleared (a core's log is its slices' logs merged by step).
  private let logsSpikes: Bool
  var spikeLog = CoreSpikeLog()

  /// The compartment kernel's view of the core (pointers into the core's program and state).
  private let compartments: UnsafeMutablePointer<nm_compartments>
  /// The delivery kernel's view of the core's synapses (pointers into its program).
  private let synapses: UnsafeMutablePointer<nm_synapses>

  /// The hot loops, built for the instruction set in use.
  private let kernels: nm_kernels

  init(
    core: CoreState, coreIndex: Int, range: Range<Int>, kernels: UnsafePointer<nm_kernels>, timing: StepTimingWeights?,
    logsSpikes: Bool
  ) {
    self.kernels = kernels.pointee
    self.logsSpikes = logsSpikes
    self.core = core
    self.coreIndex = coreIndex
    self.range = range
    self.timing = timing
    spikes = .allocate(capacity: max(range.count, 1))
    spikes.initialize(repeating: 0)
    let p = core.program
    let routeCount = range.isEmpty ? 0 : Int(p.routeStart[range.upperBound] - p.routeStart[range.lowerBound])
    outbox = .allocate(capacity: max(routeCount, 1))
    outbox.initialize(repeating: AxonRoute(core: 0, axon: 0))
    compartments = .allocate(capacity: 1)
    compartments.initialize(
      to: nm_compartments(
        current_factor: p.currentFactor, voltage_factor: p.voltageFactor, bias: p.bias, threshold: p.threshold,
        refractory_delay: p.refractoryDelay, profile: p.profile, vmin: p.vmin, vmax: p.vmax, input: core.input.baseAddress,
        current: core.current.baseAddress, voltage: core.voltage.baseAddress, refractory: core.refractoryCount.baseAddress,
        spiked: core.spiked.baseAddress, spike_totals: core.spikeTotals.baseAddress))
    synapses = .allocate(capacity: 1)
    synapses.initialize(
      to: nm_synapses(
        axon_segment_start: p.axonSegmentStart, segments: p.segments, weights: p.weights, sparse_targets: p.sparseTargets))
  }

  deinit {
    spikes.deallocate()
    outbox.deallocate()
    compartments.deallocate()
    synapses.deallocate()
  }

  /// The spiking compartments of the last step.
  var lastSpikes: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(rebasing: spikes[0..<spikeCount]) }

  /// Runs phases 1 and 2 of step `t` on this slice, and the part of phase 3 that needs only
  /// the slice's own spikes (their routes and message counters).
  func step() {
    time &+= 1
    deliverInbox()
    updateCompartments()
    if logsSpikes && spikeCount > 0 {
      spikeLog.steps.append(contentsOf: repeatElement(time, count: spikeCount))
      spikeLog.compartments.append(contentsOf: lastSpikes)
    }
    collectRoutes()
  }

  /// Phase 1: every spike in the core's inbox adds the part of its synapse lists that falls
  /// in this slice to the accumulators (the kernel's `deliver`: dense rows of one
  /// connection are summed up to eight at a time before they touch the accumulators; the
  /// adds wrap, so neither grouping nor order changes any result).
  private func deliverInbox() {
    let ops = kernels.deliver(
      synapses, core.inbox.baseAddress, Int64(core.inboxCount), Int64(range.lowerBound), Int64(range.upperBound),
      core.input.baseAddress)
    activity.synapticOps &+= ops
    lastStepOps = Int(ops)
  }

  /// Phase 2: the compartment update, in the chip's order (see docs/emulator-semantics.md),
  /// by the kernel's `update_compartments`: `CompartmentDynamics.step` on every compartment, in
  /// vector lanes.
  private func updateCompartments() {
    var active: Int64 = 0
    let fired = kernels.update_compartments(
      compartments, Int64(range.lowerBound), Int64(range.upperBound), spikes.baseAddress, &active)
    spikeCount = Int(fired)
    activity.compartmentUpdates &+= Int64(range.count)
    activity.activeCompartmentUpdates &+= active
    lastStepActive = Int(active)
    activity.spikes &+= fired
  }
}

extension CoreSlice {
  /// Phase 3, the slice's part: the routes of this step's spikes into ``outbox``, the
  /// messages by distance into ``activity``, and (with step timing) the farthest message's
  /// travel time.
  fileprivate func collectRoutes() {
    outboxCount = 0
    lastStepFarthest = 0
    if spikeCount == 0 { return }
    let program = core.program
    let routeStart = program.routeStart
    let routes = program.routes
    let distanceIndex = program.routeDistanceIndex
    let distances = program.routeDistances
    let out = outbox.baseAddress!
    var n = 0
    var farthest = 0.0
    // Messages by distance, summed here and added to the slice's counters once.
    var routed = CoreActivity()
    for k in 0..<spikeCount {
      let c = Int(spikes[k])
      for r in Int(routeStart[c])..<Int(routeStart[c + 1]) {
        out[n] = routes[r]
        n += 1
      }
      let rd = distances[Int(distanceIndex[c])]
      if let w = timing, rd.hasRoutes {
        let travel = w.withinTile + Double(rd.farthestEastWest) * w.eastWestHop + Double(rd.farthestNorthSouth) * w.northSouthHop
          + Double(rd.farthestCrossings) * w.chipCrossing
        farthest = max(farthest, travel)
      }
      routed.sameCoreMessages += Int64(rd.sameCore)
      routed.sameTileMessages += Int64(rd.sameTile)
      routed.eastWestHops += Int64(rd.eastWest)
      routed.northSouthHops += Int64(rd.northSouth)
      routed.interChipMessages += Int64(rd.interChip)
      routed.chipCrossings += Int64(rd.chipCrossings)
    }
    outboxCount = n
    lastStepFarthest = farthest
    routed.spikeMessages = Int64(n)
    activity = activity + routed
  }
}
