import Evaluation
import Mapper
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
