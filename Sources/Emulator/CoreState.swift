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
  /// Spikes fired so far.
  var spikeLog = CoreSpikeLog()
  /// Counters kept by the sequential phase (axon inputs, routed messages).
  var routingActivity = CoreActivity()

  init(memory: ProgramMemory, core: Int, incomingRoutes: Int) {
    owner = memory
    program = memory.cores[core]
    inbox = .allocate(capacity: max(incomingRoutes, 1))
    inbox.initialize(repeating: 0)
    let n = program.compartmentCount
    compartmentCount = n
    input = .allocate(capacity: n)
    input.initialize(repeating: 0)
    current = .allocate(capacity: n)
    current.initialize(repeating: 0)
    voltage = .allocate(capacity: n)
    voltage.initialize(repeating: 0)
    refractoryCount = .allocate(capacity: n)
    refractoryCount.initialize(repeating: 0)
    spiked = .allocate(capacity: n)
    spiked.initialize(repeating: 0)
    spikeTotals = .allocate(capacity: max(n, 1))
    spikeTotals.initialize(repeating: 0)
  }

  deinit {
    inbox.deallocate()
    input.deallocate()
    current.deallocate()
    voltage.deallocate()
    refractoryCount.deallocate()
    spiked.deallocate()
    spikeTotals.deallocate()
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

  /// The compartment kernel's view of the core (pointers into the core's program and state).
  private let compartments: UnsafeMutablePointer<nm_compartments>
  /// The rows of the dense group being collected (``NM_MAX_GROUPED_ROWS`` entries).
  private let groupRows: UnsafeMutablePointer<UnsafePointer<Int8>?>

  /// The hot loops, built for the instruction set in use.
  private let kernels: nm_kernels

  init(core: CoreState, coreIndex: Int, range: Range<Int>, kernels: UnsafePointer<nm_kernels>) {
    self.kernels = kernels.pointee
    self.core = core
    self.coreIndex = coreIndex
    self.range = range
    spikes = .allocate(capacity: max(range.count, 1))
    spikes.initialize(repeating: 0)
    let p = core.program
    compartments = .allocate(capacity: 1)
    compartments.initialize(
      to: nm_compartments(
        current_factor: p.currentFactor, voltage_factor: p.voltageFactor, bias: p.bias, threshold: p.threshold,
        refractory_delay: p.refractoryDelay, vmin: p.vmin, vmax: p.vmax, input: core.input.baseAddress,
        current: core.current.baseAddress, voltage: core.voltage.baseAddress, refractory: core.refractoryCount.baseAddress,
        spiked: core.spiked.baseAddress, spike_totals: core.spikeTotals.baseAddress))
    groupRows = .allocate(capacity: Int(NM_MAX_GROUPED_ROWS))
    groupRows.initialize(repeating: nil, count: Int(NM_MAX_GROUPED_ROWS))
  }

  deinit {
    spikes.deallocate()
    compartments.deallocate()
    groupRows.deallocate()
  }

  /// The spiking compartments of the last step.
  var lastSpikes: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(rebasing: spikes[0..<spikeCount]) }

  /// Runs phases 1 and 2 of step `t` on this slice.
  func step() {
    deliverInbox()
    updateCompartments()
  }

  /// Phase 1: every spike in the core's inbox adds the part of its synapse list that falls
  /// in this slice to the accumulators.
  ///
  /// Dense lists with the same target range and shift (all rows of one connection) are
  /// summed up to eight at a time before touching the accumulators (`add_rows`), which
  /// cuts accumulator loads and stores by eight; the adds wrap, so grouping does not change
  /// any result.
  private func deliverInbox() {
    let program = core.program
    let lo = range.lowerBound
    let hi = range.upperBound
    let q = core.input.baseAddress!
    var ops: Int64 = 0
    var group = DenseGroup(rows: groupRows, add: kernels.add_rows)
    let inbox = core.inbox.baseAddress!
    let segStart = program.axonSegmentStart
    let segments = program.segments
    let weights = program.weights
    let targets = program.sparseTargets
    for i in 0..<core.inboxCount {
      let a = Int(inbox[i])
      for s in Int(segStart[a])..<Int(segStart[a + 1]) {
        let seg = segments[s]
        if seg.count == 0 { continue }  // (weights may then be empty)
        let w = weights + Int(seg.weightOffset)
        if seg.targetOffset < 0 {
          let first = Int(seg.firstCompartment)
          let start = max(first, lo)
          let end = min(first + Int(seg.count), hi)
          if start >= end { continue }
          ops &+= Int64(end - start)
          let row = w + (start - first)
          if !group.accepts(start: start, end: end, shift: seg.shift) {
            group.flush(into: q)
            group.begin(start: start, end: end, shift: seg.shift)
          }
          group.add(row)
          if group.isFull { group.flush(into: q) }
        } else {
          // Sparse lists only occur on cores that are not sliced.
          let shift = Int16(truncatingIfNeeded: seg.shift)
          let idx = targets + Int(seg.targetOffset)
          let count = Int(seg.count)
          for k in 0..<count {
            q[Int(idx[k])] &+= Int16(truncatingIfNeeded: w[k]) &<< shift
          }
          ops &+= Int64(count)
        }
      }
    }
    group.flush(into: q)
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

/// Up to ``NM_MAX_GROUPED_ROWS`` dense synapse rows over the same compartments with the
/// same shift, waiting to be added to the accumulators in one pass.
private struct DenseGroup {
  let rows: UnsafeMutablePointer<UnsafePointer<Int8>?>
  let add: @convention(c) (UnsafeMutablePointer<Int16>?, UnsafePointer<UnsafePointer<Int8>?>?, Int32, Int64, Int32) -> Void
  var start = 0
  var end = 0
  var shift: Int32 = 0
  var count: Int32 = 0

  init(
    rows: UnsafeMutablePointer<UnsafePointer<Int8>?>,
    add: @convention(c) (UnsafeMutablePointer<Int16>?, UnsafePointer<UnsafePointer<Int8>?>?, Int32, Int64, Int32) -> Void
  ) {
    self.rows = rows
    self.add = add
  }

  var isFull: Bool { count == NM_MAX_GROUPED_ROWS }

  func accepts(start: Int, end: Int, shift: Int32) -> Bool {
    count > 0 && start == self.start && end == self.end && shift == self.shift
  }

  mutating func begin(start: Int, end: Int, shift: Int32) {
    self.start = start
    self.end = end
    self.shift = shift
  }

  mutating func add(_ row: UnsafePointer<Int8>) {
    rows[Int(count)] = row
    count += 1
  }

  /// Adds the pending rows to `q[start ..< end]` and empties the group.
  mutating func flush(into q: UnsafeMutablePointer<Int16>) {
    if count == 0 { return }
    add(q + start, rows, count, Int64(end - start), shift)
    count = 0
  }
}
