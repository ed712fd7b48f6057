import NetworkModel

/// How the host turns real values into spikes: the increments of its encoder units.
///
/// Each unit adds its increment (its firing rate × dt, in units of 2^-24) to an accumulator
/// every step and spikes when the accumulator reaches 2^24, keeping the remainder. The
/// compiler uses this for the values written in a network file, and the evaluator for every
/// sample of a data set, so both encode exactly alike. Spike amplitudes are
/// ``NetworkModel/SpikeUnits/encoderAmplitude(rate:)``.
public enum HostEncoding {
  /// Encoder units per value: two (on and off) for on/off encoding, one for spiking.
  public static func unitsPerValue(_ encoding: ValueEncoding) -> Int { encoding == .onOff ? 2 : 1 }

  /// The range of values the encoding carries; values outside are clipped.
  public static func range(_ encoding: ValueEncoding) -> ClosedRange<Double> { encoding == .onOff ? -1...1 : 0...1 }

  /// The full-scale rate of `input` in spikes per second (its `rate`, or 1/dt).
  public static func rate(of input: RealInput, dt: Double) -> Double { input.rate ?? 1 / dt }

  /// One row of increments for `values` (one value per element of the input): for on/off,
  /// the "on" units first (rate·(1 + x)/2), then the "off" units (rate·(1 − x)/2); for
  /// spiking, one unit per value at rate·x. Values are clipped to ``range(_:)``.
  public static func increments<C: Collection>(
    values: C, encoding: ValueEncoding, rate: Double, dt: Double
  ) -> [Int32] where C.Element == Double {
    let perStep = rate * dt * Double(HostEncoder.threshold)
    let size = values.count
    let bounds = range(encoding)
    var out = [Int32](repeating: 0, count: unitsPerValue(encoding) * size)
    for (i, x) in values.enumerated() {
      // NaN clips to the lower bound (min/max ignore it), so it is silent, never a trap.
      let clipped = x.isNaN ? bounds.lowerBound : min(max(x, bounds.lowerBound), bounds.upperBound)
      if encoding == .onOff {
        out[i] = Int32(((1 + clipped) / 2 * perStep).rounded(.toNearestOrEven))
        out[size + i] = Int32(((1 - clipped) / 2 * perStep).rounded(.toNearestOrEven))
      } else {
        out[i] = Int32((clipped * perStep).rounded(.toNearestOrEven))
      }
    }
    return out
  }

  /// How many of `values` lie outside the encoding's range (and are clipped), with the
  /// smallest and largest value seen.
  public static func outOfRange<C: Collection>(
    values: C, encoding: ValueEncoding
  ) -> (count: Int, min: Double, max: Double) where C.Element == Double {
    let bounds = range(encoding)
    var count = 0
    var lo = Double.infinity
    var hi = -Double.infinity
    for x in values {
      if !bounds.contains(x) { count += 1 }
      lo = min(lo, x)
      hi = max(hi, x)
    }
    return (count, lo, hi)
  }
}
