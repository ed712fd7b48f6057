import Foundation
import NeuroIO
import NeuromeshCLI
import Testing

@Suite("outputs left by a killed run")
struct StaleOutputTests {
  /// The PID of a process that has run and exited.
  func deadPID() throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/true")
    try p.run()
    p.waitUntilExit()
    return p.processIdentifier
  }

  @Test("the next run removes what a killed writer left beside its --out (dead PIDs only), and compile -o leaves no temporary file")
  func cleanedByTheNextRun() throws {
    let s = try Scratch()
    let dead = try deadPID()
    // A killed run's staging folder and a killed replacement's moved-aside output; and a
    // live process's (PID 1) staging folder, which must stay.
    for name in [".out.partial-\(dead)", ".out.previous-\(dead)", ".out.partial-1"] {
      try FileManager.default.createDirectory(at: s.url.appendingPathComponent(name), withIntermediateDirectories: true)
      try s.write("\(name)/summary.json", "{}")
    }
    let (status, out) = Neuromesh.main(arguments: ["run", s.path("net.json"), "--steps", "5", "--board", board, "--out", s.path("out")])
    #expect(status == .success, "\(out.standardError)")
    let left = try FileManager.default.contentsOfDirectory(atPath: s.url.path).filter { $0.hasPrefix(".out.") }
    #expect(left == [".out.partial-1"])
    // compile -o: written through a staging file renamed over the target; a dead one is cleaned.
    try s.write(".map.json.partial-\(dead)", "half a core map")
    #expect(Neuromesh.main(arguments: ["compile", s.path("net.json"), "--board", board, "-o", s.path("map.json")]).0 == .success)
    let files = try FileManager.default.contentsOfDirectory(atPath: s.url.path).filter { $0.contains("map.json") }
    #expect(files == ["map.json"])
  }

  @Test("a writer killed between moving the earlier output aside and putting the new one in place: the earlier output is put back")
  func restoresTheEarlierOutput() throws {
    let s = try Scratch()
    let dead = try deadPID()
    try FileManager.default.createDirectory(at: s.url.appendingPathComponent(".out.previous-\(dead)"), withIntermediateDirectories: true)
    try s.write(".out.previous-\(dead)/summary.json", "{\"format\": \"earlier\"}")
    try FileManager.default.createDirectory(at: s.url.appendingPathComponent(".out.partial-\(dead)"), withIntermediateDirectories: true)
    StaleOutputs.clean(beside: s.url.appendingPathComponent("out"))
    #expect(try s.read("out/summary.json") == "{\"format\": \"earlier\"}")
    #expect(try FileManager.default.contentsOfDirectory(atPath: s.url.path).filter { $0.hasPrefix(".out.") }.isEmpty)
  }
}
