// Shared by every fuzz target: the mutated bytes are written to a file in a scratch folder
// that holds the corpus' base files (Tests/MalformedInputs/base), so that a network's
// .npy and CSV references, and a board's chip file, resolve. Every reader takes a URL:
// the fuzzer goes through the same file checks a user's file does.
import Foundation

enum FuzzScratch {
  /// A folder of this process, filled once with the base files.
  static let folder: URL = {
    let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("neuromesh-fuzz-\(getpid())")
    try? FileManager.default.removeItem(at: folder)
    let base = URL(fileURLWithPath: ProcessInfo.processInfo.environment["NEUROMESH_FUZZ_BASE"] ?? "Tests/MalformedInputs/base")
    guard (try? FileManager.default.copyItem(at: base, to: folder)) != nil else {
      fatalError("set NEUROMESH_FUZZ_BASE to Tests/MalformedInputs/base (or run from the repository root)")
    }
    return folder
  }()

  /// Writes `data` to `name` in the scratch folder and returns its URL.
  static func file(_ name: String, _ data: UnsafePointer<UInt8>, _ size: Int) -> URL {
    let url = folder.appendingPathComponent(name)
    _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes: data, count: size))
    return url
  }
}
