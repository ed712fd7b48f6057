import Foundation
import NeuroIO
import NeuromeshCLI
import Testing

@Suite("Built-in boards")
struct BoardsTests {
  @Test("every built-in spec equals its file in hardware-specs/ (regenerate with tools/generate_builtin_specs.sh)")
  func builtinsMatchFiles() throws {
    let root = repositoryRoot.appendingPathComponent("hardware-specs")
    let names = SpecLoader.builtinNames
    #expect(names.contains("nahuku-32") && names.contains("loihi1"))
    for name in names {
      let builtin = try #require(try SpecLoader.loadBuiltinBoard(named: name))
      let file = FileManager.default.fileExists(atPath: root.appendingPathComponent("boards/\(name).json").path)
        ? root.appendingPathComponent("boards/\(name).json") : root.appendingPathComponent("\(name).json")
      #expect(builtin == (try SpecLoader.loadBoard(from: file)), "\(name)")
    }
    // The files' count equals the built-ins' count: a new spec file must be built in.
    let enumerator = FileManager.default.enumerator(atPath: root.path)
    let files = (enumerator?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }
    #expect(files.count == names.count)
  }

  @Test("--board takes a built-in name; an unknown name lists the known ones; 'boards' lists them")
  func namedBoards() throws {
    let s = try Scratch()
    let (status, out) = Neuromesh.main(arguments: ["run", s.path("net.json"), "--steps", "3", "--board", "kapoho-bay"])
    #expect(status == .success, "\(out.standardError)")
    #expect(out.standardOutput.hasPrefix("Ran 'cli demo' for 3 steps on Kapoho Bay: 1 core(s) on 1 chip(s)."))
    let (bad, badOut) = Neuromesh.main(arguments: ["run", s.path("net.json"), "--steps", "3", "--board", "nahuku-64"])
    #expect(bad == .invalidInput)
    #expect(badOut.standardError.hasPrefix("error: nahuku-64: is neither a spec file nor a built-in board; give a spec file's path or one of: kapoho-bay, loihi1, "))
    let (listed, list) = Neuromesh.main(arguments: ["boards"])
    #expect(listed == .success)
    #expect(list.standardOutput.contains("\nnahuku-32            Nahuku 32                 Loihi 1                      32   4096  yes\n"))
  }

  @Test("a network too big for the board is refused with a built-in board that fits")
  func boardThatFits() throws {
    let s = try Scratch()
    // 300 layers of 1,000 neurons: 294 cores (the layers are cut to fill each other), more than one Loihi chip's 128.
    let layers = (0..<300).map { #"{"name": "l\#($0)", "size": 1000, "neuron": {"model": "LoihiSpikingRectifiedLinear", "vth_mant": 10}}"# }
    try s.write("big.json", #"{"version": 1, "layers": [\#(layers.joined(separator: ", "))]}"#)
    let (status, out) = Neuromesh.main(arguments: ["compile", s.path("big.json"), "--board", "loihi1-single-chip", "--check"])
    #expect(status == .invalidInput)
    #expect(
      out.standardError
        == "error: \(s.path("big.json")): network: needs 294 cores but board 'Loihi 1, single chip' has 128 (1 chip(s) × 128 cores); use a board with at least 294 cores, e.g. --board nahuku-8 (8 chips, 1024 cores), or make the network smaller\n")
  }
}
