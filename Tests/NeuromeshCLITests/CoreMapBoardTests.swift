import Foundation
import NeuromeshCLI
import Testing

@Suite("core maps checked against their board")
struct CoreMapBoardTests {
  /// The quickstart compiled to a core map (two cores), edited by `edit` and rewritten by
  /// Foundation's JSON writer (which moves the format key off the top), run: exit and stderr.
  func runEdited(_ edit: (inout [[String: Any]]) -> Void) throws -> (NeuromeshCLI.ExitStatus, String) {
    let s = try Scratch()
    let network = repositoryRoot.appendingPathComponent("examples/quickstart/network.json").path
    #expect(Neuromesh.main(arguments: ["compile", network, "-o", s.path("q.coremap.json")]).0 == .success)
    let data = try Data(contentsOf: s.url.appendingPathComponent("q.coremap.json"))
    var map = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    var cores = try #require(map["cores"] as? [[String: Any]])
    #expect(cores.count == 2)
    edit(&cores)
    map["cores"] = cores
    try JSONSerialization.data(withJSONObject: map).write(to: s.url.appendingPathComponent("edited.json"))
    let (status, out) = Neuromesh.main(arguments: ["run", s.path("edited.json"), "--steps", "3", "--out", s.path("out")])
    #expect(s.exists("out") == (status == .success))
    return (status, out.standardError.replacingOccurrences(of: s.url.path + "/", with: ""))
  }

  @Test("a core on a chip or core the board does not have, two programs on one core, or a wrong mesh position: exit 65, named")
  func refused() throws {
    let offChip = try runEdited { $0[1]["chip"] = 7 }
    #expect(offChip.0 == .invalidInput)
    #expect(offChip.1.contains("edited.json: cores[1]: is placed on core 1 of chip 7, but 'Loihi 1, single chip' has 1 chip(s) of 128 cores"), "\(offChip.1)")
    let offCore = try runEdited { $0[0]["core_on_chip"] = 999_999 }
    #expect(offCore.1.contains("cores[0]: is placed on core 999999 of chip 0"), "\(offCore.1)")
    let doubled = try runEdited { $0[1]["core_on_chip"] = 0 }
    #expect(doubled.0 == .invalidInput && doubled.1.contains("cores[1]: core 0 of chip 0 already holds another program"), "\(doubled.1)")
    let moved = try runEdited { $0[1]["mesh_x"] = 5 }
    #expect(moved.0 == .invalidInput && moved.1.contains("cores[1]: its mesh position (5, 0) is not that of core 1 of chip 0, (0, 0)"), "\(moved.1)")
    let untouched = try runEdited { _ in }
    #expect(untouched.0 == .success, "\(untouched.1)")
  }
}
