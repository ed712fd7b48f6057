import CoreMapModel
import Foundation
import HardwareSpec
import Mapper
import NetworkModel
import NeuroIO

/// `neuromesh where (MAP.coremap.json | NETWORK.json) (LAYER INDEX | LAYER c,y,x | CORE:COMPARTMENT)`.
enum WhereCommand {
  static let options = [
    OptionSpec.board(" Not used with a core map."),
    OptionSpec(name: "--help", valueName: nil, help: "Show this help."),
  ]

  static var usage: String {
    usageText(
      command: "where", synopsis: "(FILE.coremap.json | NETWORK.json) (LAYER INDEX | LAYER c,y,x | CORE:COMPARTMENT) [--board SPEC]",
      abstract: "Where a neuron lives — chip, core, compartment, mesh position, input axons and output routes — or which neuron a core's compartment is.",
      options: options)
  }

  static func execute(_ arguments: [String], output: inout CommandOutput) -> ExitStatus {
    let usageLine = "neuromesh where FILE (LAYER INDEX | LAYER c,y,x | CORE:COMPARTMENT)  (see 'neuromesh where --help')"
    let parsed: ParsedArguments
    do {
      parsed = try ParsedArguments(arguments, options: options)
      if parsed.flags.contains("--help") {
        output.print(usage)
        return .success
      }
      guard parsed.positional.count == 2 || parsed.positional.count == 3 else {
        throw UsageError(message: "expected a file and a neuron (LAYER INDEX, LAYER c,y,x or CORE:COMPARTMENT), got \(parsed.positional.count) argument(s)")
      }
    } catch {
      output.error("error: \(error)")
      output.error("Usage: \(usageLine)")
      return .usage
    }
    let fileURL = URL(fileURLWithPath: parsed.positional[0])
    do {
      var shapes: [String: [Int]] = [:]
      let map: CoreMap
      if CoreMapFile.isCoreMap(fileURL) {
        if parsed.values["--board"] != nil { throw UsageError(message: "a core map is already placed on its board; drop --board") }
        map = try CoreMapFile.read(from: fileURL)
      } else {
        guard let board = try RunCommand.loadBoard(parsed.values["--board"], near: fileURL, output: &output) else { return .usage }
        let network = try NetworkLoader.load(from: fileURL)
        map = try compileNamingFile(network, board: board, file: fileURL).0
        shapes = network.inferredShapes().shapes
      }
      if parsed.positional.count == 2 {
        try reverse(parsed.positional[1], map: map, shapes: shapes, output: &output)
      } else {
        try locate(layer: parsed.positional[1], index: parsed.positional[2], map: map, shapes: shapes, output: &output)
      }
      return .success
    } catch {
      return .reporting(error, to: &output)
    }
  }

  static func position(_ n: Int, shape: [Int]?) -> String {
    guard let shape, shape.count == 3 else { return "" }
    let (h, w) = (shape[1], shape[2])
    return " (c \(n / (h * w)), y \(n / w % h), x \(n % w))"
  }

  /// `LAYER INDEX` or `LAYER c,y,x`: where the neuron lives.
  static func locate(layer name: String, index text: String, map: CoreMap, shapes: [String: [Int]], output: inout CommandOutput) throws {
    guard let l = map.layers.firstIndex(where: { $0.name == name }) else {
      throw UsageError(message: "no layer '\(name)' in the map (layers: \(map.layers.map(\.name).joined(separator: ", ")))")
    }
    let layer = map.layers[l]
    let shape = shapes[name]
    var n: Int
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    if parts.count == 1, let i = parts[0] {
      n = i
    } else if parts.count == 3, let c = parts[0], let y = parts[1], let x = parts[2] {
      guard let shape, shape.count == 3 else {
        throw UsageError(
          message: "'\(name)' has no channels-first shape here\(shapes.isEmpty ? " (a core map does not record shapes; give the network file, or the flat index)" : ""); give the flat index 0 ..< \(layer.size)")
      }
      guard (0..<shape[0]).contains(c), (0..<shape[1]).contains(y), (0..<shape[2]).contains(x) else {
        throw UsageError(message: "(c \(c), y \(y), x \(x)) is outside '\(name)' of shape \(shape)")
      }
      n = (c * shape[1] + y) * shape[2] + x
    } else {
      throw UsageError(message: "'\(text)' is not a neuron index: give INDEX or c,y,x")
    }
    guard (0..<layer.size).contains(n) else { throw UsageError(message: "neuron \(n) is outside '\(name)' (size \(layer.size)); use 0 ..< \(layer.size)") }
    let k = Int(layer.neuronCore[n])
    let c = Int(layer.neuronCompartment[n])
    let core = map.cores[k]
    output.print(
      "\(name)[\(n)]\(position(n, shape: shape)): chip \(core.chip), core \(k) (core \(core.coreOnChip) of its chip), compartment \(c); tile (\(core.meshX), \(core.meshY)) of the board's mesh")
    // Input axons whose synapse lists reach the compartment, by source.
    let reaching = reachingAxons(core, compartment: c)
    let sources = axonSources(map: map, core: k, axons: reaching)
    let axons = reaching.count
    let list = sources.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
    output.print("  input axons reaching it: \(axons)\(list.isEmpty ? "" : " (from \(list))")")
    let routes = core.routes[Int(core.routeStart[c])..<Int(core.routeStart[c + 1])]
    let described = routes.prefix(8).map { r -> String in
      let d = map.cores[Int(r.core)]
      return "core \(r.core) (chip \(d.chip), tile (\(d.meshX), \(d.meshY))) axon \(r.axon)"
    }
    output.print("  output routes: \(routes.count)\(routes.isEmpty ? "" : ": " + described.joined(separator: "; "))\(routes.count > 8 ? "; …" : "")")
  }

  /// The input axons of `core` whose synapse lists reach `c`.
  static func reachingAxons(_ core: CoreProgram, compartment c: Int) -> Set<Int32> {
    var reaching = Set<Int32>()
    for a in 0..<core.inputAxonCount {
      for s in Int(core.axonSegmentStart[a])..<Int(core.axonSegmentStart[a + 1]) {
        let seg = core.segments[s]
        let hit = seg.isDense
          ? (Int(seg.firstCompartment)..<Int(seg.firstCompartment) + Int(seg.count)).contains(c)
          : core.sparseTargets[Int(seg.targetOffset)..<Int(seg.targetOffset) + Int(seg.count)].contains(Int32(c))
        if hit { reaching.insert(Int32(a)) }
      }
    }
    return reaching
  }

  /// How many routes of each layer or input end on one of `axons` of core `k`.
  static func axonSources(map: CoreMap, core k: Int, axons reaching: Set<Int32>) -> [String: Int] {
    var counts: [String: Int] = [:]
    for source in map.cores {
      for cc in 0..<source.compartmentCount {
        for r in Int(source.routeStart[cc])..<Int(source.routeStart[cc + 1]) where Int(source.routes[r].core) == k && reaching.contains(source.routes[r].axon) {
          counts[map.layers[Int(source.compartmentLayer[cc])].name, default: 0] += 1
        }
      }
    }
    for input in map.inputs {
      for r in input.routes where Int(r.core) == k && reaching.contains(r.axon) { counts[input.name, default: 0] += 1 }
    }
    return counts
  }

  /// `CORE:COMPARTMENT`: which neuron it is.
  static func reverse(_ text: String, map: CoreMap, shapes: [String: [Int]], output: inout CommandOutput) throws {
    let parts = text.split(separator: ":").map { Int($0) }
    guard parts.count == 2, let k = parts[0], let c = parts[1] else {
      throw UsageError(message: "'\(text)' is not CORE:COMPARTMENT (e.g. 3:37); to find a neuron give LAYER INDEX")
    }
    guard map.cores.indices.contains(k) else { throw UsageError(message: "core \(k) is not in the map (cores 0 ..< \(map.cores.count))") }
    let core = map.cores[k]
    guard (0..<core.compartmentCount).contains(c) else {
      throw UsageError(message: "core \(k) has compartments 0 ..< \(core.compartmentCount), not \(c)")
    }
    let name = map.layers[Int(core.compartmentLayer[c])].name
    let n = Int(core.compartmentNeuron[c])
    output.print("core \(k) (chip \(core.chip), core \(core.coreOnChip) of its chip) compartment \(c) is \(name)[\(n)]\(position(n, shape: shapes[name]))")
  }
}
