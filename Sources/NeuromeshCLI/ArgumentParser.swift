/// A command-line option: its name, whether it takes a value, and its help line.
struct OptionSpec {
  let name: String
  let valueName: String?
  let help: String
}

extension OptionSpec {
  /// `--board SPEC.json|NAME`, as every command that compiles a network takes it; `extra`
  /// is appended to the help line.
  static func board(_ extra: String = "") -> OptionSpec {
    OptionSpec(
      name: "--board", valueName: "SPEC.json|NAME",
      help: "Board or chip spec file, or a built-in board's name (see 'neuromesh boards'; default: \(RunCommand.defaultBoardPath), searched upward from the network's directory and the current directory, else the built-in copy)."
        + extra)
  }
}

/// A usage error: what is wrong with the command line.
struct UsageError: Error, CustomStringConvertible {
  let message: String
  var description: String { message }
}

/// Splits arguments into positional values and `--option value` pairs, checking every
/// option against the command's table. `--name=value` is accepted too.
struct ParsedArguments {
  var positional: [String] = []
  var values: [String: String] = [:]
  var flags: Set<String> = []

  init(_ arguments: [String], options: [OptionSpec]) throws(UsageError) {
    var i = 0
    while i < arguments.count {
      let a = arguments[i]
      i += 1
      guard a.hasPrefix("-") && a != "-" else {
        positional.append(a)
        continue
      }
      if a == "--" {
        positional += arguments[i...]
        break
      }
      var name = a
      var inlineValue: String? = nil
      if let eq = a.firstIndex(of: "=") {
        name = String(a[..<eq])
        inlineValue = String(a[a.index(after: eq)...])
      }
      guard let spec = options.first(where: { $0.name == name || ($0.name == "--help" && name == "-h") }) else {
        let known = options.map(\.name).joined(separator: ", ")
        throw UsageError(message: "unknown option '\(name)' (known options: \(known))")
      }
      if spec.valueName == nil {
        guard inlineValue == nil else { throw UsageError(message: "option '\(spec.name)' takes no value") }
        flags.insert(spec.name)
        continue
      }
      if let inlineValue {
        values[spec.name] = inlineValue
      } else {
        guard i < arguments.count else {
          throw UsageError(message: "option '\(spec.name)' needs a value \(spec.valueName!)")
        }
        values[spec.name] = arguments[i]
        i += 1
      }
    }
  }

  func integer(_ name: String) throws(UsageError) -> Int? {
    guard let text = values[name] else { return nil }
    guard let value = Int(text) else {
      throw UsageError(message: "option '\(name)' needs an integer, got '\(text)'")
    }
    return value
  }
}

func usageText(command: String, synopsis: String, abstract: String, options: [OptionSpec]) -> String {
  var lines = ["OVERVIEW: \(abstract)", "", "USAGE: neuromesh \(command) \(synopsis)", "", "OPTIONS:"]
  let width = options.map { $0.name.count + ($0.valueName.map { $0.count + 1 } ?? 0) }.max() ?? 0
  for o in options {
    let left = o.name + (o.valueName.map { " " + $0 } ?? "")
    lines.append("  " + left + String(repeating: " ", count: width - left.count + 2) + o.help)
  }
  return lines.joined(separator: "\n")
}

/// How a command's argument parsing ended: ready to run with one positional file, or done.
enum ParsedCommand<Extra> {
  case ready(ParsedArguments, file: String, Extra)
  case done(ExitStatus)

  /// The status to exit with when parsing ended the command (success when it is ready).
  var exitStatus: ExitStatus {
    if case .done(let status) = self { return status }
    return .success
  }
}

/// The start every command shares: parse against its options, print the usage for `--help`,
/// demand exactly one positional `what` (e.g. "network file"), then run the command's own
/// checks. A usage error is printed with `usageLine` and ends with status 64.
func parseCommand<Extra>(
  _ arguments: [String], options: [OptionSpec], usage: String, usageLine: String, what: String,
  output: inout CommandOutput, allowsSeveral: Bool = false, check: (ParsedArguments) throws -> Extra
) -> ParsedCommand<Extra> {
  do {
    let parsed = try ParsedArguments(arguments, options: options)
    if parsed.flags.contains("--help") {
      output.print(usage)
      return .done(.success)
    }
    guard parsed.positional.count == 1 || (allowsSeveral && parsed.positional.count > 1) else {
      throw UsageError(
        message: parsed.positional.isEmpty
          ? "missing the \(what)"
          : "expected one \(what), got \(parsed.positional.count): \(parsed.positional.joined(separator: " "))")
    }
    return .ready(parsed, file: parsed.positional[0], try check(parsed))
  } catch {
    output.error("error: \(error)")
    output.error("Usage: \(usageLine)")
    return .done(.usage)
  }
}
