import Foundation
/// A parsed JSON value that keeps numbers as written, so integer fields can be checked
/// exactly and large integers never pass through a `Double`.
public enum JSONValue: Sendable, Equatable {
  case object([String: JSONValue], keys: [String])
  case array([JSONValue])
  case string(String)
  case number(JSONNumber)
  case bool(Bool)
  case null

  /// A short name of the value's type, for error messages.
  public var typeName: String {
    switch self {
    case .object: return "an object"
    case .array: return "an array"
    case .string: return "a string"
    case .number: return "a number"
    case .bool: return "a boolean"
    case .null: return "null"
    }
  }
}

/// A JSON number: its literal text and, when it is an integer, its exact value.
public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
  /// The number as written in the file.
  public var literal: String
  /// The exact value if the literal is an integer (or an integral float) that fits `Int`.
  public var integer: Int?
  /// The value as a `Double`.
  public var double: Double

  public var description: String { literal }
}

/// A JSON syntax error with its line and column (both 1-based).
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Line of the error.
  public var line: Int
  /// Column of the error.
  public var column: Int
  /// What the parser expected or found.
  public var message: String

  public var description: String { "line \(line), column \(column): \(message)" }
}

/// A strict RFC 8259 JSON parser over UTF-8 bytes.
public struct JSONParser {
  private let bytes: [UInt8]
  private var i = 0

  /// Parses a complete JSON document.
  public static func parse(_ data: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
    var p = JSONParser(bytes: data)
    p.skipWhitespace()
    let value = try p.parseValue(depth: 0)
    p.skipWhitespace()
    if p.i != p.bytes.count { throw p.error("unexpected text after the end of the document") }
    return value
  }

  private init(bytes: [UInt8]) { self.bytes = bytes }

  private func error(_ message: String) -> JSONSyntaxError {
    var line = 1
    var column = 1
    for b in bytes[0..<min(i, bytes.count)] {
      if b == UInt8(ascii: "\n") {
        line += 1
        column = 1
      } else if b & 0xC0 != 0x80 {
        column += 1
      }
    }
    return JSONSyntaxError(line: line, column: column, message: message)
  }

  private mutating func skipWhitespace() {
    while i < bytes.count {
      switch bytes[i] {
      case 0x20, 0x09, 0x0A, 0x0D: i += 1
      default: return
      }
    }
  }

  private func describeCurrent() -> String {
    guard i < bytes.count else { return "the end of the file" }
    let b = bytes[i]
    if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
    return "byte 0x\(String(b, radix: 16))"
  }

  private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    guard depth < 512 else { throw error("nesting is deeper than 512 levels") }
    guard i < bytes.count else { throw error("expected a value but found the end of the file") }
    switch bytes[i] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
    case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
    case UInt8(ascii: "n"): try expectWord("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
    default: throw error("expected a value but found \(describeCurrent())")
    }
  }

  private mutating func expectWord(_ word: String) throws(JSONSyntaxError) {
    let start = i
    for b in word.utf8 {
      guard i < bytes.count, bytes[i] == b else {
        i = start
        throw error("invalid literal; expected '\(word)'")
      }
      i += 1
    }
  }

  private mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    i += 1
    var fields: [String: JSONValue] = [:]
    var keys: [String] = []
    skipWhitespace()
    if i < bytes.count && bytes[i] == UInt8(ascii: "}") {
      i += 1
      return .object(fields, keys: keys)
    }
    while true {
      skipWhitespace()
      guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
        throw error("expected a quoted key but found \(describeCurrent())")
      }
      let keyStart = i
      let key = try parseString()
      if fields[key] != nil {
        i = keyStart
        throw error("duplicate key \"\(key)\"")
      }
      skipWhitespace()
      guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
        throw error("expected ':' after key \"\(key)\" but found \(describeCurrent())")
      }
      i += 1
      skipWhitespace()
      fields[key] = try parseValue(depth: depth + 1)
      keys.append(key)
      skipWhitespace()
      guard i < bytes.count else { throw error("unterminated object: expected ',' or '}'") }
      if bytes[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      if bytes[i] == UInt8(ascii: "}") {
        i += 1
        return .object(fields, keys: keys)
      }
      throw error("expected ',' or '}' in object but found \(describeCurrent())")
    }
  }

  private mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    i += 1
    var items: [JSONValue] = []
    skipWhitespace()
    if i < bytes.count && bytes[i] == UInt8(ascii: "]") {
      i += 1
      return .array(items)
    }
    while true {
      skipWhitespace()
      items.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      guard i < bytes.count else { throw error("unterminated array: expected ',' or ']'") }
      if bytes[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      if bytes[i] == UInt8(ascii: "]") {
        i += 1
        return .array(items)
      }
      throw error("expected ',' or ']' in array but found \(describeCurrent())")
    }
  }

  private mutating func parseString() throws(JSONSyntaxError) -> String {
    i += 1  // opening quote
    var out: [UInt8] = []
    while true {
      guard i < bytes.count else { throw error("unterminated string") }
      let b = bytes[i]
      if b == UInt8(ascii: "\"") {
        i += 1
        break
      }
      if b < 0x20 { throw error("control character in string; escape it") }
      if b != UInt8(ascii: "\\") {
        out.append(b)
        i += 1
        continue
      }
      i += 1
      guard i < bytes.count else { throw error("unterminated escape") }
      let e = bytes[i]
      i += 1
      switch e {
      case UInt8(ascii: "\""): out.append(0x22)
      case UInt8(ascii: "\\"): out.append(0x5C)
      case UInt8(ascii: "/"): out.append(0x2F)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = try parseHex4()
        if (0xD800..<0xDC00).contains(scalar) {
          guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
            throw error("unpaired surrogate in \\u escape")
          }
          i += 2
          let low = try parseHex4()
          guard (0xDC00..<0xE000).contains(low) else { throw error("invalid low surrogate") }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
        out.append(contentsOf: Array(String(Character(u)).utf8))
      default: throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
      }
    }
    guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
    return s
  }

  private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
    guard i + 4 <= bytes.count else { throw error("incomplete \\u escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let b = bytes[i]
      let d: UInt32
      switch b {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
      default: throw error("invalid hex digit in \\u escape")
      }
      v = v * 16 + d
      i += 1
    }
    return v
  }

  private mutating func parseNumber() throws(JSONSyntaxError) -> JSONNumber {
    let start = i
    if bytes[i] == UInt8(ascii: "-") { i += 1 }
    func isDigit(_ k: Int) -> Bool { k < bytes.count && bytes[k] >= 0x30 && bytes[k] <= 0x39 }
    guard isDigit(i) else { throw error("invalid number: expected a digit") }
    if bytes[i] == UInt8(ascii: "0") {
      i += 1
      if isDigit(i) { throw error("invalid number: leading zeros are not allowed") }
    } else {
      while isDigit(i) { i += 1 }
    }
    var isInteger = true
    if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
      isInteger = false
      i += 1
      guard isDigit(i) else { throw error("invalid number: expected a digit after '.'") }
      while isDigit(i) { i += 1 }
    }
    if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
      isInteger = false
      i += 1
      if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
      guard isDigit(i) else { throw error("invalid number: expected a digit in the exponent") }
      while isDigit(i) { i += 1 }
    }
    let literal = String(decoding: bytes[start..<i], as: UTF8.self)
    let double = Double(literal) ?? .nan
    var integer: Int? = nil
    if isInteger {
      integer = Int(literal)
    } else if double.isFinite, double == double.rounded(), abs(double) < 9.0e15 {
      integer = Int(double)
    }
    return JSONNumber(literal: literal, integer: integer, double: double)
  }
}

/// `s` as a JSON string literal, with quotes and control characters escaped.
public func jsonQuoted(_ s: String) -> String {
  var out = "\""
  for ch in s.unicodeScalars {
    switch ch {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    default:
      if ch.value < 0x20 {
        let hex = String(ch.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      } else {
        out.unicodeScalars.append(ch)
      }
    }
  }
  return out + "\""
}

/// Reads and parses the JSON document at `url`. `kind` names it in the error when it cannot
/// be read ("the network file"); `syntaxFix` is the fix offered for invalid JSON.
func readJSONDocument(
  _ url: URL, kind: String, syntaxFix: String = "fix the syntax at that position"
) throws(InputFileError) -> JSONValue {
  let display = url.relativePath
  // "the network file" → "give the path of the network file"; "the core map" → "… of the core map file".
  let data = try InputFile.bytes(at: url, display: display, fix: "give the path of \(kind.hasSuffix(" file") ? kind : kind + " file")")
  do {
    return try JSONParser.parse(data)
  } catch {
    throw InputFileError(file: display, problem: "is not valid JSON: \(error)", fix: syntaxFix)
  }
}
