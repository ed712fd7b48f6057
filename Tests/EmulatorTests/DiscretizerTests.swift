import CoreMapModel
import Emulator
import Foundation
import HardwareSpec
import LoihiArithmetic
import Mapper
import NetworkModel
import NeuroIO
import Testing

/// Spike counts of every neuron of a single real-valued layer driven by bias alone.
func biasDrivenCounts(_ layer: Layer, steps: Int, dt: Double = 0.001) throws -> [Int] {
  var network = Network(dt: dt, layers: [layer])
  network.probes = [Probe(name: "s", layer: layer.name, kind: .spikes)]
  let (map, _) = try NetworkCompiler(board: unlimitedBoard).compile(network)
  let emulator = try ChipEmulator(coreMap: map)
  emulator.run(steps: steps)
  let r = emulator.probeRecordings[0]
  return (0..<layer.size).map { n in (1...steps).reduce(0) { $0 + Int(r.value(step: $1, column: n)) } }
}

/// The rate a neuron with period `seconds` has on a chip that fires on whole steps.
func steppedRate(period seconds: Double, dt: Double) -> Double {
  1 / (dt * (seconds / dt - 1e-9).rounded(.up))
}

@Suite("Discretizing real-valued layers")
struct DiscretizerTests {
  /// Stated tolerance: the measured rate lies between the rate function's values at J·(1 ∓ ε),
  /// ε = the largest bias quantization error the discretizer reports (plus 10⁻⁴), widened by
  /// one spike over the run (the first interval has no refractory period).
  func expectWithinBand(
    _ layer: Layer, currents: [Double], steps: Int, rate: (Double) -> Double
  ) throws {
    let (_, reports) = try Discretizer.discretize(Network(dt: 0.001, layers: [layer]))
    let epsilon = (reports.first?.biasMaxRelativeError ?? 0) + 1e-4
    let seconds = Double(steps) * 0.001
    let counts = try biasDrivenCounts(layer, steps: steps)
    for (j, count) in zip(currents, counts) {
      let measured = Double(count) / seconds
      let low = rate(j * (1 - epsilon)) - 1 / seconds
      let high = rate(j * (1 + epsilon)) + 1 / seconds
      #expect(measured >= low && measured <= high, "J = \(j): \(measured) Hz, rate function \(rate(j)) Hz (band \(low)...\(high))")
    }
  }

  @Test("LIF: the integer rates follow the LIF rate function on whole steps")
  func lifRates() throws {
    let currents = [1.05, 1.2, 1.5, 2, 3, 5, 10, 20, 50]
    let layer = Layer(name: "lif", size: currents.count, real: RealNeuronParameters(model: .loihiLIF, tauRC: 0.02, tauRef: 0.002, bias: currents))
    try expectWithinBand(layer, currents: currents, steps: 2000) { j in
      j <= 1 ? 0 : steppedRate(period: 0.002 + 0.02 * log(1 + 1 / (j - 1)), dt: 0.001)
    }
    // Below threshold: silent.
    let silent = try biasDrivenCounts(
      Layer(name: "low", size: 2, real: RealNeuronParameters(model: .loihiLIF, bias: [0.5, 0.99])), steps: 1000)
    #expect(silent == [0, 0])
  }

  @Test("spiking rectified linear: rate J on whole steps, including periods of exactly k steps")
  func reluRates() throws {
    let currents = [10.0, 50, 100, 125, 200, 250, 333, 500, 1000]
    let layer = Layer(name: "relu", size: currents.count, real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear, bias: currents))
    try expectWithinBand(layer, currents: currents, steps: 2000) { j in steppedRate(period: 1 / j, dt: 0.001) }
    // A current that reaches the threshold in exactly one step fires every step: the
    // threshold sits just below the scaled one (the chip's test is strict).
    let counts = try biasDrivenCounts(
      Layer(name: "exact", size: 1, real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear, bias: [1000])), steps: 1000)
    #expect(counts == [1000])
  }

  @Test("chosen integers: decays, refractory delay, threshold just below the scaled threshold")
  func chosenIntegers() throws {
    let lif = Layer(name: "lif", size: 1, real: RealNeuronParameters(model: .loihiLIF, tauRC: 0.02, tauRef: 0.002, tauS: 0.005, bias: [2]))
    let (network, reports) = try Discretizer.discretize(Network(dt: 0.001, layers: [lif]))
    let p = network.layers[0].neuron
    #expect(network.layers[0].real == nil)
    // 4096·(1 − e^(−1/5)) − 1 = 741.4; 4096·(1 − e^(−1/20)) = 199.8; round(2 ms / 1 ms) + 1.
    #expect(p.decayU == 741)
    #expect(p.decayV == 200)
    #expect(p.refractoryDelay == 3)
    let q = try #require(reports.first)
    #expect(Double(p.thresholdMantissa * 64) < q.voltageScale)
    #expect(Double(p.thresholdMantissa * 64 + 64) >= q.voltageScale)
    #expect(Discretizer.truncatedSeriesSum(decay: 4095, offset: 1) == 1)
    // One unit decaying by 3686/4096 per step sums to about 1/(1 − 0.9) = 10 (a bit less).
    let sum = Discretizer.truncatedSeriesSum(decay: 409, offset: 1)
    #expect(sum > 9.9 && sum < 10)
  }

  @Test("weights: full precision for the largest connection, a lower exponent for smaller ones, errors reported")
  func weights() throws {
    var rng = SplitMix64(seed: 3)
    let big = (0..<(20 * 30)).map { _ in Double(Int(rng.next() % 2001) - 1000) / 1000 }  // ±1
    let small = big.map { $0 / 20 }  // ±0.05: about 4 exponents lower
    let network = Network(
      dt: 0.001,
      inputs: [SpikeInput(name: "a", size: 30, spikes: SpikeTrain()), SpikeInput(name: "b", size: 30, spikes: SpikeTrain())],
      layers: [Layer(name: "l", size: 20, real: RealNeuronParameters(model: .loihiLIF, tauS: 0.005, gain: [2]))],
      connections: [
        Connection(from: "a", to: "l", weights: WeightMatrix(rows: 20, columns: 30, real: big)),
        Connection(from: "b", to: "l", weights: WeightMatrix(rows: 20, columns: 30, real: small)),
      ])
    let (chip, reports) = try Discretizer.discretize(network)
    let q = try #require(reports.first)
    // One spike (2000 J) is far above the threshold (1): the exponent rises above 0 to give
    // the threshold mantissa precision — but only to +2, where all 60 sources spiking in
    // one step still fit the accumulator's ±2^21 (at +3 they could wrap); 0.05 is 20×
    // smaller than 1: floor(log2 20) = 4 lower, clamped at −1.
    #expect(q.weightExponents.map(\.exponent) == [2, -1])
    #expect(chip.connections.map(\.weightExponent) == [2, -1])
    let scale = q.voltageScale
    let uGain = 1 / Discretizer.truncatedSeriesSum(decay: q.decayU, offset: 1)
    let vGain = 1 / Discretizer.truncatedSeriesSum(decay: q.decayV, offset: 0)
    var worst = 0.0
    for r in 0..<20 {
      var sum = 0.0
      for j in 0..<30 { sum += (abs(big[r * 30 + j]) + abs(small[r * 30 + j])) * 2 / 0.001 }
      worst = max(worst, sum)
    }
    #expect(scale * vGain * uGain * worst < Double(1 << 21))
    #expect(2 * scale * vGain * uGain * worst >= Double(1 << 21))
    // With a gain that puts one spike near the threshold, exponents stay at or below 0, and
    // a connection 20× smaller stops at −1: below it the chip's shift gains nothing.
    var gentle = network
    gentle.layers[0].real?.gain = [0.0005]
    gentle.layers[0].real?.bias = [0.5]
    let (_, gentleReports) = try Discretizer.discretize(gentle)
    #expect(gentleReports[0].weightExponents.map(\.exponent) == [0, -1])
    #expect(chip.connections[0].weights.values.map { abs($0) }.max() == 254)
    #expect(q.weightCount == 1200 - big.filter { $0 == 0 }.count * 2)
    // Weights below half a step of the 8-bit grid are applied as 0 (error 100 %); the
    // rest are within a few per cent.
    #expect(q.weightsRoundedToZero > 0 && q.weightsRoundedToZero < q.weightCount / 20)
    #expect(q.weightMaxRelativeError == 1)
    #expect(q.weightMeanRelativeError < 0.1)
    #expect(chip.validate().isEmpty)
  }

  @Test("a real network compiles, runs, and cutting it over cores changes nothing")
  func realNetworkInvariance() throws {
    var rng = SplitMix64(seed: 9)
    let sizes = [60, 40]
    var times: [[Int]] = []
    for _ in 0..<30 { times.append((1...80).filter { _ in rng.chance(0.2) }) }
    let w1 = (0..<(60 * 30)).map { _ in Double(Int(rng.next() % 200) - 60) / 100 }
    let w2 = (0..<(40 * 60)).map { _ in Double(Int(rng.next() % 200) - 90) / 100 }
    let network = Network(
      dt: 0.001, inputs: [SpikeInput(name: "in", size: 30, spikes: SpikeTrain(perSource: times))],
      layers: [
        Layer(name: "h", size: sizes[0], real: RealNeuronParameters(model: .loihiLIF, tauS: 0.005, gain: [0.05], bias: [0.8])),
        Layer(name: "o", size: sizes[1], real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear, gain: [0.5], bias: [20])),
      ],
      connections: [
        Connection(from: "in", to: "h", weights: WeightMatrix(rows: 60, columns: 30, real: w1)),
        Connection(from: "h", to: "o", weights: WeightMatrix(rows: 40, columns: 60, real: w2)),
      ])
    let reference = try runWithFullProbes(network, steps: 80, board: unlimitedBoard, threads: 1)
    let cut = try runWithFullProbes(network, steps: 80, board: try tinyBoard(), threads: 2, minimumSliceSize: 3)
    #expect(cut == reference)
    let spikes = reference["h.spikes"]!.values.reduce(0) { $0 + Int($1) } + reference["o.spikes"]!.values.reduce(0) { $0 + Int($1) }
    #expect(spikes > 50)
  }

  @Test("what cannot be represented is refused with the layer and a fix")
  func refusals() {
    func message(_ p: RealNeuronParameters) -> String {
      do {
        _ = try Discretizer.discretize(Network(dt: 0.001, layers: [Layer(name: "x", size: 1, real: p)]))
        return "ok"
      } catch {
        return error.description
      }
    }
    #expect(message(RealNeuronParameters(model: .loihiLIF, tauRef: 0.1))
      == "layer 'x': tau_ref = 0.1 s is 100 steps, more than the 6-bit refractory delay holds (62 steps + 1); use a tau_ref of at most 0.062 s")
    #expect(message(RealNeuronParameters(model: .loihiLIF, tauRC: 100))
      == "layer 'x': tau_rc = 100.0 s leaks less than the 12-bit decay_v can express at dt = 0.001 s; use a tau_rc below 8.19 s, or LoihiSpikingRectifiedLinear for no leak")
  }
}

@Suite("Tuning curves")
struct TuningCurveTests {
  @Test("max rates and intercepts give neurons that fire at those rates")
  func tuningCurves() throws {
    // Rectified linear: x = 1 gives J = gain + bias = max rate; x = intercept gives 0.
    let relu = try #require(RealNeuronParameters.gainAndBias(model: .loihiSpikingRectifiedLinear, maxRates: [200, 100], intercepts: [0, 0.5], tauRC: 0.02, tauRef: 0))
    #expect(relu.gain == [200, 200])
    #expect(relu.bias == [0, -100])
    // LIF: at x = 1 the rate function gives the max rate.
    let lif = try #require(RealNeuronParameters.gainAndBias(model: .loihiLIF, maxRates: [100], intercepts: [-0.2], tauRC: 0.02, tauRef: 0.002))
    let j = lif.gain[0] + lif.bias[0]
    #expect(abs(1 / (0.002 + 0.02 * log(1 + 1 / (j - 1))) - 100) < 1e-9)
    #expect(abs(lif.gain[0] * -0.2 + lif.bias[0] - 1) < 1e-12)
    #expect(RealNeuronParameters.gainAndBias(model: .loihiLIF, maxRates: [600], intercepts: [0], tauRC: 0.02, tauRef: 0.002) == nil)
    // A layer driven at x = 1 through its bias fires near its max rate on the chip.
    let layer = Layer(name: "t", size: 1, real: RealNeuronParameters(model: .loihiLIF, gain: lif.gain, bias: [lif.gain[0] + lif.bias[0]]))
    let count = try biasDrivenCounts(layer, steps: 2000)[0]
    #expect(abs(Double(count) / 2 - steppedRate(period: 0.01, dt: 0.001)) <= 1)
  }
}

@Suite("Discretizing per-neuron time constants")
struct PerNeuronDiscretizerTests {
  @Test("per-neuron tau_rc and tau_ref: each neuron follows its own LIF rate function")
  func perNeuronLIF() throws {
    let tauRC = [0.005, 0.01, 0.02, 0.05, 0.1, 0.02, 0.03, 0.2]
    let tauRef = [0, 0.001, 0.002, 0.003, 0.002, 0.005, 0, 0.001]
    let currents = [1.5, 2, 3, 1.2, 5, 10, 2.5, 1.8]
    var real = RealNeuronParameters(model: .loihiLIF, bias: currents)
    real.tauRCPerNeuron = tauRC
    real.tauRefPerNeuron = tauRef
    let layer = Layer(name: "lif", size: currents.count, real: real)
    let (network, reports) = try Discretizer.discretize(Network(dt: 0.001, layers: [layer]))
    let p = network.layers[0].neuron
    // decay_v = round(4096 (1 − e^(−dt/τrc))) and refract_delay = round(τref/dt) + 1, per neuron.
    #expect((0..<8).map(p.decayV(ofNeuron:)) == tauRC.map { Int((4096 * (1 - exp(-0.001 / $0))).rounded()) })
    #expect((0..<8).map(p.refractoryDelay(ofNeuron:)) == tauRef.map { Int(($0 / 0.001).rounded()) + 1 })
    #expect(reports[0].perNeuron && reports[0].currentUnitsPerRealPerNeuron?.count == 8)
    let epsilon = reports[0].biasMaxRelativeError + 1e-4
    let steps = 2000
    let seconds = Double(steps) * 0.001
    let counts = try biasDrivenCounts(layer, steps: steps)
    for i in 0..<8 {
      func rate(_ j: Double) -> Double {
        j <= 1 ? 0 : steppedRate(period: tauRef[i] + tauRC[i] * log(1 + 1 / (j - 1)), dt: 0.001)
      }
      let measured = Double(counts[i]) / seconds
      let low = rate(currents[i] * (1 - epsilon)) - 1 / seconds
      let high = rate(currents[i] * (1 + epsilon)) + 1 / seconds
      #expect(measured >= low && measured <= high, "neuron \(i): \(measured) Hz, band \(low)...\(high)")
    }
  }

  @Test("per-neuron tau_s: the mean current through each neuron's filter is W·x, and one time constant discretizes as before")
  func perNeuronFilter() throws {
    // A source firing every step drives each neuron with current W per step on average,
    // whatever its filter: the integral compensation is per neuron.
    let n = 5
    let tauS = [0, 0.002, 0.005, 0.01, 0.05]
    var real = RealNeuronParameters(model: .loihiSpikingRectifiedLinear, gain: [1])
    real.tauSPerNeuron = tauS
    let steps = 400
    let input = SpikeInput(name: "in", size: 1, spikes: SpikeTrain(perSource: [Array(1...steps)]))
    let weights = WeightMatrix(rows: n, columns: 1, real: [0.5, 0.5, 0.5, 0.5, 0.5])
    var network = Network(
      dt: 0.001, inputs: [input], layers: [Layer(name: "a", size: n, real: real)],
      connections: [Connection(from: "in", to: "a", weights: weights)])
    network.probes = [Probe(name: "u", layer: "a", kind: .current)]
    let (map, report) = try NetworkCompiler(board: unlimitedBoard).compile(network)
    let q = try #require(report.quantization.first)
    let emulator = try ChipEmulator(coreMap: map)
    emulator.run(steps: steps)
    let r = emulator.probeRecordings[0]
    for i in 0..<n {
      let mean = (100...steps).reduce(0.0) { $0 + Double(r.value(step: $1, column: i)) } / Double(steps - 99) / q.currentUnitsPerReal(ofNeuron: i)
      // W · a / dt = 0.5 / 0.001 per spike, one spike per step: a mean current of 500 —
      // within the weight error the report gives (the layer shares one voltage scale, so a
      // neuron with a long filter gets fewer weight bits) plus 2 % for the filter's start.
      let tolerance = q.weightMaxRelativeError + 0.02
      #expect(abs(mean - 500) / 500 < tolerance, "neuron \(i) (tau_s \(tauS[i])): mean current \(mean), tolerance \(tolerance)")
    }
    // The same layer with one tau_s given as a one-element list discretizes exactly as with the scalar.
    var one = RealNeuronParameters(model: .loihiLIF, tauS: 0.005, bias: [1.5, 2])
    let scalar = try Discretizer.discretize(Network(dt: 0.001, layers: [Layer(name: "x", size: 2, real: one)])).0
    one.tauSPerNeuron = [0.005]
    let listed = try Discretizer.discretize(Network(dt: 0.001, layers: [Layer(name: "x", size: 2, real: one)])).0
    #expect(scalar.layers[0].neuron == listed.layers[0].neuron)
  }

  @Test("a per-neuron tau_ref too long for the field is refused naming the neuron")
  func refusal() throws {
    var real = RealNeuronParameters(model: .loihiLIF, bias: [2, 2, 2])
    real.tauRefPerNeuron = [0.002, 0.001, 0.5]
    do {
      _ = try NetworkCompiler(board: unlimitedBoard).compile(Network(dt: 0.001, layers: [Layer(name: "slow", size: 3, real: real)]))
      Issue.record("expected a refusal")
    } catch {
      #expect(error.description.contains("layer 'slow': tau_ref[2] = 0.5 s is 500 steps"), "\(error)")
    }
  }
}
