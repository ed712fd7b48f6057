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
  /// The parts a step's inbox is delivered in, in parallel (1: the core's slice delivers it
  /// itself). Part 0 adds into ``input``; part `k` > 0 into `extraInputs[k − 1]`, which the
  /// slices add into ``input`` (and clear) before their update.
  let deliveryParts: Int
  /// `deliveryParts − 1` accumulators (a plain buffer: slices on several threads read it, and
  /// an array would have its reference count bounced between them).
  let extraInputs: UnsafeMutableBufferPointer<UnsafeMutablePointer<Int16>>
  /// The delivery kernel's view of the core's synapses (pointers into its program).
  let synapses: UnsafeMutablePointer<nm_synapses>
  /// Counters kept by the sequential phase (axon inputs, routed messages).
  var routingActivity = CoreActivity()
  /// The memory of every state array above.
  private let block: UnsafeMutableRawPointer

  init(memory: ProgramMemory, core: Int, incomingRoutes: Int, deliveryParts: Int = 1) {
    owner = memory
    program = memory.cores[core]
    inbox = .allocate(capacity: max(incomingRoutes, 1))
    inbox.initialize(repeating: 0)
    let n = program.compartmentCount
    compartmentCount = n
    let parts = max(1, deliveryParts)
    self.deliveryParts = parts
    // Every state array in one block, each on its own cache line (so slices cut at multiples
    // of 64 compartments share no line) and one line further from the previous than its
    // size: the same compartment of two arrays is then never a multiple of 4 KiB apart,
    // where a load of one would wait on a store to the other (4K aliasing; it made the
    // update's stores a fifth of its time).
    let sizes = [2, 4, 4, 4, 1, 4] + [Int](repeating: 2, count: parts - 1)
    var offsets: [Int] = []
    var end = 0
    for size in sizes {
      offsets.append(end)
      end += (max(n, 1) * size + 63) / 64 * 64 + 64
    }
    block = UnsafeMutableRawPointer.allocate(byteCount: end, alignment: 64)
    block.initializeMemory(as: UInt8.self, repeating: 0, count: end)
    let b = block
    func array<T>(_ k: Int, _: T.Type) -> UnsafeMutableBufferPointer<T> {
      UnsafeMutableBufferPointer(start: (b + offsets[k]).bindMemory(to: T.self, capacity: max(n, 1)), count: n)
    }
    input = array(0, Int16.self)
    current = array(1, Int32.self)
    voltage = array(2, Int32.self)
    refractoryCount = array(3, Int32.self)
    spiked = array(4, UInt8.self)
    spikeTotals = array(5, Int32.self)
    extraInputs = .allocate(capacity: parts - 1)
    for k in 1..<parts { extraInputs[k - 1] = array(5 + k, Int16.self).baseAddress! }
    let p = program
    synapses = .allocate(capacity: 1)
    synapses.initialize(
      to: nm_synapses(
        axon_segment_start: p.axonSegmentStart, segments: p.segments, weights: p.weights,
        sparse_targets16: p.sparseTargets16, sparse_targets: p.sparseTargets))
  }

  deinit {
    inbox.deallocate()
    extraInputs.deallocate()
    block.deallocate()
    synapses.deallocate()
  }
}

/// A contiguous range of one core's compartments, stepped by one worker: the unit of
/// parallel work for the update. An uncut core is one slice, which delivers the core's inbox
/// itself; a core cut into several slices has its inbox delivered by ``DeliveryPart``s first,
/// and each slice gathers their accumulators over its range. Then the slice updates its
/// compartments, logs their spikes and collects their routes.
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
  }

  deinit {
    spikes.deallocate()
    outbox.deallocate()
    compartments.deallocate()
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
  /// When the core's inbox is delivered in parts (``DeliveryPart``), the parts have run and
  /// this only gathers their accumulators over the slice's range.
  private func deliverInbox() {
    if core.deliveryParts > 1 {
      lastStepOps = 0
      // With an empty inbox the parts added nothing: their accumulators are still zero.
      if core.inboxCount == 0 { return }
      let lo = range.lowerBound
      let extras = core.extraInputs
      for k in 0..<extras.count { kernels.merge_inputs(core.input.baseAddress! + lo, extras[k] + lo, Int64(range.count)) }
      return
    }
    let ops = kernels.deliver(
      core.synapses, core.inbox.baseAddress, Int64(core.inboxCount), Int64(range.lowerBound), Int64(range.upperBound),
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

/// One part of a core's inbox, delivered over all of the core's compartments into its own
/// accumulator: the unit of parallel delivery for a core cut into slices. (Cutting the
/// compartments instead made every slice walk the whole inbox, so the per-spike work was done
/// once per slice; cutting the inbox does it once.) The adds wrap, so the sum of the parts'
/// accumulators is exactly what one delivery of the whole inbox gives.
final class DeliveryPart: @unchecked Sendable {
  let core: CoreState
  let coreIndex: Int
  /// This part is number `index` of `core.deliveryParts`.
  let index: Int
  private let accumulator: UnsafeMutablePointer<Int16>
  private let deliver: @convention(c) (UnsafePointer<nm_synapses>?, UnsafePointer<Int32>?, Int64, Int64, Int64, UnsafeMutablePointer<Int16>?) -> Int64
  /// Synaptic ops delivered so far, and in the last step.
  var synapticOps: Int64 = 0
  var lastStepOps = 0

  init(core: CoreState, coreIndex: Int, index: Int, kernels: UnsafePointer<nm_kernels>) {
    self.core = core
    self.coreIndex = coreIndex
    self.index = index
    accumulator = index == 0 ? core.input.baseAddress! : core.extraInputs[index - 1]
    deliver = kernels.pointee.deliver
  }

  /// Delivers this part's share of the inbox (an equal share of its entries).
  func step() {
    let n = core.inboxCount
    let parts = core.deliveryParts
    let lo = n * index / parts
    let hi = n * (index + 1) / parts
    let ops = deliver(
      core.synapses, core.inbox.baseAddress! + lo, Int64(hi - lo), 0, Int64(core.compartmentCount), accumulator)
    synapticOps &+= ops
    lastStepOps = Int(ops)
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
