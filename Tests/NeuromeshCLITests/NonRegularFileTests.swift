import Foundation
import NeuromeshCLI
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@Suite("paths that are not regular files")
struct NonRegularFileTests {
  /// A scratch folder holding a named pipe, a directory, a loop of symbolic links and a
  /// link to a missing file, each named like the file a command expects.
  func hostilePaths(_ s: Scratch, suffix: String) throws -> [(path: String, what: String)] {
    #expect(mkfifo(s.path("pipe" + suffix), 0o644) == 0)
    try FileManager.default.createDirectory(atPath: s.path("folder" + suffix), withIntermediateDirectories: false)
    try FileManager.default.createSymbolicLink(atPath: s.path("loop-a" + suffix), withDestinationPath: s.path("loop-b" + suffix))
    try FileManager.default.createSymbolicLink(atPath: s.path("loop-b" + suffix), withDestinationPath: s.path("loop-a" + suffix))
    try FileManager.default.createSymbolicLink(atPath: s.path("dangling" + suffix), withDestinationPath: s.path("gone" + suffix))
    return [
      (s.path("pipe" + suffix), "is a named pipe (FIFO), not a regular file"),
      (s.path("folder" + suffix), "is a directory, not a file"),
      (s.path("loop-a" + suffix), "is a loop of symbolic links"),
      (s.path("dangling" + suffix), "is a symbolic link to a missing file"),
      (s.path("absent" + suffix), "does not exist"),
      ("/dev/zero", "is a device, not a regular file"),
    ]
  }

  @Test("a network, spec or config path that is a pipe, a device, a link loop or missing: exit 65 with what it is, at once (a pipe is never opened)", .timeLimit(.minutes(1)))
  func commandInputs() throws {
    let s = try Scratch()
    for (path, what) in try hostilePaths(s, suffix: ".json") where !path.hasSuffix("folder.json") {
      let run = Neuromesh.main(arguments: ["run", path, "--steps", "3", "--out", s.path("out")])
      #expect(run.0 == .invalidInput && run.1.standardError == "error: \(path): \(what); give the path of the network file\n")
      let board = Neuromesh.main(arguments: ["run", s.path("net.json"), "--steps", "3", "--board", path, "--out", s.path("out")])
      #expect(board.0 == .invalidInput && board.1.standardError == "error: \(path): \(what); give the path of the spec file\n")
      let train = Neuromesh.main(arguments: ["train", path, "-o", s.path("trained")])
      #expect(train.0 == .invalidInput && train.1.standardError == "error: \(path): \(what); give the path of the training configuration file\n")
      let inspect = Neuromesh.main(arguments: ["inspect", path])
      #expect(inspect.0 == .invalidInput && inspect.1.standardError == "error: \(path): \(what); give the path of the core map file\n")
      #expect(!s.exists("out") && !s.exists("trained"))
    }
  }

  @Test("a spike CSV or a weight .npy named by a network, or evaluate's samples, that is a pipe or a device: located, exit 65", .timeLimit(.minutes(1)))
  func dataFiles() throws {
    let s = try Scratch()
    let paths = try hostilePaths(s, suffix: ".npy") + hostilePaths(s, suffix: ".csv")
    for (path, what) in paths where path.hasPrefix(s.url.path) && (path.contains("pipe") || path.contains("loop")) {
      let isCSV = path.hasSuffix(".csv")
      try s.write(
        "data.json",
        isCSV
          ? #"{"version": 1, "inputs": [{"name": "in", "kind": "spike_train", "size": 1, "spike_file": "\#(path)"}], "layers": [{"name": "a", "size": 1, "neuron": {"model": "LoihiLIF", "vth_mant": 10}}], "connections": [{"from": "in", "to": "a", "weights": [[1]]}]}"#
          : #"{"version": 1, "inputs": [{"name": "in", "kind": "spike_train", "size": 1, "spike_times": [[1]]}], "layers": [{"name": "a", "size": 1, "neuron": {"model": "LoihiLIF", "vth_mant": 10}}], "connections": [{"from": "in", "to": "a", "weights": "\#(path)"}]}"#)
      let run = Neuromesh.main(arguments: ["run", s.path("data.json"), "--steps", "3", "--out", s.path("out")])
      #expect(run.0 == .invalidInput, "\(path)")
      #expect(run.1.standardError.hasPrefix("error: \(path): \(what); "), "\(run.1.standardError)")
    }
    let network = repositoryRoot.appendingPathComponent("examples/digits/trained/mlp-loihi-rate/network.json").path
    let evaluate = Neuromesh.main(arguments: ["evaluate", network, "--inputs", s.path("pipe.npy"), "--steps-per-sample", "5"])
    #expect(evaluate.0 == .invalidInput)
    #expect(evaluate.1.standardError.hasPrefix("error: \(s.path("pipe.npy")): is a named pipe (FIFO), not a regular file; "), "\(evaluate.1.standardError)")
  }
}
