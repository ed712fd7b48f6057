import Foundation
import CoreMapModel
import Evaluation
import HardwareSpec
import Mapper
import NetworkModel
import NeuroIO

/// Process exit statuses of `neuromesh` (sysexits-style; documented in `docs/cli.md`).
public enum ExitStatus: Int32, Sendable, Equatable {
  /// The command did what was asked.
  case success = 0
  /// The command failed while running (e.g. the outputs could not be written).
  case failure = 1
  /// The command line is wrong: unknown command or option, missing or malformed value.
  case usage = 64
  /// An input file is invalid or describes something the chip cannot do.
  case invalidInput = 65
}

/// Text a command produced, kept apart so tests can check both streams.
public struct CommandOutput: Sendable {
  /// What goes to standard output.
  public var standardOutput = ""
  /// What goes to standard error.
  public var standardError = ""

  /// Creates empty output.
  public init() {}

  mutating func print(_ line: String) { standardOutput += line + "\n" }
  mutating func error(_ line: String) { standardError += line + "\n" }
}

extension ExitStatus {
  /// The status a failed command exits with, after printing the error: bad usage 64, an
  /// invalid input file or a network the board cannot hold 65, anything else 1.
  static func reporting(_ error: any Error, to output: inout CommandOutput) -> ExitStatus {
    // One `error:` line per problem (a file may hold several).
    for line in "\(error)".split(separator: "\n", omittingEmptySubsequences: true) { output.error("error: \(line)") }
    switch error {
    case is UsageError: return .usage
    case is InputFileError, is MappingError, is DatasetError, is EvaluationError: return .invalidInput
    default: return .failure
    }
  }
}

/// Compiles `network`, naming `file` in every refusal (`FILE: JSON.PATH: …`).
func compileNamingFile(_ network: Network, board: BoardSpec, file: URL) throws(MappingError) -> (CoreMap, MappingReport) {
  do throws(MappingError) {
    return try NetworkCompiler(board: board).compile(network)
  } catch {
    throw withBoardHint(error).inFile(file.relativePath)
  }
}

/// A "needs N cores" refusal names the smallest built-in board with enough cores of the
/// same chip.
func withBoardHint(_ error: MappingError) -> MappingError {
  let hinted = error.all.map { e -> MappingError in
    guard let needed = e.coresNeeded else { return e }
    var e = e
    let boards = SpecLoader.builtinNames.compactMap { name in (try? SpecLoader.loadBuiltinBoard(named: name)).flatMap { $0 }.map { (name, $0) } }
    if let (name, board) = boards.filter({ $0.1.totalCores >= needed && $0.1.chip.name == "Loihi 1" }).min(by: { $0.1.totalCores < $1.1.totalCores }) {
      e.fix = "use a board with at least \(needed) cores, e.g. --board \(name) (\(board.chipCount) chips, \(board.totalCores) cores), or make the network smaller"
    }
    return e
  }
  var combined = hinted[0]
  combined.others = Array(hinted.dropFirst())
  return combined
}
