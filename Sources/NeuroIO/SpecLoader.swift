import Foundation
import HardwareSpec
import NetworkModel

/// Reads hardware spec files (`hardware-specs/*.json`): chip specs and board specs.
///
/// A chip file (`"kind": "chip"`) describes one chip and its per-core limits; a board file
/// (`"kind": "board"`) names a chip file and a chip count. Wherever a board is expected, a
/// chip file is accepted as a one-chip board. See `docs/hardware-spec-format.md`.
public enum SpecLoader {
  /// The newest spec format version this library reads.
  public static let currentVersion = 1

  /// Loads a board, or a chip as a single-chip board.
  public static func loadBoard(from url: URL) throws(InputFileError) -> BoardSpec {
    try loadBoard(.file(url))
  }

  /// The names of the boards and chips built into this binary (the files shipped in
  /// `hardware-specs/`), e.g. `nahuku-32`, `loihi1`.
  public static var builtinNames: [String] {
    BuiltinSpecs.files.keys.map { String($0.split(separator: "/").last ?? "").replacingOccurrences(of: ".json", with: "") }.sorted()
  }

  /// Loads a built-in board or chip by name (`nahuku-32`, `loihi1`), or nil if there is none.
  public static func loadBuiltinBoard(named name: String) throws(InputFileError) -> BoardSpec? {
    guard let path = BuiltinSpecs.files.keys.first(where: { $0 == "boards/\(name).json" || $0 == "\(name).json" }) else {
      return nil
    }
    return try loadBoard(.builtin(path))
  }

  /// Where a spec is read from: a file, or a spec built into the binary.
  enum Source {
    case file(URL)
    case builtin(String)

    func read() throws(InputFileError) -> (JSONValue, String) {
      switch self {
      case .file(let url):
        return (try readJSONDocument(url, kind: "the spec file"), url.relativePath)
      case .builtin(let path):
        let display = "built-in hardware-specs/\(path)"
        do {
          return (try JSONParser.parse(Array((BuiltinSpecs.files[path] ?? "").utf8)), display)
        } catch {
          throw InputFileError(file: display, problem: "is not valid JSON: \(error)", fix: "this is a build problem; regenerate it with tools/generate_builtin_specs.sh")
        }
      }
    }

    /// The chip file a board names, relative to the board.
    func resolve(_ relative: String) -> Source {
      switch self {
      case .file(let url):
        return .file(relative.hasPrefix("/") ? URL(fileURLWithPath: relative) : url.deletingLastPathComponent().appendingPathComponent(relative))
      case .builtin(let path):
        var parts = path.split(separator: "/").dropLast().map(String.init)
        for piece in relative.split(separator: "/") {
          if piece == ".." { _ = parts.popLast() } else if piece != "." { parts.append(String(piece)) }
        }
        return .builtin(parts.joined(separator: "/"))
      }
    }
  }

  static func loadBoard(_ source: Source) throws(InputFileError) -> BoardSpec {
    let (root, display) = try source.read()
    let kind = try decode(display) { () throws(NetworkIssue) in
      try kindOf(root)
    }
    if kind == "chip" { return BoardSpec(singleChip: try decodeChip(root, display: display)) }
    let (name, chipPath, chips, chipsX) = try decode(display) { () throws(NetworkIssue) in
      let top = try JSONCursor(value: root, path: "").object(allowedKeys: boardKeys)
      try checkVersion(top)
      let name = try top.required("name").string()
      let chipPath = try top.required("chip", fix: "add \"chip\": the path of a chip spec file").string()
      let chipsCursor = try top.required("chips")
      let chips = try chipsCursor.int()
      guard chips >= 1 else { throw chipsCursor.fail("\(chips) chips is not positive", fix: "use a count ≥ 1") }
      guard chips <= 1 << 16 else { throw chipsCursor.fail("\(chips) chips is more than 65536, beyond any board Neuromesh models", fix: "use a count up to 65536") }
      var chipsX = chips
      if let c = top.optional("chips_x") {
        chipsX = try positive(c, atMost: 1 << 16)
        guard chips % chipsX == 0 else {
          throw c.fail("\(chips) chips do not fill rows of \(chipsX)", fix: "use a chips_x that divides chips")
        }
      }
      return (name, chipPath, chips, chipsX)
    }
    let (chipRoot, chipDisplay) = try source.resolve(chipPath).read()
    let chip = try decodeChip(chipRoot, display: chipDisplay)
    return BoardSpec(name: name, chip: chip, chipCount: chips, chipsX: chipsX)
  }

  /// Loads a chip spec file.
  public static func loadChip(from url: URL) throws(InputFileError) -> ChipSpec {
    let (root, display) = try readJSON(url)
    return try decodeChip(root, display: display)
  }

  private static let chipKeys = ["kind", "version", "name", "cores_per_chip", "core", "mesh", "energy", "notes"]
  private static let boardKeys = ["kind", "version", "name", "chip", "chips", "chips_x", "notes"]
  private static let meshKeys = ["cores_per_tile", "tiles_x", "tiles_y"]
  private static let coreKeys = [
    "compartments", "input_axons", "output_axons", "synapse_words", "synapse_word_bits",
    "synapses_per_chunk", "chunk_header_bits", "compartment_profiles", "threshold_profiles",
  ]

  private static func decodeChip(_ root: JSONValue, display: String) throws(InputFileError) -> ChipSpec {
    try decode(display) { () throws(NetworkIssue) in
      guard try kindOf(root) == "chip" else {
        throw NetworkIssue(path: "kind", problem: "expected a chip spec but this is a board spec", fix: "name a chip file here")
      }
      let top = try JSONCursor(value: root, path: "").object(allowedKeys: chipKeys)
      try checkVersion(top)
      if let notes = top.optional("notes") { _ = try notes.array().map { c throws(NetworkIssue) in try c.string() } }
      return try chipBody(top)
    }
  }

  /// A chip's name, core count, per-core limits and mesh — the part of a chip spec that a
  /// core map also carries (``CoreMapFile`` reads its board through this).
  static func chipBody(_ top: ObjectCursor) throws(NetworkIssue) -> ChipSpec {
    let name = try top.required("name").string()
    let cores = try positive(try top.required("cores_per_chip"), atMost: 1 << 16)
    let core = try top.required("core").object(allowedKeys: coreKeys)
    let limits = CoreLimits(
      compartments: try positive(try core.required("compartments"), atMost: 1 << 20),
      inputAxons: try positive(try core.required("input_axons"), atMost: 1 << 24),
      outputAxons: try positive(try core.required("output_axons"), atMost: 1 << 24),
      synapseWords: try positive(try core.required("synapse_words"), atMost: 1 << 30),
      synapseWordBits: try positive(try core.required("synapse_word_bits"), atMost: 4096),
      synapsesPerChunk: try positive(try core.required("synapses_per_chunk"), atMost: 1 << 16),
      chunkHeaderBits: try nonNegative(try core.required("chunk_header_bits"), atMost: 4096),
      compartmentProfiles: try core.optional("compartment_profiles").map { c throws(NetworkIssue) in try positive(c, atMost: CoreLimits.unlimitedProfiles) }
        ?? CoreLimits.unlimitedProfiles,
      thresholdProfiles: try core.optional("threshold_profiles").map { c throws(NetworkIssue) in try positive(c, atMost: CoreLimits.unlimitedProfiles) }
        ?? CoreLimits.unlimitedProfiles)
    var mesh: ChipMesh? = nil
    if let meshCursor = top.optional("mesh") {
      let m = try meshCursor.object(allowedKeys: meshKeys)
      let perTile = try positive(try m.required("cores_per_tile"), atMost: 1 << 16)
      let tilesX = try positive(try m.required("tiles_x"), atMost: 1 << 16)
      let tilesY = try positive(try m.required("tiles_y"), atMost: 1 << 16)
      guard perTile * tilesX * tilesY >= cores else {
        throw meshCursor.fail(
          "holds \(perTile * tilesX * tilesY) cores (\(perTile) × \(tilesX) × \(tilesY)) but the chip has \(cores)",
          fix: "make cores_per_tile × tiles_x × tiles_y at least cores_per_chip")
      }
      mesh = ChipMesh(coresPerTile: perTile, tilesX: tilesX, tilesY: tilesY)
    }
    let energy = try top.optional("energy").map { c throws(NetworkIssue) in try energyBody(c) }
    return ChipSpec(name: name, coresPerChip: cores, core: limits, mesh: mesh, energy: energy)
  }

  static let energyCostKeys = [
    "synaptic_op", "active_update", "inactive_update", "spike_within_tile", "hop_east_west", "hop_north_south",
    "chip_crossing", "host_spike",
  ]

  /// A chip's `energy` object: per-event costs `{"pJ", "ns", "source"}`, the barrier, the
  /// management and static powers (docs/hardware-spec-format.md).
  static func energyBody(_ c: JSONCursor) throws(NetworkIssue) -> EnergySpec {
    let o = try c.object(allowedKeys: energyCostKeys + ["barrier", "management_power", "static_power_per_chip"])
    func amount(_ c: JSONCursor, _ what: String) throws(NetworkIssue) -> Double {
      let v = try c.real()
      guard v.isFinite, v >= 0, v <= 1e12 else { throw c.fail("\(v) is not \(what) in 0 ... 1e12", fix: "give a non-negative number") }
      return v
    }
    func cost(_ key: String) throws(NetworkIssue) -> EnergySpec.Cost {
      let e = try o.required(key, fix: "add \"\(key)\": {\"pJ\": …, \"ns\": …, \"source\": \"…\"}").object(allowedKeys: ["pJ", "ns", "source"])
      return EnergySpec.Cost(
        picojoules: try amount(try e.required("pJ"), "an energy in pJ"), nanoseconds: try amount(try e.required("ns"), "a time in ns"),
        source: try e.required("source", fix: "say where the figures come from").string())
    }
    func power(_ key: String) throws(NetworkIssue) -> EnergySpec.Power {
      let p = try o.required(key, fix: "add \"\(key)\": {\"mW\": …, \"source\": \"…\"}").object(allowedKeys: ["mW", "source"])
      return EnergySpec.Power(
        milliwatts: try amount(try p.required("mW"), "a power in mW"),
        source: try p.required("source", fix: "say where the figure comes from").string())
    }
    let b = try o.required("barrier").object(allowedKeys: ["one_tile_ns", "tiles_ns", "tiles", "chips_ns", "chips", "source"])
    return EnergySpec(
      synapticOp: try cost("synaptic_op"), activeUpdate: try cost("active_update"), inactiveUpdate: try cost("inactive_update"),
      spikeWithinTile: try cost("spike_within_tile"), hopEastWest: try cost("hop_east_west"), hopNorthSouth: try cost("hop_north_south"),
      chipCrossing: try cost("chip_crossing"), hostSpike: try cost("host_spike"),
      barrierOneTileNanoseconds: try amount(try b.required("one_tile_ns"), "a time in ns"),
      barrierTilesNanoseconds: try amount(try b.required("tiles_ns"), "a time in ns"),
      barrierTiles: try positive(try b.required("tiles"), atMost: 1 << 16),
      barrierChipsNanoseconds: try amount(try b.required("chips_ns"), "a time in ns"),
      barrierChips: try positive(try b.required("chips"), atMost: 1 << 16),
      barrierSource: try b.required("source").string(),
      managementPower: try power("management_power"), staticPowerPerChip: try power("static_power_per_chip"))
  }

  /// The `energy` object of a chip, as JSON text (for core map files).
  public static func energyJSON(_ e: EnergySpec) -> String {
    func cost(_ key: String, _ c: EnergySpec.Cost) -> String {
      "\"\(key)\": {\"pJ\": \(c.picojoules), \"ns\": \(c.nanoseconds), \"source\": \(jsonQuoted(c.source))}"
    }
    let costs = [
      cost("synaptic_op", e.synapticOp), cost("active_update", e.activeUpdate), cost("inactive_update", e.inactiveUpdate),
      cost("spike_within_tile", e.spikeWithinTile), cost("hop_east_west", e.hopEastWest), cost("hop_north_south", e.hopNorthSouth),
      cost("chip_crossing", e.chipCrossing), cost("host_spike", e.hostSpike),
    ]
    let barrier =
      "\"barrier\": {\"one_tile_ns\": \(e.barrierOneTileNanoseconds), \"tiles_ns\": \(e.barrierTilesNanoseconds), \"tiles\": \(e.barrierTiles), \"chips_ns\": \(e.barrierChipsNanoseconds), \"chips\": \(e.barrierChips), \"source\": \(jsonQuoted(e.barrierSource))}"
    let powers = [
      "\"management_power\": {\"mW\": \(e.managementPower.milliwatts), \"source\": \(jsonQuoted(e.managementPower.source))}",
      "\"static_power_per_chip\": {\"mW\": \(e.staticPowerPerChip.milliwatts), \"source\": \(jsonQuoted(e.staticPowerPerChip.source))}",
    ]
    return "{" + (costs + [barrier] + powers).joined(separator: ", ") + "}"
  }

  /// The `kind` of a spec, read before its keys are checked (which keys are allowed
  /// depends on it).
  private static func kindOf(_ root: JSONValue) throws(NetworkIssue) -> String {
    var present: [String] = []
    if case .object(_, let keys) = root { present = keys }
    let top = try JSONCursor(value: root, path: "").object(allowedKeys: present)
    let c = try top.required("kind", fix: "add \"kind\": \"chip\" or \"board\"")
    let kind = try c.string()
    guard kind == "chip" || kind == "board" else {
      throw c.fail("unknown spec kind '\(kind)'", fix: "use \"chip\" or \"board\"")
    }
    return kind
  }

  private static func checkVersion(_ top: ObjectCursor) throws(NetworkIssue) {
    let c = try top.required("version", fix: "add \"version\": \(currentVersion)")
    let v = try c.int()
    guard (1...currentVersion).contains(v) else {
      throw c.fail("version \(v) is not supported", fix: "this Neuromesh reads spec versions 1...\(currentVersion)")
    }
  }

  static func positive(_ c: JSONCursor) throws(NetworkIssue) -> Int {
    let v = try c.int()
    guard v >= 1 else { throw c.fail("\(v) is not positive", fix: "use a value ≥ 1") }
    return v
  }

  /// A positive count or size, at most `largest`: every number of a spec is bounded where
  /// it is read, so that products and sums of them (mesh sizes, words per core, totals)
  /// cannot overflow anywhere after.
  static func positive(_ c: JSONCursor, atMost largest: Int) throws(NetworkIssue) -> Int {
    let v = try positive(c)
    guard v <= largest else { throw c.fail("\(v) is larger than \(largest), beyond any chip Neuromesh models", fix: "use a value up to \(largest)") }
    return v
  }

  private static func nonNegative(_ c: JSONCursor, atMost largest: Int) throws(NetworkIssue) -> Int {
    let v = try c.int()
    guard v >= 0 else { throw c.fail("\(v) is negative", fix: "use a value ≥ 0") }
    guard v <= largest else { throw c.fail("\(v) is larger than \(largest), beyond any chip Neuromesh models", fix: "use a value up to \(largest)") }
    return v
  }

  private static func decode<T>(_ display: String, _ body: () throws(NetworkIssue) -> T) throws(InputFileError) -> T {
    do {
      return try body()
    } catch {
      throw InputFileError(file: display, issues: [error])
    }
  }

  private static func readJSON(_ url: URL) throws(InputFileError) -> (JSONValue, String) {
    try Source.file(url).read()
  }

}
