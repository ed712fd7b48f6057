import Foundation
import LoihiArithmetic
import NeuroIO
import Testing

@Suite("Fixed-point primitives")
struct FixedPointTests {
  /// Oracle: keep the low bits + 1 bits and read them back as signed, computed on Int64.
  static func wrapOracle(_ x: Int64, _ bits: Int64) -> Int64 {
    let modulus: Int64 = 1 << (bits + 1)
    var r = x % modulus
    if r < 0 { r += modulus }
    return r >= (1 << bits) ? r - modulus : r
  }

  @Test("wrap matches a modular oracle at the accumulator and current widths")
  func wrapMatchesOracle() {
    var rng = SplitMix64(seed: 7)
    for bits: Int32 in [21, 23] {
      let edge = Int64(1) << Int64(bits)
      var samples: [Int64] = [0, 1, -1, edge - 1, edge, edge + 1, -edge, -edge - 1, 2 * edge, -2 * edge + 3]
      for _ in 0..<20_000 { samples.append(Int64(Int32(truncatingIfNeeded: rng.next()))) }
      for x in samples where x >= Int64(Int32.min) && x <= Int64(Int32.max) {
        let expected = Self.wrapOracle(x, Int64(bits))
        #expect(Int64(FixedPoint.wrap(Int32(x), signedBits: bits)) == expected, "x = \(x), bits = \(bits)")
        #expect(FixedPoint.wrap(x, signedBits: Int64(bits)) == expected)
        #expect(FixedPoint.overflows(x, signedBits: Int64(bits)) == (expected != x))
      }
    }
  }

  @Test("wrap at 21 bits: the q0 examples")
  func wrapExamples() {
    let bits: Int32 = 21
    #expect(FixedPoint.wrap(Int32(1 << 21), signedBits: bits) == -(1 << 21))
    #expect(FixedPoint.wrap(Int32(3 << 20), signedBits: bits) == -(1 << 20))
    #expect(FixedPoint.wrap(Int32((1 << 21) - 1), signedBits: bits) == (1 << 21) - 1)
    #expect(FixedPoint.wrap(Int32(-(1 << 21) - 1), signedBits: bits) == (1 << 21) - 1)
  }

  @Test("decay truncates toward zero, symmetric in sign, for every 12-bit factor")
  func decayMatchesOracle() {
    let values: [Int32] = [0, 1, -1, 2, -2, 4095, -4095, 4096, -4096, 6400, -6400, 8_388_607, -8_388_608, 123_457, -123_457]
    for factor: Int32 in 0...4096 {
      for x in values {
        let magnitude = (Int64(abs(Int64(x))) * Int64(factor)) / 4096
        let expected = x < 0 ? -magnitude : magnitude
        #expect(Int64(FixedPoint.decay(x, by: factor)) == expected, "x = \(x), factor = \(factor)")
      }
    }
    // The worked example of the semantics note: −6400 decayed by 3686/4096.
    #expect(FixedPoint.decay(-6400, by: FixedPoint.currentDecayFactor(decayU: 409)) == -5759)
    #expect(FixedPoint.decay(6400, by: FixedPoint.currentDecayFactor(decayU: 409)) == 5759)
    #expect(FixedPoint.currentDecayFactor(decayU: 4095) == 0)
    #expect(FixedPoint.voltageDecayFactor(decayV: 4095) == 1)
  }

  @Test("round half to even")
  func roundHalfEven() {
    let cases: [(Int, Int, Int)] = [
      (251, 1, 126), (253, 1, 126), (255, 1, 128), (-99, 1, -50), (-255, 1, -128), (-1, 1, 0),
      (1, 1, 0), (3, 1, 2), (5, 2, 1), (6, 2, 2), (-6, 2, -2), (-10, 2, -2), (7, 0, 7),
    ]
    for (x, shift, expected) in cases {
      #expect(FixedPoint.roundedHalfToEven(x, dividedByPowerOfTwo: shift) == expected, "\(x) / 2^\(shift)")
    }
  }

  @Test("threshold and bias encodings")
  func encodings() {
    #expect(FixedPoint.threshold(mantissa: 100) == 6400)
    #expect(FixedPoint.threshold(mantissa: 131_071) == 8_388_544)
    #expect(FixedPoint.bias(mantissa: 4095, exponent: 7) == 524_160)
    #expect(FixedPoint.bias(mantissa: -3, exponent: 2) == -12)
    #expect(ChipFields.vmaxValues == [511, 2047, 8191, 32767, 131_071, 524_287, 2_097_151, 8_388_607])
    #expect(ChipFields.vminValues.prefix(4) == [0, -1, -3, -7])
    #expect(ChipFields.vminValues.last == -8_388_607)
  }
}

@Suite("Synapse weights")
struct SynapseWeightTests {
  @Test("every Wgt, exponent and bit count matches NengoLoihi's discretize_weights")
  func exhaustiveTable() throws {
    let url = try #require(Bundle.module.url(forResource: "discretize_weights", withExtension: "npy", subdirectory: "Fixtures"))
    let table = try NPYFile.readIntegers(at: url, displayPath: "discretize_weights.npy")
    #expect(table.shape == [7, 16, 512])
    var mismatches = 0
    for (i, bits) in ChipFields.weightBitsAllowed.enumerated() {
      for exponent in ChipFields.weightExponentRange {
        for wgt in ChipFields.weightRange {
          let expected = Int(table.values[(i * 16 + exponent + 8) * 512 + wgt + 256])
          let units = SynapseWeight.synapticUnits(wgt: wgt, exponent: exponent, bits: bits)
          if units << 6 != expected {
            mismatches += 1
            if mismatches < 10 { Issue.record("Wgt \(wgt), exp \(exponent), bits \(bits): expected \(expected), got \(units << 6)") }
          }
          // The stored form (mantissa, shared shift) reproduces the same value.
          let shift = SynapseWeight.storedShift(exponent: exponent, bits: bits)
          let mantissa = SynapseWeight.storedMantissa(wgt: wgt, exponent: exponent, bits: bits)
          #expect(Int8(exactly: mantissa) != nil)
          if mantissa << shift != units { Issue.record("stored form of \(wgt), \(exponent), \(bits) differs") }
        }
      }
    }
    #expect(mismatches == 0)
  }

  @Test("documented examples: odd weights round to even, negative exponents lose bits asymmetrically")
  func examples() {
    #expect(SynapseWeight.synapticUnits(wgt: 251, exponent: 0, bits: 8) == 252)
    #expect(SynapseWeight.synapticUnits(wgt: 253, exponent: 0, bits: 8) == 252)
    #expect(SynapseWeight.synapticUnits(wgt: -99, exponent: 0, bits: 8) == -100)
    #expect(SynapseWeight.synapticUnits(wgt: 255, exponent: 0, bits: 8) == 254)
    #expect(SynapseWeight.synapticUnits(wgt: -256, exponent: 0, bits: 8) == -254)
    #expect(SynapseWeight.synapticUnits(wgt: 255, exponent: -3, bits: 8) == 31)
    #expect(SynapseWeight.synapticUnits(wgt: -255, exponent: -3, bits: 8) == -32)
    #expect(SynapseWeight.synapticUnits(wgt: 192, exponent: -7, bits: 8) == 1)
    #expect(SynapseWeight.synapticUnits(wgt: -192, exponent: -7, bits: 8) == -2)
    #expect(SynapseWeight.synapticUnits(wgt: 100, exponent: 7, bits: 8) == 100 << 7)
    #expect(SynapseWeight.synapticUnits(wgt: 255, exponent: 0, bits: 1) == 0)
  }
}
