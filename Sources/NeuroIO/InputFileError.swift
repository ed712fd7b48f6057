import NetworkModel

/// A file that cannot be used as given: the file, and for each problem the place in it,
/// what is wrong and how to fix it. The CLI exits with status 65 on this error.
public struct InputFileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Path of the file, as the user gave it (or as resolved from the network file).
  public var file: String
  /// The problems found, each with a JSON path (or line) where it applies.
  public var issues: [NetworkIssue]

  /// Creates an error with a single problem.
  public init(file: String, path: String = "", problem: String, fix: String = "") {
    self.file = file
    self.issues = [NetworkIssue(path: path, problem: problem, fix: fix)]
  }

  /// Creates an error with several problems.
  public init(file: String, issues: [NetworkIssue]) {
    self.file = file
    self.issues = issues
  }

  /// One line per problem: `file: path: problem; fix`.
  public var description: String {
    issues.map { "\(file): \($0)" }.joined(separator: "\n")
  }
}
