/// What one neuro-core did during a run: the activity the energy and latency model prices.
public struct CoreActivity: Sendable, Equatable {
  /// Synaptic operations: one per synapse reached by a delivered spike.
  public var synapticOps: Int64 = 0
  /// Spikes received on the core's input axons.
  public var axonInputs: Int64 = 0
  /// Compartment updates (compartments × steps).
  public var compartmentUpdates: Int64 = 0
  /// Spikes fired by the core's compartments.
  public var spikes: Int64 = 0
  /// Spike messages sent through the core's output axons (spikes × routes).
  public var spikeMessages: Int64 = 0
  /// Of those messages, the ones whose destination core is on another chip.
  public var interChipMessages: Int64 = 0

  /// Creates zeroed counters.
  public init() {}

  /// Adds another core's counters.
  public static func + (a: CoreActivity, b: CoreActivity) -> CoreActivity {
    var s = a
    s.synapticOps += b.synapticOps
    s.axonInputs += b.axonInputs
    s.compartmentUpdates += b.compartmentUpdates
    s.spikes += b.spikes
    s.spikeMessages += b.spikeMessages
    s.interChipMessages += b.interChipMessages
    return s
  }
}

/// Spikes fired on one core: parallel arrays of step and compartment, in step order and,
/// within a step, compartment order.
public struct CoreSpikeLog: Sendable, Equatable {
  /// Step of each spike (1-based).
  public var steps: [Int32] = []
  /// Compartment of each spike.
  public var compartments: [Int32] = []

  /// Creates an empty log.
  public init() {}

  /// Number of spikes logged.
  public var count: Int { steps.count }
}

/// One probe's recording: `steps × columns` values, row-major by step.
public struct ProbeRecording: Sendable, Equatable {
  /// Probe name.
  public var name: String
  /// Recorded neuron indices (columns).
  public var neurons: [Int32]
  /// `values[(step - 1) * neurons.count + column]`.
  public var values: [Int32] = []

  /// Number of recorded steps.
  public var stepCount: Int { neurons.isEmpty ? 0 : values.count / neurons.count }

  /// The value of `column` at `step` (1-based).
  public func value(step: Int, column: Int) -> Int32 { values[(step - 1) * neurons.count + column] }
}
