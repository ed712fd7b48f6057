/// The units of spikes in the real-valued model (network format version 2), in one place.
///
/// Nengo's convention, which the format follows: a spike of a source with amplitude *a* has
/// height *a*/dt, so a source firing at *r* spikes/s carries the value *a*·*r*. Through a
/// connection's transform weight *w* and the target's gain *g*, each spike adds
/// *w*·*g*·*a*/dt to the target's input current *J* in the step it arrives; over time the
/// target sees the mean current *w*·*g*·*a*·*r*.
///
/// Every module that turns spikes into current (the discretizer) or chooses an amplitude (the
/// host encoders of real-valued inputs) calls these functions, so the convention cannot drift
/// between them.
public enum SpikeUnits {
  /// The current one spike adds to its target in the step it arrives: `w·g·a/dt`.
  ///
  /// - Parameters:
  ///   - weight: the connection's transform entry *w*.
  ///   - gain: the target neuron's gain *g*.
  ///   - amplitude: the source's amplitude *a* (1 for spike-train inputs and integer layers).
  ///   - dt: seconds per step.
  public static func currentPerSpike(weight: Double, gain: Double, amplitude: Double, dt: Double) -> Double {
    weight * gain * amplitude / dt
  }

  /// The amplitude of a host encoder unit that fires at `rate`·x spikes/s for a value x:
  /// 1/rate, so that the unit carries x and a target sees the mean current W·x.
  public static func encoderAmplitude(rate: Double) -> Double { 1 / rate }
}
