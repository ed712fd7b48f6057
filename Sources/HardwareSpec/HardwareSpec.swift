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

  /// Creates core limits.
  public init(
    compartments: Int, inputAxons: Int, outputAxons: Int, synapseWords: Int,
    synapseWordBits: Int, synapsesPerChunk: Int, chunkHeaderBits: Int
  ) {
    self.compartments = compartments
    self.inputAxons = inputAxons
    self.outputAxons = outputAxons
    self.synapseWords = synapseWords
    self.synapseWordBits = synapseWordBits
    self.synapsesPerChunk = synapsesPerChunk
    self.chunkHeaderBits = chunkHeaderBits
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

  /// Creates a chip spec. Without a mesh, the cores form one row of single-core tiles.
  public init(name: String, coresPerChip: Int, core: CoreLimits, mesh: ChipMesh? = nil) {
    self.name = name
    self.coresPerChip = coresPerChip
    self.core = core
    self.mesh = mesh ?? ChipMesh(coresPerTile: 1, tilesX: coresPerChip, tilesY: 1)
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
