/// What one neuro-core did during a run: the activity the energy and latency model prices.
///
/// Message counters are kept by distance. Every spike message (one per output-axon route of
/// a spiking compartment) is either to the same core, to another core of the same tile, or
/// across the mesh: it then takes |Δx| tile hops east–west and |Δy| north–south on the
/// board-wide mesh (docs/hardware-spec-format.md), and crosses |Δchip x| + |Δchip y| chip
/// boundaries when its destination is on another chip.
public struct CoreActivity: Sendable, Equatable {
  /// Synaptic operations: one per synapse reached by a delivered spike.
  public var synapticOps: Int64 = 0
  /// Spikes received on the core's input axons.
  public var axonInputs: Int64 = 0
  /// Compartment updates (compartments × steps).
  public var compartmentUpdates: Int64 = 0
  /// Of those, the active ones: the compartment received input, had a nonzero current,
  /// voltage or bias, or was refractory — an update that can change its state or fire.
  /// The rest are idle compartments the chip only scans (see docs/energy-model.md).
  public var activeCompartmentUpdates: Int64 = 0
  /// Spikes fired by the core's compartments.
  public var spikes: Int64 = 0
  /// Spike messages sent through the core's output axons (spikes × routes).
  public var spikeMessages: Int64 = 0
  /// Of those, messages to the sending core itself.
  public var sameCoreMessages: Int64 = 0
  /// Of those, messages to another core of the same tile (no mesh hop).
  public var sameTileMessages: Int64 = 0
  /// Tile hops east–west and north–south, summed over all messages.
  public var eastWestHops: Int64 = 0
  public var northSouthHops: Int64 = 0
  /// Messages whose destination core is on another chip.
  public var interChipMessages: Int64 = 0
  /// Chip boundaries crossed, summed over all messages.
  public var chipCrossings: Int64 = 0

  /// Creates zeroed counters.
  public init() {}

  /// Compartment updates that were not active.
  public var inactiveCompartmentUpdates: Int64 { compartmentUpdates - activeCompartmentUpdates }

  /// Adds another core's counters.
  public static func + (a: CoreActivity, b: CoreActivity) -> CoreActivity {
    var s = a
    s.synapticOps += b.synapticOps
    s.axonInputs += b.axonInputs
    s.compartmentUpdates += b.compartmentUpdates
    s.activeCompartmentUpdates += b.activeCompartmentUpdates
    s.spikes += b.spikes
    s.spikeMessages += b.spikeMessages
    s.sameCoreMessages += b.sameCoreMessages
    s.sameTileMessages += b.sameTileMessages
    s.eastWestHops += b.eastWestHops
    s.northSouthHops += b.northSouthHops
    s.interChipMessages += b.interChipMessages
    s.chipCrossings += b.chipCrossings
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
