import Foundation
import NetworkModel
import NeuroIO
import Testing

/// Per-neuron decay_u, decay_v, vth_mant and refract_delay (integer layers) and per-neuron
/// tau_rc, tau_ref and tau_s (real-valued layers): parsing, validation with located errors,
/// and the writer's round trip.
@Suite("Per-neuron neuron parameters")
struct PerNeuronParameterTests {
  func errorText(_ json: String, files: [String: [UInt8]] = [:]) throws -> String { try loadErrorText(json, files: files) }

  func layers(_ neuron: String, size: Int = 3) -> String {
    #"[{"name": "a", "size": \#(size), "neuron": \#(neuron)}, {"name": "b", "size": 1, "neuron": {"model": "LoihiSpikingRectifiedLinear", "vth_mant": 5}}]"#
  }

  func weights(_ size: Int) -> String {
    let rows = (0..<size).map { _ in "[1, 2]" }.joined(separator: ", ")
    let row = "[" + (0..<size).map { _ in "10" }.joined(separator: ", ") + "]"
    return #"[{"from": "in", "to": "a", "weights": [\#(rows)]}, {"from": "a", "to": "b", "weights": [\#(row)]}]"#
  }

  @Test("lists and .npy files give per-neuron values; scalars keep the layer-wide fields")
  func parses() throws {
    let dir = try TemporaryDirectory()
    try dir.write("vth.npy", bytes: NPYFile.encode([100, 200, 300], shape: [3], dtype: "<i4"))
    let neuron = #"{"model": "LoihiLIF", "decay_u": [1, 2, 3], "decay_v": [10, 20, 30], "vth_mant": "vth.npy", "refract_delay": [1, 2, 5]}"#
    let net = try NetworkLoader.load(from: try dir.write("net.json", network(layers: layers(neuron))))
    let p = net.layers[0].neuron
    #expect(p.decayUPerNeuron == [1, 2, 3])
    #expect(p.decayVPerNeuron == [10, 20, 30])
    #expect(p.thresholdMantissaPerNeuron == [100, 200, 300])
    #expect(p.refractoryDelayPerNeuron == [1, 2, 5])
    #expect((0..<3).map(p.decayU(ofNeuron:)) == [1, 2, 3])
    #expect((0..<3).map(p.thresholdMantissa(ofNeuron:)) == [100, 200, 300])
    #expect(p.hasPerNeuronProfiles)
    // Layer b has scalars: the Int fields are what they always were.
    let q = net.layers[1].neuron
    #expect(!q.hasPerNeuronProfiles && q.thresholdMantissa == 5 && q.thresholdMantissa(ofNeuron: 0) == 5)
    #expect(q.decayU == 4095 && q.refractoryDelay == 1)
  }

  @Test("existing code that builds NeuronParameters with Int values keeps its meaning")
  func sourceCompatible() {
    var p = NeuronParameters(model: .loihiLIF, decayU: 7, decayV: 9, thresholdMantissa: 11, refractoryDelay: 3)
    #expect(p.decayU == 7 && p.decayV == 9 && p.thresholdMantissa == 11 && p.refractoryDelay == 3)
    #expect(p.decayU(ofNeuron: 5) == 7 && p.refractoryDelay(ofNeuron: 5) == 3)
    p.decayVPerNeuron = [1, 2]
    #expect(p.decayV(ofNeuron: 1) == 2 && p.decayV == 9)
  }

  @Test(
    "out-of-range values are located by their index, with the field width and a fix",
    arguments: [
      (
        #"{"model": "LoihiLIF", "vth_mant": 10, "decay_u": [0, 4096, 5000]}"#,
        "net.json: layers[0].neuron.decay_u[1]: 4096 is out of range 0...4095 (12-bit field) (and 1 other value of this list); use values in 0...4095"
      ),
      (
        #"{"model": "LoihiLIF", "vth_mant": [10, 0, 10]}"#,
        "net.json: layers[0].neuron.vth_mant[1]: 0 is out of range 1...131071 (17-bit field, vth = vth_mant << 6); use values in 1...131071"
      ),
      (
        #"{"model": "LoihiLIF", "vth_mant": 10, "refract_delay": [1, 2, 64]}"#,
        "net.json: layers[0].neuron.refract_delay[2]: 64 is out of range 0...63 (6-bit field); use values in 0...63"
      ),
      (
        #"{"model": "LoihiLIF", "vth_mant": 10, "decay_v": [1, 2]}"#,
        "net.json: layers[0].neuron.decay_v: has 2 values but the layer has 3 neurons; give one value for all neurons or exactly one per neuron"
      ),
      (
        #"{"model": "LoihiSpikingRectifiedLinear", "vth_mant": 10, "decay_v": [0, 0, 7]}"#,
        "net.json: layers[0].neuron.decay_v[2]: LoihiSpikingRectifiedLinear has a non-leaky voltage, but decay_v is 7; remove decay_v, or use model \"LoihiLIF\" for a leaky voltage"
      ),
      (
        #"{"model": "LoihiLIF", "vth_mant": 10, "decay_u": "missing.npy"}"#,
        "missing.npy: "
      ),
      (
        #"{"model": "LoihiLIF", "vth_mant": 10, "decay_u": [1.5, 2, 3]}"#,
        "net.json: layers[0].neuron.decay_u[0]: "
      ),
    ])
  func located(_ neuron: String, _ message: String) throws {
    let text = try errorText(network(layers: layers(neuron)))
    #expect(text.hasPrefix(message), "\(text)")
  }

  @Test("a per-neuron .npy whose values are out of range is located by index")
  func npyRange() throws {
    let values = (0..<20).map { Int32($0 == 17 ? 5000 : $0 * 100) }
    let text = try errorText(
      network(layers: layers(#"{"model": "LoihiLIF", "vth_mant": 10, "decay_u": "du.npy"}"#, size: 20), connections: weights(20)),
      files: ["du.npy": NPYFile.encode(values, shape: [20], dtype: "<i2")])
    #expect(text.hasPrefix("net.json: layers[0].neuron.decay_u[17]: 5000 is out of range 0...4095 (12-bit field); use values in 0...4095"), "\(text)")
  }

  @Test("real-valued layers take per-neuron tau_rc, tau_ref and tau_s; bad ones are located")
  func realValued() throws {
    let dir = try TemporaryDirectory()
    try dir.write("taus.npy", bytes: NPYFile.encodeReals([0.005, 0.01, 0], shape: [3]))
    let json = #"{"version": 2, "inputs": [{"name": "in", "kind": "spike_train", "size": 2, "spike_times": [[1], [2]]}], "layers": [{"name": "a", "size": 3, "neuron": {"model": "LoihiLIF", "tau_rc": [0.01, 0.02, 0.05], "tau_ref": [0, 0.001, 0.002], "tau_s": "taus.npy", "max_rates": [100, 150, 200], "intercepts": [0, 0.1, -0.2]}}], "connections": [{"from": "in", "to": "a", "weights": [[1, 2], [3, 4], [5, 6]]}]}"#
    let net = try NetworkLoader.load(from: try dir.write("net.json", json))
    let r = try #require(net.layers[0].real)
    #expect(r.tauRCPerNeuron == [0.01, 0.02, 0.05])
    #expect(r.tauS(ofNeuron: 1) == 0.01 && r.tauRef(ofNeuron: 2) == 0.002)
    // Each neuron's tuning curve uses its own time constants.
    let one = try #require(RealNeuronParameters.gainAndBias(model: .loihiLIF, maxRates: [200], intercepts: [-0.2], tauRC: 0.05, tauRef: 0.002))
    #expect(r.gain(ofNeuron: 2) == one.gain[0] && r.bias(ofNeuron: 2) == one.bias[0])

    let bad = json.replacingOccurrences(of: #""tau_rc": [0.01, 0.02, 0.05]"#, with: #""tau_rc": [0.01, -1, 0.05]"#)
      .replacingOccurrences(of: #", "max_rates": [100, 150, 200], "intercepts": [0, 0.1, -0.2]"#, with: "")
    let text = try errorText(bad, files: ["taus.npy": NPYFile.encodeReals([0.005, 0.01, 0], shape: [3])])
    #expect(text.hasPrefix("net.json: layers[0].neuron.tau_rc[1]: -1.0 is not a positive time constant; give the membrane time constant in seconds"), "\(text)")
    let short = json.replacingOccurrences(of: #""tau_ref": [0, 0.001, 0.002]"#, with: #""tau_ref": [0, 0.001]"#)
      .replacingOccurrences(of: #", "max_rates": [100, 150, 200], "intercepts": [0, 0.1, -0.2]"#, with: "")
    let text2 = try errorText(short, files: ["taus.npy": NPYFile.encodeReals([0.005, 0.01, 0], shape: [3])])
    #expect(text2.hasPrefix("net.json: layers[0].neuron.tau_ref: has 2 values but the layer has 3 neurons"), "\(text2)")
  }

  @Test("the writer writes per-neuron values back, and they load unchanged")
  func roundTrip() throws {
    var p = NeuronParameters(model: .loihiLIF, thresholdMantissa: 40, biasMantissa: [3, -2, 0, 7], refractoryDelay: 2)
    p.decayUPerNeuron = [0, 100, 4095, 17]
    p.decayVPerNeuron = [1, 2, 3, 4095]
    p.thresholdMantissaPerNeuron = [1, 131_071, 64, 65]
    let q = NeuronParameters(model: .loihiSpikingRectifiedLinear, decayU: 12, thresholdMantissa: 9)
    var r = NeuronParameters(model: .loihiLIF, decayV: 5, thresholdMantissa: 8)
    r.refractoryDelayPerNeuron = [0, 63, 1, 2]
    let network = Network(
      version: 1, name: "per neuron",
      inputs: [SpikeInput(name: "in", size: 2, spikes: SpikeTrain(perSource: [[1, 2], [3]]))],
      layers: [Layer(name: "a", size: 4, neuron: p), Layer(name: "b", size: 1, neuron: q), Layer(name: "c", size: 4, neuron: r)],
      connections: [
        Connection(from: "in", to: "a", weights: WeightMatrix(rows: 4, columns: 2, values: [1, 2, 3, 4, 5, 6, 7, 8])),
        Connection(from: "a", to: "b", weights: WeightMatrix(rows: 1, columns: 4, values: [9, 8, 7, 6])),
        Connection(from: "a", to: "c", weights: WeightMatrix(rows: 4, columns: 4, values: (0..<16).map { Int32($0) })),
      ])
    #expect(network.validate().isEmpty)
    let dir = try TemporaryDirectory()
    try NetworkWriter.write(network, to: dir.url)
    let loaded = try NetworkLoader.load(from: dir.url.appendingPathComponent("network.json"))
    for l in 0..<3 {
      let a = network.layers[l].neuron
      let b = loaded.layers[l].neuron
      for i in 0..<network.layers[l].size {
        #expect(a.decayU(ofNeuron: i) == b.decayU(ofNeuron: i), "layer \(l) neuron \(i)")
        #expect(a.decayV(ofNeuron: i) == b.decayV(ofNeuron: i), "layer \(l) neuron \(i)")
        #expect(a.thresholdMantissa(ofNeuron: i) == b.thresholdMantissa(ofNeuron: i), "layer \(l) neuron \(i)")
        #expect(a.refractoryDelay(ofNeuron: i) == b.refractoryDelay(ofNeuron: i), "layer \(l) neuron \(i)")
        #expect(a.biasMantissa(ofNeuron: i) == b.biasMantissa(ofNeuron: i), "layer \(l) neuron \(i)")
      }
      #expect(a.decayUPerNeuron == b.decayUPerNeuron && a.thresholdMantissaPerNeuron == b.thresholdMantissaPerNeuron)
      #expect(a.refractoryDelayPerNeuron == b.refractoryDelayPerNeuron && a.decayVPerNeuron == b.decayVPerNeuron)
    }
    // Written again, the loaded network gives the same files.
    let again = try TemporaryDirectory()
    try NetworkWriter.write(loaded, to: again.url)
    let first = try Data(contentsOf: dir.url.appendingPathComponent("network.json"))
    let second = try Data(contentsOf: again.url.appendingPathComponent("network.json"))
    #expect(first == second)
    #expect(try NetworkLoader.load(from: again.url.appendingPathComponent("network.json")) == loaded)
  }
}
