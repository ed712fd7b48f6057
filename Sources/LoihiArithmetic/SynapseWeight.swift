/// How a Loihi synapse turns a programmed weight into the value added to a compartment.
///
/// The chip stores `weight_bits` bits per synapse in "mixed" sign mode (one of them is the
/// sign), so it drops `shiftBits = 9 − weight_bits` low bits of the 8-bit `Wgt` value,
/// rounding half to even and saturating at the largest magnitude. It then scales by the
/// connection's weight exponent. When the exponent pushes the value right (`shiftBits +
/// weight_exp < 0`) the chip's two-part shift loses the extra bits: the value is rounded
/// once more to a multiple of the shift, saturated again, and shifted arithmetically — so
/// the result is not symmetric in sign (with exponent −3, `Wgt` 255 gives 31 and −255 gives −32).
///
/// The result is in **synaptic units** of 64 current units: a spike adds `value << 6` to the
/// target's input accumulator. Every value fits in 16 bits.
///
/// | Wgt | bits | exp | synaptic units |
/// |---|---|---|---|
/// | 255 | 8 | 0 | 254 |
/// | 253 | 8 | 0 | 252 |
/// | −99 | 8 | 0 | −100 |
/// | 255 | 8 | −3 | 31 |
/// | −255 | 8 | −3 | −32 |
/// | 192 | 8 | −7 | 1 |
public struct SynapseWeight {
  /// Computes the synaptic-unit value of a programmed weight.
  ///
  /// - Parameters:
  ///   - wgt: the programmed `Wgt`, in −256...255.
  ///   - exponent: the connection's weight exponent, in −8...7.
  ///   - bits: the weight bits kept, one of 1, 2, 3, 4, 5, 6, 8.
  /// - Returns: the value in units of 64, i.e. the current added is `result << 6`.
  public static func synapticUnits(wgt: Int, exponent: Int, bits: Int) -> Int {
    precondition(ChipFields.weightRange.contains(wgt), "Wgt \(wgt) out of range")
    precondition(ChipFields.weightExponentRange.contains(exponent), "exponent \(exponent) out of range")
    precondition(ChipFields.weightBitsAllowed.contains(bits), "weight bits \(bits) not encodable")
    let shiftBits = 8 - bits + 1  // mixed sign mode keeps bits − 1 magnitude bits
    let maxMantissa = (1 << (8 - shiftBits)) - 1
    var mantissa = clamp(
      FixedPoint.roundedHalfToEven(wgt, dividedByPowerOfTwo: shiftBits), to: maxMantissa)
    let totalShift = shiftBits + exponent
    if totalShift >= 0 {
      return mantissa << totalShift
    }
    // Lossy two-part shift: re-round to a multiple of 2^(-totalShift), saturate, then
    // shift right arithmetically (floor).
    let right = -totalShift
    mantissa = clamp(
      FixedPoint.roundedHalfToEven(mantissa, dividedByPowerOfTwo: right) << right,
      to: maxMantissa)
    return mantissa >> right
  }

  private static func clamp(_ x: Int, to m: Int) -> Int { min(max(x, -m), m) }
}

extension SynapseWeight {
  /// The left shift shared by all weights of a connection when they are stored as
  /// mantissa and shift: `max(9 − bits + exponent, 0)`.
  public static func storedShift(exponent: Int, bits: Int) -> Int {
    max(8 - bits + 1 + exponent, 0)
  }

  /// The stored mantissa of a weight: `synapticUnits == mantissa << storedShift`.
  /// Always fits in 8 signed bits.
  public static func storedMantissa(wgt: Int, exponent: Int, bits: Int) -> Int {
    synapticUnits(wgt: wgt, exponent: exponent, bits: bits) >> storedShift(exponent: exponent, bits: bits)
  }
}
