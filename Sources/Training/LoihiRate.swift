import Foundation

/// The firing rate of a `LoihiSpikingRectifiedLinear` neuron under a constant input current,
/// as the chip produces it, and the smooth function whose derivative training uses.
///
/// In real units a neuron with input current J (threshold 1, dt seconds per step) adds J·dt
/// to its voltage every step, fires when the voltage is *strictly greater* than the
/// threshold, and resets to exactly 0 (docs/emulator-semantics.md, "One timestep"). From 0,
/// the voltage after k steps is k·J·dt, so the first spike comes at step ⌊1/(J·dt)⌋ + 1 and
/// every period is that many steps:
///
///     rate(J) = 1 / (dt · (⌊1/(J·dt)⌋ + 1))   for J > 0, else 0.
///
/// (NengoLoihi's rate uses ⌈1/(J·dt)⌉, which differs exactly when 1/(J·dt) is a whole
/// number: the voltage then reaches the threshold without passing it and waits one more
/// step. On the chip, J·dt and the threshold are quantized integers, so at those exact
/// boundaries the rounding of the bias and weights decides the side; between them the
/// rates agree, as a test against the emulator checks.) The period is a whole number of steps, so the rate is a staircase; its
/// mean over a step interval is close to the smooth
///
///     smooth(J) = J / (1 + J·dt/2),
///
/// whose derivative 1/(1 + J·dt/2)² is what the backward pass uses (NengoDL's ReLU with a
/// half-step refractory term). Forward and backward are joined straight through: the value
/// is the chip's, the gradient the smooth function's.
public enum LoihiRate {
  /// Spikes per second at constant input current `current` (real units, threshold 1).
  @inline(__always)
  public static func rate(current: Double, dt: Double) -> Double {
    guard current > 0, current.isFinite else { return 0 }
    let periods = 1 / (current * dt)
    // Beyond 2^52 steps the period does not matter: the rate is 0 to double precision.
    guard periods < 4.5e15 else { return 0 }
    return 1 / (dt * (periods.rounded(.down) + 1))
  }

  /// The smooth rate J / (1 + J·dt/2) (0 for J ≤ 0).
  @inline(__always)
  public static func smooth(current: Double, dt: Double) -> Double {
    current > 0 ? current / (1 + current * dt / 2) : 0
  }

  /// d smooth / dJ = 1 / (1 + J·dt/2)² (0 for J ≤ 0).
  @inline(__always)
  public static func smoothDerivative(current: Double, dt: Double) -> Double {
    guard current > 0 else { return 0 }
    let d = 1 + current * dt / 2
    return 1 / (d * d)
  }
}
