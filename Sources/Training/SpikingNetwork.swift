import Foundation
import LoihiArithmetic
import Mapper
import NetworkModel

/// A network of dense layers of chip neurons in the chip's own integers, for surrogate-
/// gradient training: the forward pass *is* the chip — the host's spiking encoder, the
/// synapses' programmed weights and `CompartmentDynamics.step`, the function the emulator
/// runs — and the backward pass unrolls the same recurrence in real numbers through time
/// (BPTT), with a ``Surrogate`` in place of the spike's derivative.
///
/// Weights are kept as real "latent" `Wgt` values; the chip applies each as the even 8-bit
/// `Wgt` it rounds to (`WeightQuantizer.program`) shifted by the connection's exponent, and
/// the gradient passes the rounding straight through.
public struct SpikingNetwork: Sendable, Equatable {
  /// One dense layer of neurons with the integer parameters the chip stores.
  public struct Layer: Sendable, Equatable {
    public var inputs: Int
    public var outputs: Int
    /// Latent `Wgt` values `[outputs, inputs]`, row-major.
    public var weights: [Double]
    /// Weight exponent of the connection into the layer.
    public var exponent: Int
    public var decayU: Int
    public var decayV: Int
    public var thresholdMantissa: Int
    public var refractoryDelay: Int

    /// The programmed `Wgt` of every weight.
    public var programmed: [Int32] { weights.map { Int32(WeightQuantizer.program($0, wgtPerCurrent: 1)) } }

    /// Synaptic units (each adds 64 current units) per programmed `Wgt` step, for the
    /// straight-through gradient.
    var unitsPerWgt: Double { Double(SynapseWeight.synapticUnits(wgt: 254, exponent: exponent, bits: 8)) / 254 }
  }

  public var layers: [Layer]
  /// Spikes per second of an input value of 1, and seconds per step.
  public var inputRate: Double
  public var dt: Double

  /// A network of the given widths whose neurons share `neuron`'s integer parameters, with
  /// latent weights drawn uniformly in ±`weightLimit` `Wgt` from `random`.
  public init(
    widths: [Int], neuron: NeuronParameters, exponent: Int, weightLimit: Double, inputRate: Double, dt: Double, random: inout SplitMix64
  ) {
    precondition(widths.count >= 2 && widths.allSatisfy { $0 > 0 }, "an input and at least one layer")
    self.inputRate = inputRate
    self.dt = dt
    layers = zip(widths, widths.dropFirst()).map { n, m in
      Layer(
        inputs: n, outputs: m, weights: (0..<(n * m)).map { _ in (2 * random.nextUnit() - 1) * weightLimit }, exponent: exponent,
        decayU: neuron.decayU, decayV: neuron.decayV, thresholdMantissa: neuron.thresholdMantissa, refractoryDelay: neuron.refractoryDelay)
    }
  }

  /// The network as the chip's integers (network format version 2: a spiking input encoder
  /// showing `sample`, integer layers `h1`, `h2`, …, `out`), with a spike probe on every layer.
  public func network(name: String, sample: [Double]) -> Network {
    var network = Network(version: 2, name: name, dt: dt, layers: [])
    network.realInputs = [RealInput(name: "input", size: layers[0].inputs, values: sample, encoding: .spiking, rate: inputRate)]
    var previous = "input"
    for (l, layer) in layers.enumerated() {
      let name = l == layers.count - 1 ? "out" : "h\(l + 1)"
      let neuron = NeuronParameters(
        model: layer.decayV == 0 ? .loihiSpikingRectifiedLinear : .loihiLIF, decayU: layer.decayU, decayV: layer.decayV,
        thresholdMantissa: layer.thresholdMantissa, refractoryDelay: layer.refractoryDelay)
      network.layers.append(NetworkModel.Layer(name: name, size: layer.outputs, neuron: neuron))
      network.connections.append(
        Connection(from: previous, to: name, weights: WeightMatrix(rows: layer.outputs, columns: layer.inputs, values: layer.programmed), weightExponent: layer.exponent))
      network.probes.append(Probe(name: "\(name).spikes", layer: name, kind: .spikes))
      previous = name
    }
    return network
  }

  /// What one presentation recorded, per layer and step, for the backward pass.
  struct Trace {
    /// `inputSpikes[t][j]`: the encoder's spikes sent in step t + 1 (delivered in t + 2).
    var inputSpikes: [[UInt8]]
    /// `spikes[l][t * n + i]`, `voltage[l][...]` (before the refractory hold and reset),
    /// `held[l][...]` (refractory in that step).
    var spikes: [[UInt8]]
    var voltage: [[Int32]]
    var held: [[UInt8]]
    /// Output spike counts.
    var counts: [Int]
    /// The output layer's current `u` after every step, `[steps, outputs]`.
    var outputCurrent: [Int32]
  }

  /// What the loss reads from the output layer.
  public enum Readout: String, Sendable, Equatable, CaseIterable {
    /// Spike counts over the presentation (`evaluate --readout spikes`).
    case spikeCount = "spike_count"
    /// The mean input current over the presentation (`evaluate --readout current`): no
    /// ties, and a gradient that does not go through the output's spikes.
    case current
  }

  /// Runs one sample for `steps` steps exactly as the chip does and records the trace.
  func run(_ x: ArraySlice<Double>, steps: Int) -> Trace {
    let increments = HostEncoding.increments(values: x, encoding: .spiking, rate: inputRate, dt: dt)
    var accumulators = [Int32](repeating: 0, count: increments.count)
    var trace = Trace(
      inputSpikes: [], spikes: layers.map { [UInt8](repeating: 0, count: steps * $0.outputs) },
      voltage: layers.map { [Int32](repeating: 0, count: steps * $0.outputs) }, held: layers.map { [UInt8](repeating: 0, count: steps * $0.outputs) },
      counts: [], outputCurrent: [Int32](repeating: 0, count: steps * (layers.last?.outputs ?? 0)))
    let units = layers.map { layer in layer.programmed.map { SynapseWeight.synapticUnits(wgt: Int($0), exponent: layer.exponent, bits: 8) } }
    var u = layers.map { [Int32](repeating: 0, count: $0.outputs) }
    var v = layers.map { [Int32](repeating: 0, count: $0.outputs) }
    var r = layers.map { [Int32](repeating: 0, count: $0.outputs) }
    // Spikes sent in the previous step: the encoder's and each layer's.
    var previousInput = [UInt8](repeating: 0, count: increments.count)
    var previous = layers.map { [UInt8](repeating: 0, count: $0.outputs) }
    for t in 0..<steps {
      var now = previous
      for (l, layer) in layers.enumerated() {
        let source = l == 0 ? previousInput : previous[l - 1]
        let uf = FixedPoint.currentDecayFactor(decayU: Int32(layer.decayU))
        let vf = FixedPoint.voltageDecayFactor(decayV: Int32(layer.decayV))
        let threshold = Int32(FixedPoint.threshold(mantissa: layer.thresholdMantissa))
        for i in 0..<layer.outputs {
          // The accumulator wraps at 16 bits in synaptic units (22 bits of current).
          var q: Int16 = 0
          let row = i * layer.inputs
          for j in 0..<layer.inputs where source[j] != 0 { q = q &+ Int16(truncatingIfNeeded: units[l][row + j]) }
          let input = Int32(q) &<< ChipFields.weightToCurrentShift
          let wasHeld = r[l][i] > 0
          let (spiked, vPre) = CompartmentDynamics.advance(
            current: &u[l][i], voltage: &v[l][i], refractory: &r[l][i], input: input, currentFactor: uf, voltageFactor: vf, bias: 0,
            threshold: threshold, refractoryDelay: Int32(layer.refractoryDelay), vmin: 0, vmax: Int32(NeuronParameters.defaultVmax))
          now[l][i] = spiked ? 1 : 0
          trace.spikes[l][t * layer.outputs + i] = spiked ? 1 : 0
          trace.voltage[l][t * layer.outputs + i] = vPre
          trace.held[l][t * layer.outputs + i] = wasHeld ? 1 : 0
          if l == layers.count - 1 { trace.outputCurrent[t * layer.outputs + i] = u[l][i] }
        }
      }
      // The encoder runs when the step's spikes are routed: its spikes arrive next step.
      var sent = [UInt8](repeating: 0, count: increments.count)
      for j in increments.indices where EncoderDynamics.step(accumulator: &accumulators[j], increment: increments[j]) { sent[j] = 1 }
      trace.inputSpikes.append(sent)
      previousInput = sent
      previous = now
    }
    let last = layers.count - 1
    trace.counts = (0..<layers[last].outputs).map { i in (0..<steps).reduce(0) { $0 + Int(trace.spikes[last][$1 * layers[last].outputs + i]) } }
    return trace
  }

  /// The output spike counts of one sample.
  public func counts(_ x: [Double], steps: Int) -> [Int] { run(x[...], steps: steps).counts }

  /// What `readout` reads for one sample: spike counts, or the mean current (integer units).
  public func scores(_ x: ArraySlice<Double>, steps: Int, readout: Readout) -> [Double] {
    let trace = run(x, steps: steps)
    switch readout {
    case .spikeCount: return trace.counts.map(Double.init)
    case .current:
      let n = layers[layers.count - 1].outputs
      return (0..<n).map { i in (0..<steps).reduce(0.0) { $0 + Double(trace.outputCurrent[$1 * n + i]) } / Double(steps) }
    }
  }

  /// The logits the loss takes from a trace: scores × `scale` / steps (spike counts) or
  /// × `scale` / threshold (currents).
  func logits(_ trace: Trace, steps: Int, readout: Readout, scale: Double) -> [Double] {
    let last = layers.count - 1
    let n = layers[last].outputs
    switch readout {
    case .spikeCount: return trace.counts.map { Double($0) * scale / Double(steps) }
    case .current:
      let threshold = Double(FixedPoint.threshold(mantissa: layers[last].thresholdMantissa))
      return (0..<n).map { i in (0..<steps).reduce(0.0) { $0 + Double(trace.outputCurrent[$1 * n + i]) } / Double(steps) * scale / threshold }
    }
  }

  /// Adds the gradient of the loss of one sample to `gradient` (per layer, like `weights`)
  /// and returns the loss: softmax cross-entropy on the output spike counts times
  /// `countScale` / steps.
  func accumulate(
    _ x: ArraySlice<Double>, label: Int, steps: Int, surrogate: Surrogate, countScale: Double, readout: Readout = .spikeCount,
    into gradient: inout [[Double]]
  ) -> Double {
    let trace = run(x, steps: steps)
    let last = layers.count - 1
    let logits = logits(trace, steps: steps, readout: readout, scale: countScale)
    let top = logits.max() ?? 0
    let exps = logits.map { Foundation.exp($0 - top) }
    let sum = exps.reduce(0, +)
    // dLoss/d spike (spike counts) or dLoss/d u (currents) of the output neurons, the
    // same at every step.
    var dSpikes = [Double](repeating: 0, count: steps * layers[last].outputs)
    var dCurrent = [Double](repeating: 0, count: layers[last].outputs)
    let lastThreshold = Double(FixedPoint.threshold(mantissa: layers[last].thresholdMantissa))
    for i in 0..<layers[last].outputs {
      let p = exps[i] / sum - (i == label ? 1 : 0)
      switch readout {
      case .spikeCount:
        for t in 0..<steps { dSpikes[t * layers[last].outputs + i] = p * countScale / Double(steps) }
      case .current:
        dCurrent[i] = p * countScale / (lastThreshold * Double(steps))
      }
    }
    for l in stride(from: last, through: 0, by: -1) {
      let layer = layers[l]
      let n = layer.outputs
      let au = Double(FixedPoint.currentDecayFactor(decayU: Int32(layer.decayU))) / 4096
      let av = Double(FixedPoint.voltageDecayFactor(decayV: Int32(layer.decayV))) / 4096
      let threshold = Double(FixedPoint.threshold(mantissa: layer.thresholdMantissa))
      let perWgt = 64 * layer.unitsPerWgt
      var dSource = l > 0 ? [Double](repeating: 0, count: steps * layer.inputs) : []
      var du = [Double](repeating: 0, count: n)
      var dvNext = [Double](repeating: 0, count: n)
      for t in stride(from: steps - 1, through: 0, by: -1) {
        for i in 0..<n {
          let k = t * n + i
          let held = trace.held[l][k] != 0
          let spiked = trace.spikes[l][k] != 0
          // v_t = (v'_t unless held or reset); v'_t = a_v·v_{t−1} + u_t; the reset and the
          // hold pass no gradient (detached), the spike passes the surrogate's.
          let surrogateSlope = held ? 0 : surrogate.derivative((Double(trace.voltage[l][k]) - threshold) / threshold) / threshold
          let dvPre = dSpikes[k] * surrogateSlope + (held || spiked ? 0 : dvNext[i])
          dvNext[i] = av * dvPre
          du[i] = dvPre + au * du[i] + (l == last ? dCurrent[i] : 0)
          // u_t = a_u·u_{t−1} + 64·Σ_j units_ij·s_j(t − 1)
          guard t > 0, du[i] != 0 else { continue }
          let row = i * layer.inputs
          let g = du[i] * perWgt
          if l == 0 {
            let s = trace.inputSpikes[t - 1]
            for j in 0..<layer.inputs where s[j] != 0 { gradient[l][row + j] += g }
          } else {
            let s = trace.spikes[l - 1]
            let base = (t - 1) * layer.inputs
            for j in 0..<layer.inputs {
              if s[base + j] != 0 { gradient[l][row + j] += g }
              dSource[base + j] += g * layer.weights[row + j].clamped254
            }
          }
        }
      }
      dSpikes = dSource
    }
    return -(logits[label] - top - Foundation.log(sum))
  }
}

extension Double {
  /// The latent `Wgt` as the chip can hold it (for the backward pass's W).
  var clamped254: Double { Swift.min(Swift.max(self, -254), 254) }
}
