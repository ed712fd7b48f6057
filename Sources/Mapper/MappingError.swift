/// Why a network cannot be placed on a board: which layer, which resource, how much is
/// needed against how much there is, and what to change.
public struct MappingError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The layer (or other object) that does not fit.
  public var subject: String
  /// What is wrong, with the numbers.
  public var problem: String
  /// How to fix it.
  public var fix: String

  /// Creates a mapping error.
  public init(subject: String, problem: String, fix: String) {
    self.subject = subject
    self.problem = problem
    self.fix = fix
  }

  /// `subject: problem; fix`.
  public var description: String { "\(subject): \(problem); \(fix)" }
}
