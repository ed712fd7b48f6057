import NetworkModel

/// A position in a parsed JSON document: a value and its JSON path, with typed accessors
/// that fail with the path, the expected type and what was found.
struct JSONCursor {
  let value: JSONValue
  let path: String

  func child(_ key: String, _ value: JSONValue) -> JSONCursor {
    JSONCursor(value: value, path: path.isEmpty ? key : "\(path).\(key)")
  }

  func fail(_ problem: String, fix: String = "") -> NetworkIssue {
    NetworkIssue(path: path, problem: problem, fix: fix)
  }

  func object(allowedKeys: [String]) throws(NetworkIssue) -> ObjectCursor {
    guard case .object(let fields, let keys) = value else {
      throw fail("expected an object but found \(value.typeName)")
    }
    for key in keys where !allowedKeys.contains(key) {
      let suggestion = allowedKeys.min { editDistance($0, key) < editDistance($1, key) }
      let hint =
        suggestion.map { editDistance($0, key) <= 3 ? "did you mean '\($0)'? " : "" } ?? ""
      throw NetworkIssue(
        path: path.isEmpty ? key : "\(path).\(key)", problem: "unknown key '\(key)'",
        fix: "\(hint)allowed keys here: \(allowedKeys.joined(separator: ", "))")
    }
    return ObjectCursor(cursor: self, fields: fields)
  }

  func array() throws(NetworkIssue) -> [JSONCursor] {
    guard case .array(let items) = value else { throw fail("expected an array but found \(value.typeName)") }
    return items.enumerated().map { JSONCursor(value: $1, path: "\(path)[\($0)]") }
  }

  func string() throws(NetworkIssue) -> String {
    guard case .string(let s) = value else { throw fail("expected a string but found \(value.typeName)") }
    return s
  }

  func int() throws(NetworkIssue) -> Int {
    guard case .number(let n) = value else { throw fail("expected an integer but found \(value.typeName)") }
    guard let i = n.integer else {
      throw fail("expected an integer but found \(n.literal)", fix: "version 1 takes the chip's integer values")
    }
    return i
  }

  func real() throws(NetworkIssue) -> Double {
    guard case .number(let n) = value else { throw fail("expected a number but found \(value.typeName)") }
    return n.double
  }

  /// An integer array, read without building a cursor per element.
  func intArray() throws(NetworkIssue) -> [Int] {
    guard case .array(let items) = value else { throw fail("expected an array but found \(value.typeName)") }
    var out: [Int] = []
    out.reserveCapacity(items.count)
    for (k, item) in items.enumerated() {
      guard case .number(let n) = item, let i = n.integer else {
        throw NetworkIssue(
          path: "\(path)[\(k)]", problem: "expected an integer but found \(describe(item))",
          fix: "version 1 takes the chip's integer values")
      }
      out.append(i)
    }
    return out
  }

  private func describe(_ v: JSONValue) -> String {
    if case .number(let n) = v { return n.literal }
    return v.typeName
  }
}

/// An object's fields with its path; keys were checked against an allow-list on creation.
struct ObjectCursor {
  let cursor: JSONCursor
  let fields: [String: JSONValue]

  var path: String { cursor.path }

  func optional(_ key: String) -> JSONCursor? {
    fields[key].map { cursor.child(key, $0) }
  }

  func required(_ key: String, fix: String = "") throws(NetworkIssue) -> JSONCursor {
    guard let v = fields[key] else {
      throw NetworkIssue(path: path, problem: "missing required key '\(key)'", fix: fix.isEmpty ? "add \"\(key)\"" : fix)
    }
    return cursor.child(key, v)
  }
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a)
  let b = Array(b)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var row = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    row[0] = i
    for j in 1...b.count {
      row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&previous, &row)
  }
  return previous[b.count]
}
