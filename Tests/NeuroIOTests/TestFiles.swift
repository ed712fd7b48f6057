import Foundation
import NeuroIO
import Testing

/// A temporary directory with files written into it, removed when the value is dropped.
final class TemporaryDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("neuromesh-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  @discardableResult
  func write(_ name: String, _ text: String) throws -> URL {
    let file = url.appendingPathComponent(name)
    try Data(text.utf8).write(to: file)
    return file
  }

  @discardableResult
  func write(_ name: String, bytes: [UInt8]) throws -> URL {
    let file = url.appendingPathComponent(name)
    try Data(bytes).write(to: file)
    return file
  }
}

/// A valid two-layer network; tests replace one part of it to make it invalid.
func network(
  inputs: String = #"[{"name": "in", "kind": "spike_train", "size": 2, "spike_times": [[1, 3], [2]]}]"#,
  layers: String = #"[{"name": "a", "size": 3, "neuron": {"model": "LoihiLIF", "vth_mant": 10, "decay_v": 100}}, {"name": "b", "size": 1, "neuron": {"model": "LoihiSpikingRectifiedLinear", "vth_mant": 5}}]"#,
  connections: String = #"[{"from": "in", "to": "a", "weights": [[1, 2], [3, 4], [5, 6]]}, {"from": "a", "to": "b", "weights": [[10, 20, 30]]}]"#,
  probes: String = #"[{"layer": "b", "kind": "spikes"}]"#,
  extra: String = ""
) -> String {
  #"{"version": 1, "inputs": \#(inputs), "layers": \#(layers), "connections": \#(connections), "probes": \#(probes)\#(extra)}"#
}

/// Loads `json` as net.json (with `files` beside it) in a fresh directory, expects it to be
/// refused, and returns the error text without the directory's path.
func loadErrorText(_ json: String, files: [String: [UInt8]] = [:]) throws -> String {
  let dir = try TemporaryDirectory()
  for (name, bytes) in files { try dir.write(name, bytes: bytes) }
  let file = try dir.write("net.json", json)
  do {
    _ = try NetworkLoader.load(from: file)
    Issue.record("expected an error")
    return ""
  } catch {
    return error.description.replacingOccurrences(of: dir.url.path + "/", with: "")
  }
}
