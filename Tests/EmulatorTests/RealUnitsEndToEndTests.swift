import Emulator
import Foundation
import LoihiArithmetic
import Mapper
import NetworkModel
import NeuroIO
import Testing

/// End to end in real units: a network file in version-2 units is loaded, compiled and run,
/// and what the target measures (its mean input current, its firing rate) is compared with
/// what the documentation says it must be — W·g·x for an encoded value x, W·g·a·r for a
/// source of amplitude a firing at r spikes/s — computed here from those formulas alone.
///
/// Tolerance, stated once: the mean current lies within the weight error the quantization
/// report gives plus 0.5 %, plus the current of one input spike spread over the window (the
/// encoder's count over a window is ⌊·⌋ or ⌈·⌉ of the exact one).
@Suite("Real units end to end")
struct RealUnitsEndToEndTests {
  /// A loaded, compiled and run version-2 network: the per-step probe values and the
  /// quantization report of each layer.
  struct Run {
    var recordings: [String: ProbeRecording]
    var quantization: [String: LayerQuantization]
    var steps: Int

    /// The target neuron's mean real current J − bias over steps `from ... steps`.
    func meanCurrent(_ layer: String, neuron: Int = 0, from first: Int = 2) throws -> Double {
      let r = try #require(recordings["\(layer).current"])
      let q = try #require(quantization[layer])
      let sum = (first...steps).reduce(0.0) { $0 + Double(r.value(step: $1, column: neuron)) }
      return sum / Double(steps - first + 1) / q.currentUnitsPerReal
    }

    /// The neuron's firing rate in spikes/s over the whole run.
    func rate(_ layer: String, neuron: Int = 0, dt: Double = 0.001) throws -> Double {
      let r = try #require(recordings["\(layer).spikes"])
      let count = (1...steps).reduce(0) { $0 + Int(r.value(step: $1, column: neuron)) }
      return Double(count) / (Double(steps) * dt)
    }
  }

  /// Writes `json` to a fresh directory, loads it with ``NetworkLoader``, probes every layer
  /// fully, compiles it onto the unlimited test board and runs `steps` steps.
  func run(_ json: String, steps: Int) throws -> Run {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("real-units-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("network.json")
    try Data(json.utf8).write(to: url)
    var network = try NetworkLoader.load(from: url)
    network.probes = network.layers.flatMap { layer in
      ProbeKind.allCases.map { Probe(name: "\(layer.name).\($0.rawValue)", layer: layer.name, kind: $0) }
    }
    let (map, report) = try NetworkCompiler(board: unlimitedBoard).compile(network)
    let emulator = try ChipEmulator(coreMap: map)
    emulator.run(steps: steps)
    var recordings: [String: ProbeRecording] = [:]
    for r in emulator.probeRecordings { recordings[r.name] = r }
    var quantization: [String: LayerQuantization] = [:]
    for q in report.quantization { quantization[q.layer] = q }
    return Run(recordings: recordings, quantization: quantization, steps: steps)
  }

  /// One encoded input of `values` feeding one rectified-linear target per value through the
  /// diagonal `weights`.
  func encodedNetwork(values: [Double], weights: [Double], encoding: String, rate: Double, gain: Double, tauS: Double) -> String {
    let n = values.count
    let rows = (0..<n).map { i in "[" + (0..<n).map { j in i == j ? "\(weights[i])" : "0" }.joined(separator: ", ") + "]" }
    return """
      { "version": 2, "dt": 0.001,
        "inputs": [ { "name": "x", "kind": "real", "size": \(n), "values": \(values),
                      "encoding": { "kind": "\(encoding)", "rate": \(rate) } } ],
        "layers": [ { "name": "target", "size": \(n),
                      "neuron": { "model": "LoihiSpikingRectifiedLinear", "gain": \(gain), "tau_s": \(tauS) } } ],
        "connections": [ { "from": "x", "to": "target", "weights": [\(rows.joined(separator: ", "))] } ] }
      """
  }

  @Test(
    "an encoded value x through W delivers the mean current W·g·x, for every encoding and rate",
    arguments: ["on_off", "spiking"], [100.0, 250, 500, 1000])
  func encodedInputCurrent(encoding: String, rate: Double) throws {
    let values = encoding == "on_off" ? [-0.6, 0.1, 0.37, 0.5, 0.9] : [0.1, 0.37, 0.5, 0.9, 1.0]
    let weights = [100.0, 40, 100, 73, 12]
    for (gain, tauS) in [(1.0, 0.0), (2.5, 0.005)] {
      let steps = 2000
      let result = try run(encodedNetwork(values: values, weights: weights, encoding: encoding, rate: rate, gain: gain, tauS: tauS), steps: steps)
      let q = try #require(result.quantization["target"])
      for i in values.indices {
        let expected = weights[i] * gain * values[i]
        let window = Double(steps - 1) * 0.001
        // One input spike over the window: W·g·(1/rate)/dt per spike, spread over the steps.
        let oneSpike = weights[i] * gain / rate / window
        // A filtered current lags by about τs at the start of the window.
        let lag = abs(expected) * tauS / window
        let tolerance = abs(expected) * (q.weightMaxRelativeError + 0.005) + 2 * oneSpike + lag
        let measured = try result.meanCurrent("target", neuron: i)
        #expect(
          abs(measured - expected) <= tolerance,
          "\(encoding) at \(rate)/s, x = \(values[i]), W = \(weights[i]), g = \(gain), τs = \(tauS): mean current \(measured), expected \(expected) ± \(tolerance)")
      }
    }
  }

  /// The rectified-linear rate function with a constant current J on whole steps.
  func reluRate(_ j: Double) -> Double { j <= 0 ? 0 : 1 / (0.001 * (1 / (j * 0.001) - 1e-9).rounded(.up)) }

  @Test(
    "x = 0.5 through W = 100 into a rectified-linear neuron (τs 5 ms) fires at about 50 Hz",
    arguments: ["on_off", "spiking"], [500.0, 1000])
  func encodedInputRate(encoding: String, rate: Double) throws {
    let result = try run(encodedNetwork(values: [0.5], weights: [100], encoding: encoding, rate: rate, gain: 1, tauS: 0.005), steps: 2000)
    let measured = try result.rate("target")
    // The filtered current ripples around J = 50 by a few per cent; the hard reset drops
    // what overshoots the threshold. Band: the rate function at J·(1 ∓ 5 %), ± one spike.
    let low = reluRate(50 * 0.95) - 0.5
    let high = reluRate(50 * 1.05) + 0.5
    #expect(measured >= low && measured <= high, "\(encoding) at \(rate)/s: \(measured) Hz, expected \(low)...\(high)")
  }

  @Test("a LIF target of an encoded value fires at the LIF rate of J = W·g·x")
  func encodedInputLIF() throws {
    let values = [0.3, 0.6, 0.9]
    let json = """
      { "version": 2, "dt": 0.001,
        "inputs": [ { "name": "x", "kind": "real", "size": 3, "values": \(values), "encoding": { "kind": "spiking" } } ],
        "layers": [ { "name": "lif", "size": 3,
                      "neuron": { "model": "LoihiLIF", "tau_rc": 0.02, "tau_ref": 0.002, "tau_s": 0.02, "gain": 5 } } ],
        "connections": [ { "from": "x", "to": "lif", "weights": [[1, 0, 0], [0, 1, 0], [0, 0, 1]] } ] }
      """
    let result = try run(json, steps: 3000)
    for (i, x) in values.enumerated() {
      let lifRate = { (j: Double) in j <= 1 ? 0 : steppedRate(period: 0.002 + 0.02 * log(1 + 1 / (j - 1)), dt: 0.001) }
      let j = 5 * x
      let measured = try result.rate("lif", neuron: i)
      // τs = 20 ms smooths the 1 kHz input to a ripple of well under 5 %.
      let low = lifRate(j * 0.95) - 1
      let high = lifRate(j * 1.05) + 1
      #expect(measured >= low && measured <= high, "x = \(x), J = \(j): \(measured) Hz, expected \(low)...\(high)")
    }
  }

  @Test("layer to layer: a source of amplitude a at r spikes/s gives its target the mean current W·g·a·r")
  func layerToLayer() throws {
    // The source fires on whole-step periods: J = 100 → every 10 steps, J = 250 → every 4.
    for (amplitude, tauS) in [(0.02, 0.0), (0.02, 0.01), (1.0, 0.0), (0.005, 0.002)] {
      let json = """
        { "version": 2, "dt": 0.001,
          "layers": [
            { "name": "source", "size": 2,
              "neuron": { "model": "LoihiSpikingRectifiedLinear", "bias": [100, 250], "amplitude": \(amplitude) } },
            { "name": "target", "size": 2,
              "neuron": { "model": "LoihiSpikingRectifiedLinear", "gain": 2, "tau_s": \(tauS) } } ],
          "connections": [ { "from": "source", "to": "target", "weights": [[15, 0], [0, -4]] } ] }
        """
      let steps = 2000
      let result = try run(json, steps: steps)
      let q = try #require(result.quantization["target"])
      for (i, (w, r)) in [(15.0, 100.0), (-4.0, 250.0)].enumerated() {
        #expect(try result.rate("source", neuron: i) == r)
        let expected = w * 2 * amplitude * r
        let window = Double(steps - 1) * 0.001
        let tolerance = abs(expected) * (q.weightMaxRelativeError + 0.005 + tauS / window) + abs(w * 2 * amplitude) / window
        let measured = try result.meanCurrent("target", neuron: i)
        #expect(abs(measured - expected) <= tolerance, "a = \(amplitude), τs = \(tauS), neuron \(i): \(measured), expected \(expected) ± \(tolerance)")
      }
    }
  }

  @Test("a given spike train (amplitude 1) into a real-valued target: mean current W·g·r")
  func spikeTrainIntoRealLayer() throws {
    // Spikes every 4 steps: 250 spikes/s; W = 0.1, g = 1 → J = 25.
    let times = Array(stride(from: 4, through: 2000, by: 4))
    let json = """
      { "version": 2, "dt": 0.001,
        "inputs": [ { "name": "s", "kind": "spike_train", "size": 1, "spike_times": [\(times)] } ],
        "layers": [ { "name": "target", "size": 1, "neuron": { "model": "LoihiSpikingRectifiedLinear" } } ],
        "connections": [ { "from": "s", "to": "target", "weights": [[0.1]] } ] }
      """
    let result = try run(json, steps: 2000)
    let measured = try result.meanCurrent("target")
    #expect(abs(measured - 25) <= 25 * 0.006 + 0.1 / 1.999, "mean current \(measured), expected 25")
    // Each delivered spike adds J·dt = (W/dt)·dt = 0.1 to v, so every 10th fires: 25 Hz in
    // the long run. Spikes of steps 4 ... 1996 are delivered within the run (499), so
    // ⌊499/10⌋ = 49 output spikes.
    let delivered = times.filter { $0 < 2000 }.count
    let rate = try result.rate("target")
    #expect(rate == Double(delivered / 10) / 2, "\(rate) Hz")
  }
}

@Suite("Real units: large per-spike weights")
struct LargeWeightTests {
  @Test("a high-gain LIF layer with 128 input axons: coincident spikes never wrap the accumulator, the mean current stays W·g·x")
  func noAccumulatorWrap() throws {
    // Gain 200 makes one spike weigh far more than the threshold; raising the weight
    // exponent for threshold precision must not let 128 coincident spikes overflow q.
    var rng = SplitMix64(seed: 21)
    let n = 64
    var values: [Double] = []
    for _ in 0..<n { values.append(Double(rng.next() % 2001) / 1000 - 1) }
    var weights: [Double] = []
    for _ in 0..<(8 * n) { weights.append(0.6 * (Double(rng.next() % 2001) - 1000) / 1000) }
    var bias: [Double] = []
    for _ in 0..<8 { bias.append(4 * (Double(rng.next() % 2001) - 1000) / 1000) }
    let rows = (0..<8).map { r in "[" + (0..<n).map { "\(weights[r * n + $0])" }.joined(separator: ", ") + "]" }
    let json = """
      { "version": 2, "dt": 0.001,
        "inputs": [ { "name": "x", "kind": "real", "size": \(n), "values": \(values), "encoding": { "kind": "on_off", "rate": 1000 } } ],
        "layers": [ { "name": "h", "size": 8, "neuron": { "model": "LoihiLIF", "tau_s": 0.002, "gain": 200, "bias": \(bias) } } ],
        "connections": [ { "from": "x", "to": "h", "weights": [\(rows.joined(separator: ", "))] } ] }
      """
    let result = try RealUnitsEndToEndTests().run(json, steps: 1000)
    for i in 0..<8 {
      var expected = 0.0
      var scale = 0.0  // 200 × Σ|w| over the row, of which a few per cent is tolerated
      for j in 0..<n {
        expected += 200 * weights[i * n + j] * values[j]
        scale += 200 * abs(weights[i * n + j])
      }
      let measured = try result.meanCurrent("h", neuron: i, from: 50)
      // Raising the exponent for threshold precision (to 5, before) would let coincident
      // spikes wrap the accumulator here; it stays at 0.
      #expect(try #require(result.quantization["h"]).weightExponents[0].exponent == 0)
      #expect(abs(measured - expected) <= 0.03 * scale, "neuron \(i): mean current \(measured), expected \(expected) (scale \(scale))")
    }
  }
}
