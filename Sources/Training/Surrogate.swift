import Foundation

/// The smooth stand-in for the spike's derivative in surrogate-gradient training: the
/// forward pass keeps the chip's exact spike (v > threshold), the backward pass uses
/// `derivative(x)` for d spike / d x, with x = (v − threshold) / threshold the voltage's
/// distance from the threshold in threshold units.
public struct Surrogate: Sendable, Equatable {
  /// The shapes in common use (snnTorch, SPyTorch, brainpy).
  public enum Kind: String, Sendable, Equatable, CaseIterable {
    /// 1 / (k·|x| + 1)²: the derivative of x / (1 + k·|x|) (Zenke & Ganguli's SuperSpike).
    case fastSigmoid = "fast_sigmoid"
    /// k·σ(k·x)·(1 − σ(k·x)): the derivative of the logistic σ(k·x).
    case sigmoid
    /// (k/2) / (1 + (π·k·x/2)²): the derivative of arctan(π·k·x/2)/π + 1/2.
    case arctan
    /// 1 for |x| < 1/k, else 0: the gradient of a ReLU ramp from −1/k to 1/k, scaled to
    /// slope 1 (a straight-through window).
    case reluGrad = "relu_grad"
  }

  public var kind: Kind
  /// The slope k (sharpness).
  public var slope: Double

  public init(_ kind: Kind, slope: Double) {
    self.kind = kind
    self.slope = slope
  }

  /// The stand-in for d spike / d x.
  @inline(__always)
  public func derivative(_ x: Double) -> Double {
    let k = slope
    switch kind {
    case .fastSigmoid:
      let d = k * abs(x) + 1
      return 1 / (d * d)
    case .sigmoid:
      let s = 1 / (1 + Foundation.exp(-k * x))
      return k * s * (1 - s)
    case .arctan:
      let a = Double.pi * k * x / 2
      return (k / 2) / (1 + a * a)
    case .reluGrad:
      return abs(x) < 1 / k ? 1 : 0
    }
  }

  /// The function whose derivative ``derivative(_:)`` is (for checks and plots).
  public func primitive(_ x: Double) -> Double {
    let k = slope
    switch kind {
    case .fastSigmoid: return x / (1 + k * abs(x))
    case .sigmoid: return 1 / (1 + Foundation.exp(-k * x))
    case .arctan: return Foundation.atan(Double.pi * k * x / 2) / Double.pi + 0.5
    case .reluGrad: return min(max(x, -1 / k), 1 / k)
    }
  }
}
