import Foundation

/// The capacity of one neuro-core, as read from a chip spec file.
///
/// Every per-core limit the mapper and emulator respect comes from here; no hardware number
/// is written into the code.
public struct CoreLimits: Sendable, Equatable {
  /// Compartments (neurons) per core.
  public var compartments: Int
  /// Input axons (entries in the core's synapse map) per core.
  public var inputAxons: Int
  /// Output axon slots per core.
  public var outputAxons: Int
  /// Synapse memory words per core.
  public var synapseWords: Int
  /// Bits per synapse memory word.
  public var synapseWordBits: Int
  /// Synapses per synapse-list chunk; longer lists are cut into chunks of this size.
  public var synapsesPerChunk: Int
  /// Header bits of each chunk (synapse format index and synapse count).
  public var chunkHeaderBits: Int
  /// Entries of the core's compartment profile table: the distinct (decay_u, decay_v,
  /// refract_delay) tuples its compartments may use (Loihi 1: 32).
  public var compartmentProfiles: Int
  /// Entries of the core's threshold profile table: the distinct threshold mantissas its
  /// compartments may use (Loihi 1: 8).
  public var thresholdProfiles: Int

  /// The profile table size of a chip whose spec gives none: no limit in practice.
  public static let unlimitedProfiles = 1 << 24

  /// Creates core limits; without profile table sizes, the tables are unlimited.
  public init(
    compartments: Int, inputAxons: Int, outputAxons: Int, synapseWords: Int,
    synapseWordBits: Int, synapsesPerChunk: Int, chunkHeaderBits: Int,
    compartmentProfiles: Int = CoreLimits.unlimitedProfiles, thresholdProfiles: Int = CoreLimits.unlimitedProfiles
  ) {
    self.compartments = compartments
    self.inputAxons = inputAxons
    self.outputAxons = outputAxons
    self.synapseWords = synapseWords
    self.synapseWordBits = synapseWordBits
    self.synapsesPerChunk = synapsesPerChunk
    self.chunkHeaderBits = chunkHeaderBits
    self.compartmentProfiles = compartmentProfiles
    self.thresholdProfiles = thresholdProfiles
  }

  /// Synapse memory words taken by one input axon's list of `count` synapses of
  /// `bitsPerSynapse` bits: the list is cut into chunks of at most ``synapsesPerChunk``,
  /// each chunk costs its synapses plus ``chunkHeaderBits``, rounded up to whole words.
  public func synapseWords(forListOf count: Int, bitsPerSynapse: Int) -> Int {
    var words = 0
    var remaining = count
    while remaining > 0 {
      let n = min(remaining, synapsesPerChunk)
      let bits = n * bitsPerSynapse + chunkHeaderBits
      words += (bits + synapseWordBits - 1) / synapseWordBits
      remaining -= n
    }
    return words
  }

  /// Total synapse memory per core, in bits.
  public var synapseBits: Int { synapseWords * synapseWordBits }
}

/// A neuromorphic chip: a number of identical neuro-cores.
public struct ChipSpec: Sendable, Equatable {
  /// Human-readable name, e.g. "Loihi 1".
  public var name: String
  /// Neuro-cores per chip.
  public var coresPerChip: Int
  /// Limits of each neuro-core.
  public var core: CoreLimits
  /// How the cores sit on the chip's mesh.
  public var mesh: ChipMesh
  /// What the chip's work costs in energy and time, if the spec says (nil: no estimate).
  public var energy: EnergySpec?

  /// Creates a chip spec. Without a mesh, the cores form one row of single-core tiles.
  public init(name: String, coresPerChip: Int, core: CoreLimits, mesh: ChipMesh? = nil, energy: EnergySpec? = nil) {
    self.name = name
    self.coresPerChip = coresPerChip
    self.core = core
    self.mesh = mesh ?? ChipMesh(coresPerTile: 1, tilesX: coresPerChip, tilesY: 1)
    self.energy = energy
  }
}

/// The network-on-chip mesh: cores grouped in tiles, tiles in a grid. Spikes between cores
/// travel tile to tile; a hop is one step in X or Y.
public struct ChipMesh: Sendable, Equatable {
  /// Cores sharing one router tile.
  public var coresPerTile: Int
  /// Tiles along X.
  public var tilesX: Int
  /// Tiles along Y.
  public var tilesY: Int

  /// Creates a mesh description.
  public init(coresPerTile: Int, tilesX: Int, tilesY: Int) {
    self.coresPerTile = coresPerTile
    self.tilesX = tilesX
    self.tilesY = tilesY
  }

  /// Tile coordinates of core `index` on its chip: tiles are numbered row by row.
  public func tile(ofCore index: Int) -> (x: Int, y: Int) {
    let t = index / coresPerTile
    return (t % tilesX, t / tilesX)
  }
}

/// A board: a number of identical chips.
public struct BoardSpec: Sendable, Equatable {
  /// Human-readable name, e.g. "Loihi 1 (single chip)".
  public var name: String
  /// The chip on the board.
  public var chip: ChipSpec
  /// Number of chips.
  public var chipCount: Int
  /// Chips along X of the board's chip grid (chips are numbered row by row).
  public var chipsX: Int

  /// Creates a board spec; by default the chips form one row.
  public init(name: String, chip: ChipSpec, chipCount: Int, chipsX: Int? = nil) {
    self.name = name
    self.chip = chip
    self.chipCount = chipCount
    self.chipsX = max(1, chipsX ?? chipCount)
  }

  /// A board holding a single chip.
  public init(singleChip chip: ChipSpec) {
    self.init(name: chip.name, chip: chip, chipCount: 1)
  }

  /// Neuro-cores on the whole board.
  public var totalCores: Int { chip.coresPerChip * chipCount }

  /// Board-wide mesh coordinates (in tiles) of core `core` of chip `chip`: the chips'
  /// meshes are joined edge to edge in the board's chip grid.
  public func meshPosition(chip: Int, core: Int) -> (x: Int, y: Int) {
    let tile = self.chip.mesh.tile(ofCore: core)
    let cx = chip % chipsX
    let cy = chip / chipsX
    return (cx * self.chip.mesh.tilesX + tile.x, cy * self.chip.mesh.tilesY + tile.y)
  }
}

/// What the chip's work costs in energy and time: the figures the energy and latency model
/// prices a run with (docs/energy-model.md). Every figure carries its source.
public struct EnergySpec: Sendable, Equatable {
  /// The energy and time of one event, and where the figures come from.
  public struct Cost: Sendable, Equatable {
    /// Energy per event, picojoules.
    public var picojoules: Double
    /// Time per event, nanoseconds.
    public var nanoseconds: Double
    /// Where the figures come from (and whether they are measured, simulated or assumed).
    public var source: String

    /// Creates a cost.
    public init(picojoules: Double, nanoseconds: Double, source: String) {
      self.picojoules = picojoules
      self.nanoseconds = nanoseconds
      self.source = source
    }
  }

  /// A power, and its source.
  public struct Power: Sendable, Equatable {
    /// Milliwatts.
    public var milliwatts: Double
    /// Where the figure comes from.
    public var source: String

    /// Creates a power.
    public init(milliwatts: Double, source: String) {
      self.milliwatts = milliwatts
      self.source = source
    }
  }

  /// One synaptic operation (a synapse reached by a delivered spike).
  public var synapticOp: Cost
  /// One compartment update that had input or state (active), and one that did not.
  public var activeUpdate: Cost
  public var inactiveUpdate: Cost
  /// A spike message delivered within its tile (every message pays this once).
  public var spikeWithinTile: Cost
  /// One tile hop east–west and north–south on the mesh.
  public var hopEastWest: Cost
  public var hopNorthSouth: Cost
  /// One chip boundary crossed by a spike message.
  public var chipCrossing: Cost
  /// One spike message sent by the host into the chip (time on the host link).
  public var hostSpike: Cost
  /// The end-of-step barrier: its time on one tile, on `barrierTiles` tiles, and across
  /// `barrierChips` chips (interpolated in between; see docs/energy-model.md).
  public var barrierOneTileNanoseconds: Double
  public var barrierTilesNanoseconds: Double
  public var barrierTiles: Int
  public var barrierChipsNanoseconds: Double
  public var barrierChips: Int
  public var barrierSource: String
  /// Power drawn while running on top of idle, independent of the spike work: the embedded
  /// processors' management of every step, host I/O and synchronisation.
  public var managementPower: Power
  /// Static (idle) power per chip in use.
  public var staticPowerPerChip: Power

  /// Creates an energy spec.
  public init(
    synapticOp: Cost, activeUpdate: Cost, inactiveUpdate: Cost, spikeWithinTile: Cost, hopEastWest: Cost,
    hopNorthSouth: Cost, chipCrossing: Cost, hostSpike: Cost, barrierOneTileNanoseconds: Double,
    barrierTilesNanoseconds: Double, barrierTiles: Int, barrierChipsNanoseconds: Double, barrierChips: Int,
    barrierSource: String, managementPower: Power, staticPowerPerChip: Power
  ) {
    self.synapticOp = synapticOp
    self.activeUpdate = activeUpdate
    self.inactiveUpdate = inactiveUpdate
    self.spikeWithinTile = spikeWithinTile
    self.hopEastWest = hopEastWest
    self.hopNorthSouth = hopNorthSouth
    self.chipCrossing = chipCrossing
    self.hostSpike = hostSpike
    self.barrierOneTileNanoseconds = barrierOneTileNanoseconds
    self.barrierTilesNanoseconds = barrierTilesNanoseconds
    self.barrierTiles = barrierTiles
    self.barrierChipsNanoseconds = barrierChipsNanoseconds
    self.barrierChips = barrierChips
    self.barrierSource = barrierSource
    self.managementPower = managementPower
    self.staticPowerPerChip = staticPowerPerChip
  }

  /// The barrier's time when `tiles` tiles on `chips` chips take part: linear in the tiles
  /// on one chip, from one tile to ``barrierTiles``; across chips, log-linear in the chip
  /// count from one full chip to ``barrierChips``.
  public func barrierNanoseconds(tiles: Int, chips: Int) -> Double {
    if chips <= 1 {
      let span = Double(max(barrierTiles - 1, 1))
      let f = min(max(Double(tiles - 1) / span, 0), 1)
      return barrierOneTileNanoseconds + f * (barrierTilesNanoseconds - barrierOneTileNanoseconds)
    }
    let f = min(log(Double(chips)) / log(Double(max(barrierChips, 2))), 1)
    return barrierTilesNanoseconds + f * (barrierChipsNanoseconds - barrierTilesNanoseconds)
  }
}
