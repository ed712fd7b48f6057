import Foundation
import NeuromeshCLI
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The malformed-input corpus (`Tests/MalformedInputs/`, written by
/// `tools/corpus/make_corpus.py`): every case is a folder of files that replace those of
/// `base/`, and a `case.json` with the command line, the exit status and the exact standard
/// error. Run with `NEUROMESH_RECORD_CORPUS=1` to record the messages of new cases (then read
/// them: a recorded message is what the code says, not yet what it should say).
@Suite("malformed-input corpus")
struct MalformedInputCorpusTests {
  static let corpus = repositoryRoot.appendingPathComponent("Tests/MalformedInputs")
  static let recording = ProcessInfo.processInfo.environment["NEUROMESH_RECORD_CORPUS"] == "1"

  /// Every case folder, as `reader/NNN-name`.
  static let cases: [String] = {
    let root = corpus.appendingPathComponent("cases")
    let readers = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return readers.sorted().flatMap { reader in
      ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(reader).path)) ?? []).sorted().map { "\(reader)/\($0)" }
    }
  }()

  struct Case: Codable {
    var args: [String]
    var exit: Int32
    var stderr: String?
    /// Paths a repository cannot hold, made in the scratch folder: `"fifo"` (a named pipe),
    /// `"loop"` (a symbolic link to itself), `"dangling"` (a link to a missing file), or
    /// `"link:TARGET"` (a link to TARGET, e.g. /dev/zero).
    var special: [String: String]?
  }

  @Test("the corpus has at least 150 cases and every reader")
  func coverage() {
    #expect(Self.cases.count >= 150)
    let readers = Set(Self.cases.map { $0.split(separator: "/")[0] })
    #expect(readers == ["coremap", "csv", "flags", "network", "npy", "spec", "training"])
  }

  @Test("each case exits as recorded with its exact message, names the file, and writes nothing", .timeLimit(.minutes(1)), arguments: cases)
  func runCase(_ name: String) throws {
    let folder = Self.corpus.appendingPathComponent("cases").appendingPathComponent(name)
    let caseFile = folder.appendingPathComponent("case.json")
    var expected = try JSONDecoder().decode(Case.self, from: Data(contentsOf: caseFile))
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("neuromesh-corpus-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: scratch) }
    try FileManager.default.copyItem(at: Self.corpus.appendingPathComponent("base"), to: scratch)
    for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file != "case.json" {
      let target = scratch.appendingPathComponent(file)
      try? FileManager.default.removeItem(at: target)
      try FileManager.default.copyItem(at: folder.appendingPathComponent(file), to: target)
    }
    for (name, kind) in expected.special ?? [:] {
      let path = scratch.appendingPathComponent(name).path
      switch kind {
      case "fifo": #expect(mkfifo(path, 0o644) == 0)
      case "loop": try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: path)
      case "dangling": try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: path + ".missing")
      default:
        #expect(kind.hasPrefix("link:"), "\(name): unknown special kind \(kind)")
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: String(kind.dropFirst(5)))
      }
    }
    let before = Set(try FileManager.default.contentsOfDirectory(atPath: scratch.path))
    let (status, output) = Neuromesh.main(arguments: expected.args.map { $0.replacingOccurrences(of: "{DIR}", with: scratch.path) })
    let stderr = output.standardError.replacingOccurrences(of: scratch.path, with: "{DIR}")
    #expect(status.rawValue == expected.exit, "\(name): exit \(status.rawValue), expected \(expected.exit): \(stderr)")
    #expect(!stderr.contains("Error Domain") && !stderr.contains("NSCocoa") && !stderr.contains("Foundation"), "\(name): \(stderr)")
    if expected.exit != 0 {
      #expect(stderr.hasPrefix("error: ") && stderr.hasSuffix("\n"), "\(name): \(stderr)")
      // A failed command leaves the folder as it was: no output, no staging file.
      #expect(Set(try FileManager.default.contentsOfDirectory(atPath: scratch.path)) == before, "\(name)")
    }
    if expected.exit == 65 {
      #expect(stderr.contains("{DIR}"), "\(name): the message does not name the file: \(stderr)")
    }
    if Self.recording {
      expected.stderr = stderr
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      try (encoder.encode(expected) + Data("\n".utf8)).write(to: caseFile)
    } else {
      #expect(stderr == expected.stderr, "\(name)")
    }
  }
}
