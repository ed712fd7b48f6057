import CoreMapModel
import Dispatch
import Foundation

/// Options for a run of the emulator.
public struct EmulatorOptions: Sendable, Equatable {
  /// Worker threads for the per-core phase; `nil` uses every active processor.
  public var threads: Int?
  /// Whether to keep per-core spike logs.
  public var recordSpikes: Bool

  /// Creates options.
  public init(threads: Int? = nil, recordSpikes: Bool = true) {
    self.threads = threads
    self.recordSpikes = recordSpikes
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
  private let options: EmulatorOptions
  private let workerCount: Int
  private var recordings: [ProbeRecording]
  private var hostMessages: Int64 = 0

  /// Prepares `coreMap` for execution with all state at zero.
  ///
  /// - Throws: ``InvalidCoreMap`` if arrays or indices of the map are inconsistent.
  public init(coreMap: CoreMap, options: EmulatorOptions = EmulatorOptions()) throws(InvalidCoreMap) {
    let problems = coreMap.structuralProblems()
    guard problems.isEmpty else { throw InvalidCoreMap(problems: problems) }
    self.coreMap = coreMap
    self.options = options
    self.cores = coreMap.cores.map { CoreState(program: $0, recordSpikes: options.recordSpikes) }
    self.workerCount = max(1, options.threads ?? ProcessInfo.processInfo.activeProcessorCount)
    self.recordings = coreMap.probes.map { ProbeRecording(name: $0.name, neurons: $0.neurons) }
  }

  /// Runs `steps` more steps.
  public func run(steps: Int) {
    precondition(steps >= 0, "step count must not be negative")
    for probe in recordings.indices {
      recordings[probe].values.reserveCapacity(
        recordings[probe].values.count + steps * recordings[probe].neurons.count)
    }
    for _ in 0..<steps { step() }
  }

  /// Runs one step.
  public func step() {
    time += 1
    let t = Int32(truncatingIfNeeded: time)
    stepCores(t)
    recordProbes()
    routeSpikes(t)
  }

  /// Phases 1 and 2 on every core.
  private func stepCores(_ t: Int32) {
    let cores = self.cores
    if workerCount == 1 || cores.count == 1 {
      for core in cores { core.step(t) }
    } else {
      // Each iteration owns one core exclusively (see CoreState).
      DispatchQueue.concurrentPerform(iterations: cores.count) { i in cores[i].step(t) }
    }
  }

  /// Phase 3: route this step's spikes into next step's inboxes.
  private func routeSpikes(_ t: Int32) {
    for core in cores {
      if core.spikeList.isEmpty { continue }
      let program = core.program
      var messages: Int64 = 0
      var interChip: Int64 = 0
      for c in core.spikeList {
        let start = Int(program.routeStart[Int(c)])
        let end = Int(program.routeStart[Int(c) + 1])
        for r in start..<end {
          let route = program.routes[r]
          let destination = cores[Int(route.core)]
          destination.inbox.append(route.axon)
          if destination.program.chip != program.chip { interChip += 1 }
        }
        messages += Int64(end - start)
      }
      core.activity.spikeMessages += messages
      core.activity.interChipMessages += interChip
    }
    for input in coreMap.inputs where Int(t) <= input.lastStep {
      let first = Int(input.stepStart[Int(t) - 1])
      let last = Int(input.stepStart[Int(t)])
      for e in first..<last {
        let s = Int(input.eventSources[e])
        for r in Int(input.routeStart[s])..<Int(input.routeStart[s + 1]) {
          let route = input.routes[r]
          cores[Int(route.core)].inbox.append(route.axon)
          hostMessages += 1
        }
      }
    }
  }

  private func recordProbes() {
    for (p, probe) in coreMap.probes.enumerated() {
      let layer = coreMap.layers[probe.layer]
      for n in probe.neurons {
        let core = cores[Int(layer.neuronCore[Int(n)])]
        let c = Int(layer.neuronCompartment[Int(n)])
        let value: Int32
        switch probe.variable {
        case .spikes: value = Int32(core.spiked[c])
        case .voltage: value = core.voltage[c]
        case .current: value = core.current[c]
        }
        recordings[p].values.append(value)
      }
    }
  }

  // MARK: Results

  /// Spikes fired so far on core `core` (global index).
  public func spikeLog(core: Int) -> CoreSpikeLog { cores[core].spikeLog }

  /// Activity counters of every core, by global index.
  public var activity: [CoreActivity] { cores.map(\.activity) }

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
