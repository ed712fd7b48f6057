import CoreMapModel
import Emulator
import Foundation
import HardwareSpec
import Mapper
import NetworkModel
import NeuroIO
import Testing

/// The conformance cases under Fixtures/conformance: each a network in our format plus the
/// spikes, voltages and currents NengoLoihi 1.1.0's emulator produced for it
/// (tools/reference/generate_fixtures.py).
enum ConformanceCases {
  static let root: URL? = Bundle.module.url(forResource: "conformance", withExtension: nil, subdirectory: "Fixtures")

  static var all: [String] {
    guard let root else { return [] }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return names.filter { !$0.hasPrefix(".") }.sorted()
  }
}

/// The repository root, for the shipped hardware specs.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

func loadBoard(_ relativePath: String) throws -> BoardSpec {
  try SpecLoader.loadBoard(from: repositoryRoot.appendingPathComponent(relativePath))
}

/// Runs `network` with a spikes, voltage and current probe on every neuron of every layer
/// and returns the recordings keyed "layer.kind".
func runWithFullProbes(
  _ network: Network, steps: Int, board: BoardSpec, threads: Int? = nil, minimumSliceSize: Int = 256
) throws -> [String: ProbeRecording] {
  var probed = network
  probed.probes = network.layers.filter { $0.kind.hasNeurons }.flatMap { layer in
    ProbeKind.allCases.map { Probe(name: "\(layer.name).\($0.rawValue)", layer: layer.name, kind: $0) }
  }
  let map = try NetworkCompiler(board: board).compile(probed).0
  let emulator = try ChipEmulator(coreMap: map, options: EmulatorOptions(threads: threads, parallelWorkThreshold: 0, minimumSliceSize: minimumSliceSize))
  emulator.run(steps: steps)
  var out: [String: ProbeRecording] = [:]
  for r in emulator.probeRecordings { out[r.name] = r }
  return out
}

@Suite("Conformance with NengoLoihi 1.1.0")
struct ConformanceTests {
  @Test("there are at least 25 conformance cases")
  func enoughCases() {
    #expect(ConformanceCases.all.count >= 25)
  }

  @Test("spikes, voltages and currents are bit-identical", arguments: ConformanceCases.all)
  func bitIdentical(_ name: String) throws {
    let dir = try #require(ConformanceCases.root).appendingPathComponent(name)
    let caseInfo = try JSONParser.parse([UInt8](Data(contentsOf: dir.appendingPathComponent("case.json"))))
    guard case .object(let fields, _) = caseInfo, case .number(let n)? = fields["steps"], let steps = n.integer else {
      Issue.record("case.json of \(name) has no integer 'steps'")
      return
    }
    let network = try NetworkLoader.load(from: dir.appendingPathComponent("network.json"))
    let board = try loadBoard("hardware-specs/reference-unlimited.json")
    let recordings = try runWithFullProbes(network, steps: steps, board: board, threads: 1)
    // The same run cut into many small slices on two threads must agree exactly.
    let sliced = try runWithFullProbes(network, steps: steps, board: board, threads: 2, minimumSliceSize: 7)
    #expect(sliced == recordings, "\(name): sliced parallel run differs from the sequential run")
    for layer in network.layers {
      for kind in ProbeKind.allCases {
        let file = dir.appendingPathComponent("expected/\(layer.name).\(kind.rawValue).npy")
        let expected = try NPYFile.readIntegers(at: file, displayPath: file.lastPathComponent)
        #expect(expected.shape == [steps, layer.size], "\(name): \(file.lastPathComponent) shape")
        let got = try #require(recordings["\(layer.name).\(kind.rawValue)"])
        if got.values != expected.values {
          let k = got.values.indices.first { $0 >= expected.values.count || got.values[$0] != expected.values[$0] } ?? 0
          Issue.record(
            "\(name): layer '\(layer.name)' \(kind.rawValue) differs first at step \(k / layer.size + 1), neuron \(k % layer.size): expected \(expected.values[k]), got \(got.values[k])")
        }
      }
    }
  }
}
