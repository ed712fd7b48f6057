import Foundation
import NeuroIO
import NeuromeshCLI
import Testing

@Suite("neuromesh evaluate")
struct EvaluateCommandTests {
  /// Two real inputs in [0, 1] and an output layer whose neuron i reads input i: the class
  /// is the larger input.
  func scratch() throws -> Scratch {
    let s = try Scratch()
    try s.write(
      "real.json",
      #"""
      {"version": 2, "name": "argmax", "dt": 0.001,
       "inputs": [{"name": "x", "kind": "real", "size": 2, "values": [0, 0], "encoding": {"kind": "spiking"}}],
       "layers": [{"name": "out", "size": 2, "neuron": {"model": "LoihiSpikingRectifiedLinear", "tau_s": 0.005}}],
       "connections": [{"from": "x", "to": "out", "weights": [[100, 0], [0, 100]]}]}
      """#)
    let x: [Double] = [0.9, 0.1, 0.2, 0.6, 0.5, 0.45, 1.3, 0.0]
    try Data(NPYFile.encodeReals(x, shape: [4, 2])).write(to: s.url.appendingPathComponent("x.npy"))
    try Data(NPYFile.encode([0, 1, 1, 0], shape: [4])).write(to: s.url.appendingPathComponent("y.npy"))
    try Data(NPYFile.encodeReals([1, 0, 0, 1, 1, 0, 0, 1], shape: [4, 2])).write(to: s.url.appendingPathComponent("ref.npy"))
    return s
  }

  @Test("prints accuracy, ties, agreement, the confusion matrix and a clipping warning; writes its outputs")
  func evaluates() throws {
    let s = try scratch()
    let (status, out) = Neuromesh.main(arguments: [
      "evaluate", s.path("real.json"), "--inputs", s.path("x.npy"), "--labels", s.path("y.npy"), "--steps-per-sample", "200",
      "--readout", "current", "--skip", "20", "--reference-logits", s.path("ref.npy"), "--board", board, "--out", s.path("eval"),
    ])
    #expect(status == .success, "\(out.standardError)")
    let text = out.standardOutput
    #expect(text.contains("Evaluated 'argmax' on Loihi 1, single chip (1 core): 4 samples × 200 steps, fresh state per sample."))
    #expect(text.contains("readout: current of 'out' (2 neurons), steps 21…200 of each sample; real units: 1 = "))
    // Sample 3 (1.3, 0) is clipped to (1, 0); sample 2 (0.5 vs 0.45) is class 0 but labelled 1.
    #expect(out.standardError.contains("warning: input 'x': 1 of 8 values lie outside the encoder's range [0.0, 1.0] (min 0.0, max 1.3) and were clipped"))
    #expect(text.contains("accuracy 75.00 % (3/4)"))
    #expect(text.contains("ties: 0 samples with a shared largest readout"))
    #expect(text.contains("agreement with the reference logits: 75.00 % (3/4)"))
    #expect(text.contains("confusion matrix (rows: label, columns: predicted):\n   0  1\n0  2  0\n1  1  1"))
    #expect(text.contains("wrote "))
    #expect(text.contains("\n  per inference: "))
    let energy = try s.read("eval/energy.json")
    #expect(energy.contains("\"format\": \"neuromesh-energy\""))
    #expect(energy.contains("\"steps\": 800,") && energy.contains("\"steps_per_inference\": 200,"))
    let summary = try s.read("eval/summary.json")
    #expect(summary.contains("\"format\": \"neuromesh-evaluation\""))
    #expect(summary.contains("\"accuracy\": 0.75,"))
    #expect(summary.contains("\"confusion\": [[2, 0], [1, 1]],"))
    let predictions = try NPYFile.readIntegers(at: s.url.appendingPathComponent("eval/predictions.npy"), displayPath: "predictions.npy")
    #expect(predictions.values == [0, 1, 0, 0])
    let readout = try NPYFile.readReals(at: s.url.appendingPathComponent("eval/readout.npy"), displayPath: "readout.npy")
    #expect(readout.shape == [4, 2])
    // Mean current ≈ W·x = 100·x (τs settles within the 20 skipped steps).
    for (got, want) in zip(readout.values, [90.0, 10, 20, 60, 50, 45, 100, 0]) {
      #expect(abs(got - want) <= 1.5, "readout \(got), expected about \(want)")
    }
    // A second evaluation replaces the earlier output.
    let again = Neuromesh.main(arguments: [
      "evaluate", s.path("real.json"), "--inputs", s.path("x.npy"), "--steps-per-sample", "10", "--board", board, "--out", s.path("eval"),
      "--presentation", "continuous", "--blank", "3",
    ])
    #expect(again.0 == .success, "\(again.1.standardError)")
    #expect(try s.read("eval/summary.json").contains("\"presentation\": \"continuous\""))
  }

  @Test("compile and run warn about clipped input values; run's summary states the probe scales")
  func clippedValuesAndScales() throws {
    let s = try scratch()
    try s.write("clipped.json", try s.read("real.json").replacingOccurrences(of: #""values": [0, 0]"#, with: #""values": [1.5, -0.25]"#))
    let (status, out) = Neuromesh.main(arguments: ["run", s.path("clipped.json"), "--steps", "20", "--board", board, "--out", s.path("run")])
    #expect(status == .success)
    #expect(
      out.standardError
        == "warning: \(s.path("clipped.json")): input 'x': 2 of 2 values lie outside the spiking encoder's range [0.0, 1.0] (min -0.25, max 1.5) and are clipped; rescale the values, or use on_off encoding for signed values\n")
    let summary = try s.read("run/summary.json")
    #expect(summary.contains(#""probe_scales": [{"layer": "out", "voltage_units_per_real": "#))
    #expect(summary.contains(#""mesh_x": 0, "mesh_y": 0, "neurons": [{"layer": "out", "from": 0, "to": 2}]}"#))
    let compile = Neuromesh.main(arguments: ["compile", s.path("clipped.json"), "--board", board, "--check"])
    #expect(compile.1.standardError.hasPrefix("warning: \(s.path("clipped.json")): input 'x': 2 of 2 values"))
  }

  @Test("bad usage exits 64, bad data 65, each with what to do", arguments: [
    (["--steps-per-sample", "10"], 64, "error: missing --inputs X.npy (or a folder of NAME.npy)"),
    (["--inputs", "x.npy"], 64, "error: missing --steps-per-sample T"),
    (["--inputs", "x.npy", "--steps-per-sample", "10", "--blank", "2"], 64,
     "error: --blank only applies to --presentation continuous (a fresh presentation starts every sample from zero)"),
    (["--inputs", "x.npy", "--steps-per-sample", "10", "--readout", "logits"], 64,
     "error: --readout must be spikes, current or voltage, got 'logits'"),
    (["--inputs", "x.npy", "--steps-per-sample", "10", "--presentation", "shuffled"], 64,
     "error: --presentation must be fresh or continuous, got 'shuffled'"),
    (["--inputs", "y.npy", "--steps-per-sample", "10"], 65,
     "y.npy: has shape [4]; samples for 'x' are an array [N, 2] with one row per sample"),
    (["--inputs", "x.npy", "--labels", "ref.npy", "--steps-per-sample", "10"], 65,
     "ref.npy: has shape [4, 2]; labels are one integer class per sample, shape [4]"),
  ])
  func refusals(_ arguments: [String], _ status: Int32, _ message: String) throws {
    let s = try scratch()
    let args = ["evaluate", s.path("real.json"), "--board", board] + arguments.map { $0.hasSuffix(".npy") ? s.path($0) : $0 }
    let (got, out) = Neuromesh.main(arguments: args)
    #expect(got.rawValue == status)
    let error = out.standardError.replacingOccurrences(of: s.url.path + "/", with: "")
    #expect(error.contains(message), "\(error)")
    #expect(!s.exists("eval"))
  }
}
