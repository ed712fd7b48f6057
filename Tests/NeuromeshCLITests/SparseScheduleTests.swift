import Foundation
import NeuroIO
import NeuromeshCLI
import Testing

@Suite("input spike schedules are sparse")
struct SparseScheduleTests {
  /// The quickstart with its pixel spikes replaced by `csv`.
  func quickstart(_ s: Scratch, csv: String) throws -> String {
    let example = repositoryRoot.appendingPathComponent("examples/quickstart")
    for name in try FileManager.default.contentsOfDirectory(atPath: example.path) where name.hasSuffix(".npy") || name == "network.json" {
      try FileManager.default.copyItem(at: example.appendingPathComponent(name), to: s.url.appendingPathComponent(name))
    }
    try s.write("pixels.csv", csv)
    return s.path("network.json")
  }

  @Test("a spike at the last reachable step costs one number in the core map, not one per step before it, and the run is the one without it")
  func lateSpike() throws {
    let s = try Scratch()
    let network = try quickstart(s, csv: "step,neuron\n3,1\n4,7\n4,2\n2147483647,5\n")
    #expect(Neuromesh.main(arguments: ["compile", network, "-o", s.path("late.coremap.json")]).0 == .success)
    let map = try CoreMapFile.read(from: s.url.appendingPathComponent("late.coremap.json"))
    #expect(map.inputs[0].eventSteps == [3, 4, 4, 2_147_483_647])
    #expect(map.inputs[0].eventSources == [1, 2, 7, 5])
    let size = try FileManager.default.attributesOfItem(atPath: s.path("late.coremap.json"))[.size] as? Int ?? .max
    #expect(size < 100_000)
    let late = Neuromesh.main(arguments: ["run", s.path("late.coremap.json"), "--steps", "30", "--out", s.path("late")])
    #expect(late.0 == .success, "\(late.1.standardError)")
    try s.write("pixels.csv", "step,neuron\n3,1\n4,7\n4,2\n")
    #expect(Neuromesh.main(arguments: ["run", network, "--steps", "30", "--out", s.path("early")]).0 == .success)
    for file in ["probes/hidden_v.csv", "probes/hidden_u.csv", "probes/output.spikes.csv", "spikes/core-0000.csv", "spikes/core-0001.csv"] {
      #expect(try s.read("late/" + file) == s.read("early/" + file), "\(file)")
    }
  }

  @Test("a version 1 core map (one offset per step) reads as the same schedule")
  func versionOne() throws {
    let s = try Scratch()
    let network = try quickstart(s, csv: "step,neuron\n2,4\n2,9\n5,0\n")
    #expect(Neuromesh.main(arguments: ["compile", network, "-o", s.path("v2.coremap.json")]).0 == .success)
    let text = try s.read("v2.coremap.json")
    let v1 = text.replacingOccurrences(of: "\"version\": 2", with: "\"version\": 1")
      .replacingOccurrences(of: "\"event_steps\": [2, 2, 5]", with: "\"step_start\": [0, 0, 2, 2, 2, 3]")
    #expect(v1 != text)
    try s.write("v1.coremap.json", v1)
    #expect(try CoreMapFile.read(from: s.url.appendingPathComponent("v1.coremap.json")) == CoreMapFile.read(from: s.url.appendingPathComponent("v2.coremap.json")))
    try s.write("bad.coremap.json", v1.replacingOccurrences(of: "[0, 0, 2, 2, 2, 3]", with: "[0, 2, 1, 3]"))
    let bad = Neuromesh.main(arguments: ["inspect", s.path("bad.coremap.json")])
    #expect(bad.0 == .invalidInput)
    #expect(bad.1.standardError == "error: \(s.path("bad.coremap.json")): inputs[0].step_start: is not a non-decreasing list of offsets from 0 to the 3 events; compile the network again\n")
  }

  @Test("steps past 2^31 − 1 are refused where they are read, not clamped")
  func stepsOutOfRange() throws {
    let s = try Scratch()
    let network = try quickstart(s, csv: "step,neuron\n2147483648,5\n")
    let csv = Neuromesh.main(arguments: ["compile", network, "--check"])
    #expect(csv.0 == .invalidInput)
    #expect(csv.1.standardError == "error: \(s.path("pixels.csv")): line 2: step 2147483648 is past the last step a run can reach (2147483647); give steps in 1...2147483647\n")
    try s.write(
      "inline.json",
      #"""
      {"version": 1, "inputs": [{"name": "in", "kind": "spike_train", "size": 2, "spike_times": [[1], [2, 3000000000]]}],
       "layers": [{"name": "a", "size": 1, "neuron": {"model": "LoihiSpikingRectifiedLinear", "vth_mant": 100}}],
       "connections": [{"from": "in", "to": "a", "weights": [[1, 1]]}], "probes": []}
      """#)
    let inline = Neuromesh.main(arguments: ["compile", s.path("inline.json"), "--check"])
    #expect(inline.0 == .invalidInput)
    #expect(inline.1.standardError == "error: \(s.path("inline.json")): inputs[0].spike_times[1][1]: step 3000000000 is outside the steps a run can reach (1...2147483647); number steps from 1 (a spike at step t reaches its targets at step t+1), up to 2147483647\n")
  }
}
