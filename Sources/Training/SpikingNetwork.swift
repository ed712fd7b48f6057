import Foundation
import LoihiArithmetic
import Mapper
import NetworkModel

/// A feed-forward network of chip neurons in the chip's own integers, for surrogate-gradient
/// training: the forward pass *is* the chip — the host's spiking encoder (or given spike
/// trains), the synapses' programmed weights and `CompartmentDynamics.advance`, the function
/// the emulator runs — and the backward pass (``accumulate(_:label:steps:settings:into:)``)
/// unrolls the same recurrence in real numbers through time (BPTT), with a ``Surrogate`` in
/// place of the spike's derivative.
///
/// Every layer reads the one before it through a ``Synapses`` table: dense, or a 2-D
/// convolution whose kernel is shared by all output positions; an average pool before a
/// layer widens its kernel (each weight shared over the pool's window), so a pool costs no
/// neurons, as on the chip.
///
/// Weights are real "latent" `Wgt` values; the chip applies each as the even 8-bit `Wgt` it
/// rounds to (`WeightQuantizer.program`) shifted by the connection's exponent, and the
/// gradient passes the rounding straight through. Time constants are per neuron and may be
/// trained the same way (``TimeConstantGrid``).
public struct SpikingNetwork: Sendable, Equatable {
  /// Where the first layer's input spikes come from.
  public enum Input: Sendable, Equatable {
    /// The host's spiking encoder: one unit per value, firing at `rate`·x spikes/s.
    case encoder(rate: Double)
    /// Given spike trains: a sample is `[steps][size]` values, nonzero where a source
    /// spikes (row t − 1 is sent at step t and reaches the first layer at step t + 1).
    case spikeTrains
  }

  /// One layer of neurons with the integer parameters the chip stores, and its synapses.
  public struct Layer: Sendable, Equatable {
    /// The layer's name in the written network (`conv1`, `h1`, …, `out`).
    public var name: String
    /// Output shape: `[n]`, or `[C, H, W]` for a convolution.
    public var shape: [Int]
    public var synapses: Synapses
    /// Latent `Wgt` values, one per shared parameter (``Synapses/parameterCount``).
    public var weights: [Double]
    /// Weight exponent of the connection into the layer.
    public var exponent: Int
    public var thresholdMantissa: Int
    public var refractoryDelay: Int
    /// Per-neuron decays as programmed (12-bit fields).
    public var decayU: [Int]
    public var decayV: [Int]
    /// Latent natural logarithms of the decays, when they are trained (else `nil`).
    public var logDecayU: [Double]? = nil
    public var logDecayV: [Double]? = nil
    /// The decays training started from, when they are trained (for the report's plot).
    public var initialDecayU: [Int]? = nil
    public var initialDecayV: [Int]? = nil
    /// Per-neuron bias mantissas and the layer's bias exponent (fixed in training).
    public var biasMantissa: [Int]
    public var biasExponent: Int = 0
    public var vmin: Int = 0
    public var vmax: Int = NeuronParameters.defaultVmax
    /// A recurrent layer's synapses from its own neurons (their spikes of the step before),
    /// their latent `Wgt` values and the connection's exponent; `nil` for a feed-forward layer.
    public var recurrent: Synapses? = nil
    public var recurrentWeights: [Double] = []
    public var recurrentExponent = 0

    public var inputs: Int { synapses.sourceCount }
    public var outputs: Int { synapses.targetCount }

    /// The programmed `Wgt` of every parameter.
    public var programmed: [Int32] { weights.map { Int32(WeightQuantizer.program($0, wgtPerCurrent: 1)) } }
    /// The programmed `Wgt` of every recurrent weight.
    public var programmedRecurrent: [Int32] { recurrentWeights.map { Int32(WeightQuantizer.program($0, wgtPerCurrent: 1)) } }

    /// Synaptic units (each adds 64 current units) per programmed `Wgt` step, for the
    /// straight-through gradient.
    var unitsPerWgt: Double { Self.unitsPerWgt(exponent: exponent) }

    /// Synaptic units per `Wgt` step of a connection with weight exponent `exponent`.
    static func unitsPerWgt(exponent: Int) -> Double { Double(SynapseWeight.synapticUnits(wgt: 254, exponent: exponent, bits: 8)) / 254 }

    /// The bias of every neuron in current units (`mant << exp`).
    var bias: [Int32] { biasMantissa.map { Int32($0) << Int32(biasExponent) } }
  }

  public var layers: [Layer]
  public var input: Input
  /// Number of input sources (values per step) and their shape.
  public var inputSize: Int
  public var inputShape: [Int]
  /// Seconds per step.
  public var dt: Double

  /// Creates a network from its parts.
  public init(layers: [Layer], input: Input, inputShape: [Int], dt: Double) {
    self.layers = layers
    self.input = input
    self.inputShape = inputShape
    self.inputSize = inputShape.reduce(1, *)
    self.dt = dt
  }

  /// Spikes per second of an input value of 1 (0 for given spike trains).
  public var inputRate: Double { if case .encoder(let rate) = input { rate } else { 0 } }

  /// Number of samples' features: values of one sample (`inputSize`, or steps × size for
  /// spike trains).
  func sampleSteps(_ x: ArraySlice<Double>) -> Int { inputSize == 0 ? 0 : x.count / inputSize }

  /// What one presentation recorded, per layer and step, for the backward pass.
  struct Trace {
    /// `inputSpikes[t * inputSize + j]`: the spikes sent in step t + 1 (delivered in t + 2).
    var inputSpikes: [UInt8]
    /// Per layer, `[steps, n]`: spikes, the voltage integrated before the refractory hold
    /// and the reset, whether the neuron was held, and the current `u` after the step.
    var spikes: [[UInt8]]
    var voltage: [[Int32]]
    var held: [[UInt8]]
    var current: [[Int32]]
    /// Output spike counts.
    var counts: [Int]
  }

  /// What the loss reads from the output layer.
  public enum Readout: String, Sendable, Equatable, CaseIterable {
    /// Spike counts over the presentation (`evaluate --readout spikes`).
    case spikeCount = "spike_count"
    /// The mean input current plus bias over the presentation (`evaluate --readout
    /// current`): no ties, and a gradient that does not go through the output's spikes.
    case current
    /// The mean membrane potential over the presentation, as stored after each step (0 in
    /// a step the neuron spikes and while it is held; `evaluate --readout voltage`).
    case voltage
  }

  /// Runs one sample for `steps` steps exactly as the chip does and records the trace.
  func run(_ x: ArraySlice<Double>, steps: Int) -> Trace {
    let size = inputSize
    var inputSpikes = [UInt8](repeating: 0, count: steps * size)
    switch input {
    case .encoder(let rate):
      let increments = HostEncoding.increments(values: x, encoding: .spiking, rate: rate, dt: dt)
      var accumulators = [Int32](repeating: 0, count: size)
      for t in 0..<steps {
        for j in 0..<size where EncoderDynamics.step(accumulator: &accumulators[j], increment: increments[j]) { inputSpikes[t * size + j] = 1 }
      }
    case .spikeTrains:
      let given = min(steps, sampleSteps(x))
      let base = x.startIndex
      for k in 0..<(given * size) where x[base + k] != 0 { inputSpikes[k] = 1 }
    }
    var trace = Trace(
      inputSpikes: inputSpikes, spikes: layers.map { [UInt8](repeating: 0, count: steps * $0.outputs) },
      voltage: layers.map { [Int32](repeating: 0, count: steps * $0.outputs) }, held: layers.map { [UInt8](repeating: 0, count: steps * $0.outputs) },
      current: layers.map { [Int32](repeating: 0, count: steps * $0.outputs) }, counts: [])
    // Per layer: synaptic units of every parameter (as the accumulator adds them), factors,
    // biases and thresholds.
    let units = layers.map { layer in
      layer.programmed.map { Int16(truncatingIfNeeded: SynapseWeight.synapticUnits(wgt: Int($0), exponent: layer.exponent, bits: 8)) }
    }
    let recurrentUnits = layers.map { layer in
      layer.programmedRecurrent.map { Int16(truncatingIfNeeded: SynapseWeight.synapticUnits(wgt: Int($0), exponent: layer.recurrentExponent, bits: 8)) }
    }
    let currentFactors = layers.map { $0.decayU.map { FixedPoint.currentDecayFactor(decayU: Int32($0)) } }
    let voltageFactors = layers.map { $0.decayV.map { FixedPoint.voltageDecayFactor(decayV: Int32($0)) } }
    let biases = layers.map(\.bias)
    var u = layers.map { [Int32](repeating: 0, count: $0.outputs) }
    var v = layers.map { [Int32](repeating: 0, count: $0.outputs) }
    var r = layers.map { [Int32](repeating: 0, count: $0.outputs) }
    var q = layers.map { [Int16](repeating: 0, count: $0.outputs) }
    for t in 0..<steps {
      for (l, layer) in layers.enumerated() {
        let n = layer.outputs
        // Spikes sent in the previous step (the encoder's, or the layer below's) arrive now.
        for i in 0..<n { q[l][i] = 0 }
        if t > 0 {
          let (sourceSpikes, width) = l == 0 ? (trace.inputSpikes, size) : (trace.spikes[l - 1], layers[l - 1].outputs)
          let s = layer.synapses
          let base = (t - 1) * width
          for j in 0..<width where sourceSpikes[base + j] != 0 {
            // The accumulator wraps at 16 bits in synaptic units (22 bits of current).
            for k in Int(s.start[j])..<Int(s.start[j + 1]) {
              let target = Int(s.target[k])
              q[l][target] = q[l][target] &+ units[l][Int(s.parameter[k])]
            }
          }
          // The layer's own spikes of the step before, through its recurrent synapses.
          if let r = layer.recurrent {
            let own = (t - 1) * n
            for j in 0..<n where trace.spikes[l][own + j] != 0 {
              for k in Int(r.start[j])..<Int(r.start[j + 1]) {
                let target = Int(r.target[k])
                q[l][target] = q[l][target] &+ recurrentUnits[l][Int(r.parameter[k])]
              }
            }
          }
        }
        let threshold = Int32(FixedPoint.threshold(mantissa: layer.thresholdMantissa))
        for i in 0..<n {
          let input = Int32(q[l][i]) &<< ChipFields.weightToCurrentShift
          let wasHeld = r[l][i] > 0
          let (spiked, vPre) = CompartmentDynamics.advance(
            current: &u[l][i], voltage: &v[l][i], refractory: &r[l][i], input: input, currentFactor: currentFactors[l][i],
            voltageFactor: voltageFactors[l][i], bias: biases[l][i], threshold: threshold, refractoryDelay: Int32(layer.refractoryDelay),
            vmin: Int32(layer.vmin), vmax: Int32(layer.vmax))
          let k = t * n + i
          trace.spikes[l][k] = spiked ? 1 : 0
          trace.voltage[l][k] = vPre
          trace.held[l][k] = wasHeld ? 1 : 0
          trace.current[l][k] = u[l][i]
        }
      }
    }
    let last = layers.count - 1
    let n = layers[last].outputs
    trace.counts = (0..<n).map { i in (0..<steps).reduce(0) { $0 + Int(trace.spikes[last][$1 * n + i]) } }
    return trace
  }

  /// The output spike counts of one sample.
  public func counts(_ x: [Double], steps: Int) -> [Int] { run(x[...], steps: steps).counts }

  /// What `readout` reads for one sample: spike counts, or the mean current plus bias
  /// (integer units) — exactly what `evaluate` reads from the chip.
  public func scores(_ x: ArraySlice<Double>, steps: Int, readout: Readout) -> [Double] {
    let trace = run(x, steps: steps)
    switch readout {
    case .spikeCount: return trace.counts.map(Double.init)
    case .current: return meanCurrents(trace, steps: steps)
    case .voltage: return meanVoltages(trace, steps: steps)
    }
  }

  /// The voltage the voltage loss divides by: the first layer's threshold (the readout's
  /// own is set out of reach, so that it integrates without spiking).
  var voltageReference: Double { Double(FixedPoint.threshold(mantissa: layers[0].thresholdMantissa)) }

  /// The largest threshold mantissa, which the readout of the voltage loss takes: with the
  /// default vmax it spikes only if its voltage reaches the top 63 units of the 24-bit range.
  public static let silentThresholdMantissa = 131_071

  /// The output layer's mean stored voltage over the steps, per neuron.
  func meanVoltages(_ trace: Trace, steps: Int) -> [Double] {
    let last = layers.count - 1
    let n = layers[last].outputs
    return (0..<n).map { i in
      (0..<steps).reduce(0.0) { sum, t in
        let k = t * n + i
        return sum + (trace.spikes[last][k] != 0 || trace.held[last][k] != 0 ? 0 : Double(trace.voltage[last][k]))
      } / Double(steps)
    }
  }

  /// The output layer's mean `u` over the steps plus its bias, per neuron.
  func meanCurrents(_ trace: Trace, steps: Int) -> [Double] {
    let last = layers.count - 1
    let n = layers[last].outputs
    let bias = layers[last].bias
    return (0..<n).map { i in
      (0..<steps).reduce(0.0) { $0 + Double(trace.current[last][$1 * n + i]) } / Double(steps) + Double(bias[i])
    }
  }

  /// The logits the loss takes from a trace: scores × `scale` / steps (spike counts) or
  /// × `scale` / threshold (currents).
  func logits(_ trace: Trace, steps: Int, readout: Readout, scale: Double) -> [Double] {
    switch readout {
    case .spikeCount: return trace.counts.map { Double($0) * scale / Double(steps) }
    case .current:
      let threshold = Double(FixedPoint.threshold(mantissa: layers[layers.count - 1].thresholdMantissa))
      return meanCurrents(trace, steps: steps).map { $0 * scale / threshold }
    case .voltage:
      return meanVoltages(trace, steps: steps).map { $0 * scale / voltageReference }
    }
  }
}

extension SpikingNetwork {
  /// The network as the chip's integers (network format version 2): the input (a spiking
  /// encoder showing `sample`, or a spike-train input with no spikes, which `evaluate`
  /// fills), integer layers with per-neuron decays where they differ, dense or `conv2d`
  /// connections (a pool folded into a widened kernel), and a spike probe on every layer.
  public func network(name: String, sample: [Double]) -> Network {
    var network = Network(version: 2, name: name, dt: dt, layers: [])
    let inputShape = self.inputShape.count == 3 ? self.inputShape : nil
    switch input {
    case .encoder(let rate):
      network.realInputs = [RealInput(name: "input", size: inputSize, shape: inputShape, values: sample, encoding: .spiking, rate: rate)]
    case .spikeTrains:
      var spikes = SpikeInput(name: "input", size: inputSize, spikes: SpikeTrain())
      spikes.shape = inputShape
      network.inputs = [spikes]
    }
    var previous = "input"
    for layer in layers {
      var neuron = NeuronParameters(
        model: layer.decayV.allSatisfy({ $0 == 0 }) ? .loihiSpikingRectifiedLinear : .loihiLIF, decayU: layer.decayU.first ?? 4095,
        decayV: layer.decayV.first ?? 0, thresholdMantissa: layer.thresholdMantissa,
        biasMantissa: Set(layer.biasMantissa).count <= 1 ? [layer.biasMantissa.first ?? 0] : layer.biasMantissa, biasExponent: layer.biasExponent,
        refractoryDelay: layer.refractoryDelay, vmin: layer.vmin, vmax: layer.vmax)
      if Set(layer.decayU).count > 1 { neuron.decayUPerNeuron = layer.decayU }
      if Set(layer.decayV).count > 1 { neuron.decayVPerNeuron = layer.decayV }
      var chipLayer = NetworkModel.Layer(name: layer.name, size: layer.outputs, neuron: neuron)
      if layer.shape.count == 3 { chipLayer.shape = layer.shape }
      network.layers.append(chipLayer)
      network.connections.append(layer.synapses.connection(from: previous, to: layer.name, programmed: layer.programmed, exponent: layer.exponent))
      if let r = layer.recurrent {
        network.connections.append(r.connection(from: layer.name, to: layer.name, programmed: layer.programmedRecurrent, exponent: layer.recurrentExponent))
      }
      network.probes.append(Probe(name: "\(layer.name).spikes", layer: layer.name, kind: .spikes))
      previous = layer.name
    }
    return network
  }
}

extension Double {
  /// The latent `Wgt` as the chip can hold it (for the backward pass's W).
  var clamped254: Double { Swift.min(Swift.max(self, -254), 254) }
}

extension SpikingNetwork {
  /// A network for inputs of `inputShape` with the layers `specs` (dense, conv2d, avgpool2d,
  /// flatten; shapes as ``RateNetwork/make(input:layers:dt:random:)`` checks them), every
  /// neuron with `neuron`'s integer parameters, every connection with weight exponent
  /// `exponent`, and latent weights drawn uniformly in ±`weightLimit` `Wgt` from `random`
  /// (per layer: `weightLimits[l]` when given).
  public init(
    inputShape: [Int], layers specs: [TrainingConfig.LayerSpec], neuron: NeuronParameters, exponent: Int, weightLimit: Double,
    weightLimits: [Double?] = [], input: Input, dt: Double, random: inout SplitMix64
  ) {
    var shape = inputShape
    var pool = 1
    var built: [Layer] = []
    var counts: [String: Int] = [:]
    let neuronLayers = specs.filter {
      switch $0 {
      case .dense, .conv2d, .recurrent: true
      case .avgpool2d, .flatten: false
      }
    }.count
    for spec in specs {
      let synapses: Synapses
      let outShape: [Int]
      let stem: String
      switch spec {
      case .avgpool2d(let k):
        pool *= k
        shape = [shape[0], shape[1] / k, shape[2] / k]
        continue
      case .flatten:
        shape = [shape.reduce(1, *)]
        continue
      case .dense(let size), .recurrent(let size):
        // The un-pooled source map (pools fold into this layer's weights).
        let source = pool > 1 ? built.last?.shape ?? inputShape : shape
        synapses = Synapses.dense(targets: size, sourceShape: source, pool: pool)
        outShape = [size]
        if case .recurrent = spec { stem = "r" } else { stem = "h" }
      case .conv2d(let channels, let kernel, let stride, let padding):
        let source = pool > 1 ? built.last?.shape ?? inputShape : shape
        (synapses, outShape) = Synapses.conv(channels: channels, kernel: kernel, stride: stride, padding: padding, sourceShape: source, pool: pool)
        stem = "conv"
      }
      counts[stem, default: 0] += 1
      let name = built.count == neuronLayers - 1 ? "out" : "\(stem)\(counts[stem] ?? 1)"
      let limit = built.count < weightLimits.count ? weightLimits[built.count] ?? weightLimit : weightLimit
      let n = synapses.targetCount
      built.append(
        Layer(
          name: name, shape: outShape, synapses: synapses,
          weights: (0..<synapses.parameterCount).map { _ in (2 * random.nextUnit() - 1) * limit }, exponent: exponent,
          thresholdMantissa: neuron.thresholdMantissa, refractoryDelay: neuron.refractoryDelay,
          decayU: [Int](repeating: neuron.decayU, count: n), decayV: [Int](repeating: neuron.decayV, count: n), biasMantissa: [Int](repeating: 0, count: n)))
      if case .recurrent = spec {
        // Recurrent weights start at a quarter of the feed-forward range.
        built[built.count - 1].recurrent = Synapses.dense(targets: n, sourceShape: [n], pool: 1)
        built[built.count - 1].recurrentWeights = (0..<(n * n)).map { _ in (2 * random.nextUnit() - 1) * limit / 4 }
        built[built.count - 1].recurrentExponent = exponent
      }
      shape = outShape
      pool = 1
    }
    self.init(layers: built, input: input, inputShape: inputShape, dt: dt)
  }

  /// A network of dense layers of the given widths whose neurons share `neuron`'s integer
  /// parameters, fed by the spiking encoder at `inputRate`.
  public init(
    widths: [Int], neuron: NeuronParameters, exponent: Int, weightLimit: Double, inputRate: Double, dt: Double, random: inout SplitMix64
  ) {
    precondition(widths.count >= 2 && widths.allSatisfy { $0 > 0 }, "an input and at least one layer")
    self.init(
      inputShape: [widths[0]], layers: widths.dropFirst().map { .dense(size: $0) }, neuron: neuron, exponent: exponent, weightLimit: weightLimit,
      input: .encoder(rate: inputRate), dt: dt, random: &random)
  }
}
