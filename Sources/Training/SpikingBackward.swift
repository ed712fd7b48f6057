import Foundation
import LoihiArithmetic

/// What the surrogate loss reads and how its gradient is taken.
public struct SpikingLoss: Sendable, Equatable {
  public var surrogate: Surrogate
  /// Logits are spike counts × `countScale` / steps, or mean currents × `countScale` /
  /// threshold.
  public var countScale: Double
  public var readout: SpikingNetwork.Readout

  public init(surrogate: Surrogate, countScale: Double = 10, readout: SpikingNetwork.Readout = .spikeCount) {
    self.surrogate = surrogate
    self.countScale = countScale
    self.readout = readout
  }
}

/// The gradient of a loss with respect to a ``SpikingNetwork``'s trained parameters: latent
/// weights and (when trained) log-decays, per layer.
struct SpikingGradient: Sendable {
  var weights: [[Double]]
  var recurrent: [[Double]]
  var logDecayU: [[Double]]
  var logDecayV: [[Double]]

  /// Zeros shaped like `network`'s parameters (empty groups for decays not trained).
  init(zeroFor network: SpikingNetwork) {
    weights = network.layers.map { [Double](repeating: 0, count: $0.weights.count) }
    recurrent = network.layers.map { [Double](repeating: 0, count: $0.recurrentWeights.count) }
    logDecayU = network.layers.map { [Double](repeating: 0, count: $0.logDecayU?.count ?? 0) }
    logDecayV = network.layers.map { [Double](repeating: 0, count: $0.logDecayV?.count ?? 0) }
  }

  mutating func add(_ other: SpikingGradient) {
    for l in weights.indices {
      for k in weights[l].indices { weights[l][k] += other.weights[l][k] }
      for k in recurrent[l].indices { recurrent[l][k] += other.recurrent[l][k] }
      for k in logDecayU[l].indices { logDecayU[l][k] += other.logDecayU[l][k] }
      for k in logDecayV[l].indices { logDecayV[l][k] += other.logDecayV[l][k] }
    }
  }

  mutating func scale(by c: Double) {
    for l in weights.indices {
      for k in weights[l].indices { weights[l][k] *= c }
      for k in recurrent[l].indices { recurrent[l][k] *= c }
      for k in logDecayU[l].indices { logDecayU[l][k] *= c }
      for k in logDecayV[l].indices { logDecayV[l][k] *= c }
    }
  }
}

extension SpikingNetwork {
  /// Adds the gradient of the loss of one sample to `gradient` and returns the loss:
  /// softmax cross-entropy on the logits `loss` reads.
  ///
  /// The recurrence differentiated, per neuron and step (docs/training.md):
  /// `u_t = a_u·u_{t−1} + 64·Σ units·s(t − 1)`, `v'_t = a_v·v_{t−1} + u_t + bias`,
  /// `v_t = v'_t` unless the neuron is held or spikes (then 0, detached), and the spike's
  /// derivative replaced by the surrogate's at `(v'_t − θ)/θ`. With trained time constants,
  /// `∂u_t/∂decay_u = −u_{t−1}/4096` and `∂v'_t/∂decay_v = −v_{t−1}/4096`, times the decay
  /// for the log parameter.
  func accumulate(_ x: ArraySlice<Double>, label: Int, steps: Int, loss: SpikingLoss, into gradient: inout SpikingGradient) -> Double {
    let trace = run(x, steps: steps)
    let last = layers.count - 1
    let logits = logits(trace, steps: steps, readout: loss.readout, scale: loss.countScale)
    let top = logits.max() ?? 0
    let exps = logits.map { Foundation.exp($0 - top) }
    let sum = exps.reduce(0, +)
    let countScale = loss.countScale
    // dLoss/d spike (spike counts) or dLoss/d u (currents) of the output neurons, the
    // same at every step.
    let outputs = layers[last].outputs
    var dSpikes = [Double](repeating: 0, count: steps * outputs)
    var dCurrent = [Double](repeating: 0, count: outputs)
    var dVoltage = [Double](repeating: 0, count: outputs)
    let lastThreshold = Double(FixedPoint.threshold(mantissa: layers[last].thresholdMantissa))
    for i in 0..<outputs {
      let p = exps[i] / sum - (i == label ? 1 : 0)
      switch loss.readout {
      case .spikeCount:
        for t in 0..<steps { dSpikes[t * outputs + i] = p * countScale / Double(steps) }
      case .current:
        dCurrent[i] = p * countScale / (lastThreshold * Double(steps))
      case .voltage:
        dVoltage[i] = p * countScale / (voltageReference * Double(steps))
      }
    }
    for l in stride(from: last, through: 0, by: -1) {
      let layer = layers[l]
      let n = layer.outputs
      let width = layer.inputs
      let au = layer.decayU.map { Double(FixedPoint.currentDecayFactor(decayU: Int32($0))) / 4096 }
      let av = layer.decayV.map { Double(FixedPoint.voltageDecayFactor(decayV: Int32($0))) / 4096 }
      let threshold = Double(FixedPoint.threshold(mantissa: layer.thresholdMantissa))
      let perWgt = 64 * layer.unitsPerWgt
      let w = layer.weights.map(\.clamped254)
      let recurrentW = layer.recurrentWeights.map(\.clamped254)
      let trainsU = layer.logDecayU != nil
      let trainsV = layer.logDecayV != nil
      let (spikes, voltage, held, current) = (trace.spikes[l], trace.voltage[l], trace.held[l], trace.current[l])
      let sourceSpikes = l == 0 ? trace.inputSpikes : trace.spikes[l - 1]
      let synapses = layer.synapses
      var dSource = l > 0 ? [Double](repeating: 0, count: steps * width) : []
      var du = [Double](repeating: 0, count: n)
      var dvNext = [Double](repeating: 0, count: n)
      var g = [Double](repeating: 0, count: n)
      for t in stride(from: steps - 1, through: 0, by: -1) {
        for i in 0..<n {
          let k = t * n + i
          let wasHeld = held[k] != 0
          let spiked = spikes[k] != 0
          // v_t = (v'_t unless held or reset); v'_t = a_v·v_{t−1} + u_t + bias; the reset and
          // the hold pass no gradient (detached), the spike passes the surrogate's.
          let surrogateSlope = wasHeld ? 0 : loss.surrogate.derivative((Double(voltage[k]) - threshold) / threshold) / threshold
          // The stored voltage is v'_t unless the neuron spikes or is held; the voltage loss
          // reads the stored one at every step.
          let dvPre = dSpikes[k] * surrogateSlope + (wasHeld || spiked ? 0 : dvNext[i] + (l == last ? dVoltage[i] : 0))
          dvNext[i] = av[i] * dvPre
          du[i] = dvPre + au[i] * du[i] + (l == last ? dCurrent[i] : 0)
          if t > 0 {
            let before = k - n
            if trainsV {
              let vBefore = spikes[before] != 0 || held[before] != 0 ? 0 : Double(voltage[before])
              gradient.logDecayV[l][i] -= dvPre * vBefore / 4096 * Double(layer.decayV[i])
            }
            if trainsU { gradient.logDecayU[l][i] -= du[i] * Double(current[before]) / 4096 * Double(layer.decayU[i]) }
          }
          g[i] = du[i] * perWgt
        }
        // u_t = a_u·u_{t−1} + 64·Σ_j units_ij·s_j(t − 1) (+ the layer's own spikes of t − 1
        // through its recurrent weights: their gradient reaches dSpikes of step t − 1, which
        // the loop reads next).
        guard t > 0 else { continue }
        if let r = layer.recurrent {
          let own = (t - 1) * n
          let perRecurrentWgt = 64 * SpikingNetwork.Layer.unitsPerWgt(exponent: layer.recurrentExponent)
          for j in 0..<n {
            var back = 0.0
            let spiking = spikes[own + j] != 0
            for s in Int(r.start[j])..<Int(r.start[j + 1]) {
              let gi = du[Int(r.target[s])] * perRecurrentWgt
              let p = Int(r.parameter[s])
              if spiking { gradient.recurrent[l][p] += gi }
              back += gi * recurrentW[p]
            }
            dSpikes[own + j] += back
          }
        }
        let base = (t - 1) * width
        if l == 0 {
          for j in 0..<width where sourceSpikes[base + j] != 0 {
            for s in Int(synapses.start[j])..<Int(synapses.start[j + 1]) {
              gradient.weights[l][Int(synapses.parameter[s])] += g[Int(synapses.target[s])]
            }
          }
        } else {
          for j in 0..<width {
            var back = 0.0
            let spiking = sourceSpikes[base + j] != 0
            for s in Int(synapses.start[j])..<Int(synapses.start[j + 1]) {
              let gi = g[Int(synapses.target[s])]
              let p = Int(synapses.parameter[s])
              if spiking { gradient.weights[l][p] += gi }
              back += gi * w[p]
            }
            dSource[base + j] += back
          }
        }
      }
      dSpikes = dSource
    }
    return -(logits[label] - top - Foundation.log(sum))
  }
}
