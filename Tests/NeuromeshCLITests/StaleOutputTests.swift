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

  @Test("writers finishing at once on one output all succeed, each swap under the lock: the output is always one writer's whole output, and nothing is left beside it")
  func concurrentWriters() throws {
    let s = try Scratch()
    let target = s.url.appendingPathComponent("shared")
    let failures = Failures()
    DispatchQueue.concurrentPerform(iterations: 4) { writer in
      for round in 0..<25 {
        do {
          try RunOutputWriter.replaceAtomically(target) { staging in
            // A marker that makes the folder a Neuromesh output, and a body that must not mix.
            try Data("{\"format\": \"neuromesh-evaluation\", \"writer\": \(writer), \"round\": \(round)}".utf8)
              .write(to: staging.appendingPathComponent("summary.json"))
            try Data(String(repeating: "\(writer)", count: 1000).utf8).write(to: staging.appendingPathComponent("body.txt"))
          }
        } catch {
          failures.add("\(error)")
        }
      }
    }
    #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
    let summary = try s.read("shared/summary.json")
    let body = try s.read("shared/body.txt")
    let writer = try #require(summary.split(separator: ":").dropFirst(2).first?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) })
    #expect(body == String(repeating: writer, count: 1000))
    #expect(try FileManager.default.contentsOfDirectory(atPath: s.url.path).filter { $0.hasPrefix(".shared") }.isEmpty)
  }
}

/// Errors collected from several threads.
final class Failures: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [String] = []
  func add(_ text: String) { lock.withLock { items.append(text) } }
  var all: [String] { lock.withLock { items } }
}
