import Emulator
import Evaluation
import Foundation
import HardwareSpec
import LoihiArithmetic
import Mapper
import NetworkModel
import NeuroIO
import Testing

@testable import Training

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

@Suite("Training on the chip's rates")
struct TrainingTests {
  @Test("the forward rate is the chip's: one real-unit neuron on the emulator fires as LoihiRate.rate says, at and between period boundaries")
  func rateIsTheChips() throws {
    // A LoihiSpikingRectifiedLinear neuron driven by its bias alone: J = bias, period
    // ⌊1/(J·dt)⌋ + 1 steps. (At an exact boundary such as J = 250, 1/(J·dt) = 4, the
    // quantized threshold and bias decide which side the chip is on: it fires every 4 steps
    // there, as the bias rounds up. Values between boundaries are the rate's.)
    let board = try #require(try SpecLoader.loadBuiltinBoard(named: "loihi1-single-chip"))
    for current in [37.0, 111.0, 270.0, 333.0, 480.0, 601.0] {
      var network = Network(name: "one", dt: 0.001, inputs: [], layers: [], connections: [], probes: [])
      network.layers = [Layer(name: "n", size: 1, real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear, bias: [current]))]
      network.probes = [Probe(name: "s", layer: "n", kind: .spikes)]
      let (map, _) = try NetworkCompiler(board: board).compile(network)
      let emulator = try ChipEmulator(coreMap: map)
      let steps = 4_000
      emulator.run(steps: steps)
      let spikes = emulator.probeRecordings[0].values.reduce(0) { $0 + Int($1) }
      let expected = LoihiRate.rate(current: current, dt: 0.001) * Double(steps) * 0.001
      #expect(abs(Double(spikes) - expected) <= 1, "J = \(current): \(spikes) spikes, the rate says \(expected)")
    }
    #expect(LoihiRate.rate(current: 250, dt: 0.001) == 200 && LoihiRate.rate(current: 270, dt: 0.001) == 250)
    #expect(LoihiRate.rate(current: 0, dt: 0.001) == 0 && LoihiRate.rate(current: -5, dt: 0.001) == 0)
  }

  @Test("the LoihiLIF forward rate is the chip's: one real-unit LIF neuron on the emulator fires as LIFRate.rate says, with and without a refractory period")
  func lifRateIsTheChips() throws {
    // A LoihiLIF neuron driven by its bias alone: it settles at J, first spikes after
    // ⌊ln(1 − 1/J)/ln a⌋ + 1 steps, and is then held round(τref/dt) steps.
    let board = try #require(try SpecLoader.loadBuiltinBoard(named: "loihi1-single-chip"))
    for (tauRC, tauRef) in [(0.02, 0.002), (0.05, 0.0), (0.01, 0.004)] {
      let lif = LIFRate(tauRC: tauRC, tauRef: tauRef, dt: 0.001)
      for current in [1.05, 1.37, 2.6, 5.3, 11.0, 40.0] {
        var network = Network(name: "one", dt: 0.001, inputs: [], layers: [], connections: [], probes: [])
        network.layers = [Layer(name: "n", size: 1, real: RealNeuronParameters(model: .loihiLIF, tauRC: tauRC, tauRef: tauRef, bias: [current]))]
        network.probes = [Probe(name: "s", layer: "n", kind: .spikes)]
        let (map, _) = try NetworkCompiler(board: board).compile(network)
        let emulator = try ChipEmulator(coreMap: map)
        let steps = 4_000
        emulator.run(steps: steps)
        let spikes = emulator.probeRecordings[0].values.reduce(0) { $0 + Int($1) }
        let expected = lif.rate(current: current) * Double(steps) * 0.001
        #expect(abs(Double(spikes) - expected) <= 1, "τrc \(tauRC), τref \(tauRef), J = \(current): \(spikes) spikes, the rate says \(expected)")
      }
      #expect(lif.rate(current: 1) == 0 && lif.rate(current: 0.5) == 0)
      // The smooth rate's derivative against finite differences, and the current for a rate.
      for j in [0.9, 1.02, 1.5, 4.0, 30.0] {
        let h = 1e-6
        let numeric = (lif.smooth(current: j + h) - lif.smooth(current: j - h)) / (2 * h)
        #expect(abs(numeric - lif.smoothDerivative(current: j)) <= 1e-4 * abs(numeric) + 1e-6, "J = \(j)")
      }
      if let j = lif.current(forRate: 120) { #expect(abs(lif.smooth(current: j) - 120) < 1e-6) } else { Issue.record("no current for 120 /s") }
    }
  }

  @Test("the backward pass is the smooth rate's derivative: analytic against finite differences")
  func smoothDerivative() {
    for j in [0.5, 10.0, 120.0, 480.0, 999.0] {
      let h = 1e-4 * j
      let numeric = (LoihiRate.smooth(current: j + h, dt: 0.001) - LoihiRate.smooth(current: j - h, dt: 0.001)) / (2 * h)
      #expect(abs(numeric - LoihiRate.smoothDerivative(current: j, dt: 0.001)) < 1e-7)
    }
    #expect(LoihiRate.smoothDerivative(current: -1, dt: 0.001) == 0)
  }

  @Test("the network gradient equals finite differences of the loss with the smooth rate forward", arguments: ["dense", "conv", "dense-lif"])
  func gradientCheck(_ kind: String) throws {
    // With the smooth rate in the forward pass (no staircase), the backward pass is the
    // exact gradient: check every parameter of a small network.
    var random = SplitMix64(seed: 3)
    var network: RateNetwork
    let samples: LabelledSamples
    if kind.hasPrefix("dense") {
      network = RateNetwork(widths: [5, 4, 3], dt: 0.001, random: &random)
      samples = LabelledSamples(inputs: (0..<10).map { _ in random.nextUnit() }, labels: [2, 0], featureCount: 5, shape: [5])
    } else {
      // [1, 5, 5] → conv 2@3×3 (padding 1) → 2×2 average pool → conv 3@2×2 (stride 1) → flatten → dense 3.
      let layers: [TrainingConfig.LayerSpec] = [
        .conv2d(channels: 2, kernel: [3, 3], stride: [1, 1], padding: [1, 1]), .avgpool2d(kernel: 2),
        .conv2d(channels: 3, kernel: [2, 2], stride: [1, 1], padding: [0, 0]), .flatten, .dense(size: 3),
      ]
      network = try RateNetwork.make(input: [1, 5, 5], layers: layers, dt: 0.001, random: &random).get()
      #expect(network.layers.map(\.outputShape) == [[2, 5, 5], [2, 2, 2], [3, 1, 1], [3], [3]])
      network.layers[2].scale = 200
      samples = LabelledSamples(inputs: (0..<50).map { _ in random.nextUnit() }, labels: [1, 2], featureCount: 25, shape: [1, 5, 5])
    }
    for l in network.layers.indices where network.layers[l].hasNeurons && network.layers[l].scale == 1 { network.layers[l].scale = 300 }
    if kind == "dense-lif" {
      // LIF neurons around their threshold (J = 1), where the SoftLIF smoothing matters.
      network.lif = LIFRate(tauRC: 0.02, tauRef: 0.002, dt: 0.001)
      network.layers[0].scale = 4
    }
    network.smoothForward = true
    let worker = GradientWorker(network: network)
    worker.accumulate(network, samples: [0, 1], from: samples)
    func loss(_ n: RateNetwork) -> Double {
      let w = GradientWorker(network: n)
      w.accumulate(n, samples: [0, 1], from: samples)
      return w.loss
    }
    for l in network.layers.indices {
      for k in network.layers[l].weights.indices {
        var up = network
        var down = network
        up.layers[l].weights[k] += 1e-6
        down.layers[l].weights[k] -= 1e-6
        let numeric = (loss(up) - loss(down)) / 2e-6
        #expect(abs(numeric - worker.gradient.weights[l][k]) < 1e-5, "layer \(l) weight \(k)")
      }
      for k in network.layers[l].bias.indices {
        var up = network
        var down = network
        up.layers[l].bias[k] += 1e-6
        down.layers[l].bias[k] -= 1e-6
        #expect(abs((loss(up) - loss(down)) / 2e-6 - worker.gradient.bias[l][k]) < 1e-5, "layer \(l) bias \(k)")
      }
    }
  }

  /// Two classes of 4 features: class 0 lights the first two, class 1 the last two, with noise.
  func toy(_ n: Int, seed: UInt64) -> LabelledSamples {
    var random = SplitMix64(seed: seed)
    var inputs: [Double] = []
    var labels: [Int] = []
    for i in 0..<n {
      let c = i % 2
      for f in 0..<4 { inputs.append(min(1, max(0, ((f / 2 == c) ? 0.8 : 0.1) + 0.2 * (random.nextUnit() - 0.5)))) }
      labels.append(c)
    }
    return LabelledSamples(inputs: inputs, labels: labels, featureCount: 4, shape: [4])
  }

  @Test("a small deterministic run learns a toy problem; the same seed gives the same weights again (work is cut into fixed chunks, whatever the threads)")
  func toyProblem() throws {
    let config = TrainingConfig(name: "toy", layers: [.dense(size: 8), .dense(size: 2)], epochs: 15, batchSize: 8, learningRate: 0.01, seed: 7)
    let result = try Trainer(config: config).train(toy(64, seed: 1), test: toy(40, seed: 2), classes: 2)
    #expect(result.log.count == 15)
    #expect(result.log.last?.testAccuracy == 1.0)
    #expect((result.log.last?.loss ?? 1) < result.log[0].loss)
    let again = try Trainer(config: config).train(toy(64, seed: 1), test: toy(40, seed: 2), classes: 2)
    #expect(again.network == result.network)
  }

  @Test("config errors name the file, the JSON path and the fix")
  func configErrors() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neuromesh-train-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(NPYFile.encodeReals([0.1, 0.2, 0.9, 0.4], shape: [2, 2])).write(to: dir.appendingPathComponent("x.npy"))
    try Data(NPYFile.encode([0, 3], shape: [2])).write(to: dir.appendingPathComponent("y.npy"))
    let data = #""data": {"train_inputs": "x.npy", "train_labels": "y.npy"}"#
    let cases: [(String, String)] = [
      (#"{"version": 1, "mode": "magic", "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: mode: unknown mode 'magic'; use one of: loihi-rate, surrogate, fine-tune"),
      (#"{"version": 1, "neuron": {"tau_rc": 0.02}, "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: neuron.tau_rc: belongs to LoihiLIF neurons; set \"model\": \"LoihiLIF\", or remove it"),
      (#"{"version": 1, "neuron": {"model": "LoihiLIF", "tau_ref": 0.004, "max_rate": 500}, "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: neuron.max_rate: 500.0 spikes/s is faster than the refractory period of 0.004 s allows (at most 222 /s with the half step); lower max_rate or tau_ref"),
      (#"{"version": 1, "mode": "fine-tune", "from": "net.json", "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: architecture: is taken from the network being fine-tuned (\"from\"); remove it"),
      (#"{"version": 1, "mode": "surrogate", "from": "net.json", "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: from: belongs to mode fine-tune; remove it, or set \"mode\": \"fine-tune\""),
      (#"{"version": 1, "mode": "fine-tune", "from": "missing.json", \#(data)}"#,
       "c.json: from: cannot fine-tune missing.json: "),
      (#"{"version": 1, "mode": "fine-tune", \#(data)}"#,
       "c.json: missing required key 'from'"),
      (#"{"version": 1, "mode": "surrogate", "architecture": [{"kind": "dense", "size": 4}], "data": {"spike_patterns": {"classes": 7, "groups": 3}}}"#,
       "c.json: data.spike_patterns.classes: 7 classes need distinct orders of 3 groups, which have 6; use more groups or fewer classes"),
      (#"{"version": 1, "architecture": [{"kind": "dense", "size": 4}], "data": {"spike_patterns": {}}}"#,
       "c.json: data.spike_patterns: generates spike trains, which mode loihi-rate cannot take; use mode surrogate, without an \"input\" encoding (spike trains go in as given)"),
      (#"{"version": 1, "mode": "surrogate", "train_time_constants": {"decay_u": {"levels": 8}, "decay_v": {"levels": 8}}, "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: train_time_constants: decay_u levels × decay_v levels = 64 profiles, but a neuro-core holds 32 compartment profiles; choose levels whose product is at most 32, e.g. decay_u 4 and decay_v 8"),
      (#"{"version": 1, "mode": "surrogate", "train_time_constants": {"decay_v": {"range": [0, 100]}}, "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: train_time_constants.decay_v.range: must be [smallest, largest] decays with 1 ≤ smallest ≤ largest ≤ 4095, got [0, 100]; e.g. [16, 4095]"),
      (#"{"version": 1, "input": {"encoding": "spike_trains"}, "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: input.encoding: unsupported encoding 'spike_trains' in mode loihi-rate; use spiking (values in [0, 1]); spike_trains need mode surrogate"),
      (#"{"version": 1, "mode": "surrogate", "input": {"encoding": "spike_trains"}, "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: data.train_inputs: has samples of shape [2]; spike trains are [N, steps, size]; save the spike trains as a 3-D array of 0/1, one row of sources per step"),
      (#"{"version": 1, "mode": "surrogate", "surrogate": {"kind": "tanh"}, "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: surrogate.kind: unknown surrogate 'tanh'; use one of: fast_sigmoid, sigmoid, arctan, relu_grad"),
      (#"{"version": 1, "mode": "surrogate", "neuron": {"vth_mant": 0}, "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: neuron.vth_mant: must be in 1 ... 131071, got 0"),
      (#"{"version": 1, "mode": "surrogate", "weight_decay": 2, "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: weight_decay: must be in 0.0 ... 1.0, got 2.0"),
      (#"{"version": 1, "mode": "surrogate", "loss": "mse", "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: loss: unknown loss 'mse'; use one of: spike_count, current"),
      (#"{"version": 1, "surrogate": {"kind": "arctan"}, "architecture": [{"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: surrogate: belongs to mode surrogate; remove it, or set \"mode\": \"surrogate\""),
      (#"{"version": 1, "architecture": [{"kind": "recurrent", "size": 4}], \#(data)}"#,
       "c.json: architecture[0].kind: loihi-rate training has no recurrent layers (a rate model has no time); use mode surrogate, or dense layers"),
      (#"{"version": 1, "architecture": [{"kind": "conv2d", "size": 4}], \#(data)}"#,
       "c.json: architecture[0]: missing required key 'channels'; add \"channels\": the output channels"),
      (#"{"version": 1, "architecture": [{"kind": "conv2d", "channels": 2}, {"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: architecture[0]: a conv2d layer needs a [C, H, W] input, here [2]; give data.input_shape, e.g. [1, 8, 8], or put convolutions first"),
      (#"{"version": 1, "architecture": [{"kind": "conv2d", "channels": 2}, {"kind": "dense", "size": 4}], "data": {"train_inputs": "x.npy", "train_labels": "y.npy", "input_shape": [1, 1, 2]}}"#,
       "c.json: architecture[0]: the 3×3 kernel does not fit the 1×2 input; use a smaller kernel or more padding"),
      (#"{"version": 1, "architecture": [{"kind": "avgpool2d"}, {"kind": "dense", "size": 4}], "data": {"train_inputs": "x.npy", "train_labels": "y.npy", "input_shape": [1, 2, 1]}}"#,
       "c.json: architecture[0]: a 2×2 pool needs a [C, H, W] input at least that large, here [1, 2, 1]; pool after a convolution, with a smaller window"),
      (#"{"version": 1, "architecture": [{"kind": "dense", "size": 4}], "data": {"train_inputs": "x.npy", "train_labels": "y.npy", "input_shape": [3]}}"#,
       "c.json: data.input_shape: [3] does not hold the 2 values of a sample; give a shape whose product is 2, e.g. [1, 8, 8] for 64"),
      (#"{"version": 1, "architecture": [{"kind": "conv2d", "channels": 2, "kernel": [3, 3, 3]}, {"kind": "dense", "size": 4}], \#(data)}"#,
       "c.json: architecture[0].kernel: must be an integer or [h, w] in 1 ... 15, got [3, 3, 3]"),
      (#"{"version": 1, "architecture": [{"kind": "dense", "size": 2}], \#(data)}"#,
       "c.json: architecture[0].size: the readout has 2 neurons but a label is 3; give the last layer one neuron per class (4)"),
      (#"{"version": 1, "architecture": [{"kind": "dense", "size": 4}], "epochs": 0, \#(data)}"#,
       "c.json: epochs: must be in 1 ... 10000, got 0"),
      (#"{"version": 1, "architecture": [{"kind": "dense", "size": 4}], "data": {"train_inputs": "missing.npy", "train_labels": "y.npy"}}"#,
       "c.json: data: "),
      (#"{"version": 1, "architecture": [{"kind": "dense", "size": 4}], "learning-rate": 0.1, \#(data)}"#,
       "c.json: learning-rate: unknown key 'learning-rate'; did you mean 'learning_rate'? allowed keys here: "),
    ]
    for (text, message) in cases {
      try Data(text.utf8).write(to: dir.appendingPathComponent("c.json"))
      let url = dir.appendingPathComponent("c.json")
      do {
        _ = try TrainingFiles.load(url)
        Issue.record("accepted: \(text)")
      } catch {
        #expect("\(error)".hasPrefix(message.replacingOccurrences(of: "c.json:", with: "\(url.path):")), "\(error)")
      }
    }
  }

  /// A scratch folder holding `train_x.npy`, `train_y.npy`, `test_x.npy`, `test_y.npy` of the
  /// toy problem (40 test samples).
  func toyFolder(train n: Int, seed: UInt64, testSeed: UInt64) throws -> (URL, LabelledSamples, LabelledSamples) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neuromesh-train-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let (train, test) = (toy(n, seed: seed), toy(40, seed: testSeed))
    for (name, set) in [("train", train), ("test", test)] {
      try Data(NPYFile.encodeReals(set.inputs, shape: [set.count, 4])).write(to: dir.appendingPathComponent("\(name)_x.npy"))
      try Data(NPYFile.encode(set.labels.map(Int32.init), shape: [set.count])).write(to: dir.appendingPathComponent("\(name)_y.npy"))
    }
    return (dir, train, test)
  }

  @Test(
    "end to end in real units: trained, written, read back as a network and run on the emulated chip, it classifies as the model does",
    arguments: [#"{"max_rate": 400}"#, #"{"model": "LoihiLIF", "tau_rc": 0.02, "tau_ref": 0.001, "max_rate": 250}"#])
  func endToEnd(_ neuron: String) throws {
    let (dir, train, test) = try toyFolder(train: 96, seed: 11, testSeed: 12)
    defer { try? FileManager.default.removeItem(at: dir) }
    let config = #"""
      {"version": 1, "name": "toy", "mode": "loihi-rate",
       "data": {"train_inputs": "train_x.npy", "train_labels": "train_y.npy", "test_inputs": "test_x.npy", "test_labels": "test_y.npy"},
       "architecture": [{"kind": "dense", "size": 8}, {"kind": "dense", "size": 2}],
       "neuron": \#(neuron), "epochs": 12, "batch_size": 8, "learning_rate": 0.01, "seed": 5}
      """#
    try Data(config.utf8).write(to: dir.appendingPathComponent("toy.json"))
    let setup = try TrainingFiles.load(dir.appendingPathComponent("toy.json"))
    #expect(setup.config.maxRate == (neuron.contains("LIF") ? 250 : 400) && setup.config.epochs == 12 && setup.train.count == 96 && setup.test?.count == 40)
    #expect(setup.config.hiddenNeuron == (neuron.contains("LIF") ? .loihiLIF : .loihiSpikingRectifiedLinear))
    let result = try Trainer(config: setup.config).train(setup.train, test: setup.test, classes: 2)
    #expect(result.log.last?.testAccuracy == 1.0)
    let out = dir.appendingPathComponent("trained")
    try TrainingFiles.write(result, config: setup.config, inputShape: [4], sample: Array(train.inputs.prefix(4)), to: out)
    // A second training into the same folder replaces it (the log marks it as ours).
    try TrainingFiles.write(result, config: setup.config, inputShape: [4], sample: Array(train.inputs.prefix(4)), to: out)
    let network = try NetworkLoader.load(from: out.appendingPathComponent("network.json"))
    #expect(network.layers.map(\.name) == ["dense1", "out"])
    #expect(network.layers[0].real?.model == (neuron.contains("LIF") ? .loihiLIF : .loihiSpikingRectifiedLinear))
    // The file is the network quantization-aware training quantized.
    #expect(network == result.network.network(name: "toy", sample: Array(train.inputs.prefix(4)), tauS: setup.config.tauS, inputRate: 1000))
    let board = try #require(try SpecLoader.loadBuiltinBoard(named: "loihi1-single-chip"))
    let evaluation = try Evaluator.evaluate(
      network: network, board: board, data: Dataset(inputs: ["input": test.inputs], count: test.count, labels: test.labels),
      options: EvaluationOptions(stepsPerSample: 50, readout: .current), referenceLogits: result.testScores)
    // The chip reads the readout's mean current over 50 steps: the model's scores times the
    // readout's gain, up to spike timing and quantization.
    #expect(evaluation.correct == 40, "chip: \(evaluation.correct ?? -1) of 40")
    #expect(evaluation.agreeing == 40)
  }

  @Test("quantization-aware weights are the chip's: for a trained CNN the applied weights times the spike current equal what the compiled map's synapses add")
  func chipWeightsAreTheCompiledOnes() throws {
    // A conv → avgpool → conv → flatten → dense network with random weights and scales.
    var random = SplitMix64(seed: 9)
    let layers = smallCNN
    var network = try RateNetwork.make(input: [1, 6, 6], layers: layers, dt: 0.001, random: &random).get()
    for l in network.layers.indices where network.layers[l].hasNeurons { network.layers[l].scale = 150 + 50 * Double(l) }
    let sample = (0..<36).map { _ in random.nextUnit() }
    let chip = try ChipWeights(network, sample: sample, tauS: 0.002, inputRate: 1000)
    let applied = chip.applied(to: network)
    // Compile the same network with the mapper and read back the integer connection into
    // the dense readout: its programmed Wgt, applied through the chip's rounding, over the
    // layer's current scale, is the applied weight's current per spike.
    let described = network.network(name: "check", sample: sample, tauS: 0.002, inputRate: 1000)
    let report = try NetworkCompiler.quantization(of: described)
    let out = try #require(report.first { $0.layer == "out" })
    let q = try #require(out.weightQuantizers.first)
    let perWeight = SpikeUnits.currentPerSpike(weight: 1, gain: network.layers[4].scale, amplitude: 1 / network.layers[2].scale, dt: 0.001)
    for (w, a) in zip(network.layers[4].weights, applied.layers[4].weights) {
      #expect(abs(a * perWeight - q.applied(w * perWeight)) <= 1e-9 * max(1, abs(a * perWeight)))
    }
    // Quantization moves weights (most a little, the smallest to 0) but keeps their sign.
    let moved = zip(network.layers[2].weights, applied.layers[2].weights).filter { $0 != $1 }.count
    #expect(moved > 0)
    #expect(zip(network.layers[2].weights, applied.layers[2].weights).allSatisfy { $1 == 0 || ($0 > 0) == ($1 > 0) })
    // Applying twice changes nothing more.
    #expect(chip.applied(to: applied) == applied)
    // The file written for this network is the network quantized here.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neuromesh-train-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    var config = TrainingConfig(name: "check", layers: layers)
    config.tauS = 0.002
    try TrainingFiles.write(TrainingResult(network: network, log: [], testPredictions: [], testScores: []), config: config, inputShape: [1, 6, 6], sample: sample, to: dir)
    #expect(try NetworkLoader.load(from: dir.appendingPathComponent("network.json")) == described)
  }

  @Test("each surrogate's derivative is its formula and the derivative of its primitive", arguments: Surrogate.Kind.allCases)
  func surrogates(_ kind: Surrogate.Kind) {
    let s = Surrogate(kind, slope: 5)
    for x in [-0.9, -0.3, -0.05, 0.04, 0.25, 0.8] {
      let h = 1e-6
      let numeric = (s.primitive(x + h) - s.primitive(x - h)) / (2 * h)
      #expect(abs(numeric - s.derivative(x)) < 1e-6, "\(kind) at \(x)")
    }
    // Formulas at chosen points.
    switch kind {
    case .fastSigmoid: #expect(s.derivative(0) == 1 && s.derivative(0.2) == 0.25)
    case .sigmoid: #expect(s.derivative(0) == 1.25)
    case .arctan: #expect(s.derivative(0) == 2.5)
    case .reluGrad: #expect(s.derivative(0.19) == 1 && s.derivative(0.21) == 0)
    }
  }

  @Test("the emulator's compartment update is CompartmentDynamics.step: a neuron stepped by hand spikes exactly as on the emulated chip")
  func sharedDynamics() throws {
    // One LIF neuron with bias, decays and a refractory period, on the emulator and by hand.
    let board = try #require(try SpecLoader.loadBuiltinBoard(named: "loihi1-single-chip"))
    let neuron = NeuronParameters(model: .loihiLIF, decayU: 410, decayV: 300, thresholdMantissa: 20, biasMantissa: [37], biasExponent: 3, refractoryDelay: 3)
    var network = Network(name: "one", layers: [Layer(name: "n", size: 1, neuron: neuron)])
    network.probes = [Probe(name: "s", layer: "n", kind: .spikes), Probe(name: "v", layer: "n", kind: .voltage)]
    let (map, _) = try NetworkCompiler(board: board).compile(network)
    let emulator = try ChipEmulator(coreMap: map)
    emulator.run(steps: 300)
    var (u, v, r) = (Int32(0), Int32(0), Int32(0))
    var spikes: [Int32] = []
    var voltages: [Int32] = []
    for _ in 0..<300 {
      let spiked = CompartmentDynamics.step(
        current: &u, voltage: &v, refractory: &r, input: 0, currentFactor: FixedPoint.currentDecayFactor(decayU: 410),
        voltageFactor: FixedPoint.voltageDecayFactor(decayV: 300), bias: 37 << 3, threshold: 20 << 6, refractoryDelay: 3,
        vmin: 0, vmax: 8_388_607)
      spikes.append(spiked ? 1 : 0)
      voltages.append(v)
    }
    #expect(spikes.reduce(0, +) > 10)
    #expect(emulator.probeRecordings[0].values == spikes)
    #expect(emulator.probeRecordings[1].values == voltages)
  }

  /// [1, 6, 6] → conv 3@3×3 (padding 1) → 2×2 average pool → conv 4@2×2 → flatten → dense 5.
  let smallCNN: [TrainingConfig.LayerSpec] = [
    .conv2d(channels: 3, kernel: [3, 3], stride: [1, 1], padding: [1, 1]), .avgpool2d(kernel: 2),
    .conv2d(channels: 4, kernel: [2, 2], stride: [1, 1], padding: [0, 0]), .flatten, .dense(size: 5),
  ]

  /// Compiles `described` onto one Loihi 1 chip, runs it `steps` steps on the emulator, and
  /// expects layer l's spike probe to record exactly `spikes[l]`, with more than `active`
  /// spikes in every layer (so that the comparison is not between two silences).
  func expectSameSpikesOnTheChip(
    _ described: Network, steps: Int, as spikes: [[UInt8]], active: Int, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let board = try #require(try SpecLoader.loadBuiltinBoard(named: "loihi1-single-chip"))
    let (map, _) = try NetworkCompiler(board: board).compile(described)
    let emulator = try ChipEmulator(coreMap: map)
    emulator.run(steps: steps)
    for l in spikes.indices {
      #expect(emulator.probeRecordings[l].values.map { UInt8($0) } == spikes[l], "layer \(l)", sourceLocation: sourceLocation)
      #expect(spikes[l].reduce(0) { $0 + Int($1) } > active, "layer \(l) should be active", sourceLocation: sourceLocation)
    }
  }

  /// A spiking network of 2 layers whose first layer leaks and is refractory.
  func spikingNetwork(_ widths: [Int], seed: UInt64) -> SpikingNetwork {
    var random = SplitMix64(seed: seed)
    let neuron = NeuronParameters(model: .loihiLIF, decayU: 1024, decayV: 128, thresholdMantissa: 40, refractoryDelay: 2)
    return SpikingNetwork(widths: widths, neuron: neuron, exponent: 0, weightLimit: 120, inputRate: 500, dt: 0.001, random: &random)
  }

  @Test("surrogate mode's forward pass is the chip: the same spikes as the compiled network on the emulator, layer by layer, step by step")
  func spikingForwardIsTheChip() throws {
    var network = spikingNetwork([12, 16, 5], seed: 4)
    network.layers[1].decayV = [Int](repeating: 0, count: 5)
    network.layers[1].refractoryDelay = 1
    var random = SplitMix64(seed: 8)
    let x = (0..<12).map { _ in random.nextUnit() }
    let steps = 120
    let trace = network.run(x[...], steps: steps)
    try expectSameSpikesOnTheChip(network.network(name: "check", sample: x), steps: steps, as: trace.spikes, active: 20)
    #expect(trace.counts == (0..<5).map { i in (0..<steps).reduce(0) { $0 + Int(trace.spikes[1][$1 * 5 + i]) } })
  }

  /// A convolutional spiking network (conv → avgpool → conv → flatten → dense) with
  /// per-neuron decays and biases, all different, and weights large enough to be busy.
  func convolutionalSpikingNetwork(seed: UInt64) -> SpikingNetwork {
    var random = SplitMix64(seed: seed)
    let neuron = NeuronParameters(model: .loihiLIF, decayU: 1024, decayV: 128, thresholdMantissa: 40, refractoryDelay: 2)
    var network = SpikingNetwork(
      inputShape: [1, 6, 6],
      layers: smallCNN,
      neuron: neuron, exponent: 0, weightLimit: 140, input: .encoder(rate: 600), dt: 0.001, random: &random)
    for l in network.layers.indices {
      let n = network.layers[l].outputs
      network.layers[l].decayU = (0..<n).map { _ in 200 + random.next(below: 3000) }
      network.layers[l].decayV = (0..<n).map { _ in random.next(below: 400) }
      network.layers[l].biasMantissa = (0..<n).map { _ in random.next(below: 60) - 20 }
      network.layers[l].biasExponent = 3
    }
    return network
  }

  @Test("surrogate mode's forward pass is the chip for convolutions, folded pools, per-neuron decays and biases: the written network spikes identically")
  func convolutionalForwardIsTheChip() throws {
    let network = convolutionalSpikingNetwork(seed: 5)
    #expect(network.layers.map(\.shape) == [[3, 6, 6], [4, 2, 2], [5]])
    // The pool is folded into a 4×4 kernel of stride 2 over the un-pooled 6×6 map.
    #expect(network.layers[1].synapses.form == .conv(kernel: [4, 3, 4, 4], stride: [2, 2], padding: [0, 0]))
    #expect(network.layers[1].weights.count == 4 * 3 * 2 * 2)
    var random = SplitMix64(seed: 9)
    let x = (0..<36).map { _ in random.nextUnit() }
    let steps = 100
    let trace = network.run(x[...], steps: steps)
    try expectSameSpikesOnTheChip(network.network(name: "check", sample: x), steps: steps, as: trace.spikes, active: 30)
  }

  @Test("a recurrent network of given spike trains is the chip too: the same spikes as the emulator fed the trains as a spike input")
  func spikeTrainForwardIsTheChip() throws {
    var random = SplitMix64(seed: 3)
    let neuron = NeuronParameters(model: .loihiLIF, decayU: 600, decayV: 90, thresholdMantissa: 30, refractoryDelay: 1)
    var network = SpikingNetwork(
      inputShape: [8], layers: [.recurrent(size: 12), .dense(size: 3)], neuron: neuron, exponent: 0, weightLimit: 150, input: .spikeTrains,
      dt: 0.001, random: &random)
    // Strong recurrent weights, so that the recurrence decides spikes.
    network.layers[0].recurrentWeights = network.layers[0].recurrentWeights.map { $0 * 6 }
    #expect(network.network(name: "r", sample: []).connections.map { "\($0.from)→\($0.to)" } == ["input→r1", "r1→r1", "r1→out"])
    let steps = 60
    let raster = (0..<(steps * 8)).map { _ in random.nextUnit() < 0.2 ? 1.0 : 0.0 }
    let trace = network.run(raster[...], steps: steps)
    var described = network.network(name: "trains", sample: [])
    var events: (steps: [Int32], sources: [Int32]) = ([], [])
    for k in raster.indices where raster[k] != 0 {
      events.steps.append(Int32(k / 8 + 1))
      events.sources.append(Int32(k % 8))
    }
    described.inputs[0].spikes = SpikeTrain(steps: events.steps, sources: events.sources)
    try expectSameSpikesOnTheChip(described, steps: steps, as: trace.spikes, active: 10)
  }

  @Test("fine-tune starts from the compiled network exactly: a real-valued CNN (gains, biases, synaptic filters, a folded pool) taken into the chip's integers spikes as the original compiles and runs")
  func fineTuneStartsAtTheCompiledNetwork() throws {
    var random = SplitMix64(seed: 11)
    let specs = smallCNN
    var rate = try RateNetwork.make(input: [1, 6, 6], layers: specs, dt: 0.001, random: &random).get()
    for l in rate.layers.indices where rate.layers[l].hasNeurons {
      rate.layers[l].scale = 150 + 100 * Double(l)
      rate.layers[l].bias = rate.layers[l].bias.map { _ in 0.4 * random.nextUnit() - 0.1 }
    }
    let x = (0..<36).map { _ in random.nextUnit() }
    var original = rate.network(name: "cnn", sample: x, tauS: 0.003, inputRate: 800)
    original.probes = original.layers.filter { $0.kind == .neurons }.map { Probe(name: "\($0.name).spikes", layer: $0.name, kind: .spikes) }
    let spiking = try SpikingNetwork(fineTuning: original)
    #expect(spiking.layers.map(\.name) == ["conv1", "conv2", "out"])
    #expect(spiking.inputRate == 800)
    let steps = 120
    let trace = spiking.run(x[...], steps: steps)
    let board = try #require(try SpecLoader.loadBuiltinBoard(named: "loihi1-single-chip"))
    let (map, _) = try NetworkCompiler(board: board).compile(original)
    let emulator = try ChipEmulator(coreMap: map)
    emulator.run(steps: steps)
    for l in spiking.layers.indices {
      #expect(emulator.probeRecordings[l].values.map { UInt8($0) } == trace.spikes[l], "layer \(l)")
      #expect(trace.spikes[l].reduce(0) { $0 + Int($1) } > 30, "layer \(l) should be active")
    }
    // And written back in integers, it compiles to the same spikes again.
    let (written, _) = try NetworkCompiler(board: board).compile(spiking.network(name: "again", sample: x))
    let again = try ChipEmulator(coreMap: written)
    again.run(steps: steps)
    for l in spiking.layers.indices { #expect(again.probeRecordings[l].values == emulator.probeRecordings[l].values, "layer \(l)") }
  }

  @Test("the spike-pattern task carries its class in the order of the groups alone: every channel fires equally often in every class")
  func spikePatternTask() throws {
    // Without noise or jitter, and firing at every step of its slot, a group's channels
    // spike exactly in the slot the class's order gives them.
    let task = SpikePatternTask(classes: 5, groups: 4, channelsPerGroup: 3, slotSteps: 5, gapSteps: 2, tailSteps: 3, spikeProbability: 1, noise: 0, jitter: 0, seed: 4)
    #expect(task.steps == 4 * 7 + 3 && task.channels == 12)
    let orders = task.orders
    #expect(Set(orders).count == 5 && orders.allSatisfy { $0.sorted() == [0, 1, 2, 3] })
    let samples = task.samples(count: 30, seed: 9)
    #expect(samples.shape == [31, 12] && Set(samples.labels).count == 5)
    for s in 0..<30 {
      let order = orders[samples.labels[s]]
      for step in 0..<31 {
        for channel in 0..<12 {
          let slot = step % 7 < 5 && step / 7 < 4 ? step / 7 : -1
          let expected = slot >= 0 && order[slot] == channel / 3 ? 1.0 : 0.0
          #expect(samples.inputs[s * 31 * 12 + step * 12 + channel] == expected)
        }
      }
    }
    // The same seeds give the same samples.
    #expect(SpikePatternTask(seed: 2).samples(count: 10, seed: 3) == SpikePatternTask(seed: 2).samples(count: 10, seed: 3))
  }

  @Test("end to end on spike trains with trained time constants: generated, trained, written, evaluated on the emulated chip from the written test set, sample for sample the model's readout; the decays stay on their grids")
  func temporalEndToEnd() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neuromesh-temporal-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let config = #"""
      {"version": 1, "name": "order", "mode": "surrogate",
       "data": {"spike_patterns": {"train": 120, "test": 40, "seed": 3, "classes": 3, "groups": 3, "slot_steps": 5, "gap_steps": 2}},
       "architecture": [{"kind": "dense", "size": 16, "weight_init": 80}, {"kind": "dense", "size": 3, "weight_init": 20}],
       "neuron": {"model": "LoihiLIF", "decay_u": 1024, "decay_v": 512, "vth_mant": 40, "refract_delay": 1},
       "train_time_constants": {"decay_u": {"levels": 4, "range": [64, 4095]}, "decay_v": {"levels": 8, "range": [32, 4095]}, "learning_rate": 0.05},
       "loss": "current", "timesteps": 33, "epochs": 4, "batch_size": 16, "learning_rate": 0.5, "seed": 2}
      """#
    try Data(config.utf8).write(to: dir.appendingPathComponent("order.json"))
    let setup = try TrainingFiles.load(dir.appendingPathComponent("order.json"))
    #expect(setup.generated && setup.config.spikeTrainInput && setup.train.shape == [33, 12] && setup.test?.count == 40)
    let trainer = SurrogateTrainer(config: setup.config)
    let (network, log, scores) = trainer.train(config: setup.config, on: setup.train, test: setup.test)
    #expect(log.count == 4)
    // The decays moved, and only to levels of their grids.
    let uLevels = Set(TimeConstantGrid(levels: 4, smallest: 64, largest: 4095).values)
    let vLevels = Set(TimeConstantGrid(levels: 8, smallest: 32, largest: 4095).values)
    #expect(uLevels == [64, 256, 1024, 4095] && vLevels.count == 8)
    #expect(network.layers.allSatisfy { Set($0.decayU).isSubset(of: uLevels) && Set($0.decayV).isSubset(of: vLevels) })
    #expect(network.layers[0].decayU.contains { $0 != 1024 } || network.layers[0].decayV.contains { $0 != 512 })
    let out = dir.appendingPathComponent("trained")
    try TrainingFiles.write(spiking: network, log: log, testScores: scores, config: setup.config, sample: [], to: out, testSet: setup.test)
    let loaded = try NetworkLoader.load(from: out.appendingPathComponent("network.json"))
    #expect(loaded.inputs.map(\.size) == [12] && loaded.realInputs.isEmpty)
    let data = try Dataset.load(inputs: out.appendingPathComponent("test_inputs.npy"), labels: out.appendingPathComponent("test_labels.npy"), for: loaded)
    #expect(data.count == 40 && data.spikeTrainSteps == 33)
    let board = try #require(try SpecLoader.loadBuiltinBoard(named: "loihi1-single-chip"))
    let evaluation = try Evaluator.evaluate(
      network: loaded, board: board, data: data, options: EvaluationOptions(stepsPerSample: 33, readout: .current), referenceLogits: scores.flatMap { $0 })
    #expect(evaluation.values == scores.flatMap { $0 })
    #expect(evaluation.agreeing == 40)
    #expect(Double(evaluation.correct ?? 0) / 40 == log.last?.testAccuracy)
  }

  @Test("the BPTT gradient of the current loss, with respect to the readout's weights and its learned decay_u, matches finite differences of the chip's own integer forward pass")
  func currentLossGradientMatchesFiniteDifferences() throws {
    // The current readout depends on u alone, which the spikes do not touch: the loss is a
    // function of the integer weights and decays that finite differences can probe (up to
    // the decay's truncation toward zero, small against currents of thousands of units).
    var random = SplitMix64(seed: 21)
    let neuron = NeuronParameters(model: .loihiLIF, decayU: 600, decayV: 100, thresholdMantissa: 40, refractoryDelay: 1)
    var network = SpikingNetwork(
      inputShape: [6], layers: [.dense(size: 3)], neuron: neuron, exponent: 0, weightLimit: 60, input: .encoder(rate: 700), dt: 0.001, random: &random)
    network.layers[0].weights = network.layers[0].weights.map { 2 * ($0 / 2).rounded() }
    network.layers[0].decayU = [600, 900, 300]
    network.layers[0].logDecayU = network.layers[0].decayU.map { Foundation.log(Double($0)) }
    let x = (0..<6).map { _ in 0.3 + 0.7 * random.nextUnit() }
    let loss = SpikingLoss(surrogate: Surrogate(.fastSigmoid, slope: 5), countScale: 0.05, readout: .current)
    func lossOf(_ n: SpikingNetwork) -> Double {
      var scratch = SpikingGradient(zeroFor: n)
      return n.accumulate(x[...], label: 1, steps: 80, loss: loss, into: &scratch)
    }
    var gradient = SpikingGradient(zeroFor: network)
    _ = network.accumulate(x[...], label: 1, steps: 80, loss: loss, into: &gradient)
    for k in [0, 4, 9, 17] {
      var plus = network
      var minus = network
      plus.layers[0].weights[k] += 2
      minus.layers[0].weights[k] -= 2
      let numeric = (lossOf(plus) - lossOf(minus)) / 4
      #expect(abs(numeric - gradient.weights[0][k]) <= 0.01 * abs(numeric) + 1e-9, "weight \(k): \(numeric) vs \(gradient.weights[0][k])")
    }
    for i in 0..<3 {
      var plus = network
      var minus = network
      plus.layers[0].decayU[i] += 6
      minus.layers[0].decayU[i] -= 6
      // d loss / d log(decay) = decay · d loss / d decay.
      let numeric = (lossOf(plus) - lossOf(minus)) / 12 * Double(network.layers[0].decayU[i])
      #expect(abs(numeric) > 1e-4)
      #expect(abs(numeric - gradient.logDecayU[0][i]) <= 0.02 * abs(numeric), "decay_u of neuron \(i): \(numeric) vs \(gradient.logDecayU[0][i])")
    }
  }

  @Test("surrogate-gradient BPTT through the chip's dynamics learns the toy problem, deterministically")
  func surrogateLearnsToy() throws {
    let network = spikingNetwork([4, 10, 2], seed: 2)
    let trainer = SurrogateTrainer(steps: 30, surrogate: Surrogate(.fastSigmoid, slope: 5), epochs: 12, batchSize: 8, learningRate: 2, seed: 3)
    let before = trainer.accuracy(network, on: toy(40, seed: 2))
    let (trained, log) = trainer.train(network, on: toy(64, seed: 1), test: toy(40, seed: 2))
    #expect(log.count == 12)
    #expect((log.last?.testAccuracy ?? 0) >= 0.95, "before \(before), after \(log.map(\.testAccuracy))")
    #expect((log.last?.loss ?? 1) < log[0].loss)
    let (again, _) = trainer.train(network, on: toy(64, seed: 1), test: toy(40, seed: 2))
    #expect(again == trained)
  }

  @Test(
    "end to end in surrogate mode: trained, written in the chip's integers, read back and run on the emulated chip, it reads exactly the model's spike counts, mean currents or mean voltages",
    arguments: ["spike_count", "current", "voltage"])
  func surrogateEndToEnd(_ loss: String) throws {
    let (dir, train, test) = try toyFolder(train: 64, seed: 1, testSeed: 2)
    defer { try? FileManager.default.removeItem(at: dir) }
    let config = #"""
      {"version": 1, "name": "toy", "mode": "surrogate",
       "data": {"train_inputs": "train_x.npy", "train_labels": "train_y.npy", "test_inputs": "test_x.npy", "test_labels": "test_y.npy"},
       "architecture": [{"kind": "dense", "size": 10}, {"kind": "dense", "size": 2}],
       "neuron": {"model": "LoihiLIF", "decay_u": 1024, "decay_v": 128, "vth_mant": 40, "refract_delay": 2},
       "surrogate": {"kind": "fast_sigmoid", "slope": 5}, "weight_init": 120, "input": {"rate": 500}, "loss": "\#(loss)",
       "timesteps": 30, "epochs": 12, "batch_size": 8, "learning_rate": 2, "seed": 3}
      """#
    try Data(config.utf8).write(to: dir.appendingPathComponent("toy.json"))
    let setup = try TrainingFiles.load(dir.appendingPathComponent("toy.json"))
    #expect(setup.config.spiking.refractoryDelay == 2 && setup.config.spiking.weightLimit == 120 && setup.config.inputRate == 500)
    let (network, log, scores) = SurrogateTrainer(config: setup.config).train(config: setup.config, on: setup.train, test: setup.test)
    let counts = scores
    #expect((log.last?.testAccuracy ?? 0) >= 0.95)
    let out = dir.appendingPathComponent("trained")
    try TrainingFiles.write(spiking: network, log: log, testScores: counts, config: setup.config, sample: Array(train.inputs.prefix(4)), to: out)
    let loaded = try NetworkLoader.load(from: out.appendingPathComponent("network.json"))
    let board = try #require(try SpecLoader.loadBuiltinBoard(named: "loihi1-single-chip"))
    let evaluation = try Evaluator.evaluate(
      network: loaded, board: board, data: Dataset(inputs: ["input": test.inputs], count: test.count, labels: test.labels),
      options: EvaluationOptions(stepsPerSample: 30, readout: loss == "current" ? .current : loss == "voltage" ? .voltage : .spikes), referenceLogits: counts.flatMap { $0 })
    // The chip reads what the model read, sample for sample: the counts, or the mean current.
    #expect(evaluation.values == counts.flatMap { $0 })
    #expect(evaluation.agreeing == 40)
    #expect(Double(evaluation.correct ?? 0) / 40 == log.last?.testAccuracy)
  }
}
