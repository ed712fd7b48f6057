import Foundation
import Mapper

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

/// The firing rate of a `LoihiLIF` neuron under a constant input current J (real units,
/// threshold 1) as the chip produces it, and the smooth function whose derivative training
/// uses.
///
/// The chip keeps a fraction a = (4096 − decay_v)/4096 of the voltage each step and adds the
/// current, scaled so that the voltage settles at J (docs/quantization.md). From 0 it is
/// J·(1 − aⁿ) after n steps, so with the strict `v > threshold` test the first spike comes
/// at step n = ⌊ln(1 − 1/J)/ln a⌋ + 1, for J > 1; after it the neuron is held at 0 for
/// `hold` = round(τref/dt) steps (refract_delay − 1), so
///
///     rate(J) = 1 / (dt · (n(J) + hold))   for J > 1, else 0.
///
/// As for the rectified linear neuron, the exact boundaries (whole ln(1 − 1/J)/ln a) are
/// decided by the chip's rounding. The backward pass uses the smooth LIF rate with a
/// half-step refractory term, 1/(τref' + τrc'·ln(1 + 1/j)), τref' = (hold + ½)·dt,
/// τrc' = −dt/ln a, on j = σ·softplus((J − 1)/σ) (the "SoftLIF" smoothing, σ = 0.02), so
/// that a silent neuron still passes a little gradient.
public struct LIFRate: Sendable, Equatable {
  /// The voltage kept per step, (4096 − decay_v)/4096.
  public var decayFactor: Double
  /// Steps held after a spike (refract_delay − 1).
  public var hold: Int
  public var dt: Double
  public var smoothing = 0.02
  /// The time constants as configured (seconds), written into `network.json`.
  public var tauRC: Double
  public var tauRef: Double

  /// The rate the chip gives a LoihiLIF layer of these time constants: decay_v and
  /// refract_delay as the mapper's discretizer programs them.
  public init(tauRC: Double, tauRef: Double, dt: Double) {
    decayFactor = Double(4096 - Discretizer.voltageDecay(tauRC: tauRC, dt: dt)) / 4096
    hold = Discretizer.refractoryDelay(tauRef: tauRef, dt: dt) - 1
    self.dt = dt
    self.tauRC = tauRC
    self.tauRef = tauRef
  }

  /// Spikes per second at constant current `current`.
  public func rate(current j: Double) -> Double {
    guard j > 1, j.isFinite, decayFactor > 0, decayFactor < 1 else { return 0 }
    let steps = Foundation.log(1 - 1 / j) / Foundation.log(decayFactor)
    guard steps < 4.5e15 else { return 0 }
    return 1 / (dt * (steps.rounded(.down) + 1 + Double(hold)))
  }

  /// The chip's membrane time constant, −dt/ln a, and the smooth rate's refractory period
  /// with the half step.
  var chipTauRC: Double { -dt / Foundation.log(decayFactor) }
  var smoothTauRef: Double { (Double(hold) + 0.5) * dt }

  /// The smoothed current j = σ·softplus((J − 1)/σ) and its derivative.
  func smoothed(_ current: Double) -> (j: Double, slope: Double) {
    let x = (current - 1) / smoothing
    if x > 30 { return (current - 1, 1) }
    let e = Foundation.exp(x)
    return (smoothing * Foundation.log1p(e), e / (1 + e))
  }

  /// The smooth rate 1/(τref' + τrc'·ln(1 + 1/j)).
  public func smooth(current: Double) -> Double {
    let (j, _) = smoothed(current)
    guard j > 0 else { return 0 }
    return 1 / (smoothTauRef + chipTauRC * Foundation.log1p(1 / j))
  }

  /// d smooth / dJ = r²·τrc'/(j(j + 1)) · dj/dJ.
  public func smoothDerivative(current: Double) -> Double {
    let (j, slope) = smoothed(current)
    guard j > 0 else { return 0 }
    let r = 1 / (smoothTauRef + chipTauRC * Foundation.log1p(1 / j))
    return r * r * chipTauRC / (j * (j + 1)) * slope
  }

  /// The current at which the smooth rate is `rate` (nil when the refractory period does
  /// not allow it).
  public func current(forRate rate: Double) -> Double? {
    let free = 1 / rate - smoothTauRef
    guard rate > 0, free > 0 else { return nil }
    // 1/j = e^(free/τrc) − 1 ⇒ J = 1 + j (the softplus is the identity well above 1).
    return 1 + 1 / Foundation.expm1(free / chipTauRC)
  }
}
