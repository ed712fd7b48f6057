import Foundation
import LoihiArithmetic

/// A feed-forward network trained on the chip's rates: dense and 2-D convolutional layers of
/// `LoihiSpikingRectifiedLinear` neurons, with average pooling and flatten stages between
/// them (folded into the next connection on the chip).
///
/// Every neuron layer but the last has gain s, bias s·b and amplitude 1/s: it fires at the
/// chip's rate for the current s·z, z = W·h + b, and passes that rate divided by s on. The
/// last layer is the readout: its input current W·h + b gives the class scores.
///
/// Shapes are channels-first (`[C, H, W]`), as in `network.json`; dense weights are
/// `[out, in]` and convolution kernels `[out_channels, in_channels, kh, kw]`, row-major.
public struct RateNetwork: Sendable, Equatable {
  /// One layer or stage.
  public struct Layer: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case dense, conv2d, avgpool2d, flatten }
    public var kind: Kind
    public var inputShape: [Int]
    public var outputShape: [Int]
    /// Dense `[out, in]` or kernel `[oc, ic, kh, kw]`; empty for stages.
    public var weights: [Double]
    /// Dense: one per neuron; convolution: one per output channel; empty for stages.
    public var bias: [Double]
    /// Firing-rate scale s (gain) of a neuron layer.
    public var scale: Double = 1
    /// Convolution kernel or pooling window `[h, w]`, stride and zero padding `[h, w]`.
    public var kernel: [Int] = []
    public var stride: [Int] = [1, 1]
    public var padding: [Int] = [0, 0]

    /// A convolution's sizes, read once per pass: input and output channels, heights and
    /// widths, kernel, stride and padding.
    struct ConvGeometry {
      let ic, ih, iw, oc, oh, ow, kh, kw, sy, sx, py, px: Int
    }

    var conv: ConvGeometry {
      ConvGeometry(
        ic: inputShape[0], ih: inputShape[1], iw: inputShape[2], oc: outputShape[0], oh: outputShape[1], ow: outputShape[2],
        kh: kernel[0], kw: kernel[1], sy: stride[0], sx: stride[1], py: padding[0], px: padding[1])
    }

    /// Whether the layer has neurons (on the chip, a layer; otherwise a folded stage).
    public var hasNeurons: Bool { kind == .dense || kind == .conv2d }
    public var inputs: Int { inputShape.reduce(1, *) }
    public var outputs: Int { outputShape.reduce(1, *) }
  }

  public var layers: [Layer]
  /// Seconds per step.
  public var dt: Double
  /// Forward with the smooth rate instead of the chip's staircase (for gradient checks:
  /// the backward pass is then the exact gradient).
  var smoothForward = false
  /// The hidden layers' neurons are `LoihiLIF` with these rates (nil:
  /// `LoihiSpikingRectifiedLinear`).
  public var lif: LIFRate? = nil

  /// The chip's rate of a hidden neuron at current `j` (or the smooth one, for checks).
  @inline(__always)
  func rate(current j: Double) -> Double {
    if let lif { return smoothForward ? lif.smooth(current: j) : lif.rate(current: j) }
    return smoothForward ? LoihiRate.smooth(current: j, dt: dt) : LoihiRate.rate(current: j, dt: dt)
  }

  /// The smooth rate's derivative at current `j`, for the backward pass.
  @inline(__always)
  func rateDerivative(current j: Double) -> Double {
    lif?.smoothDerivative(current: j) ?? LoihiRate.smoothDerivative(current: j, dt: dt)
  }

  /// A network of dense layers of the given widths (see ``init(input:layers:dt:random:)``).
  public init(widths: [Int], dt: Double, random: inout SplitMix64) {
    precondition(widths.count >= 2 && widths.allSatisfy { $0 > 0 }, "an input and at least one layer")
    self.init(checkedInput: [widths[0]], layers: widths.dropFirst().map { .dense(size: $0) }, dt: dt, random: &random)
  }

  /// A network for inputs of `shape` with `layers` in order, weights drawn uniformly in
  /// ±√(6/fan-in) (He's uniform initialisation) from `random`, biases 0, scales 1.
  ///
  /// - Returns: nil with the reason when the shapes do not fit together.
  public static func make(
    input shape: [Int], layers specs: [TrainingConfig.LayerSpec], dt: Double, random: inout SplitMix64
  ) -> Result<RateNetwork, ShapeProblem> {
    var current = shape
    for (i, spec) in specs.enumerated() {
      switch spec {
      case .dense:
        guard current.count == 1 else { return .failure(ShapeProblem(layer: i, message: "a dense layer needs a flat input, here \(current)", fix: "put {\"kind\": \"flatten\"} before it")) }
      case .conv2d(let channels, let k, let s, let p):
        guard current.count == 3 else { return .failure(ShapeProblem(layer: i, message: "a conv2d layer needs a [C, H, W] input, here \(current)", fix: "give data.input_shape, e.g. [1, 8, 8], or put convolutions first")) }
        let h = (current[1] + 2 * p[0] - k[0]) / s[0] + 1
        let w = (current[2] + 2 * p[1] - k[1]) / s[1] + 1
        guard current[1] + 2 * p[0] >= k[0], current[2] + 2 * p[1] >= k[1], h > 0, w > 0 else {
          return .failure(ShapeProblem(layer: i, message: "the \(k[0])×\(k[1]) kernel does not fit the \(current[1])×\(current[2]) input", fix: "use a smaller kernel or more padding"))
        }
        current = [channels, h, w]
      case .avgpool2d(let k):
        guard current.count == 3, current[1] >= k, current[2] >= k else {
          return .failure(ShapeProblem(layer: i, message: "a \(k)×\(k) pool needs a [C, H, W] input at least that large, here \(current)", fix: "pool after a convolution, with a smaller window"))
        }
        current = [current[0], current[1] / k, current[2] / k]
      case .flatten:
        current = [current.reduce(1, *)]
      case .recurrent:
        return .failure(ShapeProblem(layer: i, message: "loihi-rate training has no recurrent layers (a rate model has no time)", fix: "use mode surrogate, or dense layers"))
      }
    }
    guard let last = specs.last, case .dense = last else {
      return .failure(ShapeProblem(layer: max(specs.count - 1, 0), message: "the last layer is not dense", fix: "end with a dense readout, one neuron per class"))
    }
    return .success(RateNetwork(checkedInput: shape, layers: specs, dt: dt, random: &random))
  }

  /// Why an architecture does not fit its input.
  public struct ShapeProblem: Error, Sendable, Equatable {
    public var layer: Int
    public var message: String
    public var fix: String
  }

  private init(checkedInput shape: [Int], layers specs: [TrainingConfig.LayerSpec], dt: Double, random: inout SplitMix64) {
    self.dt = dt
    var current = shape
    var built: [Layer] = []
    func draw(_ count: Int, fanIn: Int, _ random: inout SplitMix64) -> [Double] {
      let limit = (6 / Double(max(fanIn, 1))).squareRoot()
      return (0..<count).map { _ in (2 * random.nextUnit() - 1) * limit }
    }
    for spec in specs {
      switch spec {
      case .dense(let size):
        let n = current.reduce(1, *)
        built.append(Layer(kind: .dense, inputShape: [n], outputShape: [size], weights: draw(n * size, fanIn: n, &random), bias: [Double](repeating: 0, count: size)))
        current = [size]
      case .conv2d(let channels, let k, let s, let p):
        let h = (current[1] + 2 * p[0] - k[0]) / s[0] + 1
        let w = (current[2] + 2 * p[1] - k[1]) / s[1] + 1
        let fanIn = current[0] * k[0] * k[1]
        built.append(
          Layer(
            kind: .conv2d, inputShape: current, outputShape: [channels, h, w], weights: draw(channels * fanIn, fanIn: fanIn, &random),
            bias: [Double](repeating: 0, count: channels), kernel: k, stride: s, padding: p))
        current = [channels, h, w]
      case .avgpool2d(let k):
        let out = [current[0], current[1] / k, current[2] / k]
        built.append(Layer(kind: .avgpool2d, inputShape: current, outputShape: out, weights: [], bias: [], kernel: [k, k], stride: [k, k]))
        current = out
      case .flatten:
        built.append(Layer(kind: .flatten, inputShape: current, outputShape: [current.reduce(1, *)], weights: [], bias: []))
        current = [current.reduce(1, *)]
      case .recurrent:
        // Refused by `make`, which is the only way in.
        continue
      }
    }
    layers = built
  }

  /// The number of trainable values (weights and biases).
  public var parameterCount: Int { layers.reduce(0) { $0 + $1.weights.count + $1.bias.count } }

  /// Index of the readout (the last layer).
  var readout: Int { layers.count - 1 }

  /// Runs one sample: `activations[0]` is the input, `activations[l + 1]` the output of layer
  /// l (for the readout: its scores); `pre[l]` the pre-activations of a neuron layer.
  func forward(_ input: UnsafeBufferPointer<Double>, pre: inout [[Double]], activations: inout [[Double]]) {
    for k in 0..<input.count { activations[0][k] = input[k] }
    for (l, layer) in layers.enumerated() {
      switch layer.kind {
      case .dense, .conv2d:
        RateNetwork.linear(layer, activations[l], into: &pre[l])
        if l == readout {
          for o in 0..<layer.outputs { activations[l + 1][o] = pre[l][o] }
        } else {
          for o in 0..<layer.outputs {
            let j = layer.scale * pre[l][o]
            let rate = rate(current: j)
            activations[l + 1][o] = rate / layer.scale
          }
        }
      case .avgpool2d:
        RateNetwork.pool(layer, activations[l], into: &activations[l + 1])
      case .flatten:
        for k in 0..<layer.inputs { activations[l + 1][k] = activations[l][k] }
      }
    }
  }

  /// z = W·x + b of a dense or convolutional layer.
  static func linear(_ layer: Layer, _ input: [Double], into output: inout [Double]) {
    output.withUnsafeMutableBufferPointer { z in
      layer.weights.withUnsafeBufferPointer { w in
        layer.bias.withUnsafeBufferPointer { b in
          input.withUnsafeBufferPointer { x in
            if layer.kind == .dense {
              for o in 0..<layer.outputs {
                var s = b[o]
                let row = o * layer.inputs
                for i in 0..<layer.inputs { s += w[row + i] * x[i] }
                z[o] = s
              }
              return
            }
            let g = layer.conv
            let (ic, ih, iw, oc, oh, ow, kh, kw, sy, sx, py, px) = (g.ic, g.ih, g.iw, g.oc, g.oh, g.ow, g.kh, g.kw, g.sy, g.sx, g.py, g.px)
            for c in 0..<oc {
              for y in 0..<oh {
                for xo in 0..<ow {
                  var s = b[c]
                  for i in 0..<ic {
                    for dy in 0..<kh {
                      let yy = y * sy - py + dy
                      guard yy >= 0 && yy < ih else { continue }
                      for dx in 0..<kw {
                        let xx = xo * sx - px + dx
                        guard xx >= 0 && xx < iw else { continue }
                        s += w[((c * ic + i) * kh + dy) * kw + dx] * x[(i * ih + yy) * iw + xx]
                      }
                    }
                  }
                  z[(c * oh + y) * ow + xo] = s
                }
              }
            }
          }
        }
      }
    }
  }

  /// k×k average pooling with stride k (a trailing row or column that does not fill a window is dropped).
  static func pool(_ layer: Layer, _ x: [Double], into out: inout [Double]) {
    let (c, ih, iw) = (layer.inputShape[0], layer.inputShape[1], layer.inputShape[2])
    let (oh, ow) = (layer.outputShape[1], layer.outputShape[2])
    let k = layer.kernel[0]
    let norm = 1 / Double(k * k)
    for ch in 0..<c {
      for y in 0..<oh {
        for xo in 0..<ow {
          var s = 0.0
          for dy in 0..<k { for dx in 0..<k { s += x[(ch * ih + y * k + dy) * iw + xo * k + dx] } }
          out[(ch * oh + y) * ow + xo] = s * norm
        }
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
    (
      layers.map { [Double](repeating: 0, count: $0.hasNeurons ? $0.outputs : 0) },
      [[Double](repeating: 0, count: layers[0].inputs)] + layers.map { [Double](repeating: 0, count: $0.outputs) }
    )
  }
}
