import Foundation
import HardwareSpec
import NeuroIO
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

@Suite("Hardware spec files")
struct SpecLoaderTests {
  static let shippedFiles: [String] = {
    let dir = repositoryRoot.appendingPathComponent("hardware-specs")
    let top = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    let boards = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("boards").path)) ?? []
    return (top.filter { $0.hasSuffix(".json") } + boards.filter { $0.hasSuffix(".json") }.map { "boards/" + $0 }).sorted()
  }()

  @Test("every shipped spec file loads", arguments: shippedFiles)
  func shippedSpecLoads(_ file: String) throws {
    let board = try SpecLoader.loadBoard(from: repositoryRoot.appendingPathComponent("hardware-specs/\(file)"))
    #expect(board.chipCount >= 1)
    #expect(board.chip.core.compartments >= 1)
  }

  @Test("Loihi 1 figures")
  func loihi1() throws {
    let chip = try SpecLoader.loadChip(from: repositoryRoot.appendingPathComponent("hardware-specs/loihi1.json"))
    #expect(chip.coresPerChip == 128)
    #expect(chip.core == CoreLimits(compartments: 1024, inputAxons: 4096, outputAxons: 4096, synapseWords: 16384, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10, compartmentProfiles: 32, thresholdProfiles: 8))
    #expect(chip.core.synapseBits == 1_048_576)
    let board = try SpecLoader.loadBoard(from: repositoryRoot.appendingPathComponent("hardware-specs/boards/loihi1-single-chip.json"))
    #expect(board.chip == chip)
    #expect(board.totalCores == 128)
  }

  @Test("synapse memory accounting in chunks of whole words")
  func synapseWords() {
    let core = CoreLimits(compartments: 1, inputAxons: 1, outputAxons: 1, synapseWords: 1, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)
    #expect(core.synapseWords(forListOf: 0, bitsPerSynapse: 8) == 0)
    #expect(core.synapseWords(forListOf: 1, bitsPerSynapse: 8) == 1)  // 18 bits
    #expect(core.synapseWords(forListOf: 6, bitsPerSynapse: 9) == 1)  // 64 bits exactly
    #expect(core.synapseWords(forListOf: 7, bitsPerSynapse: 8) == 2)  // 66 bits
    #expect(core.synapseWords(forListOf: 64, bitsPerSynapse: 8) == 9)  // 522 bits
    #expect(core.synapseWords(forListOf: 65, bitsPerSynapse: 8) == 10)  // 9 + 1
    #expect(core.synapseWords(forListOf: 1024, bitsPerSynapse: 8) == 144)  // 16 chunks of 9
  }

  @Test("bad spec files are refused with the path and a fix")
  func badSpecs() throws {
    let dir = try TemporaryDirectory()
    func message(_ json: String) throws -> String {
      let file = try dir.write("spec.json", json)
      do {
        _ = try SpecLoader.loadBoard(from: file)
        return "no error"
      } catch {
        return error.description.replacingOccurrences(of: dir.url.path + "/", with: "")
      }
    }
    #expect(try message(#"{"kind": "chip", "version": 1, "name": "x", "cores_per_chip": 4, "core": {"compartments": 0, "input_axons": 1, "output_axons": 1, "synapse_words": 1, "synapse_word_bits": 64, "synapses_per_chunk": 64, "chunk_header_bits": 10}}"#)
      == "spec.json: core.compartments: 0 is not positive; use a value ≥ 1")
    #expect(try message(#"{"kind": "chip", "version": 1, "name": "x", "cores_per_chip": 4, "core": {"compartment": 4}}"#)
      == "spec.json: core.compartment: unknown key 'compartment'; did you mean 'compartments'? allowed keys here: compartments, input_axons, output_axons, synapse_words, synapse_word_bits, synapses_per_chunk, chunk_header_bits, compartment_profiles, threshold_profiles")
    #expect(try message(#"{"kind": "board", "version": 1, "name": "b", "chip": "missing.json", "chips": 2}"#)
      == "missing.json: does not exist; give the path of the spec file")
    #expect(try message(#"{"kind": "cluster"}"#) == "spec.json: kind: unknown spec kind 'cluster'; use \"chip\" or \"board\"")
    // Numbers near 2^63 are bounded where they are read (their products used to trap).
    let core = #""core": {"compartments": 4, "input_axons": 1, "output_axons": 1, "synapse_words": 9223372036854775807, "synapse_word_bits": 64, "synapses_per_chunk": 64, "chunk_header_bits": 10}"#
    #expect(try message(#"{"kind": "chip", "version": 1, "name": "x", "cores_per_chip": 4, \#(core)}"#)
      == "spec.json: core.synapse_words: 9223372036854775807 is larger than 1073741824, beyond any chip Neuromesh models; use a value up to 1073741824")
    let chunks = #""core": {"compartments": 4, "input_axons": 1, "output_axons": 1, "synapse_words": 16, "synapse_word_bits": 64, "synapses_per_chunk": 4294967296, "chunk_header_bits": 10}"#
    #expect(try message(#"{"kind": "chip", "version": 1, "name": "x", "cores_per_chip": 4, \#(chunks)}"#)
      == "spec.json: core.synapses_per_chunk: 4294967296 is larger than 65536, beyond any chip Neuromesh models; use a value up to 65536")
    let fine = #""core": {"compartments": 4, "input_axons": 1, "output_axons": 1, "synapse_words": 16, "synapse_word_bits": 64, "synapses_per_chunk": 64, "chunk_header_bits": 10}"#
    #expect(try message(#"{"kind": "chip", "version": 1, "name": "x", "cores_per_chip": 4, \#(fine), "mesh": {"cores_per_tile": 4611686018427387904, "tiles_x": 4, "tiles_y": 4}}"#)
      == "spec.json: mesh.cores_per_tile: 4611686018427387904 is larger than 65536, beyond any chip Neuromesh models; use a value up to 65536")
    #expect(try message(#"{"kind": "board", "version": 1, "name": "b", "chip": "x.json", "chips": 9223372036854775807}"#)
      == "spec.json: chips: 9223372036854775807 chips is more than 65536, beyond any board Neuromesh models; use a count up to 65536")
    #expect(try message(#"{"kind": "board", "version": 3, "name": "b", "chip": "x.json", "chips": 1}"#)
      == "spec.json: version: version 3 is not supported; this Neuromesh reads spec versions 1...1")
  }
}

@Suite("JSON parser")
struct JSONParserTests {
  func parse(_ s: String) throws(JSONSyntaxError) -> JSONValue { try JSONParser.parse(Array(s.utf8)) }

  @Test("values, escapes and exact integers")
  func values() throws {
    let v = try parse(#"{"a": [1, -2, 3.5, 1e2, true, false, null], "s": "x\"\u00e9\ud83d\ude00\n", "big": 9007199254740993}"#)
    guard case .object(let f, let keys) = v, case .array(let a)? = f["a"], case .string(let s)? = f["s"],
      case .number(let big)? = f["big"]
    else {
      Issue.record("wrong shape")
      return
    }
    #expect(keys == ["a", "s", "big"])
    #expect(a.count == 7)
    if case .number(let n) = a[0] { #expect(n.integer == 1) }
    if case .number(let n) = a[2] { #expect(n.integer == nil && n.double == 3.5) }
    if case .number(let n) = a[3] { #expect(n.integer == 100) }
    #expect(s == "x\"é😀\n")
    #expect(big.integer == 9_007_199_254_740_993)
  }

  @Test("syntax errors give line and column", arguments: [
    ("[1, 2", "line 1, column 6: unterminated array: expected ',' or ']'"),
    ("{\"a\": 01}", "line 1, column 8: invalid number: leading zeros are not allowed"),
    ("{\"a\": 1, \"a\": 2}", "line 1, column 10: duplicate key \"a\""),
    ("[1,]", "line 1, column 4: expected a value but found ']'"),
    ("\n\n  tru", "line 3, column 3: invalid literal; expected 'true'"),
    ("{} x", "line 1, column 4: unexpected text after the end of the document"),
  ])
  func syntaxErrors(_ text: String, _ expected: String) {
    do {
      _ = try parse(text)
      Issue.record("expected an error for \(text)")
    } catch {
      #expect(error.description == expected)
    }
  }
}

@Suite(".npy files")
struct NPYTests {
  @Test("int8, int16 and int32 round trip through encode and parse")
  func roundTrip() throws {
    let values: [Int32] = [0, 1, -1, 127, -128, 5, -6]
    for dtype in ["|i1", "<i2", "<i4"] {
      let array = try NPYFile.parse(NPYFile.encode(values, shape: [7], dtype: dtype), displayPath: "x.npy")
      #expect(array.shape == [7])
      #expect(array.values == values)
    }
    let wide: [Int32] = [100_000, -100_000, 0, 7]
    #expect(try NPYFile.parse(NPYFile.encode(wide, shape: [2, 2]), displayPath: "x.npy").values == wide)
  }

  @Test("big-endian and Fortran-order arrays are refused with a fix")
  func refused() throws {
    func bytes(_ header: String, payload: Int) -> [UInt8] {
      var h = header
      h += String(repeating: " ", count: (64 - (10 + h.utf8.count + 1) % 64) % 64) + "\n"
      return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.utf8.count), 0] + Array(h.utf8) + [UInt8](repeating: 0, count: payload)
    }
    #expect(throws: InputFileError(file: "x.npy", problem: "unsupported dtype '>i4'", fix: "convert to little-endian, save as int8, int16, int32, int64, float32 or float64, e.g. numpy.save(path, a.astype('<i4'))")) {
      try NPYFile.parse(bytes("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", payload: 8), displayPath: "x.npy")
    }
    #expect(throws: InputFileError(file: "x.npy", problem: "the array is in Fortran order", fix: "save a C-order array: numpy.save(path, numpy.ascontiguousarray(a))")) {
      try NPYFile.parse(bytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 2), }", payload: 16), displayPath: "x.npy")
    }
    #expect(throws: InputFileError(file: "x.npy", problem: "holds 4 data bytes but shape (2, 2) of <i4 needs 16", fix: "the file is truncated or corrupt; save it again")) {
      try NPYFile.parse(bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", payload: 4), displayPath: "x.npy")
    }
  }
}
