/// Why a network cannot be placed on a board: which layer or connection, which resource,
/// how much is needed against how much there is, and what to change — for every refusal
/// found in one pass (``others``), not only the first.
public struct MappingError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file the network came from, when known (set by whoever read it).
  public var file: String?
  /// The JSON path of the refused object in the network file (`layers[2]`,
  /// `connections[0]`), filled in by ``NetworkCompiler`` from ``layer`` or ``connection``.
  public var path: String?
  /// The layer refused, by name, if the refusal is about one.
  public var layer: String?
  /// The connection refused, by index, if the refusal is about one.
  public var connection: Int?
  /// The layer (or other object) that does not fit, in words.
  public var subject: String
  /// What is wrong, with the numbers.
  public var problem: String
  /// How to fix it.
  public var fix: String
  /// Further refusals found in the same pass.
  public var others: [MappingError] = []
  /// For a network too large for the board: the cores it needs.
  public var coresNeeded: Int?

  /// Creates a mapping error about `layer` or `connection` (or the whole network).
  public init(subject: String, problem: String, fix: String, layer: String? = nil, connection: Int? = nil) {
    self.subject = subject
    self.problem = problem
    self.fix = fix
    self.layer = layer
    self.connection = connection
  }

  /// One error holding every refusal of `errors` (which must not be empty), in order.
  static func combining(_ errors: [MappingError]) -> MappingError {
    let flat = errors.flatMap(\.all)
    var first = flat[0]
    first.others = Array(flat.dropFirst())
    return first
  }

  /// Every refusal: this one and ``others``.
  public var all: [MappingError] {
    var me = self
    me.others = []
    return [me] + others.flatMap(\.all)
  }

  /// One line per refusal: `FILE: PATH: subject: problem; fix` (file and path when known).
  public var description: String {
    all.map { e in
      let file = (e.file ?? self.file).map { $0 + ": " } ?? ""
      let path = e.path.map { $0 + ": " } ?? ""
      return file + path + "\(e.subject): \(e.problem); \(e.fix)"
    }.joined(separator: "\n")
  }

  /// The same refusals, naming `file` as where the network came from.
  public func inFile(_ file: String) -> MappingError {
    var e = self
    e.file = file
    e.others = others.map { $0.inFile(file) }
    return e
  }
}

extension Array where Element == MappingError {
  /// Throws the collected refusals as one error, if there are any.
  func throwIfAny() throws(MappingError) {
    if !isEmpty { throw MappingError.combining(self) }
  }
}
