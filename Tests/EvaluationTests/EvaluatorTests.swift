import CoreMapModel
import Emulator
import Evaluation
import Foundation
import HardwareSpec
import LoihiArithmetic
import Mapper
import NetworkModel
import NeuroIO
import Testing

let board = BoardSpec(
  singleChip: ChipSpec(
    name: "test chip", coresPerChip: 64,
    core: CoreLimits(compartments: 16, inputAxons: 1 << 20, outputAxons: 1 << 20, synapseWords: 1 << 26, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)))

/// Input x (3 values, spiking at 1 kHz) → 8 hidden rectified-linear neurons → 4 outputs, all
/// in real units.
func mlp(values: [Double] = [0, 0, 0], encoding: ValueEncoding = .spiking, outputTauS: Double = 0) -> Network {
  var rng = SplitMix64(seed: 3)
  func weights(_ n: Int) -> [Double] { (0..<n).map { _ in Double(Int(rng.next() % 200) - 60) / 100 } }
  let hidden = Layer(name: "hidden", size: 8, real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear, gain: [300], bias: [20], amplitude: 1.0 / 300))
  let out = Layer(name: "out", size: 4, real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear, tauS: outputTauS, gain: [100], bias: [0, 5, -5, 10]))
  var network = Network(
    dt: 0.001, layers: [hidden, out],
    connections: [
      Connection(from: "x", to: "hidden", weights: WeightMatrix(rows: 8, columns: 3, real: weights(24))),
      Connection(from: "hidden", to: "out", weights: WeightMatrix(rows: 4, columns: 8, real: weights(32))),
    ])
  network.realInputs = [RealInput(name: "x", size: 3, values: values, encoding: encoding)]
  return network
}

func samples(_ n: Int, seed: UInt64, signed: Bool = false) -> [[Double]] {
  var rng = SplitMix64(seed: seed)
  return (0..<n).map { _ in (0..<3).map { _ in Double(rng.next() % 1001) / 1000 * (signed ? 2 : 1) - (signed ? 1 : 0) } }
}

/// The readout values of `sample` from its own compilation and a plain run: the probe
/// `kind` of the `out` layer over steps `skip + 1 ... steps`, summed.
func separateRunSums(_ network: Network, kind: ProbeKind, steps: Int, skip: Int) throws -> [Int64] {
  var probed = network
  probed.probes = [Probe(name: "p", layer: "out", kind: kind)]
  let (map, _) = try NetworkCompiler(board: board).compile(probed)
  let chip = try ChipEmulator(coreMap: map)
  chip.run(steps: steps)
  let r = chip.probeRecordings[0]
  return (0..<4).map { n in ((skip + 1)...steps).reduce(Int64(0)) { $0 + Int64(r.value(step: $1, column: n)) } }
}

@Suite("Evaluating data sets")
struct EvaluatorTests {
  @Test("a fresh presentation equals a separate compilation and run of every sample, for every readout", arguments: Readout.allCases)
  func freshEqualsSeparateRuns(_ readout: Readout) throws {
    let data = samples(9, seed: 1)
    let dataset = Dataset(inputs: ["x": data.flatMap { $0 }], count: data.count)
    let options = EvaluationOptions(stepsPerSample: 30, skipSteps: 4, readout: readout, threads: 2, batchSize: 4)
    let result = try Evaluator.evaluate(network: mlp(), board: board, data: dataset, options: options)
    #expect(result.readoutLayer == "out" && result.outputs == 4 && result.samples == 9)
    let kind: ProbeKind = readout == .spikes ? .spikes : readout == .current ? .current : .voltage
    for (s, x) in data.enumerated() {
      let sums = try separateRunSums(mlp(values: x), kind: kind, steps: 30, skip: 4)
      let got = Array(result.values[s * 4..<(s + 1) * 4])
      switch readout {
      case .spikes:
        #expect(got == sums.map(Double.init), "sample \(s)")
      case .current, .voltage:
        // The same integers, converted by the documented scale (and bias, for current).
        let scale = try #require(result.unitsPerReal)
        let (map, _) = try NetworkCompiler(board: board).compile(mlp(values: x))
        let place = try #require(map.layers.first { $0.name == "out" })
        for n in 0..<4 {
          let bias = readout == .current ? Double(map.cores[Int(place.neuronCore[n])].bias[Int(place.neuronCompartment[n])]) : 0
          #expect(got[n] == (Double(sums[n]) / 26 + bias) / scale, "sample \(s), neuron \(n)")
        }
      }
    }
    #expect(result.values.contains { $0 != 0 })
  }

  @Test("the current readout is W·a + b in real units: checked against the documented model")
  func currentReadoutInRealUnits() throws {
    // One layer: out = gain·(W·x) + bias read as the mean current, from the formula alone.
    let w: [[Double]] = [[1, 0, 0.5], [0, 1, 0], [0.3, 0.3, 0.3], [-0.5, 1, 0]]
    let b = [0.1, 0.05, 0.2, 0.3]
    let out = Layer(name: "out", size: 4, real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear, tauS: 0.005, gain: [50], bias: b.map { 50 * $0 }))
    var network = Network(dt: 0.001, layers: [out], connections: [Connection(from: "x", to: "out", weights: WeightMatrix(rows: 4, columns: 3, real: w.flatMap { $0 }))])
    network.realInputs = [RealInput(name: "x", size: 3, values: [0, 0, 0], encoding: .onOff, rate: 1000)]
    let data = samples(40, seed: 9, signed: true)
    var expected: [[Double]] = []
    for x in data {
      var row: [Double] = []
      for i in 0..<4 {
        var sum = b[i]
        for j in 0..<3 { sum += w[i][j] * x[j] }
        row.append(50 * sum)
      }
      expected.append(row)
    }
    let labels = expected.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
    let dataset = Dataset(inputs: ["x": data.flatMap { $0 }], count: data.count, labels: labels)
    let steps = 400
    let result = try Evaluator.evaluate(
      network: network, board: board, data: dataset, options: EvaluationOptions(stepsPerSample: steps, skipSteps: 50, readout: .current))
    // Tolerance: the filter's settling is over by step 50 (10 τs); one input spike per
    // unit over the window, 50·|w|/ (1000·dt) / 350 steps; weight rounding ≤ 1 %.
    var margins = 0
    for (s, row) in expected.enumerated() {
      for i in 0..<4 {
        let got = result.values[s * 4 + i]
        let drive: Double = abs(row[i] - 50 * b[i])
        let tolerance: Double = 0.01 * drive + 3 * 50.0 / 350 + 0.5 * abs(b[i])
        #expect(abs(got - row[i]) <= tolerance, "sample \(s), neuron \(i): \(got), expected \(row[i]) ± \(tolerance)")
      }
      let sorted = row.sorted(by: >)
      if sorted[0] - sorted[1] > 1 { margins += 1 }
    }
    // Every sample with a clear margin is classified as the formula says.
    #expect(try #require(result.correct) >= margins)
    #expect(margins >= 30)
  }

  @Test("a continuous presentation with blanks equals one run of the samples written as rows of values")
  func continuousEqualsScheduledRun() throws {
    let data = samples(5, seed: 4)
    let (steps, blank, skip) = (20, 3, 2)
    let dataset = Dataset(inputs: ["x": data.flatMap { $0 }], count: data.count)
    let result = try Evaluator.evaluate(
      network: mlp(outputTauS: 0.004), board: board, data: dataset,
      options: EvaluationOptions(stepsPerSample: steps, presentation: .continuous, blankSteps: blank, skipSteps: skip, readout: .spikes))
    // The same samples as a [steps][size] schedule in the network file's own format.
    var rows: [Double] = []
    for x in data {
      for _ in 0..<steps { rows += x }
      for _ in 0..<blank { rows += [0, 0, 0] }
    }
    var scheduled = mlp(outputTauS: 0.004)
    scheduled.realInputs[0].values = rows
    scheduled.realInputs[0].rows = rows.count / 3
    scheduled.probes = [Probe(name: "p", layer: "out", kind: .spikes)]
    let (map, _) = try NetworkCompiler(board: board).compile(scheduled)
    let chip = try ChipEmulator(coreMap: map)
    chip.run(steps: data.count * (steps + blank))
    let r = chip.probeRecordings[0]
    for s in data.indices {
      let first = s * (steps + blank)
      for n in 0..<4 {
        let count = ((first + skip + 1)...(first + steps)).reduce(0) { $0 + Int(r.value(step: $1, column: n)) }
        #expect(result.values[s * 4 + n] == Double(count), "sample \(s), neuron \(n)")
      }
    }
    // Continuous differs from fresh: the state carries over.
    let fresh = try Evaluator.evaluate(
      network: mlp(outputTauS: 0.004), board: board, data: dataset, options: EvaluationOptions(stepsPerSample: steps, skipSteps: skip))
    #expect(fresh.values != result.values)
  }

  @Test("ties are counted, the first largest neuron is taken, accuracy and confusion follow")
  func tiesAndConfusion() throws {
    // Two outputs with identical weights and bias always tie.
    let out = Layer(name: "out", size: 3, real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear, gain: [1], bias: [0]))
    var network = Network(
      dt: 0.001, layers: [out], connections: [Connection(from: "x", to: "out", weights: WeightMatrix(rows: 3, columns: 1, real: [100, 100, 20]))])
    network.realInputs = [RealInput(name: "x", size: 1, values: [0])]
    let dataset = Dataset(inputs: ["x": [0.5, 0.9, 0.7, 0.2]], count: 4, labels: [1, 0, 2, 1])
    let result = try Evaluator.evaluate(network: network, board: board, data: dataset, options: EvaluationOptions(stepsPerSample: 100))
    #expect(result.ties == 4)
    #expect(result.predictions == [0, 0, 0, 0])
    #expect(result.correct == 1)
    #expect(result.tiesIncludingLabel == 3)
    #expect(result.confusion == [[1, 0, 0], [2, 0, 0], [1, 0, 0]])
    let reference = Dataset(inputs: dataset.inputs, count: 4)
    let agreed = try Evaluator.evaluate(
      network: network, board: board, data: reference, options: EvaluationOptions(stepsPerSample: 100),
      referenceLogits: [1, 0, 0, 0, 1, 0, 9, 0, 0, 0, 0, 1])
    #expect(agreed.agreeing == 2)
  }

  @Test("out-of-range input values are counted for a warning")
  func clipping() throws {
    let dataset = Dataset(inputs: ["x": [0.5, 1.5, -0.2, 0, 0, 1, 2, 0, 0]], count: 3)
    let result = try Evaluator.evaluate(network: mlp(), board: board, data: dataset, options: EvaluationOptions(stepsPerSample: 5))
    #expect(result.clipped == [ClippedValues(input: "x", count: 3, total: 9, minimum: -0.2, maximum: 2, range: 0...1)])
  }

  @Test("bad options and readouts are refused with what to do")
  func refusals() throws {
    let dataset = Dataset(inputs: ["x": [0, 0, 0]], count: 1, labels: [7])
    func message(_ options: EvaluationOptions, _ data: Dataset = dataset) -> String {
      do {
        _ = try Evaluator.evaluate(network: mlp(), board: board, data: data, options: options)
        return "no error"
      } catch {
        return "\(error)"
      }
    }
    #expect(message(EvaluationOptions(stepsPerSample: 10, skipSteps: 10)) == "--skip must be in 0 ..< 10 (the steps per sample), got 10")
    #expect(
      message(EvaluationOptions(stepsPerSample: 10, blankSteps: 2))
        == "--blank only applies to --presentation continuous (a fresh presentation starts every sample from zero)")
    #expect(
      message(EvaluationOptions(stepsPerSample: 10, readoutLayer: "nope"))
        == "--readout-layer 'nope' is not a neuron layer of the network (layers: hidden, out)")
    #expect(message(EvaluationOptions(stepsPerSample: 10)) == "label 0 is 7, but the readout layer 'out' has 4 neurons (classes 0 ..< 4)")
  }

  @Test("data files: shapes are checked, channels-last images are recognised")
  func datasetFiles() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("evaluate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    func write(_ name: String, _ values: [Double], _ shape: [Int]) throws -> URL {
      let url = dir.appendingPathComponent(name)
      try Data(NPYFile.encodeReals(values, shape: shape)).write(to: url)
      return url
    }
    var network = mlp()
    network.realInputs = [RealInput(name: "image", size: 12, shape: [3, 2, 2], values: [Double](repeating: 0, count: 12), encoding: .spiking)]
    let good = try write("good.npy", [Double](repeating: 0.5, count: 24), [2, 3, 2, 2])
    let flat = try write("flat.npy", [Double](repeating: 0.5, count: 24), [2, 12])
    let labels = try write("labels.npy", [1, 3], [2])
    let loaded = try Dataset.load(inputs: good, labels: labels, for: network)
    #expect(loaded.count == 2 && loaded.labels == [1, 3] && loaded.inputs["image"]?.count == 24)
    #expect(try Dataset.load(inputs: flat, labels: nil, for: network).count == 2)
    func message(_ url: URL, labels: URL? = nil, for net: Network? = nil) -> String {
      do {
        _ = try Dataset.load(inputs: url, labels: labels, for: net ?? network)
        return "no error"
      } catch {
        return "\(error)".replacingOccurrences(of: dir.path + "/", with: "")
      }
    }
    let nhwc = try write("nhwc.npy", [Double](repeating: 0.5, count: 24), [2, 2, 2, 3])
    #expect(
      message(nhwc)
        == "nhwc.npy: has shape [2, 2, 2, 3], channels last (NHWC, Keras' layout), but 'image' is channels-first [3, 2, 2] (NCHW); transpose with numpy: x.transpose(0, 3, 1, 2)")
    let wrong = try write("wrong.npy", [Double](repeating: 0.5, count: 20), [2, 10])
    #expect(message(wrong) == "wrong.npy: has shape [2, 10], but each sample of 'image' has shape [3, 2, 2] (12 values); give [N, 3, 2, 2] or [N, 12]")
    let three = try write("three.npy", [0, 1, 2], [3])
    #expect(message(good, labels: three) == "three.npy: holds 3 labels for 2 samples; give one per sample")
    let fractional = try write("fractional.npy", [0.5, 1], [2])
    #expect(message(good, labels: fractional) == "fractional.npy: label 0 is 0.5; labels are class indices 0, 1, 2, …")
    // Two real inputs: a folder with NAME.npy for each, the same number of samples.
    var two = mlp()
    two.realInputs.append(RealInput(name: "y", size: 2, values: [0, 0], encoding: .spiking))
    #expect(message(good, for: two).hasSuffix("good.npy: the network has 2 real-valued inputs (x, y); pass a folder holding one NAME.npy for each"))
    let folder = dir.appendingPathComponent("set")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try Data(NPYFile.encodeReals([Double](repeating: 0.1, count: 9), shape: [3, 3])).write(to: folder.appendingPathComponent("x.npy"))
    func folderMessage() -> String {
      do {
        _ = try Dataset.load(inputs: folder, labels: nil, for: two)
        return "no error"
      } catch {
        return "\(error)".replacingOccurrences(of: dir.path + "/", with: "")
      }
    }
    #expect(folderMessage() == "set/y.npy: missing: the folder given to --inputs holds one NAME.npy per real-valued input (x.npy, y.npy)")
    try Data(NPYFile.encodeReals([Double](repeating: 0.2, count: 4), shape: [2, 2])).write(to: folder.appendingPathComponent("y.npy"))
    #expect(folderMessage() == "set/y.npy: holds 2 samples, but x.npy holds 3; every input needs one row per sample")
    try Data(NPYFile.encodeReals([Double](repeating: 0.2, count: 6), shape: [3, 2])).write(to: folder.appendingPathComponent("y.npy"))
    let both = try Dataset.load(inputs: folder, labels: nil, for: two)
    #expect(both.count == 3 && both.inputs["x"]?.count == 9 && both.inputs["y"]?.count == 6)
    let result = try Evaluator.evaluate(network: two, board: board, data: both, options: EvaluationOptions(stepsPerSample: 5))
    #expect(result.samples == 3)
  }

  @Test("spike-train samples: [N, steps, size] of 0/1 for a network's one spike-train input; each sample reaches the chip as its spikes, in its own steps")
  func spikeTrainSamples() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("evaluate-trains-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    // Two sources, each straight onto its own non-leaky neuron that spikes on every input
    // spike: the readout counts the spikes each sample gave.
    var network = Network(
      version: 2, name: "relay", inputs: [SpikeInput(name: "trains", size: 2, spikes: SpikeTrain())],
      layers: [Layer(name: "out", size: 2, neuron: NeuronParameters(model: .loihiLIF, decayU: 4095, decayV: 4095, thresholdMantissa: 1))])
    network.connections = [Connection(from: "trains", to: "out", weights: WeightMatrix(rows: 2, columns: 2, values: [100, 0, 0, 100]))]
    // Sample 0: source 0 at steps 1 and 3; sample 1: source 1 at steps 2, 3, 4, source 0 at 4.
    let trains: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, /* sample 1 */ 0, 0, 0, 1, 0, 1, 1, 1]
    let url = dir.appendingPathComponent("trains.npy")
    try Data(NPYFile.encodeReals(trains, shape: [2, 4, 2])).write(to: url)
    let data = try Dataset.load(inputs: url, labels: nil, for: network)
    #expect(data.count == 2 && data.spikeTrainSteps == 4 && data.spikeTrains["trains"] == trains.map { UInt8($0) })
    for presentation in [Presentation.fresh, .continuous] {
      var options = EvaluationOptions(stepsPerSample: 6)
      options.presentation = presentation
      let result = try Evaluator.evaluate(network: network, board: board, data: data, options: options)
      #expect(result.values == [2, 0, 1, 3], "\(presentation)")
    }
    func message(_ values: [Double], _ shape: [Int]) throws -> String {
      try Data(NPYFile.encodeReals(values, shape: shape)).write(to: url)
      do {
        _ = try Dataset.load(inputs: url, labels: nil, for: network)
        return "no error"
      } catch {
        return "\(error)".replacingOccurrences(of: dir.path + "/", with: "")
      }
    }
    #expect(try message([0, 1, 0, 1], [2, 2]) == "trains.npy: has shape [2, 2]; spike trains for 'trains' are an array [N, steps, 2]: per sample, one row of 0/1 per step")
    #expect(try message([0, 1, 0, 2, 0, 0, 0, 0], [2, 2, 2]) == "trains.npy: value 3 (sample 0, step 2, source 1) is 2.0; spike trains hold 0 (no spike) or 1 (a spike)")
  }
}
