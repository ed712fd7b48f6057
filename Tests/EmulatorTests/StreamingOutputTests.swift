import CoreMapModel
import Emulator
import Foundation
import Mapper
import NetworkModel
import NeuroIO
import Testing

/// Run outputs streamed to disk during the run are the files written at the end, byte for
/// byte, whatever the pieces and the thread count.
@Suite("streamed run outputs")
struct StreamingOutputTests {
  /// The quickstart network with every neuron of every layer probed three ways, so that
  /// traces are wide and long.
  func quickstartMap() throws -> CoreMap {
    var network = try NetworkLoader.load(from: repositoryRoot.appendingPathComponent("examples/quickstart/network.json"))
    network.probes += network.layers.flatMap { layer in
      ProbeKind.allCases.map { Probe(name: "\(layer.name)-all-\($0.rawValue)", layer: layer.name, kind: $0) }
    }
    return try NetworkCompiler(board: loadBoard("hardware-specs/boards/loihi1-single-chip.json")).compile(network).0
  }

  /// Every file under `directory` (relative path → bytes).
  func files(_ directory: URL) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let fm = FileManager.default
    guard let walker = fm.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else { return out }
    for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
      out[String(url.path.dropFirst(directory.path.count + 1))] = try Data(contentsOf: url)
    }
    return out
  }

  /// Runs `steps` steps in pieces of `piece`, streaming with the thresholds at zero (every
  /// piece is written as soon as it ran) or, with `piece == nil`, writing at the end.
  func run(_ map: CoreMap, steps: Int, piece: Int?, threads: Int, options: RunOutputWriter.WriteOptions, to out: URL) throws {
    let emulator = try ChipEmulator(coreMap: map, options: EmulatorOptions(threads: threads, parallelWorkThreshold: 0, minimumSliceSize: 8))
    var report: RunReport { RunReport(networkName: "q", steps: steps, emulationSeconds: 0, activity: emulator.activity, hostSpikeMessages: emulator.hostSpikeMessages) }
    guard let piece else {
      emulator.run(steps: steps)
      try RunOutputWriter.write(report: report, emulator: emulator, to: out, options: options)
      return
    }
    let stream = try RunOutputStream(directory: out, map: map, options: options)
    stream.spikeThreshold = 0
    stream.probeValueThreshold = 0
    var done = 0
    while done < steps {
      let n = min(piece, steps - done)
      emulator.run(steps: n)
      try stream.drain(emulator)
      // The emulator holds at most one piece: what was written is dropped from memory.
      #expect(emulator.loggedSpikeCount == 0 && emulator.recordedProbeValueCount == 0)
      done += n
    }
    try stream.finish(report: report, emulator: emulator)
  }

  @Test("streamed in pieces of 1, 7 and 64 steps, on 1 and 2 threads: the same bytes as written at the end", arguments: [false, true])
  func byteIdentical(npy: Bool) throws {
    let map = try quickstartMap()
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("neuromesh-stream-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let options = RunOutputWriter.WriteOptions(npy: npy)
    try run(map, steps: 300, piece: nil, threads: 1, options: options, to: scratch.appendingPathComponent("end"))
    let reference = try files(scratch.appendingPathComponent("end"))
    // Two cores' logs and 3 + 9 traces, each with something in it.
    #expect(reference.keys.filter { $0.hasPrefix("spikes/") }.count == 2)
    #expect(reference.keys.filter { $0.hasPrefix("probes/") }.count == 12)
    #expect(reference.values.allSatisfy { $0.count > 200 })
    for (piece, threads) in [(1, 1), (7, 2), (64, 2), (300, 2)] {
      let name = "stream-\(piece)-\(threads)"
      try run(map, steps: 300, piece: piece, threads: threads, options: options, to: scratch.appendingPathComponent(name))
      let streamed = try files(scratch.appendingPathComponent(name))
      #expect(streamed.keys.sorted() == reference.keys.sorted(), "\(name)")
      for (path, bytes) in reference { #expect(streamed[path] == bytes, "\(name): \(path) differs") }
    }
    if npy {
      // The .npy headers were rewritten with the final shapes.
      let trace = try NPYFile.readIntegers(at: scratch.appendingPathComponent("stream-7-2/probes/hidden-all-voltage.npy"), displayPath: "t")
      #expect(trace.shape == [300, 64])
    }
  }

  @Test("a stream that is dropped before it finishes leaves no directory and no staging behind")
  func abandoned() throws {
    let map = try quickstartMap()
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("neuromesh-stream-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    do {
      let stream = try RunOutputStream(directory: scratch.appendingPathComponent("out"), map: map, options: .init())
      let emulator = try ChipEmulator(coreMap: map)
      emulator.run(steps: 20)
      try stream.drain(emulator, force: true)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [])
  }
}
