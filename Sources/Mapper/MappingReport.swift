import HardwareSpec

/// What a compilation produced, for people: utilisation per core and chip, how close the
/// core count is to its lower bound, and how much traffic crosses chips.
public struct MappingReport: Sendable, Equatable {
  /// Resources of one core in use.
  public struct CoreUsage: Sendable, Equatable {
    /// Global core index in the core map.
    public var core: Int
    /// Chip index.
    public var chip: Int
    /// Core index on the chip.
    public var coreOnChip: Int
    /// Compartments in use.
    public var compartments: Int
    /// Input axons in use.
    public var inputAxons: Int
    /// Output axons in use.
    public var outputAxons: Int
    /// Synapse memory words in use.
    public var synapseWords: Int
    /// The layer slices on the core, e.g. `hidden[0..<512]`.
    public var contents: [String]
  }

  /// Usage per core, in core-map order.
  public var cores: [CoreUsage]
  /// The limits each core had.
  public var limits: CoreLimits
  /// Per resource (compartments, input axons, output axons, synapse words): the total the
  /// network needs with every layer whole, divided by one core's capacity, rounded up.
  public var lowerBounds: [String: Int]
  /// The largest of ``lowerBounds``: no placement can use fewer cores.
  public var lowerBound: Int
  /// Output-axon routes in the map.
  public var routes: Int
  /// Routes whose destination is on another chip: a spike on such an axon crosses chips.
  public var interChipRoutes: Int
  /// Chips with at least one core in use.
  public var chipsUsed: Int

  /// Cores used divided by the lower bound.
  public var coreRatio: Double { lowerBound == 0 ? 1 : Double(cores.count) / Double(lowerBound) }
}
