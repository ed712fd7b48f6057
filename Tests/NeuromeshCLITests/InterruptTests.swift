import Foundation
import NeuroIO
import Testing

@testable import NeuromeshCLI

@Suite("Stopping a run early")
struct InterruptTests {
  @Test("a stop request ends the run at the end of a piece; what ran is written, marked partial, and equals a run of that length")
  func partialRun() throws {
    let s = try Scratch()
    let quickstart = repositoryRoot.appendingPathComponent("examples/quickstart/network.json").path
    // The request is already there when the run starts: it stops after its first piece of
    // 1,000 steps (Ctrl-C sets the same request).
    let stop = StopRequest()
    stop.request()
    var out = CommandOutput()
    let status = RunCommand.execute(["run", quickstart, "--steps", "50000", "--out", s.path("cut")].dropFirst().map { $0 }, output: &out, stop: stop)
    #expect(status == .failure)
    #expect(out.standardError == "interrupted after 1000 of 50000 steps: wrote what ran, marked partial in summary.json\n")
    let summary = try s.read("cut/summary.json")
    #expect(summary.contains("\"steps\": 1000,\n  \"partial\": true,\n  \"requested_steps\": 50000,"))
    let (full, _) = Neuromesh.main(arguments: ["run", quickstart, "--steps", "1000", "--out", s.path("whole")])
    #expect(full == .success)
    #expect(try s.read("whole/summary.json").contains("\"partial\": false,"))
    for core in ["core-0000.csv", "core-0001.csv"] {
      #expect(try s.read("cut/spikes/\(core)") == (try s.read("whole/spikes/\(core)")))
    }
  }
}
