import CoreMapModel
import Foundation
import HardwareSpec
import NetworkModel

/// Reads and writes core maps (`*.coremap.json`, format documented in
/// `docs/coremap-format.md`).
///
/// A core map file is JSON: the board it was placed on, then per core its registers,
/// compartment parameters, synapse lists and routes. Integer arrays of up to
/// ``CoreMapFile/inlineLimit`` values are written inline; longer ones as little-endian
/// base64 (`{"dtype": "int32", "count": n, "base64": "..."}`), so a map of a hundred
/// million synapses stays a single file a JSON tool can open.
public enum CoreMapFile {
  /// The format identifier.
  public static let format = "neuromesh-coremap"
  /// The newest version this library reads and the one it writes.
  public static let currentVersion = 2
  /// Arrays up to this length are written inline.
  public static let inlineLimit = 64

  // MARK: Writing

  /// Writes `map` to `url` atomically (a temporary file beside it, then a rename).
  public static func write(_ map: CoreMap, to url: URL) throws(OutputError) {
    try OutputFile.write(Data(encode(map).utf8), to: url, what: "the core map")
  }

  /// The JSON text of a core map.
  public static func encode(_ map: CoreMap) -> String {
    var out = "{\n"
    out += "  \"format\": \(jsonQuoted(format)),\n  \"version\": \(currentVersion),\n"
    out += "  \"network\": \(jsonQuoted(map.networkName)),\n"
    let b = map.board
    let c = b.chip.core
    let m = b.chip.mesh
    out += "  \"board\": {\"name\": \(jsonQuoted(b.name)), \"chips\": \(b.chipCount), \"chips_x\": \(b.chipsX), \"chip\": {\"name\": \(jsonQuoted(b.chip.name)), \"cores_per_chip\": \(b.chip.coresPerChip), "
    out += "\"core\": {\"compartments\": \(c.compartments), \"input_axons\": \(c.inputAxons), \"output_axons\": \(c.outputAxons), \"synapse_words\": \(c.synapseWords), \"synapse_word_bits\": \(c.synapseWordBits), \"synapses_per_chunk\": \(c.synapsesPerChunk), \"chunk_header_bits\": \(c.chunkHeaderBits), \"compartment_profiles\": \(c.compartmentProfiles), \"threshold_profiles\": \(c.thresholdProfiles)}, "
    out += "\"mesh\": {\"cores_per_tile\": \(m.coresPerTile), \"tiles_x\": \(m.tilesX), \"tiles_y\": \(m.tilesY)}"
    if let energy = b.chip.energy { out += ", \"energy\": " + SpecLoader.energyJSON(energy) }
    out += "}},\n"
    out += "  \"layers\": [\n"
    out += map.layers.map {
      "    {\"name\": \(jsonQuoted($0.name)), \"neuron_core\": \(array($0.neuronCore)), \"neuron_compartment\": \(array($0.neuronCompartment))}"
    }.joined(separator: ",\n")
    out += "\n  ],\n  \"inputs\": [\n"
    out += map.inputs.map {
      "    {\"name\": \(jsonQuoted($0.name)), \"size\": \($0.size), \"event_steps\": \(array($0.eventSteps)), \"event_sources\": \(array($0.eventSources)), \"route_start\": \(array($0.routeStart)), \"routes\": \(routes($0.routes)), \"encoder_rows\": \($0.encoderRows), \"encoder_increments\": \(array($0.encoderIncrements))}"
    }.joined(separator: ",\n")
    out += "\n  ],\n  \"probes\": [\n"
    out += map.probes.map {
      "    {\"name\": \(jsonQuoted($0.name)), \"layer\": \($0.layer), \"variable\": \(jsonQuoted($0.variable.rawValue)), \"neurons\": \(array($0.neurons))}"
    }.joined(separator: ",\n")
    out += "\n  ],\n  \"cores\": [\n"
    out += map.cores.map { core in
      var segments: [Int32] = []
      segments.reserveCapacity(6 * core.segments.count)
      for s in core.segments {
        segments += [s.firstCompartment, s.count, s.weightOffset, s.targetOffset, s.shift, s.synapseBits]
      }
      return "    {\"chip\": \(core.chip), \"core_on_chip\": \(core.coreOnChip), \"mesh_x\": \(core.meshX), \"mesh_y\": \(core.meshY), "
        + "\"vmin\": \(core.vmin), \"vmax\": \(core.vmax),\n"
        + "     \"decay_u\": \(array(core.decayU)), \"decay_v\": \(array(core.decayV)), \"threshold\": \(array(core.threshold)), "
        + "\"bias\": \(array(core.bias)), \"refract_delay\": \(array(core.refractoryDelay)),\n"
        + "     \"compartment_layer\": \(array(core.compartmentLayer)), \"compartment_neuron\": \(array(core.compartmentNeuron)),\n"
        + "     \"axon_segment_start\": \(array(core.axonSegmentStart)), \"segments\": \(array(segments)),\n"
        + "     \"weights\": \(array(core.weights.map { Int32($0) }, dtype: "int8")), \"sparse_targets\": \(array(core.sparseTargets)),\n"
        + "     \"route_start\": \(array(core.routeStart)), \"routes\": \(routes(core.routes))}"
    }.joined(separator: ",\n")
    out += "\n  ]\n}\n"
    return out
  }

  private static func routes(_ routes: [AxonRoute]) -> String {
    var flat: [Int32] = []
    flat.reserveCapacity(2 * routes.count)
    for r in routes { flat += [r.core, r.axon] }
    return array(flat)
  }

  private static func array(_ values: [Int32], dtype: String = "int32") -> String {
    if values.count <= inlineLimit { return "[" + values.map(String.init).joined(separator: ", ") + "]" }
    var bytes = [UInt8]()
    if dtype == "int8" {
      bytes = values.map { UInt8(bitPattern: Int8(truncatingIfNeeded: $0)) }
    } else {
      bytes.reserveCapacity(4 * values.count)
      for v in values {
        let u = UInt32(bitPattern: v)
        bytes += [UInt8(u & 0xFF), UInt8((u >> 8) & 0xFF), UInt8((u >> 16) & 0xFF), UInt8(u >> 24)]
      }
    }
    return "{\"dtype\": \"\(dtype)\", \"count\": \(values.count), \"base64\": \"\(Data(bytes).base64EncodedString())\"}"
  }

  // MARK: Reading

  /// Whether the file at `url` looks like a core map (by its `format` key).
  public static func isCoreMap(_ url: URL) -> Bool {
    // Never open what is not a regular file (a named pipe would block here).
    guard InputFile.problem(at: url) == nil, let handle = try? FileHandle(forReadingFrom: url) else { return false }
    defer { try? handle.close() }
    // Neuromesh writes the format key first; a map rewritten by another tool may have it
    // anywhere, or misspelt: then the top level's keys decide (a core map has "cores" and
    // "board", a network neither).
    let head = (try? handle.read(upToCount: 256)) ?? Data()
    if String(decoding: head, as: UTF8.self).contains("\"\(format)\"") { return true }
    guard let document = try? readJSONDocument(url, kind: "the core map"), case .object(let top, _) = document else { return false }
    if case .string(format)? = top["format"] { return true }
    return top["cores"] != nil && top["board"] != nil
  }

  /// Reads and checks a core map.
  ///
  /// - Throws: ``InputFileError`` with the JSON path of the first problem, or the core
  ///   map's structural inconsistencies.
  public static func read(from url: URL) throws(InputFileError) -> CoreMap {
    let display = url.relativePath
    let root = try readJSONDocument(
      url, kind: "the core map", syntaxFix: "fix the syntax at that position, or compile the network again")
    let map: CoreMap
    do {
      map = try decode(root)
    } catch {
      throw InputFileError(file: display, issues: [error])
    }
    let problems = map.structuralProblems()
    if !problems.isEmpty {
      throw InputFileError(
        file: display, issues: problems.prefix(10).map { located($0) })
    }
    let names = OutputNames.probeIssues(map.probes.map(\.name))
    if !names.isEmpty { throw InputFileError(file: display, issues: names) }
    return map
  }

  private static func decode(_ root: JSONValue) throws(NetworkIssue) -> CoreMap {
    let top = try JSONCursor(value: root, path: "").object(allowedKeys: ["format", "version", "network", "board", "layers", "inputs", "probes", "cores"])
    let formatCursor = try top.required("format")
    guard try formatCursor.string() == format else {
      throw formatCursor.fail("is not \"\(format)\"", fix: "give a file written by 'neuromesh compile'")
    }
    let versionCursor = try top.required("version")
    let version = try versionCursor.int()
    guard (1...currentVersion).contains(version) else {
      throw versionCursor.fail("version \(version) is not supported", fix: "this Neuromesh reads core map versions 1...\(currentVersion); compile the network again")
    }
    let board = try decodeBoard(try top.required("board"))
    let layers = try top.required("layers").array().map { c throws(NetworkIssue) -> LayerPlacement in
      let o = try c.object(allowedKeys: ["name", "neuron_core", "neuron_compartment"])
      return LayerPlacement(
        name: try o.required("name").string(), neuronCore: try int32s(try o.required("neuron_core")),
        neuronCompartment: try int32s(try o.required("neuron_compartment")))
    }
    let inputs = try top.required("inputs").array().map { c throws(NetworkIssue) -> HostInput in
      let o = try c.object(allowedKeys: [
        version == 1 ? "step_start" : "event_steps", "name", "size", "event_sources", "route_start", "routes",
        "encoder_rows", "encoder_increments",
      ])
      var increments: [Int32] = []
      if let c = o.optional("encoder_increments") { increments = try int32s(c) }
      let eventSourcesCursor = try o.required("event_sources")
      let eventSources = try int32s(eventSourcesCursor)
      let eventSteps =
        version == 1
        ? try eventSteps(fromStepStarts: try o.required("step_start"), eventCount: eventSources.count)
        : try int32s(try o.required("event_steps"))
      return HostInput(
        name: try o.required("name").string(), size: try o.required("size").int(),
        eventSteps: eventSteps, eventSources: eventSources,
        routeStart: try int32s(try o.required("route_start")), routes: try decodeRoutes(try o.required("routes")),
        encoderIncrements: increments, encoderRows: try o.optional("encoder_rows")?.int() ?? 0)
    }
    let probes = try top.required("probes").array().map { c throws(NetworkIssue) -> ProbePlacement in
      let o = try c.object(allowedKeys: ["name", "layer", "variable", "neurons"])
      let variableCursor = try o.required("variable")
      guard let variable = ProbedVariable(rawValue: try variableCursor.string()) else {
        throw variableCursor.fail("unknown probed variable", fix: "use \"spikes\", \"voltage\" or \"current\"")
      }
      return ProbePlacement(
        name: try o.required("name").string(), layer: try o.required("layer").int(), variable: variable,
        neurons: try int32s(try o.required("neurons")))
    }
    let cores = try top.required("cores").array().map { c throws(NetworkIssue) -> CoreProgram in
      let o = try c.object(allowedKeys: [
        "chip", "core_on_chip", "mesh_x", "mesh_y", "vmin", "vmax", "decay_u", "decay_v", "threshold", "bias",
        "refract_delay", "compartment_layer", "compartment_neuron", "axon_segment_start", "segments", "weights",
        "sparse_targets", "route_start", "routes",
      ])
      let segmentsCursor = try o.required("segments")
      let flat = try int32s(segmentsCursor)
      guard flat.count % 6 == 0 else {
        throw segmentsCursor.fail("has \(flat.count) values, not a multiple of 6", fix: "compile the network again")
      }
      let segments = stride(from: 0, to: flat.count, by: 6).map {
        SynapseSegment(
          firstCompartment: flat[$0], count: flat[$0 + 1], weightOffset: flat[$0 + 2], targetOffset: flat[$0 + 3],
          shift: flat[$0 + 4], synapseBits: flat[$0 + 5])
      }
      let weightsCursor = try o.required("weights")
      let weights32 = try int32s(weightsCursor)
      guard weights32.allSatisfy({ $0 >= -128 && $0 <= 127 }) else {
        throw weightsCursor.fail("holds a value outside 8 bits", fix: "compile the network again")
      }
      return CoreProgram(
        chip: try o.required("chip").int(), coreOnChip: try o.required("core_on_chip").int(),
        meshX: try o.required("mesh_x").int(), meshY: try o.required("mesh_y").int(),
        decayU: try int32s(try o.required("decay_u")), decayV: try int32s(try o.required("decay_v")),
        threshold: try int32s(try o.required("threshold")), bias: try int32s(try o.required("bias")),
        refractoryDelay: try int32s(try o.required("refract_delay")),
        vmin: try int32(try o.required("vmin")), vmax: try int32(try o.required("vmax")),
        compartmentLayer: try int32s(try o.required("compartment_layer")),
        compartmentNeuron: try int32s(try o.required("compartment_neuron")),
        axonSegmentStart: try int32s(try o.required("axon_segment_start")), segments: segments,
        weights: SynapseWeights(weights32.lazy.map { Int8($0) }), sparseTargets: try int32s(try o.required("sparse_targets")),
        routeStart: try int32s(try o.required("route_start")), routes: try decodeRoutes(try o.required("routes")))
    }
    let networkName = try top.optional("network")?.string() ?? ""
    return CoreMap(networkName: networkName, board: board, cores: cores, inputs: inputs, layers: layers, probes: probes)
  }

  private static func decodeBoard(_ c: JSONCursor) throws(NetworkIssue) -> BoardSpec {
    let o = try c.object(allowedKeys: ["name", "chips", "chips_x", "chip"])
    let chip = try SpecLoader.chipBody(try o.required("chip").object(allowedKeys: ["name", "cores_per_chip", "core", "mesh", "energy"]))
    return BoardSpec(
      name: try o.required("name").string(), chip: chip, chipCount: try SpecLoader.positive(try o.required("chips"), atMost: 1 << 16),
      chipsX: try SpecLoader.positive(try o.required("chips_x"), atMost: 1 << 16))
  }

  private static func decodeRoutes(_ c: JSONCursor) throws(NetworkIssue) -> [AxonRoute] {
    let flat = try int32s(c)
    guard flat.count % 2 == 0 else { throw c.fail("has an odd number of values", fix: "compile the network again") }
    return stride(from: 0, to: flat.count, by: 2).map { AxonRoute(core: flat[$0], axon: flat[$0 + 1]) }
  }

  private static func int32(_ c: JSONCursor) throws(NetworkIssue) -> Int32 {
    let v = try c.int()
    guard let v32 = Int32(exactly: v) else { throw c.fail("\(v) does not fit in 32 bits") }
    return v32
  }

  /// An integer array written inline or as base64.
  /// A problem found by ``CoreMap/structuralProblems()``, at the part of the file it is
  /// about: "core 3: …" at `cores[3]`, a host input's at `inputs`, and so on.
  private static func located(_ problem: String) -> NetworkIssue {
    let fix = "compile the network again"
    if problem.hasPrefix("core "), let colon = problem.firstIndex(of: ":"),
      let index = Int(problem[problem.index(problem.startIndex, offsetBy: 5)..<colon])
    {
      return NetworkIssue(path: "cores[\(index)]", problem: String(problem[problem.index(after: colon)...].drop { $0 == " " }), fix: fix)
    }
    for (prefix, path) in [("input", "inputs"), ("layer", "layers"), ("probe", "probes"), ("board", "board")] where problem.hasPrefix(prefix) {
      return NetworkIssue(path: path, problem: problem, fix: fix)
    }
    return NetworkIssue(path: "cores", problem: problem, fix: fix)
  }

  /// The step of every event, from a version-1 schedule: one offset per step,
  /// `step_start[t − 1] ..< step_start[t]` being the events of step `t`. (Version 2 keeps
  /// the steps themselves, so a late spike costs one number, not one per step before it.)
  private static func eventSteps(fromStepStarts c: JSONCursor, eventCount: Int) throws(NetworkIssue) -> [Int32] {
    let starts = try int32s(c)
    guard starts.count <= Int(Int32.max), starts.first == 0, Int(starts.last ?? 0) == eventCount, zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 })
    else {
      throw c.fail(
        "is not a non-decreasing list of offsets from 0 to the \(eventCount) events", fix: "compile the network again")
    }
    var steps: [Int32] = []
    steps.reserveCapacity(eventCount)
    for t in starts.indices.dropFirst() {
      steps.append(contentsOf: repeatElement(Int32(t), count: Int(starts[t] - starts[t - 1])))
    }
    return steps
  }

  private static func int32s(_ c: JSONCursor) throws(NetworkIssue) -> [Int32] {
    if case .array = c.value {
      let values = try c.intArray()
      var out: [Int32] = []
      out.reserveCapacity(values.count)
      for (k, v) in values.enumerated() {
        guard let v32 = Int32(exactly: v) else {
          throw NetworkIssue(path: "\(c.path)[\(k)]", problem: "\(v) does not fit in 32 bits", fix: "compile the network again")
        }
        out.append(v32)
      }
      return out
    }
    let o = try c.object(allowedKeys: ["dtype", "count", "base64"])
    let dtypeCursor = try o.required("dtype")
    let dtype = try dtypeCursor.string()
    let count = try o.required("count").int()
    let base64Cursor = try o.required("base64")
    guard let data = Data(base64Encoded: try base64Cursor.string()) else {
      throw base64Cursor.fail("is not valid base64", fix: "compile the network again")
    }
    let bytes = [UInt8](data)
    switch dtype {
    case "int8":
      guard count >= 0, bytes.count == count else {
        throw base64Cursor.fail("holds \(bytes.count) bytes but count says \(count)", fix: "compile the network again")
      }
      return bytes.map { Int32(Int8(bitPattern: $0)) }
    case "int32":
      guard count >= 0, bytes.count % 4 == 0, bytes.count / 4 == count else {
        throw base64Cursor.fail("holds \(bytes.count) bytes but count says \(count) int32 values", fix: "compile the network again")
      }
      return (0..<count).map { k in
        Int32(bitPattern: UInt32(bytes[4 * k]) | UInt32(bytes[4 * k + 1]) << 8 | UInt32(bytes[4 * k + 2]) << 16 | UInt32(bytes[4 * k + 3]) << 24)
      }
    default:
      throw dtypeCursor.fail("unknown dtype '\(dtype)'", fix: "use \"int8\" or \"int32\"")
    }
  }
}
