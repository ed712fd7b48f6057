import Foundation

/// An array read from a NumPy `.npy` file, converted to integers.
public struct NPYIntegerArray: Sendable, Equatable {
  /// The array's shape (row-major / C order).
  public var shape: [Int]
  /// The values in C order.
  public var values: [Int32]
}

/// Reader and writer for NumPy's `.npy` format (versions 1–3).
///
/// Reads little-endian, C-order arrays of dtype int8, uint8, int16, int32, int64, float32
/// and float64 — what numpy and PyTorch users already have — and writes int8/int32 arrays.
public enum NPYFile {
  /// Reads an `.npy` file whose values must be integers (float arrays must hold integral
  /// values) that fit in `Int32`.
  ///
  /// - Parameter displayPath: the path to name in errors.
  public static func readIntegers(at url: URL, displayPath: String) throws(InputFileError)
    -> NPYIntegerArray
  {
    try parse(try bytes(of: url, displayPath: displayPath), displayPath: displayPath)
  }

  /// Parses the bytes of an `.npy` file.
  public static func parse(_ bytes: [UInt8], displayPath: String) throws(InputFileError)
    -> NPYIntegerArray
  {
    let layout = try header(bytes, displayPath: displayPath)
    let (dtype, shape, count, itemSize, dataStart) = (layout.dtype, layout.shape, layout.count, layout.itemSize, layout.dataStart)
    func bad(_ problem: String, _ fix: String) -> InputFileError {
      InputFileError(file: displayPath, problem: problem, fix: fix)
    }
    var values = [Int32](repeating: 0, count: count)
    var badIndex: Int? = nil
    var badText = ""
    bytes.withUnsafeBytes { raw in
      let base = raw.baseAddress! + dataStart
      for k in 0..<count {
        let p = base + k * itemSize
        switch dtype {
        case "|i1", "<i1", "i1": values[k] = Int32(p.load(as: Int8.self))
        case "|u1", "<u1", "u1", "|b1": values[k] = Int32(p.load(as: UInt8.self))
        case "<i2": values[k] = Int32(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
        case "<i4": values[k] = Int32(littleEndian: p.loadUnaligned(as: Int32.self))
        case "<i8":
          let v = Int64(littleEndian: p.loadUnaligned(as: Int64.self))
          guard let v32 = Int32(exactly: v) else {
            if badIndex == nil { (badIndex, badText) = (k, "\(v), which does not fit in 32 bits") }
            continue
          }
          values[k] = v32
        case "<f4":
          let v = Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))))
          guard let v32 = Int32(exactly: v) else {
            if badIndex == nil { (badIndex, badText) = (k, "\(v), not an integer") }
            continue
          }
          values[k] = v32
        default:  // "<f8"
          let v = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
          guard let v32 = Int32(exactly: v) else {
            if badIndex == nil { (badIndex, badText) = (k, "\(v), not an integer") }
            continue
          }
          values[k] = v32
        }
      }
    }
    if let k = badIndex {
      throw bad(
        "element \(index(k, shape: shape)) is \(badText)",
        "version 1 takes the chip's integer values; round the array (float weights are quantized by the mapper)")
    }
    return NPYIntegerArray(shape: shape, values: values)
  }

  /// The bytes of a data file named by a network, or an error saying how to fix the path.
  static func bytes(of url: URL, displayPath: String) throws(InputFileError) -> [UInt8] {
    try InputFile.bytes(
      at: url, display: displayPath, fix: "check that the path is right (relative paths start at the network file's directory) and readable")
  }

  /// Reads an `.npy` file of any supported dtype as real values.
  public static func readReals(at url: URL, displayPath: String) throws(InputFileError) -> (shape: [Int], values: [Double]) {
    let bytes = try bytes(of: url, displayPath: displayPath)
    let layout = try header(bytes, displayPath: displayPath)
    var values = [Double](repeating: 0, count: layout.count)
    bytes.withUnsafeBytes { raw in
      let base = raw.baseAddress! + layout.dataStart
      for k in 0..<layout.count {
        let p = base + k * layout.itemSize
        switch layout.dtype {
        case "|i1", "<i1", "i1": values[k] = Double(p.load(as: Int8.self))
        case "|u1", "<u1", "u1", "|b1": values[k] = Double(p.load(as: UInt8.self))
        case "<i2": values[k] = Double(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
        case "<i4": values[k] = Double(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
        case "<i8": values[k] = Double(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
        case "<f4": values[k] = Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))))
        default: values[k] = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
        }
      }
    }
    return (layout.shape, values)
  }

  /// The parsed header of an `.npy` file: dtype, shape, element count and size, data offset.
  struct Layout {
    var dtype: String
    var shape: [Int]
    var count: Int
    var itemSize: Int
    var dataStart: Int
  }

  static func header(_ bytes: [UInt8], displayPath: String) throws(InputFileError) -> Layout {
    func bad(_ problem: String, _ fix: String = "save it with numpy.save") -> InputFileError {
      InputFileError(file: displayPath, problem: problem, fix: fix)
    }
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
      throw bad("not a .npy file (the magic string \\x93NUMPY is missing)")
    }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      headerStart = 10
    case 2, 3:
      guard bytes.count >= 12 else { throw bad("truncated header") }
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      headerStart = 12
    default:
      throw bad("unsupported .npy format version \(major)")
    }
    guard headerStart + headerLength <= bytes.count else { throw bad("truncated header") }
    let header = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
    guard let dictionary = HeaderDictionary(bytes[headerStart..<headerStart + headerLength]) else {
      let shown = String(header.trimmingCharacters(in: .whitespacesAndNewlines).prefix(120).map { $0.isASCII && !$0.isNewline && $0 != "\t" ? $0 : "?" })
      throw bad("the header is not a dictionary of 'descr', 'fortran_order' and 'shape': \(shown)")
    }
    let dtype = dictionary.descr
    guard !dictionary.fortranOrder else {
      throw bad("the array is in Fortran order", "save a C-order array: numpy.save(path, numpy.ascontiguousarray(a))")
    }
    let shape = dictionary.shape
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var count = 1
    for n in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: n)
      guard !overflow else { throw bad("the shape \(shapeText) is too large") }
      count = product
    }
    let itemSize: Int
    switch dtype {
    case "|i1", "<i1", "i1", "|u1", "<u1", "u1", "|b1": itemSize = 1
    case "<i2": itemSize = 2
    case "<i4", "<f4": itemSize = 4
    case "<i8", "<f8": itemSize = 8
    default:
      let endianHint = dtype.hasPrefix(">") ? "convert to little-endian, " : ""
      throw bad(
        "unsupported dtype '\(dtype)'",
        "\(endianHint)save as int8, int16, int32, int64, float32 or float64, e.g. numpy.save(path, a.astype('<i4'))")
    }
    let dataStart = headerStart + headerLength
    let (expected, tooLarge) = count.multipliedReportingOverflow(by: itemSize)
    guard !tooLarge else { throw bad("the shape \(shapeText) is too large") }
    guard bytes.count - dataStart == expected else {
      throw bad("holds \(bytes.count - dataStart) data bytes but shape \(shapeText) of \(dtype) needs \(expected)", "the file is truncated or corrupt; save it again")
    }
    return Layout(dtype: dtype, shape: shape, count: count, itemSize: itemSize, dataStart: dataStart)
  }

  /// Encodes an array as `.npy` bytes (version 1.0, little-endian, C order).
  ///
  /// - Parameter dtype: `"|i1"` (int8), `"<i2"` (int16) or `"<i4"` (int32); values are
  ///   truncated to the dtype's width.
  public static func encode(_ values: [Int32], shape: [Int], dtype: String = "<i4") -> [UInt8] {
    precondition(dtype == "|i1" || dtype == "<i2" || dtype == "<i4")
    var out = headerBytes(dtype: dtype, shape: shape)
    if dtype == "|i1" {
      out += values.map { UInt8(bitPattern: Int8(truncatingIfNeeded: $0)) }
    } else if dtype == "<i2" {
      out.reserveCapacity(out.count + 2 * values.count)
      for v in values {
        let u = UInt16(bitPattern: Int16(truncatingIfNeeded: v))
        out += [UInt8(u & 0xFF), UInt8(u >> 8)]
      }
    } else {
      out.reserveCapacity(out.count + 4 * values.count)
      for v in values {
        let u = UInt32(bitPattern: v)
        out += [UInt8(u & 0xFF), UInt8((u >> 8) & 0xFF), UInt8((u >> 16) & 0xFF), UInt8(u >> 24)]
      }
    }
    return out
  }

  /// Encodes real values as a float64 (`"<f8"`) or float32 (`"<f4"`) `.npy` array.
  public static func encodeReals(_ values: [Double], shape: [Int], dtype: String = "<f8") -> [UInt8] {
    precondition(dtype == "<f8" || dtype == "<f4")
    var out = headerBytes(dtype: dtype, shape: shape)
    out.reserveCapacity(out.count + (dtype == "<f8" ? 8 : 4) * values.count)
    for v in values {
      if dtype == "<f8" {
        let u = v.bitPattern.littleEndian
        for b in 0..<8 { out.append(UInt8(truncatingIfNeeded: u >> (8 * UInt64(b)))) }
      } else {
        let u = Float(v).bitPattern.littleEndian
        for b in 0..<4 { out.append(UInt8(truncatingIfNeeded: u >> (8 * UInt32(b)))) }
      }
    }
    return out
  }

  /// The magic, version, header length and header of a version 1.0 `.npy` file.
  ///
  /// - Parameter totalLength: pad to exactly this many bytes (a multiple of 64, large enough
  ///   for the header) instead of the next multiple of 64, so that a header can later be
  ///   rewritten in place with another shape.
  static func headerBytes(dtype: String, shape: [Int], totalLength: Int? = nil) -> [UInt8] {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(dtype)', 'fortran_order': False, 'shape': \(shapeText), }"
    let unpadded = 10 + header.utf8.count + 1
    let padded = totalLength.map { max($0, unpadded) } ?? unpadded + (64 - unpadded % 64) % 64
    header += String(repeating: " ", count: padded - unpadded) + "\n"
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
    let length = header.utf8.count
    out += [UInt8(length & 0xFF), UInt8(length >> 8)]
    out += Array(header.utf8)
    return out
  }

  private static func index(_ k: Int, shape: [Int]) -> String {
    var rest = k
    var parts: [Int] = []
    for n in shape.reversed() where n > 0 {
      parts.append(rest % n)
      rest /= n
    }
    return "[" + parts.reversed().map(String.init).joined(separator: "][") + "]"
  }

  /// The text of a value in a Python dict literal, e.g. `'shape': (3, 4)` → `(3, 4)`.
  /// The header of a `.npy` file, read strictly: a Python dictionary literal with exactly
  /// the keys `descr` (a string), `fortran_order` (`True` or `False`) and `shape` (a tuple
  /// of non-negative integers), in any order, then spaces and a newline.
  struct HeaderDictionary {
    var descr = ""
    var fortranOrder = false
    var shape: [Int] = []

    init?(_ text: ArraySlice<UInt8>) {
      var p = text.startIndex
      let end = text.endIndex
      func skipSpaces() { while p < end && (text[p] == 0x20 || text[p] == 0x0A || text[p] == 0x09) { p += 1 } }
      func take(_ c: UInt8) -> Bool {
        skipSpaces()
        guard p < end && text[p] == c else { return false }
        p += 1
        return true
      }
      func string() -> String? {
        skipSpaces()
        guard p < end, text[p] == 0x27 || text[p] == 0x22 else { return nil }
        let quote = text[p]
        p += 1
        let start = p
        while p < end && text[p] != quote {
          guard text[p] >= 0x20 && text[p] < 0x7F && text[p] != 0x5C else { return nil }
          p += 1
        }
        guard p < end else { return nil }
        p += 1
        return String(decoding: text[start..<p - 1], as: UTF8.self)
      }
      func word() -> String {
        skipSpaces()
        let start = p
        while p < end && ((text[p] >= 0x41 && text[p] <= 0x5A) || (text[p] >= 0x61 && text[p] <= 0x7A)) { p += 1 }
        return String(decoding: text[start..<p], as: UTF8.self)
      }
      func integer() -> Int? {
        skipSpaces()
        var value = 0
        let start = p
        while p < end && text[p] >= 0x30 && text[p] <= 0x39 {
          let (times10, o1) = value.multipliedReportingOverflow(by: 10)
          let (sum, o2) = times10.addingReportingOverflow(Int(text[p] - 0x30))
          guard !o1 && !o2 else { return nil }
          value = sum
          p += 1
        }
        // A trailing "L" (Python 2's long) is accepted, as numpy does.
        if p > start && p < end && text[p] == 0x4C { p += 1 }
        return p > start ? value : nil
      }
      guard take(0x7B) else { return nil }  // {
      var seen: Set<String> = []
      while true {
        if take(0x7D) { break }  // }
        guard let key = string(), !seen.contains(key), take(0x3A) else { return nil }  // :
        seen.insert(key)
        switch key {
        case "descr":
          guard let value = string() else { return nil }
          descr = value
        case "fortran_order":
          switch word() {
          case "True": fortranOrder = true
          case "False": fortranOrder = false
          default: return nil
          }
        case "shape":
          guard take(0x28) else { return nil }  // (
          while !take(0x29) {  // )
            guard let n = integer() else { return nil }
            shape.append(n)
            if !take(0x2C) {  // ,
              guard take(0x29) else { return nil }
              break
            }
          }
        default: return nil
        }
        if !take(0x2C) {
          guard take(0x7D) else { return nil }
          break
        }
      }
      skipSpaces()
      guard p == end, seen == ["descr", "fortran_order", "shape"] else { return nil }
    }
  }
}

/// A file-system error in Neuromesh's words: the system's text for a POSIX error, a short
/// phrase for Foundation's own codes; never Foundation's sentence (which names its domain,
/// or tells the user what "you" cannot do).
func reason(_ error: any Error) -> String {
  let ns = error as NSError
  if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
  if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
    return String(cString: strerror(Int32(underlying.code)))
  }
  guard ns.domain == NSCocoaErrorDomain else { return "error \(ns.code)" }
  switch ns.code {
  case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or folder"
  case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
  case NSFileWriteOutOfSpaceError: return "no space left on the device"
  case NSFileWriteVolumeReadOnlyError: return "the file system is read-only"
  case NSFileWriteFileExistsError: return "a file of that name is in the way"
  case NSFileWriteInvalidFileNameError, NSFileReadInvalidFileNameError: return "the name is not valid on this file system"
  default: return "file-system error \(ns.code)"
  }
}
