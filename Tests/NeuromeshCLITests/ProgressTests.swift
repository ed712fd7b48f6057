import Foundation
import NeuroIO
import Synchronization
import Testing

@testable import NeuromeshCLI

@Suite("Progress lines")
struct ProgressTests {
  /// What a meter wrote.
  final class Captured: Sendable {
    let text = Mutex("")
    func append(_ s: String) { text.withLock { $0 += s } }
  }

  @Test("compile shows loading, every compiler stage in order and the writing, each once, on one rewritten line")
  func compileStages() throws {
    let file = repositoryRoot.appendingPathComponent("examples/quickstart/network.json")
    let captured = Captured()
    let meter = StageMeter(enabled: true, task: "compile", count: 8, sink: { captured.append($0) })
    meter.begin("loading network.json")
    let network = try NetworkLoader.load(from: file)
    let board = try #require(try SpecLoader.loadBuiltinBoard(named: "loihi1-single-chip"))
    _ = try compileNamingFile(network, board: board, file: file, meter: meter)
    meter.begin("writing the core map")
    meter.finish()
    let text = captured.text.withLock { $0 }
    let stages = text.split(separator: "\r").dropLast().map { $0.split(separator: "(").first.map(String.init) ?? "" }
    #expect(stages == [
      "compile 1/8: loading network.json ", "compile 2/8: lowering stages and convolutions ",
      "compile 3/8: quantizing to the chip's integers ", "compile 4/8: cutting layers into slices that fit a core ",
      "compile 5/8: packing slices onto cores ", "compile 6/8: placing cores on chips ",
      "compile 7/8: building the core map and its routes ", "compile 8/8: writing the core map ",
    ], "\(text)")
    // The last line blanks what is left of the longer one before it, and ends the line.
    let lines = text.split(separator: "\r")
    let (previous, last) = (lines[lines.count - 2], lines[lines.count - 1])
    let shown = { (line: Substring) in String(line.reversed().drop { $0 == " " || $0 == "\n" }.reversed()) }
    #expect(shown(last).hasPrefix("compile: done in ") && shown(last).hasSuffix(" s") && last.hasSuffix(" \n"))
    #expect(last.count == shown(previous).count + 1, "\(last)")
    let disabled = StageMeter(enabled: false, task: "compile", count: 8, sink: { captured.append($0) })
    disabled.begin("loading")
    disabled.finish()
    #expect(captured.text.withLock { $0 } == text)
  }

  @Test("compile --progress writes the same core map and tables as without")
  func compileUnchanged() throws {
    let s = try Scratch()
    let quickstart = repositoryRoot.appendingPathComponent("examples/quickstart/network.json").path
    let plain = Neuromesh.main(arguments: ["compile", quickstart, "-o", s.path("a.coremap.json")])
    let shown = Neuromesh.main(arguments: ["compile", quickstart, "-o", s.path("b.coremap.json"), "--progress"])
    #expect(plain.0 == .success && shown.0 == .success)
    #expect(plain.1.standardOutput == shown.1.standardOutput.replacingOccurrences(of: "b.coremap", with: "a.coremap"))
    #expect(try s.read("a.coremap.json") == s.read("b.coremap.json"))
  }
}
