import Foundation
import NeuromeshCLI
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

/// A scratch directory with a small network, removed afterwards.
final class Scratch {
  let url: URL
  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("neuromesh-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    try write(
      "net.json",
      #"""
      {"version": 1, "name": "cli demo",
       "inputs": [{"name": "in", "kind": "spike_train", "size": 1, "spike_times": [[1, 2]]}],
       "layers": [{"name": "a", "size": 2, "neuron": {"model": "LoihiSpikingRectifiedLinear", "vth_mant": 100, "bias_mant": [1000, 0]}}],
       "connections": [{"from": "in", "to": "a", "weights": [[0], [200]]}],
       "probes": [{"layer": "a", "kind": "voltage"}]}
      """#)
  }
  deinit { try? FileManager.default.removeItem(at: url) }
  func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: url.appendingPathComponent(name)) }
  func path(_ name: String) -> String { url.appendingPathComponent(name).path }
  func read(_ name: String) throws -> String { try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8) }
  func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }
}

let board = repositoryRoot.appendingPathComponent("hardware-specs/boards/loihi1-single-chip.json").path

@Suite("neuromesh command line")
struct CLITests {
  @Test("help and version exit 0; no command and unknown commands exit 64")
  func helpAndUsage() {
    let (status, out) = Neuromesh.main(arguments: ["--help"])
    #expect(status == .success)
    #expect(out.standardOutput.contains("USAGE: neuromesh <command> [options]"))
    #expect(out.standardOutput.contains("compile    Compile a network onto a board and write its core map."))
    #expect(out.standardOutput.contains("run        Emulate a network (or a compiled core map) step by step."))
    #expect(out.standardOutput.contains("inspect    Show a compiled core map"))
    let (runHelp, runOut) = Neuromesh.main(arguments: ["run", "--help"])
    #expect(runHelp == .success)
    #expect(runOut.standardOutput.contains("USAGE: neuromesh run (NETWORK.json | FILE.coremap.json) --steps N [--board SPEC.json] [--out DIR] [--threads N]"))
    #expect(Neuromesh.main(arguments: ["compile", "--help"]).1.standardOutput.contains("USAGE: neuromesh compile NETWORK.json [--board BOARD.json] (-o FILE.coremap.json | --check) [--all]"))
    #expect(Neuromesh.main(arguments: ["inspect", "--help"]).0 == .success)
    #expect(runOut.standardOutput.contains("--steps N"))
    #expect(Neuromesh.main(arguments: ["--version"]).1.standardOutput == "neuromesh \(Neuromesh.version)\n")
    #expect(Neuromesh.main(arguments: []).0 == .usage)
    let (unknown, unknownOut) = Neuromesh.main(arguments: ["simulate"])
    #expect(unknown == .usage)
    #expect(unknownOut.standardError.hasPrefix("error: unknown command 'simulate'\n"))
  }

  @Test("bad usage exits 64 with a message", arguments: [
    (["run"], "error: missing the network file"),
    (["run", "x.json"], "error: missing --steps N"),
    (["run", "x.json", "--steps", "-5"], "error: --steps must not be negative, got -5"),
    (["run", "x.json", "--steps", "ten"], "error: option '--steps' needs an integer, got 'ten'"),
    (["run", "x.json", "--steps"], "error: option '--steps' needs a value N"),
    (["run", "x.json", "--steps", "3", "--speed", "2"], "error: unknown option '--speed' (known options: --steps, --board, --out, --threads, --record, --format, --progress, --help)"),
    (["run", "a.json", "b.json", "--steps", "3"], "error: expected one network file, got 2: a.json b.json"),
    (["run", "x.json", "--steps", "3", "--threads", "0"], "error: --threads must be in 1 ... 1024, got 0"),
    (["run", "x.json", "--steps", "3", "--threads", "2305843009213693952"], "error: --threads must be in 1 ... 1024, got 2305843009213693952"),
    (["run", "x.json", "--steps", "3", "--threads", "9223372036854775807"], "error: --threads must be in 1 ... 1024, got 9223372036854775807"),
    (["run", "x.json", "--steps", "9999999999"], "error: --steps must be at most 2147483647, got 9999999999"),
  ])
  func badUsage(_ arguments: [String], _ message: String) {
    let (status, out) = Neuromesh.main(arguments: arguments)
    #expect(status == .usage)
    #expect(out.standardError.components(separatedBy: "\n").first == message)
    #expect(out.standardOutput.isEmpty)
  }

  @Test("a run writes per-core spike logs, probe traces and a summary")
  func runWritesOutputs() throws {
    let s = try Scratch()
    let (status, out) = Neuromesh.main(arguments: ["run", s.path("net.json"), "--steps", "10", "--board", board, "--out", s.path("out")])
    #expect(status == .success, "\(out.standardError)")
    #expect(out.standardOutput.hasPrefix("Ran 'cli demo' for 10 steps on Loihi 1, single chip: 1 core(s) on 1 chip(s).\n"))
    #expect(out.standardOutput.contains("\na            2      1       3              0.1500\n"))
    // Neuron 0: bias 1000 → spike at 7. Neuron 1: input spikes at 1, 2 arrive at 2, 3 with
    // 200 → 200 · 64 = 12800 > 6400 each: spikes at 2 and 3.
    #expect(try s.read("out/spikes/core-0000.csv") == "step,core,compartment,layer,neuron\n2,0,1,a,1\n3,0,1,a,1\n7,0,0,a,0\n")
    let probe = try s.read("out/probes/a.voltage.csv")
    #expect(probe.hasPrefix("step,n0,n1\n1,1000,0\n2,2000,0\n3,3000,0\n4,4000,0\n"))
    let summary = try s.read("out/summary.json")
    #expect(summary.contains("\"format\": \"neuromesh-run-output\""))
    #expect(summary.contains("\"synaptic_events\": 4"))
    #expect(summary.contains("{\"name\": \"a\", \"neurons\": 2, \"spikes\": 3}"))
    // A second run replaces the earlier output.
    #expect(Neuromesh.main(arguments: ["run", s.path("net.json"), "--steps", "3", "--board", board, "--out", s.path("out")]).0 == .success)
    #expect(try s.read("out/spikes/core-0000.csv") == "step,core,compartment,layer,neuron\n2,0,1,a,1\n3,0,1,a,1\n")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: s.url.path).filter { $0.hasPrefix(".") }
    #expect(leftovers.isEmpty)
  }

  @Test("invalid input exits 65, names the file and path, and writes nothing")
  func invalidInput() throws {
    let s = try Scratch()
    try s.write("bad.json", #"{"version": 1, "layers": [{"name": "a", "size": 2, "neuron": {"model": "LoihiLIF", "vth_mant": 10, "decay_u": 9000}}]}"#)
    let (status, out) = Neuromesh.main(arguments: ["run", s.path("bad.json"), "--steps", "5", "--board", board, "--out", s.path("out")])
    #expect(status == .invalidInput)
    #expect(out.standardError == "error: \(s.path("bad.json")): layers[0].neuron.decay_u: 9000 is out of range 0...4095 (12-bit field); use a value in 0...4095\n")
    #expect(!s.exists("out"))
    let missing = Neuromesh.main(arguments: ["run", s.path("none.json"), "--steps", "5", "--board", board])
    #expect(missing.0 == .invalidInput)
    #expect(missing.1.standardError.contains("none.json: does not exist; give the path of the network file"))
  }

  @Test("a network that does not fit the board exits 65 with the resource and a fix")
  func doesNotFit() throws {
    let s = try Scratch()
    let columns = Array(repeating: "1", count: 300).joined(separator: ", ")
    try s.write(
      "big.json",
      #"{"version": 1, "inputs": [{"name": "in", "kind": "spike_train", "size": 300, "spike_file": "s.csv"}], "layers": [{"name": "wide", "size": 2, "neuron": {"model": "LoihiLIF", "vth_mant": 10}}], "connections": [{"from": "in", "to": "wide", "weights": [[\#(columns)], [\#(columns)]]}]}"#)
    try s.write("s.csv", "step,neuron\n1,0\n")
    let tiny = repositoryRoot.appendingPathComponent("hardware-specs/tiny-test-chip.json").path
    let (status, out) = Neuromesh.main(arguments: ["run", s.path("big.json"), "--steps", "5", "--board", tiny, "--out", s.path("out")])
    #expect(status == .invalidInput)
    #expect(out.standardError == "error: \(s.path("big.json")): layers[0]: layer 'wide': receives from 300 source neurons (one input axon each) but a core has 256 input axons, and cutting the layer does not reduce its fan-in; reduce the fan-in: fewer or smaller source layers, or an intermediate layer\n")
    #expect(!s.exists("out"))
  }

  @Test("an output directory that is not ours is refused before running")
  func foreignOutputDirectory() throws {
    let s = try Scratch()
    try FileManager.default.createDirectory(atPath: s.path("keep"), withIntermediateDirectories: true)
    try s.write("keep/notes.txt", "precious")
    let (status, out) = Neuromesh.main(arguments: ["run", s.path("net.json"), "--steps", "5", "--board", board, "--out", s.path("keep")])
    #expect(status == .failure)
    #expect(out.standardError.hasSuffix("keep: exists and is not a Neuromesh output directory; choose another --out or remove it (Neuromesh only replaces its own outputs)\n"))
    #expect(try s.read("keep/notes.txt") == "precious")
  }

  @Test("the shipped example runs with the default board")
  func shippedExample() throws {
    let example = repositoryRoot.appendingPathComponent("examples/quickstart/network.json").path
    let (status, out) = Neuromesh.main(arguments: ["run", example, "--steps", "200"])
    #expect(status == .success, "\(out.standardError)")
    #expect(out.standardOutput.contains("on Loihi 1, single chip: 2 core(s) on 1 chip(s)."))
    // Spike counts are those NengoLoihi 1.1.0 gives for this network (checked with
    // tools/reference/neuromesh_nengo_loihi.py examples/quickstart --steps 200).
    #expect(out.standardOutput.contains("hidden       64      1     415"))
    #expect(out.standardOutput.contains("inhib        16      1     614"))
    #expect(out.standardOutput.contains("output       10      1     297"))
  }

  @Test("compile writes a core map that run and inspect read; --check writes nothing")
  func compileRunInspect() throws {
    let s = try Scratch()
    let (checkStatus, check) = Neuromesh.main(arguments: ["compile", s.path("net.json"), "--board", board, "--check"])
    #expect(checkStatus == .success)
    #expect(check.standardOutput.hasPrefix("'cli demo' fits Loihi 1, single chip.\n1 core(s) on 1 chip(s) of 'Loihi 1, single chip' (1 chip(s) × 128 cores)\nlower bound 1 core(s)"))
    #expect(check.standardOutput.contains("\n0     0:0        (0,0)     2/1024 0%    1/4096 0%     0/4096 0%     1/16384 0%         1/32 1/8  a\n"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: s.url.path) == ["net.json"])

    let (status, out) = Neuromesh.main(arguments: ["compile", s.path("net.json"), "--board", board, "-o", s.path("net.coremap.json")])
    #expect(status == .success, "\(out.standardError)")
    #expect(out.standardOutput.hasPrefix("Compiled 'cli demo' to \(s.path("net.coremap.json")).\n"))
    let fromMap = Neuromesh.main(arguments: ["run", s.path("net.coremap.json"), "--steps", "10", "--out", s.path("out-map")])
    let fromNetwork = Neuromesh.main(arguments: ["run", s.path("net.json"), "--steps", "10", "--board", board, "--out", s.path("out-net")])
    #expect(fromMap.0 == .success && fromNetwork.0 == .success)
    #expect(try s.read("out-map/spikes/core-0000.csv") == s.read("out-net/spikes/core-0000.csv"))
    #expect(try s.read("out-map/probes/a.voltage.csv") == s.read("out-net/probes/a.voltage.csv"))
    let inspect = Neuromesh.main(arguments: ["inspect", s.path("net.coremap.json")])
    #expect(inspect.0 == .success)
    #expect(inspect.1.standardOutput.hasPrefix("1 core(s) on 1 chip(s) of 'Loihi 1, single chip'"))
    // A core map already has its board.
    let withBoard = Neuromesh.main(arguments: ["run", s.path("net.coremap.json"), "--steps", "3", "--board", board])
    #expect(withBoard.0 == .usage)
    #expect(withBoard.1.standardError == "error: a core map is already placed on its board; drop --board\n")
  }

  @Test("compile usage errors and refusals")
  func compileErrors() throws {
    let s = try Scratch()
    #expect(Neuromesh.main(arguments: ["compile", s.path("net.json")]).1.standardError.hasPrefix("error: give -o FILE.coremap.json, or --check for a dry run\n"))
    #expect(Neuromesh.main(arguments: ["compile", s.path("net.json"), "--check", "-o", "x"]).0 == .usage)
    let columns = Array(repeating: "1", count: 300).joined(separator: ", ")
    try s.write(
      "big.json",
      #"{"version": 1, "inputs": [{"name": "in", "kind": "spike_train", "size": 300, "spike_times": []}], "layers": [{"name": "wide", "size": 1, "neuron": {"model": "LoihiLIF", "vth_mant": 10}}], "connections": [{"from": "in", "to": "wide", "weights": [[\#(columns)]]}]}"#
        .replacingOccurrences(of: #""spike_times": []"#, with: #""spike_file": "s.csv""#))
    try s.write("s.csv", "step,neuron\n")
    let tiny = repositoryRoot.appendingPathComponent("hardware-specs/tiny-test-chip.json").path
    let (status, out) = Neuromesh.main(arguments: ["compile", s.path("big.json"), "--board", tiny, "-o", s.path("big.coremap.json")])
    #expect(status == .invalidInput)
    #expect(out.standardError.hasPrefix("error: \(s.path("big.json")): layers[0]: layer 'wide': receives from 300 source neurons"))
    #expect(!s.exists("big.coremap.json"))
  }

  @Test("a damaged core map is refused with its path")
  func damagedCoreMap() throws {
    let s = try Scratch()
    #expect(Neuromesh.main(arguments: ["compile", s.path("net.json"), "--board", board, "-o", s.path("m.coremap.json")]).0 == .success)
    let text = try s.read("m.coremap.json")
    try s.write("bad.coremap.json", text.replacingOccurrences(of: "\"routes\": [0, 0]", with: "\"routes\": [5, 0]"))
    let (status, out) = Neuromesh.main(arguments: ["inspect", s.path("bad.coremap.json")])
    #expect(status == .invalidInput)
    #expect(out.standardError == "error: \(s.path("bad.coremap.json")): inputs: input 'in': route 0 targets core 5, but there are 1 cores; compile the network again\n")
  }

  @Test("the conv-refusal example is refused with exit 65 and its one-line fix compiles")
  func convRefusalExample() throws {
    let dir = repositoryRoot.appendingPathComponent("examples/conv-refusal")
    let (status, out) = Neuromesh.main(arguments: ["compile", dir.appendingPathComponent("network.json").path, "--board", board, "--check"])
    #expect(status == .invalidInput)
    #expect(out.standardError.hasPrefix("error: \(dir.appendingPathComponent("network.json").path): connections[0]: conv2d from 'image' to 'conv1': 'image' is a real-valued input with on/off encoding, not a spiking neuron layer;"))
    #expect(out.standardOutput.isEmpty)
    let original = try String(contentsOf: dir.appendingPathComponent("network.json"), encoding: .utf8)
    let fixed = try String(contentsOf: dir.appendingPathComponent("network-fixed.json"), encoding: .utf8)
    let changed = zip(original.split(separator: "\n"), fixed.split(separator: "\n")).filter { $0 != $1 }
    #expect(changed.count == 2)  // the name and the encoding
    let (fixedStatus, fixedOut) = Neuromesh.main(arguments: ["run", dir.appendingPathComponent("network-fixed.json").path, "--board", board, "--steps", "20"])
    #expect(fixedStatus == .success, "\(fixedOut.standardError)")
  }
}
