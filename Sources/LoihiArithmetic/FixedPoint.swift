/// Bit-exact integer primitives of a Loihi neuro-core.
///
/// Every function here is one piece of the chip's arithmetic, named and documented once,
/// so that the emulator's hot loop and the compiler share a single definition. The
/// semantics follow Loihi as modelled by NengoLoihi 1.1.0's emulator; see
/// `docs/emulator-semantics.md` for the full derivation.
public enum FixedPoint {

  /// Wraps `x` into a `(bits + 1)`-bit two's-complement register, range `[-2^bits, 2^bits)`.
  ///
  /// The chip keeps the low `bits + 1` bits; the value is read back as signed.
  ///
  /// | x | bits | result |
  /// |---|---|---|
  /// | 2^21 | 21 | −2^21 |
  /// | 2^21 − 1 | 21 | 2^21 − 1 |
  /// | −2^21 − 1 | 21 | 2^21 − 1 |
  @inline(__always)
  public static func wrap(_ x: Int32, signedBits bits: Int32) -> Int32 {
    // Shift the sign bit of the narrow register into the sign bit of Int32 and back.
    let unused = 31 &- bits
    return (x &<< unused) &>> unused
  }

  /// `wrap(_:signedBits:)` for a 64-bit intermediate.
  @inline(__always)
  public static func wrap(_ x: Int64, signedBits bits: Int64) -> Int64 {
    let unused = 63 &- bits
    return (x &<< unused) &>> unused
  }

  /// Whether `x` lies outside the `(bits + 1)`-bit signed range, i.e. would wrap.
  @inline(__always)
  public static func overflows(_ x: Int64, signedBits bits: Int64) -> Bool {
    x < -(1 << bits) || x >= (1 << bits)
  }

  /// Multiplies `x` by `factor / 4096`, truncating toward zero (symmetric in sign).
  ///
  /// The chip multiplies the magnitude by a 12-bit constant and shifts right by 12, then
  /// restores the sign: `sign(x) · ⌊|x| · factor / 4096⌋`. So `decay(−6400, by: 3686)` is
  /// −5759, not −5760.
  ///
  /// - Parameters:
  ///   - x: a current or voltage, at most 24 bits of magnitude.
  ///   - factor: `4096 − 1 − decay_u` for the current, `4096 − decay_v` for the voltage.
  @inline(__always)
  public static func decay(_ x: Int32, by factor: Int32) -> Int32 {
    let magnitude = (Int64(x.magnitude) &* Int64(factor)) &>> 12
    let m = Int32(truncatingIfNeeded: magnitude)
    return x < 0 ? 0 &- m : m
  }

  /// The multiplier applied to the current each step: `4095 − decayU`.
  @inline(__always)
  public static func currentDecayFactor(decayU: Int32) -> Int32 { 4095 &- decayU }

  /// The multiplier applied to the voltage each step: `4096 − decayV`.
  @inline(__always)
  public static func voltageDecayFactor(decayV: Int32) -> Int32 { 4096 &- decayV }

  /// Rounds `x / 2^shift` to the nearest integer, ties to even (numpy's `round`).
  public static func roundedHalfToEven(_ x: Int, dividedByPowerOfTwo shift: Int) -> Int {
    precondition(shift >= 0 && shift < 62)
    if shift == 0 { return x }
    let floorQ = x >> shift  // floor division
    let remainder = x - (floorQ << shift)  // 0 ..< 2^shift
    let half = 1 << (shift - 1)
    if remainder > half { return floorQ + 1 }
    if remainder < half { return floorQ }
    return floorQ & 1 == 0 ? floorQ : floorQ + 1
  }

  /// Threshold in voltage units from its mantissa: `vth = vth_mant · 2^6`.
  @inline(__always)
  public static func threshold(mantissa: Int) -> Int { mantissa << 6 }

  /// Bias in voltage units from mantissa and exponent: `bias_mant · 2^bias_exp`.
  @inline(__always)
  public static func bias(mantissa: Int, exponent: Int) -> Int { mantissa << exponent }
}
