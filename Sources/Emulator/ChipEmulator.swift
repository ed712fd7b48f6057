import CoreMapModel
import Dispatch
import EmulatorKernels
import Foundation
import LoihiArithmetic

/// Options for a run of the emulator.
public struct EmulatorOptions: Sendable, Equatable {
  /// Worker threads for the per-core phase; `nil` uses every active processor.
  public var threads: Int?
  /// Estimated operations (synapses reached plus compartments updated) below which a step
  /// runs on one thread, because waking workers would cost more than it saves. Measured on
  /// the benchmark networks (docs/benchmarks.md); results never depend on it.
  public var parallelWorkThreshold: Int

  /// The fewest compartments a core is cut into when it is split into slices for parallel
  /// work (cores are cut into about four slices per thread, never smaller than this).
  public var minimumSliceSize: Int

  /// Whether every spike is kept in the per-core spike logs (``ChipEmulator/spikeLog(core:)``).
  /// Evaluations that only read probes turn this off; counters are kept either way.
  public var recordsSpikeLogs: Bool
  /// Whether probes record every step (``ChipEmulator/probeRecordings``). A run that writes
  /// no traces turns this off, so that nothing grows with the step count.
  public var recordsProbes: Bool
  /// When set, every step's duration on the chip is estimated with these times and summed
  /// (``ChipEmulator/stepTiming``).
  public var timing: StepTimingWeights?
  /// The instruction set of the hot loops; `nil` (or one this CPU lacks) uses the fastest
  /// available. Results never depend on it.
  public var instructionSet: KernelInstructionSet?

  /// Creates options.
  public init(
    threads: Int? = nil, parallelWorkThreshold: Int = 200_000, minimumSliceSize: Int = 512, recordsSpikeLogs: Bool = true,
    recordsProbes: Bool = true, timing: StepTimingWeights? = nil, instructionSet: KernelInstructionSet? = nil
  ) {
    self.threads = threads
    self.parallelWorkThreshold = parallelWorkThreshold
    self.minimumSliceSize = max(1, minimumSliceSize)
    self.recordsSpikeLogs = recordsSpikeLogs
    self.recordsProbes = recordsProbes
    self.timing = timing
    self.instructionSet = instructionSet
  }
}

/// How long the chip takes for each kind of work, in nanoseconds: what a step's duration is
/// estimated from (the energy model fills these from the chip's spec).
public struct StepTimingWeights: Sendable, Equatable {
  public var synapticOp: Double
  public var activeUpdate: Double
  public var inactiveUpdate: Double
  public var withinTile: Double
  public var eastWestHop: Double
  public var northSouthHop: Double
  public var chipCrossing: Double
  public var hostSpike: Double

  /// Creates weights.
  public init(
    synapticOp: Double, activeUpdate: Double, inactiveUpdate: Double, withinTile: Double, eastWestHop: Double,
    northSouthHop: Double, chipCrossing: Double, hostSpike: Double
  ) {
    self.synapticOp = synapticOp
    self.activeUpdate = activeUpdate
    self.inactiveUpdate = inactiveUpdate
    self.withinTile = withinTile
    self.eastWestHop = eastWestHop
    self.northSouthHop = northSouthHop
    self.chipCrossing = chipCrossing
    self.hostSpike = hostSpike
  }
}

/// Estimated chip time, summed over the steps run (nanoseconds), by part of the step. Each
/// step contributes its busiest core's work (synaptic ops and compartment updates), its
/// farthest spike message, and the host's messages into the chip; the barrier is added by
/// the energy model, which knows how many tiles and chips take part.
public struct StepTimingTotals: Sendable, Equatable {
  /// Σ over steps of the busiest core's compute time.
  public var compute: Double = 0
  /// Σ over steps of the farthest message's travel time.
  public var route: Double = 0
  /// Σ over steps of the host messages' time on the host link.
  public var hostIO: Double = 0
  /// The longest single step (compute + route + host I/O).
  public var longestStep: Double = 0
  /// Creates zeroed totals.
  public init() {}

  /// The totals of two runs together (the longest step is the longer one).
  public static func + (a: StepTimingTotals, b: StepTimingTotals) -> StepTimingTotals {
    var s = a
    s.compute += b.compute
    s.route += b.route
    s.hostIO += b.hostIO
    s.longestStep = max(a.longestStep, b.longestStep)
    return s
  }
}

/// A core map that cannot be executed, with the inconsistencies found.
public struct InvalidCoreMap: Error, Sendable, Equatable, CustomStringConvertible {
  /// Each inconsistency.
  public var problems: [String]

  /// Creates the error.
  public init(problems: [String]) { self.problems = problems }

  /// One line per problem.
  public var description: String {
    "the core map is inconsistent: " + problems.prefix(5).joined(separator: "; ")
      + (problems.count > 5 ? "; and \(problems.count - 5) more" : "")
  }
}

/// Executes a core map timestep by timestep in a Loihi neuro-core's integer arithmetic.
///
/// Each step has three phases, matching the chip's per-step protocol:
/// 1. every core delivers the spikes that reached its input axons (emitted in the previous
///    step) into its compartments' input accumulators;
/// 2. every core updates all of its compartments (current, voltage, threshold, reset);
/// 3. new spikes — from compartments and from host inputs scheduled for this step — are
///    routed through output axons into the destination cores' inboxes, for the next step.
/// Phases 1 and 2 run per core in parallel; results do not depend on thread scheduling.
///
/// ```swift
/// let emulator = try ChipEmulator(coreMap: map)
/// emulator.run(steps: 100)
/// let spikes = emulator.spikeLog(core: 0)
/// ```
public final class ChipEmulator {
  /// The program being executed.
  public let coreMap: CoreMap
  /// Steps executed so far; the next step is `time + 1`.
  public private(set) var time: Int = 0

  private let cores: [CoreState]
  /// Units of parallel work: every core cut into one or more compartment ranges, in core
  /// order and, within a core, in compartment order.
  private let slices: [CoreSlice]
  /// `slices[sliceStart[c] ..< sliceStart[c + 1]]` are the slices of core `c`.
  private let sliceStart: [Int]
  private let options: EmulatorOptions
  private let totalCompartments: Int
  private let workerCount: Int
  private var recordings: [ProbeRecording]
  private var hostMessages: Int64 = 0
  /// The host encoder of every input (with no rows for inputs without one).
  private let encoders: [HostEncoderState]
  /// Spike trains given at run time, per host input (``setInputSpikes(input:raster:steps:)``).
  private var givenSpikes: [GivenSpikes?]
  /// Estimated chip time so far (only with ``EmulatorOptions/timing``).
  public private(set) var stepTiming = StepTimingTotals()
  /// Spike messages per destination core during routing (reused every step).
  private let inboxFill: UnsafeMutableBufferPointer<Int>
  /// The map's read-only program, shared with every ``freshCopy(options:)``.
  private let memory: ProgramMemory
  /// What every probe reads, in column order.
  /// (The cores are kept alive by ``cores``, so the pointers stay valid; reading through
  /// them keeps reference counting out of the per-step loop.)
  private let probeTargets: [ProbeTargets]
  /// The host inputs' routes and schedules: this emulator's own array of pointers into the
  /// shared memory (iterating a shared array would retain it from every thread).
  private let inputMemory: [InputMemory]
  /// Per host input, its first scheduled event not yet sent.
  private var inputCursor: [Int]
  /// The worker threads of the parallel phase (nil with one thread), and the slices as the
  /// pool's items see them: unretained references, so that stepping a slice from a worker
  /// touches no reference count shared with the other thread.
  private let pool: OpaquePointer?
  private let poolItems: UnsafeMutableBufferPointer<Unmanaged<CoreSlice>>
  /// The inbox parts of cores cut into slices, delivered before the slices run, and as the
  /// pool sees them.
  private let parts: [DeliveryPart]
  /// `parts[partStart[c] ..< partStart[c + 1]]` are the parts of core `c` (none if uncut).
  private let partStart: [Int]
  private let partItems: UnsafeMutableBufferPointer<Unmanaged<DeliveryPart>>
  /// Every core's inbox, by global core index (routing writes through these, not through
  /// the array of cores).
  private let inboxPointers: UnsafeMutablePointer<UnsafeMutablePointer<Int32>>

  /// Prepares `coreMap` for execution with all state at zero.
  ///
  /// - Throws: ``InvalidCoreMap`` if arrays or indices of the map are inconsistent.
  public convenience init(coreMap: CoreMap, options: EmulatorOptions = EmulatorOptions()) throws(InvalidCoreMap) {
    let problems = coreMap.structuralProblems()
    guard problems.isEmpty else { throw InvalidCoreMap(problems: problems) }
    self.init(checked: coreMap, memory: ProgramMemory(coreMap), options: options)
  }

  /// A fresh emulator of the same core map with all state at zero (the map is not checked
  /// again). The copies share the map's synapse memory; state, inboxes, logs and probe
  /// recordings are their own.
  public func freshCopy(options: EmulatorOptions? = nil) -> ChipEmulator {
    ChipEmulator(checked: coreMap, memory: memory, options: options ?? self.options)
  }

  /// Prepares a map whose structure has been checked.
  private init(checked coreMap: CoreMap, memory: ProgramMemory, options: EmulatorOptions) {
    self.coreMap = coreMap
    self.memory = memory
    self.options = options
    // At most 1,024 workers: more would only cut the work finer (and sizes derived from
    // the count must not overflow).
    let workers = min(max(1, options.threads ?? ProcessInfo.processInfo.activeProcessorCount), 1024)
    self.workerCount = workers
    var incoming = [Int](repeating: 0, count: coreMap.cores.count)
    for route in coreMap.cores.flatMap(\.routes) + coreMap.inputs.flatMap(\.routes) { incoming[Int(route.core)] += 1 }
    // Aim for about four work items per worker, never below the minimum slice size. A core
    // cut in k slices has its inbox delivered in k parts (``DeliveryPart``), each into its own
    // accumulator; the slices gather them and update their compartment ranges.
    let total = memory.cores.reduce(0) { $0 + $1.compartmentCount }
    let sliceSize =
      workers == 1 ? Int.max : max(options.minimumSliceSize, (total + 4 * workers - 1) / (4 * workers))
    let granule = sliceSize >= 64 ? 64 : 1
    let pieces = memory.cores.map { core -> Int in
      let n = core.compartmentCount
      guard sliceSize < Int.max, n > granule else { return 1 }
      return max(1, min((n + sliceSize - 1) / sliceSize, n / granule))
    }
    let cores = coreMap.cores.indices.map {
      CoreState(memory: memory, core: $0, incomingRoutes: incoming[$0], deliveryParts: pieces[$0])
    }
    self.cores = cores
    self.totalCompartments = total
    let kernels = KernelInstructionSet.kernels(options.instructionSet)
    var slices: [CoreSlice] = []
    var sliceStart = [0]
    var parts: [DeliveryPart] = []
    var partStart = [0]
    for (i, core) in cores.enumerated() {
      let n = core.compartmentCount
      let pieces = core.deliveryParts
      // Cuts fall on multiples of 64 compartments, so no cache line of the state (64 spike
      // flags, 32 accumulators, 16 voltages) is written by two threads; only tests cut
      // finer than that (to check that slicing changes no result).
      func cut(_ p: Int) -> Int { p == 0 ? 0 : p == pieces ? n : min(n, (n * p / pieces + granule / 2) / granule * granule) }
      for p in 0..<pieces {
        let lo = cut(p)
        let hi = cut(p + 1)
        if lo >= hi { continue }
        slices.append(
          CoreSlice(
            core: core, coreIndex: i, range: lo..<hi, kernels: kernels, timing: options.timing,
            logsSpikes: options.recordsSpikeLogs))
      }
      sliceStart.append(slices.count)
      if pieces > 1 {
        for k in 0..<pieces { parts.append(DeliveryPart(core: core, coreIndex: i, index: k, kernels: kernels)) }
      }
      partStart.append(parts.count)
    }
    self.parts = parts
    self.partStart = partStart
    self.partItems = .allocate(capacity: max(parts.count, 1))
    _ = partItems.initialize(from: parts.map { Unmanaged.passUnretained($0) })
    self.slices = slices
    self.sliceStart = sliceStart
    // No more threads than a phase has items: the others would only spin.
    let threads = min(workers, max(slices.count, parts.count))
    self.pool = threads > 1 ? nm_pool_create(Int32(threads - 1)) : nil
    self.inboxPointers = .allocate(capacity: max(cores.count, 1))
    for (i, core) in cores.enumerated() { inboxPointers[i] = core.inbox.baseAddress! }
    self.poolItems = .allocate(capacity: max(slices.count, 1))
    _ = poolItems.initialize(from: slices.map { Unmanaged.passUnretained($0) })
    self.recordings = coreMap.probes.map { ProbeRecording(name: $0.name, neurons: $0.neurons) }
    self.encoders = coreMap.inputs.map { HostEncoderState(increments: $0.encoderIncrements, rows: $0.encoderRows, size: $0.size) }
    self.givenSpikes = [GivenSpikes?](repeating: nil, count: coreMap.inputs.count)
    self.inboxFill = .allocate(capacity: max(cores.count, 1))
    self.inboxFill.initialize(repeating: 0)
    self.inputMemory = memory.inputs.map { $0 }
    self.inputCursor = [Int](repeating: 0, count: coreMap.inputs.count)
    self.probeTargets = coreMap.probes.map { probe in
      let layer = coreMap.layers[probe.layer]
      let places = probe.neurons.map { n in (cores[Int(layer.neuronCore[Int(n)])], Int(layer.neuronCompartment[Int(n)])) }
      switch probe.variable {
      case .spikes: return ProbeTargets(flags: places.map { $0.0.spiked.baseAddress! + $0.1 })
      case .voltage: return ProbeTargets(words: places.map { $0.0.voltage.baseAddress! + $0.1 })
      case .current: return ProbeTargets(words: places.map { $0.0.current.baseAddress! + $0.1 })
      }
    }
  }

  deinit {
    nm_pool_destroy(pool)
    poolItems.deallocate()
    partItems.deallocate()
    inboxPointers.deallocate()
    inboxFill.deallocate()
  }

  /// Spikes given to one host input at run time: row r (sent in step `firstStep + r`) is
  /// `sources[stepStart[r] ..< stepStart[r + 1]]`.
  private struct GivenSpikes {
    var firstStep: Int
    var stepStart: [Int32]
    var sources: [Int32]
  }

  /// Returns every compartment, inbox, host encoder, counter, spike log and probe recording
  /// to the state of a newly started chip (time 0). Encoder tables set with
  /// ``setEncoderIncrements(input:increments:)`` are kept.
  public func reset() {
    time = 0
    inputCursor = [Int](repeating: 0, count: inputCursor.count)
    for core in cores {
      core.input.update(repeating: 0)
      core.current.update(repeating: 0)
      core.voltage.update(repeating: 0)
      core.refractoryCount.update(repeating: 0)
      core.spiked.update(repeating: 0)
      core.spikeTotals.update(repeating: 0)
      for extra in core.extraInputs { extra.update(repeating: 0, count: core.compartmentCount) }
      core.inboxCount = 0
      core.routingActivity = CoreActivity()
    }
    for part in parts {
      part.synapticOps = 0
      part.lastStepOps = 0
    }
    for slice in slices {
      slice.time = 0
      slice.spikeLog = CoreSpikeLog()
      slice.spikeCount = 0
      slice.outboxCount = 0
      slice.activity = CoreActivity()
    }
    clearProbeRecordings()
    for encoder in encoders { encoder.accumulators.update(repeating: 0) }
    hostMessages = 0
    stepTiming = StepTimingTotals()
  }

  /// Drops what the probes recorded so far, keeping the state (for reading a long run in
  /// pieces).
  public func clearProbeRecordings() {
    for p in recordings.indices { recordings[p].values.removeAll(keepingCapacity: true) }
  }

  /// Drops the spikes logged so far, keeping the state and the spike totals (a writer that
  /// streams the logs to disk calls this after each batch it wrote).
  public func clearSpikeLogs() {
    for slice in slices {
      slice.spikeLog.steps.removeAll(keepingCapacity: true)
      slice.spikeLog.compartments.removeAll(keepingCapacity: true)
    }
  }

  /// Spikes held in the spike logs (since the start or the last ``clearSpikeLogs()``).
  public var loggedSpikeCount: Int { slices.reduce(0) { $0 + $1.spikeLog.count } }

  /// Values held by the probe recordings (since the start or the last
  /// ``clearProbeRecordings()``).
  public var recordedProbeValueCount: Int { recordings.reduce(0) { $0 + $1.values.count } }

  /// Replaces the encoder table of host input `input` by one row of `increments` (one per
  /// source, each in 0 ... 2^24: the source's rate × dt in units of 2^-24), applied from
  /// the next step on. The encoder's accumulators keep their values.
  ///
  /// - Precondition: the input has an encoder and `increments` has one value per source.
  public func setEncoderIncrements(input: Int, increments: [Int32]) {
    precondition(encoders[input].rows > 0, "host input \(input) has no encoder")
    precondition(increments.count == coreMap.inputs[input].size, "one increment per source")
    encoders[input].increments = increments
    encoders[input].rows = 1
  }

  /// Gives host input `input` the spikes of `raster` (`steps` rows of one value per source,
  /// nonzero where the source spikes) for the next `steps` steps: row 0 is sent in step
  /// `time + 1`. They replace spikes given earlier this way and add to the map's own.
  ///
  /// - Precondition: `raster` holds `steps` × the input's size values.
  public func setInputSpikes<C: Collection>(input: Int, raster: C, steps: Int) where C.Element == UInt8 {
    let size = coreMap.inputs[input].size
    precondition(steps >= 0 && raster.count == steps * size, "one row of sources per step")
    var start: [Int32] = [0]
    var sources: [Int32] = []
    start.reserveCapacity(steps + 1)
    var k = 0
    for value in raster {
      if value != 0 { sources.append(Int32(k % size)) }
      k += 1
      if k % size == 0 { start.append(Int32(sources.count)) }
    }
    if size == 0 { start = [Int32](repeating: 0, count: steps + 1) }
    givenSpikes[input] = GivenSpikes(firstStep: time + 1, stepStart: start, sources: sources)
  }

  /// Runs `steps` more steps.
  public func run(steps: Int) {
    precondition(steps >= 0, "step count must not be negative")
    for probe in recordings.indices where options.recordsProbes {
      let (wanted, overflow) = min(steps, 1 << 20).multipliedReportingOverflow(by: recordings[probe].neurons.count)
      if !overflow { recordings[probe].values.reserveCapacity(recordings[probe].values.count + wanted) }
    }
    for _ in 0..<steps { step() }
  }

  /// Runs one step.
  public func step() {
    time += 1
    let t = Int32(truncatingIfNeeded: time)
    stepSlices()
    if options.recordsProbes { recordProbes() }
    let compute = options.timing.map(busiestCoreNanoseconds) ?? 0
    let (route, host) = routeSpikes(t)
    if options.timing != nil {
      stepTiming.compute += compute
      stepTiming.route += route
      stepTiming.hostIO += host
      stepTiming.longestStep = max(stepTiming.longestStep, compute + route + host)
    }
  }

  /// The busiest core's compute time in the step just run.
  private func busiestCoreNanoseconds(_ w: StepTimingWeights) -> Double {
    var busiest = 0.0
    for index in cores.indices {
      var t = 0.0
      for part in parts[partStart[index]..<partStart[index + 1]] { t += Double(part.lastStepOps) * w.synapticOp }
      for slice in slices[sliceStart[index]..<sliceStart[index + 1]] {
        t += Double(slice.lastStepOps) * w.synapticOp + Double(slice.lastStepActive) * w.activeUpdate
          + Double(slice.range.count - slice.lastStepActive) * w.inactiveUpdate
      }
      busiest = max(busiest, t)
    }
    return busiest
  }

  /// Phases 1 and 2 on every slice of every core.
  private func stepSlices() {
    let slices = self.slices
    var work = totalCompartments
    for core in cores { work += core.inboxCount * core.program.meanSynapsesPerAxon }
    if let pool, work >= options.parallelWorkThreshold {
      // First the inbox parts of cut cores (each part adds into its own accumulator), then
      // the slices. Slices cover disjoint compartment ranges; each is stepped by exactly one
      // thread and reads its core's inbox, which nobody writes during this phase.
      if !parts.isEmpty {
        nm_pool_run(
          pool, { items, i in
            items!.assumingMemoryBound(to: Unmanaged<DeliveryPart>.self)[Int(i)]._withUnsafeGuaranteedRef { $0.step() }
          }, partItems.baseAddress, Int64(partItems.count))
      }
      nm_pool_run(
        pool, { items, i in
          items!.assumingMemoryBound(to: Unmanaged<CoreSlice>.self)[Int(i)]._withUnsafeGuaranteedRef { $0.step() }
        }, poolItems.baseAddress, Int64(poolItems.count))
    } else {
      for part in parts { part.step() }
      for slice in slices { slice.step() }
    }
  }

  /// Phase 3: log this step's spikes and route them, and the host inputs scheduled for this
  /// step, into the inboxes for the next step.
  ///
  /// - Returns: with step timing, the farthest message's travel time and the host
  ///   messages' time (nanoseconds); zeros otherwise.
  private func routeSpikes(_ t: Int32) -> (route: Double, host: Double) {
    let timing = options.timing
    var farthest = 0.0
    // Counts are kept in a reused buffer during routing and written back once per core.
    let counts = inboxFill
    counts.update(repeating: 0)
    for core in cores { core.routingActivity.axonInputs += Int64(core.inboxCount) }
    let inboxes = inboxPointers
    // The routes of every slice's spikes (collected, and the spikes logged, by the slices in
    // the parallel phase) copied into the destination inboxes, slices in core order.
    for slice in slices where slice.spikeCount > 0 {
      let out = slice.outbox.baseAddress!
      for r in 0..<slice.outboxCount {
        let route = out[r]
        let d = Int(route.core)
        inboxes[d][counts[d]] = route.axon
        counts[d] += 1
      }
      farthest = max(farthest, slice.lastStepFarthest)
    }
    // Host inputs: given spike trains, and encoders (accumulate, spike at 2^24, subtract:
    // at most one spike per step).
    var sent: Int64 = 0
    let step = Int(t)
    for (i, input) in inputMemory.enumerated() {
      let encoder = encoders[i]
      let routeStart = input.routeStart
      let routes = input.routes
      func send(_ source: Int) {
        let start = Int(routeStart[source])
        let end = Int(routeStart[source + 1])
        for r in start..<end {
          let route = routes[r]
          let d = Int(route.core)
          inboxes[d][counts[d]] = route.axon
          counts[d] += 1
        }
        sent += Int64(end - start)
      }
      let rows = encoder.rows
      if rows > 0 {
        let size = input.size
        let base = (min(step, rows) - 1) * size
        let accumulators = encoder.accumulators
        encoder.increments.withUnsafeBufferPointer { increments in
          for source in 0..<size {
            if EncoderDynamics.step(accumulator: &accumulators[source], increment: increments[base + source]) { send(source) }
          }
        }
      }
      var e = inputCursor[i]
      while e < input.eventCount && Int(input.eventSteps[e]) < step { e += 1 }
      while e < input.eventCount && Int(input.eventSteps[e]) == step {
        send(Int(input.eventSources[e]))
        e += 1
      }
      inputCursor[i] = e
      if let given = givenSpikes[i] {
        let row = step - given.firstStep
        if row >= 0 && row + 1 < given.stepStart.count {
          for e in Int(given.stepStart[row])..<Int(given.stepStart[row + 1]) { send(Int(given.sources[e])) }
        }
      }
    }
    hostMessages += sent
    for (index, core) in cores.enumerated() { core.inboxCount = counts[index] }
    return (farthest, Double(sent) * (timing?.hostSpike ?? 0))
  }

  private func recordProbes() {
    for p in probeTargets.indices { Self.record(probeTargets[p], into: &recordings[p].values) }
  }

  /// Appends this step's values of one probe (one access to the recording for the whole probe).
  private static func record(_ targets: ProbeTargets, into values: inout [Int32]) {
    let start = values.count
    values.append(contentsOf: repeatElement(0, count: targets.words.count + targets.flags.count))
    values.withUnsafeMutableBufferPointer { out in
      var i = start
      for word in targets.words {
        out[i] = word.pointee
        i += 1
      }
      for flag in targets.flags {
        out[i] = Int32(flag.pointee)
        i += 1
      }
    }
  }

  // MARK: Results

  /// Spikes fired so far by each compartment of core `core` (kept even without spike logs).
  public func spikeTotals(core: Int) -> [Int32] { Array(cores[core].spikeTotals.prefix(cores[core].compartmentCount)) }

  /// Spikes fired so far on core `core` (global index), by step and, within a step, by
  /// compartment.
  public func spikeLog(core: Int) -> CoreSpikeLog {
    let parts = slices[sliceStart[core]..<sliceStart[core + 1]].map(\.spikeLog)
    if parts.count == 1 { return parts[0] }
    // The slices' logs merged by step; within a step, slices in compartment order.
    var merged = CoreSpikeLog()
    merged.steps.reserveCapacity(parts.reduce(0) { $0 + $1.count })
    merged.compartments.reserveCapacity(merged.steps.capacity)
    var next = [Int](repeating: 0, count: parts.count)
    while true {
      var step = Int32.max
      var any = false
      for (k, part) in parts.enumerated() where next[k] < part.count {
        step = min(step, part.steps[next[k]])
        any = true
      }
      if !any { return merged }
      for (k, part) in parts.enumerated() {
        while next[k] < part.count && part.steps[next[k]] == step {
          merged.steps.append(step)
          merged.compartments.append(part.compartments[next[k]])
          next[k] += 1
        }
      }
    }
  }

  /// Activity counters of every core, by global index.
  public var activity: [CoreActivity] {
    var delivered = [Int64](repeating: 0, count: cores.count)
    for part in parts { delivered[part.coreIndex] &+= part.synapticOps }
    return cores.indices.map { i in
      var a = slices[sliceStart[i]..<sliceStart[i + 1]].reduce(cores[i].routingActivity) { $0 + $1.activity }
      a.synapticOps &+= delivered[i]
      return a
    }
  }

  /// Spike messages sent from the host into the chips.
  public var hostSpikeMessages: Int64 { hostMessages }

  /// Recordings of every probe, in core-map order.
  public var probeRecordings: [ProbeRecording] { recordings }

  /// The current state of one compartment: (current u, voltage v, spiked in the last step).
  public func state(core: Int, compartment: Int) -> (current: Int32, voltage: Int32, spiked: Bool) {
    let c = cores[core]
    return (c.current[compartment], c.voltage[compartment], c.spiked[compartment] != 0)
  }
}

/// Where one probe reads its columns: a word (voltage or current) or a spike flag per column.
private struct ProbeTargets {
  var words: [UnsafeMutablePointer<Int32>] = []
  var flags: [UnsafeMutablePointer<UInt8>] = []
}

/// The state of one host input's encoder: its increment table and its accumulators.
private final class HostEncoderState {
  /// `rows × size` increments, row-major; row `t − 1` applies at step `t`, the last holds.
  var increments: [Int32]
  /// Rows of ``increments`` (0: the input has no encoder).
  var rows: Int
  /// One accumulator per source, in units of 2^-24 spikes.
  let accumulators: UnsafeMutableBufferPointer<Int32>

  init(increments: [Int32], rows: Int, size: Int) {
    self.increments = increments
    self.rows = rows
    accumulators = .allocate(capacity: max(rows > 0 ? size : 0, 1))
    accumulators.initialize(repeating: 0)
  }

  deinit { accumulators.deallocate() }
}
