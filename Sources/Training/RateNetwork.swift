import Foundation

/// A feed-forward network of dense layers trained on the chip's rates: every hidden layer
/// is `LoihiSpikingRectifiedLinear` neurons with gain s, bias s·b and amplitude 1/s (they
/// fire at ≈ s·z spikes/s for a pre-activation z = W·h + b and pass z on to the next layer
/// at the rate the chip really produces, divided by s); the last layer is the readout,
/// whose input current W·h + b gives the class scores.
///
/// Weights are row-major `[out, in]`, as in `network.json`.
public struct RateNetwork: Sendable, Equatable {
  /// One dense layer.
  public struct Layer: Sendable, Equatable {
    public var inputs: Int
    public var outputs: Int
    /// `[outputs, inputs]`, row-major.
    public var weights: [Double]
    public var bias: [Double]
    /// Firing-rate scale s (gain): hidden neurons fire at ≈ s·z spikes/s.
    public var scale: Double
  }

  public var layers: [Layer]
  /// Seconds per step.
  public var dt: Double
  /// Forward with the smooth rate instead of the chip's staircase (for gradient checks:
  /// the backward pass is then the exact gradient).
  var smoothForward = false

  /// A network of the given widths with weights drawn uniformly in ±√(6/fan-in) (He's
  /// uniform initialisation) from `random`, biases 0, and scale 1.
  public init(widths: [Int], dt: Double, random: inout SplitMix64) {
    precondition(widths.count >= 2 && widths.allSatisfy { $0 > 0 }, "an input and at least one layer")
    self.dt = dt
    layers = zip(widths, widths.dropFirst()).map { n, m in
      let limit = (6 / Double(n)).squareRoot()
      return Layer(
        inputs: n, outputs: m, weights: (0..<(n * m)).map { _ in (2 * random.nextUnit() - 1) * limit }, bias: [Double](repeating: 0, count: m),
        scale: 1)
    }
  }

  /// The number of trainable values (weights and biases).
  public var parameterCount: Int { layers.reduce(0) { $0 + $1.weights.count + $1.bias.count } }

  /// Pre-activations of every layer for one sample (`z[l]`), hidden outputs in between.
  /// `activations[0]` is the input; `activations[l + 1]` the output of layer l (for the
  /// readout: its scores).
  func forward(_ input: UnsafeBufferPointer<Double>, pre: inout [[Double]], activations: inout [[Double]]) {
    for k in 0..<input.count { activations[0][k] = input[k] }
    for (l, layer) in layers.enumerated() {
      let hidden = l < layers.count - 1
      layer.weights.withUnsafeBufferPointer { w in
        activations[l].withUnsafeBufferPointer { x in
          for o in 0..<layer.outputs {
            var z = layer.bias[o]
            let row = o * layer.inputs
            for i in 0..<layer.inputs { z += w[row + i] * x[i] }
            pre[l][o] = z
          }
        }
      }
      for o in 0..<layer.outputs {
        let z = pre[l][o]
        let rate = smoothForward ? LoihiRate.smooth(current: layer.scale * z, dt: dt) : LoihiRate.rate(current: layer.scale * z, dt: dt)
        activations[l + 1][o] = hidden ? rate / layer.scale : z
      }
    }
  }

  /// The class scores of one sample.
  public func scores(_ input: [Double]) -> [Double] {
    var (pre, activations) = buffers()
    input.withUnsafeBufferPointer { forward($0, pre: &pre, activations: &activations) }
    return activations[layers.count]
  }

  /// Work buffers for ``forward(_:pre:activations:)``.
  func buffers() -> (pre: [[Double]], activations: [[Double]]) {
    (layers.map { [Double](repeating: 0, count: $0.outputs) }, [[Double](repeating: 0, count: layers[0].inputs)] + layers.map { [Double](repeating: 0, count: $0.outputs) })
  }
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same numbers on
/// every machine.
public struct SplitMix64: Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform value in [0, 1) with 53 random bits.
  public mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }

  /// A uniform integer in 0 ..< n (n > 0).
  public mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
}
