/// The integer fields of a Loihi compartment and synapse, with their widths.
///
/// These are facts of the neuro-core's register layout (the same on every Loihi 1 chip),
/// not capacity limits: how many compartments or synapses fit on a core comes from a
/// hardware spec file, never from here.
public enum ChipFields {
  /// `decay_u` and `decay_v`: 12-bit unsigned.
  public static let decayRange: ClosedRange<Int> = 0...4095
  /// Threshold mantissa: 17-bit unsigned, at least 1 (`vth = vth_mant << 6`).
  public static let thresholdMantissaRange: ClosedRange<Int> = 1...131_071
  /// The fixed threshold exponent: `vth = vth_mant << 6`.
  public static let thresholdExponent = 6
  /// Bias mantissa: 13-bit signed.
  public static let biasMantissaRange: ClosedRange<Int> = -4096...4095
  /// Bias exponent: 3-bit unsigned.
  public static let biasExponentRange: ClosedRange<Int> = 0...7
  /// Refractory delay: 6-bit unsigned. 0 and 1 both mean "no refractory period".
  public static let refractoryDelayRange: ClosedRange<Int> = 0...63
  /// The stored weight `Wgt`: 8-bit mantissa plus sign as NxSDK programs it.
  public static let weightRange: ClosedRange<Int> = -256...255
  /// The synapse format's weight exponent: 4-bit signed.
  public static let weightExponentRange: ClosedRange<Int> = -8...7
  /// Weight bits the synapse format can encode (its 3-bit field maps to these).
  public static let weightBitsAllowed: [Int] = [1, 2, 3, 4, 5, 6, 8]
  /// vmin exponent `e` in `vmin = −(2^e − 1)`; larger exponents are not modelled.
  public static let vminExponentRange: ClosedRange<Int> = 0...23
  /// vmax exponent `f` in `vmax = 2^(9 + 2f) − 1`: 3-bit unsigned.
  public static let vmaxExponentRange: ClosedRange<Int> = 0...7

  /// Bits (excluding sign) of the per-step dendritic accumulator `q`.
  public static let inputAccumulatorBits: Int32 = 21
  /// Bits (excluding sign) of the current register `u` and of `u + bias`.
  public static let currentBits: Int32 = 23
  /// Voltage units per weight unit: a weight is shifted left by 6 before accumulation.
  public static let weightToCurrentShift: Int32 = 6

  /// Every value `vmin` can take: `−(2^e − 1)` for `e` in 0...23.
  public static var vminValues: [Int] { vminExponentRange.map { -((1 << $0) - 1) } }
  /// Every value `vmax` can take: `2^(9 + 2f) − 1` for `f` in 0...7.
  public static var vmaxValues: [Int] { vmaxExponentRange.map { (1 << (9 + 2 * $0)) - 1 } }
}
