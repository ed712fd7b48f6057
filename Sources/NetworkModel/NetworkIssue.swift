/// One problem found in a network description: where, what, and how to fix it.
///
/// `path` is the JSON path of the offending value (`layers[2].neuron.decay_v`), so the
/// message points at the place the user must edit.
public struct NetworkIssue: Error, Sendable, Equatable, CustomStringConvertible {
  /// JSON path of the offending value, e.g. `connections[0].weights`.
  public var path: String
  /// What is wrong, with the offending value.
  public var problem: String
  /// How to fix it.
  public var fix: String

  /// Creates an issue.
  public init(path: String, problem: String, fix: String) {
    self.path = path
    self.problem = problem
    self.fix = fix
  }

  /// `path: problem; fix`.
  public var description: String {
    let location = path.isEmpty ? "" : "\(path): "
    return fix.isEmpty ? "\(location)\(problem)" : "\(location)\(problem); \(fix)"
  }
}
