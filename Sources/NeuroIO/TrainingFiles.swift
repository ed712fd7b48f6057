import Foundation
import LoihiArithmetic
import NetworkModel
import Training

/// A training configuration read from `CONFIG.json`, with its data loaded.
public struct TrainingSetup: Sendable {
  public var config: TrainingConfig
  public var train: LabelledSamples
  public var test: LabelledSamples?
  /// Number of classes (the readout's width).
  public var classes: Int
  /// Fine-tune mode: the network to start from, in the chip's integers.
  public var base: SpikingNetwork? = nil
  /// Whether the samples were generated (`data.spike_patterns`): the test set is then
  /// written beside the trained network, for `evaluate`.
  public var generated = false
}

/// Reads `neuromesh train` configurations (docs/training.md) and writes what training made.
public enum TrainingFiles {
  static let topKeys = [
    "version", "name", "mode", "data", "architecture", "neuron", "input", "dt", "timesteps", "epochs", "batch_size", "learning_rate", "seed",
    "quantization_aware", "surrogate", "weight_exp", "weight_init", "count_scale", "loss", "weight_decay", "train_time_constants", "from",
  ]

  /// Reads and checks `url` and loads the data files it names (relative to its folder).
  ///
  /// - Throws: ``InputFileError`` naming the file and JSON path of every problem.
  public static func load(_ url: URL) throws(InputFileError) -> TrainingSetup {
    let display = url.relativePath
    let root = JSONCursor(value: try readJSONDocument(url, kind: "the training configuration"), path: "")
    func located(_ issue: NetworkIssue) -> InputFileError { InputFileError(file: display, issues: [issue]) }
    do throws(NetworkIssue) {
      let top = try root.object(allowedKeys: topKeys)
      let version = try top.required("version").int()
      guard version == 1 else { throw NetworkIssue(path: "version", problem: "unsupported version \(version)", fix: "this build reads version 1") }
      let name = try top.optional("name")?.string() ?? url.deletingPathExtension().lastPathComponent
      var config = TrainingConfig(name: name, layers: [])
      if let mode = top.optional("mode") {
        let text = try mode.string()
        guard let m = TrainingConfig.Mode(rawValue: text) else {
          throw mode.fail(
            "unknown mode '\(text)'",
            fix: "use one of: \(TrainingConfig.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        config.mode = m
      }
      func number(_ key: String, _ range: ClosedRange<Double>, in object: ObjectCursor) throws(NetworkIssue) -> Double? {
        guard let c = object.optional(key) else { return nil }
        let x = try c.real()
        guard x.isFinite, range.contains(x) else { throw c.fail("must be in \(range.lowerBound) ... \(range.upperBound), got \(x)") }
        return x
      }
      func integer(_ key: String, _ range: ClosedRange<Int>, in object: ObjectCursor) throws(NetworkIssue) -> Int? {
        guard let c = object.optional(key) else { return nil }
        let x = try c.int()
        guard range.contains(x) else { throw c.fail("must be in \(range.lowerBound) ... \(range.upperBound), got \(x)") }
        return x
      }
      if let dt = try number("dt", 1e-5...1, in: top) { config.dt = dt }
      if let t = try integer("timesteps", 1...100_000, in: top) { config.timesteps = t }
      if let e = try integer("epochs", 1...10_000, in: top) { config.epochs = e }
      if let b = try integer("batch_size", 1...65_536, in: top) { config.batchSize = b }
      if let lr = try number("learning_rate", 1e-9...10, in: top) { config.learningRate = lr }
      if let s = try integer("seed", 0...Int.max, in: top) { config.seed = UInt64(s) }
      if let q = top.optional("quantization_aware") {
        guard case .bool(let b) = q.value else { throw q.fail("expected true or false but found \(q.value.typeName)") }
        config.quantizationAware = b
      }
      let fineTune = config.mode == .fineTune
      let surrogateMode = config.mode == .surrogate || fineTune
      if fineTune {
        for key in ["architecture", "neuron", "input", "weight_exp", "weight_init", "quantization_aware"] where top.fields[key] != nil {
          throw NetworkIssue(path: key, problem: "is taken from the network being fine-tuned (\"from\")", fix: "remove it")
        }
      } else if top.fields["from"] != nil {
        throw NetworkIssue(path: "from", problem: "belongs to mode fine-tune", fix: "remove it, or set \"mode\": \"fine-tune\"")
      }
      if let neuron = try top.optional("neuron")?.object(
        allowedKeys: surrogateMode ? ["model", "decay_u", "decay_v", "vth_mant", "refract_delay"] : ["model", "max_rate", "tau_s", "tau_rc", "tau_ref"])
      {
        if let model = neuron.optional("model") {
          let text = try model.string()
          guard ["LoihiLIF", "LoihiSpikingRectifiedLinear"].contains(text) else {
            throw model.fail("unsupported model '\(text)' for \(config.mode.rawValue) training", fix: "use LoihiLIF or LoihiSpikingRectifiedLinear")
          }
          if text == "LoihiSpikingRectifiedLinear" { config.spiking.decayV = 0 }
          if !surrogateMode { config.hiddenNeuron = text == "LoihiLIF" ? .loihiLIF : .loihiSpikingRectifiedLinear }
        }
        if let r = try number("max_rate", 1...(1 / config.dt), in: neuron) { config.maxRate = r }
        if let t = try number("tau_s", 0...1, in: neuron) { config.tauS = t }
        for key in ["tau_rc", "tau_ref"] where neuron.fields[key] != nil && config.hiddenNeuron != .loihiLIF {
          throw NetworkIssue(path: "neuron.\(key)", problem: "belongs to LoihiLIF neurons", fix: "set \"model\": \"LoihiLIF\", or remove it")
        }
        if let t = try number("tau_rc", 1e-6...10, in: neuron) { config.tauRC = t }
        if let t = try number("tau_ref", 0...1, in: neuron) { config.tauRef = t }
        if config.hiddenNeuron == .loihiLIF {
          let lif = LIFRate(tauRC: config.tauRC, tauRef: config.tauRef, dt: config.dt)
          guard lif.decayFactor > 0, lif.decayFactor < 1 else {
            throw NetworkIssue(path: "neuron.tau_rc", problem: "\(config.tauRC) s leaks less (or more) than the 12-bit decay_v can express at dt = \(config.dt) s", fix: "use a tau_rc between a few dt and about 4000 dt")
          }
          guard lif.current(forRate: config.maxRate) != nil else {
            throw NetworkIssue(
              path: "neuron.max_rate", problem: "\(config.maxRate) spikes/s is faster than the refractory period of \(config.tauRef) s allows (at most \(String(format: "%.0f", 1 / (Double(lif.hold) + 0.5) / config.dt)) /s with the half step)",
              fix: "lower max_rate or tau_ref")
          }
        }
        if let d = try integer("decay_u", 0...4095, in: neuron) { config.spiking.decayU = d }
        if let d = try integer("decay_v", 0...4095, in: neuron) { config.spiking.decayV = d }
        if let m = try integer("vth_mant", 1...131_071, in: neuron) { config.spiking.thresholdMantissa = m }
        if let r = try integer("refract_delay", 1...63, in: neuron) { config.spiking.refractoryDelay = r }
      }
      if surrogateMode {
        if let e = try integer("weight_exp", -8...7, in: top) { config.spiking.weightExponent = e }
        if let w = try number("weight_init", 0...255, in: top) { config.spiking.weightLimit = w }
        if let c = try number("count_scale", 1e-6...1e6, in: top) { config.spiking.countScale = c }
        if let d = try number("weight_decay", 0...1, in: top) { config.spiking.weightDecay = d }
        if let tc = try top.optional("train_time_constants")?.object(allowedKeys: ["decay_u", "decay_v", "learning_rate"]) {
          func grid(_ key: String) throws(NetworkIssue) -> TimeConstantGrid? {
            guard let g = try tc.optional(key)?.object(allowedKeys: ["levels", "range"]) else { return nil }
            let levels = try integer("levels", 1...32, in: g) ?? (key == "decay_v" ? 32 : 1)
            var range = [16, 4095]
            if let r = g.optional("range") {
              range = try r.intArray()
              guard range.count == 2, 1 <= range[0], range[0] <= range[1], range[1] <= 4095 else {
                throw r.fail("must be [smallest, largest] decays with 1 ≤ smallest ≤ largest ≤ 4095, got \(range)", fix: "e.g. [16, 4095]")
              }
            }
            return TimeConstantGrid(levels: levels, smallest: range[0], largest: range[1])
          }
          var training = TimeConstantTraining(current: try grid("decay_u"), voltage: try grid("decay_v"))
          if let lr = try number("learning_rate", 1e-9...10, in: tc) { training.learningRate = lr }
          guard training.isEnabled else {
            throw NetworkIssue(path: "train_time_constants", problem: "names neither decay_u nor decay_v", fix: "add \"decay_v\": {\"levels\": 32}")
          }
          let profiles = (training.current?.levels ?? 1) * (training.voltage?.levels ?? 1)
          guard profiles <= 32 else {
            throw NetworkIssue(
              path: "train_time_constants",
              problem: "decay_u levels × decay_v levels = \(profiles) profiles, but a neuro-core holds 32 compartment profiles",
              fix: "choose levels whose product is at most 32, e.g. decay_u 4 and decay_v 8")
          }
          config.spiking.timeConstants = training
        }
        if let c = top.optional("loss") {
          let text = try c.string()
          guard let readout = SpikingNetwork.Readout(rawValue: text) else {
            throw c.fail("unknown loss '\(text)'", fix: "use one of: \(SpikingNetwork.Readout.allCases.map(\.rawValue).joined(separator: ", "))")
          }
          config.spiking.readout = readout
        }
        if let sg = try top.optional("surrogate")?.object(allowedKeys: ["kind", "slope"]) {
          var kind = config.spiking.surrogate.kind
          if let k = sg.optional("kind") {
            let text = try k.string()
            guard let parsed = Surrogate.Kind(rawValue: text) else {
              throw k.fail("unknown surrogate '\(text)'", fix: "use one of: \(Surrogate.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = parsed
          }
          config.spiking.surrogate = Surrogate(kind, slope: try number("slope", 1e-3...1e4, in: sg) ?? config.spiking.surrogate.slope)
        }
      } else {
        for key in ["surrogate", "weight_exp", "weight_init", "count_scale", "loss", "weight_decay", "train_time_constants"] where top.fields[key] != nil {
          throw NetworkIssue(path: key, problem: "belongs to mode surrogate", fix: "remove it, or set \"mode\": \"surrogate\"")
        }
      }
      if let input = try top.optional("input")?.object(allowedKeys: ["encoding", "rate"]) {
        if let e = input.optional("encoding") {
          let text = try e.string()
          let allowed = surrogateMode ? ["spiking", "spike_trains"] : ["spiking"]
          guard allowed.contains(text) else {
            throw e.fail(
              "unsupported encoding '\(text)'\(text == "spike_trains" ? " in mode \(config.mode.rawValue)" : "")",
              fix: surrogateMode ? "use spiking (values in [0, 1]) or spike_trains (samples [N, steps, size] of 0/1)" : "use spiking (values in [0, 1]); spike_trains need mode surrogate")
          }
          config.spikeTrainInput = text == "spike_trains"
        }
        if let r = try number("rate", 1...(1 / config.dt), in: input) { config.inputRate = r }
      }
      var base: SpikingNetwork? = nil
      if fineTune {
        let from = try top.required("from", fix: "name the network.json to fine-tune, e.g. \"from\": \"../trained/cnn-loihi-rate/network.json\"")
        let path = try from.string()
        let fromURL = path.hasPrefix("/") ? URL(fileURLWithPath: path) : url.deletingLastPathComponent().appendingPathComponent(path)
        do {
          let network = try NetworkLoader.load(from: fromURL)
          let start = try SpikingNetwork(fineTuning: network)
          config.dt = start.dt
          config.inputRate = start.inputRate
          config.spikeTrainInput = start.input == .spikeTrains
          base = start
        } catch {
          throw from.fail("cannot fine-tune \(path): \(error)")
        }
      }
      let layers = fineTune ? [] : try top.required("architecture", fix: "add \"architecture\": [{\"kind\": \"dense\", \"size\": 64}, {\"kind\": \"dense\", \"size\": 10}]").array()
      guard fineTune || !layers.isEmpty else { throw NetworkIssue(path: "architecture", problem: "is empty", fix: "give at least the readout layer") }
      for layer in layers {
        let o = try layer.object(allowedKeys: ["kind", "size", "channels", "kernel", "stride", "padding", "weight_init"])
        if let c = o.optional("weight_init"), !surrogateMode { throw c.fail("belongs to mode surrogate", fix: "remove it, or set \"mode\": \"surrogate\"") }
        let kindCursor = try o.required("kind")
        let kind = try kindCursor.string()
        func pair(_ key: String, default value: Int, _ range: ClosedRange<Int>) throws(NetworkIssue) -> [Int] {
          guard let c = o.optional(key) else { return [value, value] }
          let values: [Int]
          if case .array = c.value { values = try c.intArray() } else { values = [try c.int()] }
          let both = values.count == 1 ? [values[0], values[0]] : values
          guard both.count == 2, both.allSatisfy(range.contains) else {
            throw c.fail("must be an integer or [h, w] in \(range.lowerBound) ... \(range.upperBound), got \(values)")
          }
          return both
        }
        switch kind {
        case "dense":
          guard let size = try integer("size", 1...65_536, in: o) else { throw NetworkIssue(path: o.path, problem: "missing required key 'size'", fix: "add \"size\"") }
          config.layers.append(.dense(size: size))
          config.layerWeightLimits.append(try number("weight_init", 0...255, in: o))
        case "conv2d":
          guard let channels = try integer("channels", 1...4_096, in: o) else {
            throw NetworkIssue(path: o.path, problem: "missing required key 'channels'", fix: "add \"channels\": the output channels")
          }
          config.layers.append(
            .conv2d(channels: channels, kernel: try pair("kernel", default: 3, 1...15), stride: try pair("stride", default: 1, 1...15), padding: try pair("padding", default: 0, 0...15)))
          config.layerWeightLimits.append(try number("weight_init", 0...255, in: o))
        case "avgpool2d":
          config.layers.append(.avgpool2d(kernel: try integer("kernel", 1...16, in: o) ?? 2))
        case "flatten":
          config.layers.append(.flatten)
        case "recurrent":
          guard surrogateMode else {
            throw kindCursor.fail("loihi-rate training has no recurrent layers (a rate model has no time)", fix: "use mode surrogate, or dense layers")
          }
          guard let size = try integer("size", 1...65_536, in: o) else { throw NetworkIssue(path: o.path, problem: "missing required key 'size'", fix: "add \"size\"") }
          config.layers.append(.recurrent(size: size))
          config.layerWeightLimits.append(try number("weight_init", 0...255, in: o))
        default:
          throw kindCursor.fail("unknown layer kind '\(kind)'", fix: "use dense, conv2d, avgpool2d, flatten or (surrogate mode) recurrent")
        }
      }
      let data = try top.required("data").object(allowedKeys: ["train_inputs", "train_labels", "test_inputs", "test_labels", "input_shape", "spike_patterns"])
      var train: LabelledSamples
      var test: LabelledSamples? = nil
      var generated = false
      if let generator = try data.optional("spike_patterns")?.object(allowedKeys: ["train", "test", "seed", "classes", "groups", "channels_per_group", "slot_steps", "gap_steps"]) {
        for key in ["train_inputs", "train_labels", "test_inputs", "test_labels", "input_shape"] where data.fields[key] != nil {
          throw NetworkIssue(path: "data.\(key)", problem: "is given with spike_patterns, which generates the samples", fix: "remove one of them")
        }
        guard surrogateMode, config.spikeTrainInput || top.fields["input"] == nil else {
          throw NetworkIssue(
            path: "data.spike_patterns", problem: "generates spike trains, which mode \(config.mode.rawValue) cannot take",
            fix: "use mode surrogate, without an \"input\" encoding (spike trains go in as given)")
        }
        let groups = try integer("groups", 2...12, in: generator) ?? 6
        var task = SpikePatternTask(groups: groups)
        if let c = try integer("classes", 2...64, in: generator) { task.classes = c }
        if let c = try integer("channels_per_group", 1...64, in: generator) { task.channelsPerGroup = c }
        if let s = try integer("slot_steps", 1...100, in: generator) { task.slotSteps = s }
        if let s = try integer("gap_steps", 0...100, in: generator) { task.gapSteps = s }
        if let s = try integer("seed", 0...Int.max, in: generator) { task.seed = UInt64(s) }
        // Distinct orders: there are groups! of them.
        let orderings = (1...groups).reduce(1) { $0 * $1 }
        guard task.classes <= orderings else {
          throw NetworkIssue(path: "data.spike_patterns.classes", problem: "\(task.classes) classes need distinct orders of \(groups) groups, which have \(orderings)", fix: "use more groups or fewer classes")
        }
        let trainCount = try integer("train", 1...100_000, in: generator) ?? 1200
        let testCount = try integer("test", 0...100_000, in: generator) ?? 600
        train = task.samples(count: trainCount, seed: task.seed &+ 1)
        test = testCount > 0 ? task.samples(count: testCount, seed: task.seed &+ 2) : nil
        config.spikeTrainInput = true
        generated = true
      } else {
        let folder = url.deletingLastPathComponent()
        func file(_ key: String) throws(NetworkIssue) -> URL? {
          guard let c = data.optional(key) else { return nil }
          let path = try c.string()
          return path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
        }
        guard let trainInputs = try file("train_inputs"), let trainLabels = try file("train_labels") else {
          throw NetworkIssue(path: "data", problem: "needs train_inputs and train_labels", fix: "name the .npy files of the training samples and their labels")
        }
        let (testInputs, testLabels) = (try file("test_inputs"), try file("test_labels"))
        do throws(InputFileError) {
          train = try samples(trainInputs, trainLabels)
          if let testInputs, let testLabels { test = try samples(testInputs, testLabels) }
        } catch {
          throw NetworkIssue(path: "data", problem: "\(error)", fix: "")
        }
      }
      if let test, test.featureCount != train.featureCount {
        throw NetworkIssue(path: "data.test_inputs", problem: "has \(test.featureCount) values per sample, the training set \(train.featureCount)", fix: "use the same shape for both")
      }
      if let c = data.optional("input_shape") {
        let shape = try c.intArray()
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 && $0 <= 1 << 20 }), shape.reduce(1, { $0 * $1 }) == train.featureCount else {
          throw c.fail("\(shape) does not hold the \(train.featureCount) values of a sample", fix: "give a shape whose product is \(train.featureCount), e.g. [1, 8, 8] for 64")
        }
        train.shape = shape
        test?.shape = shape
      }
      if config.spikeTrainInput {
        guard train.shape.count == 2 else {
          throw NetworkIssue(
            path: "data.train_inputs", problem: "has samples of shape \(train.shape); spike trains are [N, steps, size]",
            fix: "save the spike trains as a 3-D array of 0/1, one row of sources per step")
        }
        if let k = config.layers.firstIndex(where: { if case .dense = $0 { false } else if case .recurrent = $0 { false } else { true } }) {
          throw NetworkIssue(path: "architecture[\(k)]", problem: "spike-train inputs feed dense and recurrent layers only", fix: "use dense or recurrent layers")
        }
      }
      if let base {
        let classes = base.layers[base.layers.count - 1].outputs
        let perSample = config.spikeTrainInput ? train.featureCount % max(base.inputSize, 1) == 0 : train.featureCount == base.inputSize
        guard perSample else {
          throw NetworkIssue(
            path: "data.train_inputs", problem: "has \(train.featureCount) values per sample, but the network's input has \(base.inputSize)",
            fix: "give samples of the network's input shape \(base.inputShape)")
        }
        if !config.spikeTrainInput {
          train.shape = base.inputShape
          test?.shape = base.inputShape
        }
        if let largest = (train.labels + (test?.labels ?? [])).max(), largest >= classes {
          throw NetworkIssue(path: "data.train_labels", problem: "holds label \(largest), but the network's readout has \(classes) neurons", fix: "fine-tune on labels 0 ..< \(classes)")
        }
        return TrainingSetup(config: config, train: train, test: test, classes: classes, base: base, generated: generated)
      }
      var random = SplitMix64(seed: 0)
      let layerInput = config.spikeTrainInput ? Array(train.shape.dropFirst()) : train.shape
      // Shapes: a recurrent layer reads and writes like a dense one.
      let shapeLayers = config.layers.map { spec -> TrainingConfig.LayerSpec in if case .recurrent(let n) = spec { .dense(size: n) } else { spec } }
      if case .failure(let problem) = RateNetwork.make(input: layerInput, layers: shapeLayers, dt: config.dt, random: &random) {
        throw NetworkIssue(path: "architecture[\(problem.layer)]", problem: problem.message, fix: problem.fix)
      }
      guard case .dense(let classes) = config.layers[config.layers.count - 1] else { throw NetworkIssue(path: "architecture", problem: "the last layer is not dense", fix: "end with a dense readout") }
      let largest = (train.labels + (test?.labels ?? [])).max() ?? 0
      guard largest < classes else {
        throw NetworkIssue(
          path: "architecture[\(config.layers.count - 1)].size", problem: "the readout has \(classes) neurons but a label is \(largest)",
          fix: "give the last layer one neuron per class (\(largest + 1))")
      }
      return TrainingSetup(config: config, train: train, test: test, classes: classes, generated: generated)
    } catch {
      throw located(error)
    }
  }

  /// Samples `[N, …]` (real, in [0, 1] for the spiking encoder) and labels `[N]` (integers ≥ 0).
  static func samples(_ inputs: URL, _ labels: URL) throws(InputFileError) -> LabelledSamples {
    let (shape, values) = try NPYFile.readReals(at: inputs, displayPath: inputs.relativePath)
    let y = try NPYFile.readIntegers(at: labels, displayPath: labels.relativePath)
    guard shape.count >= 2, shape[0] > 0 else {
      throw InputFileError(file: inputs.relativePath, problem: "has shape \(shape); samples are [N, features] or [N, C, H, W]")
    }
    guard y.shape == [shape[0]] else {
      throw InputFileError(file: labels.relativePath, problem: "has shape \(y.shape); one label per sample is [\(shape[0])]")
    }
    if let bad = y.values.firstIndex(where: { $0 < 0 || $0 > 65_535 }) {
      throw InputFileError(file: labels.relativePath, problem: "label \(bad) is \(y.values[bad]); labels are classes 0, 1, 2, …")
    }
    if let bad = values.firstIndex(where: { !$0.isFinite || $0 < 0 || $0 > 1 }) {
      throw InputFileError(
        file: inputs.relativePath, problem: "value \(bad) is \(values[bad]); the spiking encoder takes values in [0, 1]",
        fix: "rescale the samples to [0, 1]")
    }
    let features = values.count / shape[0]
    return LabelledSamples(inputs: values, labels: y.values.map { Int($0) }, featureCount: features, shape: Array(shape.dropFirst()))
  }

  /// Writes the trained network as a network directory that `compile`, `run` and
  /// `evaluate` read: `network.json` (real units, as the converters write), the weights
  /// and biases as float64 `.npy`, one sample image for `run`, and `training_log.json`.
  public static func write(
    _ result: TrainingResult, config: TrainingConfig, inputShape: [Int], sample: [Double], to directory: URL
  ) throws(OutputError) {
    try RunOutputWriter.replaceAtomically(directory) { staging in
      let network = result.network
      func save(_ values: [Double], _ shape: [Int], _ name: String) throws {
        try Data(NPYFile.encodeReals(values, shape: shape)).write(to: staging.appendingPathComponent(name))
      }
      try save(sample, [sample.count], "sample.npy")
      if !result.testPredictions.isEmpty {
        // The model's own scores, for `evaluate --reference-logits`: agreement with the chip.
        try save(result.testScores, [result.testPredictions.count, result.testScores.count / result.testPredictions.count], "test_logits.npy")
      }
      var layers: [String] = []
      var connections: [String] = []
      var previous = "input"
      var counts: [String: Int] = [:]
      func name(_ stem: String) -> String {
        counts[stem, default: 0] += 1
        return "\(stem)\(counts[stem] ?? 1)"
      }
      func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }
      for (l, layer) in network.layers.enumerated() {
        let readout = l == network.layers.count - 1
        switch layer.kind {
        case .avgpool2d:
          let stage = name("pool")
          layers.append("    {\"name\": \(jsonQuoted(stage)), \"kind\": \"avgpool2d\", \"input\": \(jsonQuoted(previous)), \"kernel\": \(list(layer.kernel)), \"stride\": \(list(layer.stride))}")
          previous = stage
          continue
        case .flatten:
          let stage = name("flatten")
          layers.append("    {\"name\": \(jsonQuoted(stage)), \"kind\": \"flatten\", \"input\": \(jsonQuoted(previous))}")
          previous = stage
          continue
        case .dense, .conv2d:
          break
        }
        let conv = layer.kind == .conv2d
        let layerName = readout ? "out" : name(conv ? "conv" : "dense")
        let weightShape = conv ? [layer.outputShape[0], layer.inputShape[0], layer.kernel[0], layer.kernel[1]] : [layer.outputs, layer.inputs]
        try save(layer.weights, weightShape, "\(layerName)_weights.npy")
        // Bias current s·b per neuron (a convolution's per-channel bias at every position),
        // so that J = s·(W·h + b).
        let perPosition = conv ? layer.outputShape[1] * layer.outputShape[2] : 1
        let bias = layer.bias.flatMap { repeatElement($0 * layer.scale, count: perPosition) }
        try save(bias, [layer.outputs], "\(layerName)_bias.npy")
        let tauS = readout ? 0 : config.tauS
        let model =
          !readout && network.lif != nil
          ? "\"model\": \"LoihiLIF\", \"tau_rc\": \(config.tauRC), \"tau_ref\": \(config.tauRef)" : "\"model\": \"LoihiSpikingRectifiedLinear\""
        let size = conv ? "\"shape\": \(list(layer.outputShape))" : "\"size\": \(layer.outputs)"
        layers.append(
          "    {\"name\": \(jsonQuoted(layerName)), \(size), \"neuron\": {\(model), \"gain\": \(layer.scale), \"bias\": \(jsonQuoted("\(layerName)_bias.npy")), \"amplitude\": \(1 / layer.scale), \"tau_s\": \(tauS)}}")
        let geometry = conv ? ", \"kind\": \"conv2d\"" : ""
        let placement = conv ? ", \"stride\": \(list(layer.stride)), \"padding\": \(list(layer.padding))" : ""
        connections.append(
          "    {\"from\": \(jsonQuoted(previous)), \"to\": \(jsonQuoted(layerName))\(geometry), \"weights\": \(jsonQuoted("\(layerName)_weights.npy"))\(placement)}")
        previous = layerName
      }
      let shape = "[" + inputShape.map(String.init).joined(separator: ", ") + "]"
      let json = """
        {
          "version": 2,
          "name": \(jsonQuoted(config.name)),
          "dt": \(config.dt),
          "inputs": [
            {"name": "input", "kind": "real", "shape": \(shape), "values": "sample.npy", "encoding": {"kind": "spiking", "rate": \(config.inputRate)}}
          ],
          "layers": [
        \(layers.joined(separator: ",\n"))
          ],
          "connections": [
        \(connections.joined(separator: ",\n"))
          ],
          "probes": [
            {"layer": "out", "kind": "spikes"}
          ]
        }

        """
      try Data(json.utf8).write(to: staging.appendingPathComponent("network.json"))
      try Data(log(result, config: config).utf8).write(to: staging.appendingPathComponent("training_log.json"))
    }
  }

  /// `training_log.json`: the configuration, the scales chosen and loss and accuracy per epoch.
  static func log(_ result: TrainingResult, config: TrainingConfig) -> String {
    let epochs = result.log.map {
      "    {\"epoch\": \($0.epoch), \"loss\": \($0.loss), \"train_accuracy\": \($0.trainAccuracy), \"test_accuracy\": \($0.testAccuracy.map { "\($0)" } ?? "null"), \"seconds\": \($0.seconds)}"
    }
    let scales = result.network.layers.filter(\.hasNeurons).map { "\($0.scale)" }.joined(separator: ", ")
    return """
      {
        "format": "neuromesh-training-log",
        "version": 1,
        "name": \(jsonQuoted(config.name)),
        "mode": \(jsonQuoted(config.mode.rawValue)),
        "epochs": \(config.epochs), "batch_size": \(config.batchSize), "learning_rate": \(config.learningRate), "seed": \(config.seed),
        "neuron": {"model": \(jsonQuoted(config.hiddenNeuron.rawValue))\(config.hiddenNeuron == .loihiLIF ? ", \"tau_rc\": \(config.tauRC), \"tau_ref\": \(config.tauRef)" : "")},
        "max_rate": \(config.maxRate), "tau_s": \(config.tauS), "dt": \(config.dt), "input_rate": \(config.inputRate), "quantization_aware": \(config.quantizationAware),
        "parameters": \(result.network.parameterCount),
        "scales": [\(scales)],
        "log": [
      \(epochs.joined(separator: ",\n"))
        ]
      }

      """
  }

  /// Writes a network trained in surrogate mode: `network.json` in the chip's integers (a
  /// spiking input encoder, integer layers), int16 `Wgt` `.npy` files, one sample for `run`,
  /// `training_log.json`, and `test_logits.npy` (the test samples' readout: spike counts or
  /// mean currents).
  public static func write(
    spiking network: SpikingNetwork, log records: [EpochRecord], testScores: [[Double]], config: TrainingConfig, sample: [Double], to directory: URL,
    testSet: LabelledSamples? = nil
  ) throws(OutputError) {
    try RunOutputWriter.replaceAtomically(directory) { staging in
      if let testSet {
        // Generated samples, for `evaluate --inputs test_inputs.npy --labels test_labels.npy`.
        try Data(NPYFile.encode(testSet.inputs.map { Int32($0) }, shape: [testSet.count] + testSet.shape, dtype: "|i1"))
          .write(to: staging.appendingPathComponent("test_inputs.npy"))
        try Data(NPYFile.encode(testSet.labels.map { Int32($0) }, shape: [testSet.count])).write(to: staging.appendingPathComponent("test_labels.npy"))
      }
      if !sample.isEmpty { try Data(NPYFile.encodeReals(sample, shape: [sample.count])).write(to: staging.appendingPathComponent("sample.npy")) }
      if let width = testScores.first?.count {
        try Data(NPYFile.encodeReals(testScores.flatMap { $0 }, shape: [testScores.count, width]))
          .write(to: staging.appendingPathComponent("test_logits.npy"))
      }
      let described = network.network(name: config.name, sample: sample)
      try Data(try spikingNetworkJSON(described, staging: staging).utf8).write(to: staging.appendingPathComponent("network.json"))
      let epochs = records.map {
        "    {\"epoch\": \($0.epoch), \"loss\": \($0.loss), \"train_accuracy\": \($0.trainAccuracy), \"test_accuracy\": \($0.testAccuracy.map { "\($0)" } ?? "null"), \"seconds\": \($0.seconds)}"
      }
      let s = config.spiking
      var timeConstantRecords: [String] = []
      func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }
      for layer in network.layers {
        if let initial = layer.initialDecayU {
          timeConstantRecords.append("\n    {\"layer\": \(jsonQuoted(layer.name)), \"field\": \"decay_u\", \"initial\": \(list(initial)), \"learned\": \(list(layer.decayU))}")
        }
        if let initial = layer.initialDecayV {
          timeConstantRecords.append("\n    {\"layer\": \(jsonQuoted(layer.name)), \"field\": \"decay_v\", \"initial\": \(list(initial)), \"learned\": \(list(layer.decayV))}")
        }
      }
      let log = """
        {
          "format": "neuromesh-training-log",
          "version": 1,
          "name": \(jsonQuoted(config.name)),
          "mode": \(jsonQuoted(config.mode.rawValue)),
          "epochs": \(config.epochs), "batch_size": \(config.batchSize), "learning_rate": \(config.learningRate), "seed": \(config.seed), "timesteps": \(config.timesteps),
          "surrogate": {"kind": \(jsonQuoted(s.surrogate.kind.rawValue)), "slope": \(s.surrogate.slope)}, "count_scale": \(s.countScale), "loss": \(jsonQuoted(s.readout.rawValue)), "weight_decay": \(s.weightDecay),
          "neuron": {"decay_u": \(s.decayU), "decay_v": \(s.decayV), "vth_mant": \(s.thresholdMantissa), "refract_delay": \(s.refractoryDelay)}, "weight_exp": \(s.weightExponent),
          "time_constants": [\(timeConstantRecords.joined(separator: ", "))],
          "log": [
        \(epochs.joined(separator: ",\n"))
          ]
        }

        """
      try Data(log.utf8).write(to: staging.appendingPathComponent("training_log.json"))
    }
  }

  /// `network.json` for an integer network from ``Training/SpikingNetwork/network(name:sample:)``,
  /// writing its weights (int16 `Wgt`) and per-neuron fields as `.npy` files into `staging`.
  static func spikingNetworkJSON(_ network: Network, staging: URL) throws -> String {
    func shapeText(_ shape: [Int]?) -> String { shape.map { "\"shape\": [\($0.map(String.init).joined(separator: ", "))]" } ?? "" }
    var inputs: [String] = []
    for input in network.realInputs {
      let shape = input.shape.map { shapeText($0) } ?? "\"size\": \(input.size)"
      inputs.append(
        "    {\"name\": \(jsonQuoted(input.name)), \"kind\": \"real\", \(shape), \"values\": \"sample.npy\", \"encoding\": {\"kind\": \"spiking\", \"rate\": \(input.rate ?? 1 / network.dt)}}")
    }
    for input in network.inputs {
      // No spikes of its own: `evaluate --inputs` gives them sample by sample.
      let empty = "[" + Array(repeating: "[]", count: input.size).joined(separator: ", ") + "]"
      inputs.append("    {\"name\": \(jsonQuoted(input.name)), \"kind\": \"spike_train\", \"size\": \(input.size), \"spike_times\": \(empty)}")
    }
    var layers: [String] = []
    for layer in network.layers {
      let p = layer.neuron
      func field(_ key: String, _ value: Int, _ perNeuron: [Int]?) throws -> String {
        guard let perNeuron else { return "\"\(key)\": \(value)" }
        let file = "\(layer.name)_\(key).npy"
        try Data(NPYFile.encode(perNeuron.map { Int32($0) }, shape: [perNeuron.count], dtype: "<i2")).write(to: staging.appendingPathComponent(file))
        return "\"\(key)\": \(jsonQuoted(file))"
      }
      let fields = [
        "\"model\": \(jsonQuoted(p.model.rawValue))", try field("decay_u", p.decayU, p.decayUPerNeuron), try field("decay_v", p.decayV, p.decayVPerNeuron),
        "\"vth_mant\": \(p.thresholdMantissa)", "\"refract_delay\": \(p.refractoryDelay)",
        try field("bias_mant", p.biasMantissa.first ?? 0, p.biasMantissa.count > 1 ? p.biasMantissa : nil), "\"bias_exp\": \(p.biasExponent)",
      ] + (p.vmin != 0 ? ["\"vmin\": \(p.vmin)"] : []) + (p.vmax != NeuronParameters.defaultVmax ? ["\"vmax\": \(p.vmax)"] : [])
      let size = layer.shape.map { shapeText($0) } ?? "\"size\": \(layer.size)"
      layers.append("    {\"name\": \(jsonQuoted(layer.name)), \(size), \"neuron\": {\(fields.joined(separator: ", "))}}")
    }
    var connections: [String] = []
    for c in network.connections {
      let file = "\(c.to)_weights.npy"
      if let conv = c.conv {
        try Data(NPYFile.encode(c.weights.values, shape: conv.kernelShape, dtype: "<i2")).write(to: staging.appendingPathComponent(file))
        connections.append(
          "    {\"from\": \(jsonQuoted(c.from)), \"to\": \(jsonQuoted(c.to)), \"kind\": \"conv2d\", \"weights\": \(jsonQuoted(file)), \"weight_exp\": \(c.weightExponent), \"stride\": [\(conv.stride[0]), \(conv.stride[1])], \"padding\": [\(conv.padding[0]), \(conv.padding[1])]}")
      } else {
        try Data(NPYFile.encode(c.weights.values, shape: [c.weights.rows, c.weights.columns], dtype: "<i2")).write(to: staging.appendingPathComponent(file))
        connections.append("    {\"from\": \(jsonQuoted(c.from)), \"to\": \(jsonQuoted(c.to)), \"weights\": \(jsonQuoted(file)), \"weight_exp\": \(c.weightExponent)}")
      }
    }
    let probes = network.probes.map { "    {\"name\": \(jsonQuoted($0.name)), \"layer\": \(jsonQuoted($0.layer)), \"kind\": \"spikes\"}" }
    return """
      {
        "version": 2,
        "name": \(jsonQuoted(network.name)),
        "dt": \(network.dt),
        "inputs": [
      \(inputs.joined(separator: ",\n"))
        ],
        "layers": [
      \(layers.joined(separator: ",\n"))
        ],
        "connections": [
      \(connections.joined(separator: ",\n"))
        ],
        "probes": [
      \(probes.joined(separator: ",\n"))
        ]
      }

      """
  }

  /// A `training_log.json` read back: the name, mode, surrogate (surrogate mode) and epochs.
  public struct Log: Sendable, Equatable {
    public var name: String
    public var mode: String
    public var surrogate: String?
    public var epochs: [EpochRecord]
    /// Trained time constants: per layer and field (`decay_u`, `decay_v`), the decays
    /// training started from and those it learned.
    public var timeConstants: [(layer: String, field: String, initial: [Int], learned: [Int])] = []

    public static func == (a: Log, b: Log) -> Bool {
      a.name == b.name && a.mode == b.mode && a.surrogate == b.surrogate && a.epochs == b.epochs
        && a.timeConstants.map { "\($0)" } == b.timeConstants.map { "\($0)" }
    }
  }

  /// Reads the `training_log.json` in `directory` (a folder `neuromesh train` wrote).
  ///
  /// - Throws: ``InputFileError`` naming the file when it is missing or damaged.
  public static func readLog(in directory: URL) throws(InputFileError) -> Log {
    let url = directory.appendingPathComponent("training_log.json")
    let display = url.relativePath
    func bad(_ what: String) -> InputFileError {
      InputFileError(file: display, problem: what, fix: "give a folder 'neuromesh train' wrote, or train again")
    }
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw InputFileError(file: directory.relativePath, problem: "holds no training_log.json", fix: "give a folder 'neuromesh train -o DIR' wrote")
    }
    guard case .object(let top, _) = try readJSONDocument(url, kind: "the training log"), case .string("neuromesh-training-log")? = top["format"] else {
      throw bad("is not a training log (format \"neuromesh-training-log\")")
    }
    guard case .array(let items)? = top["log"] else { throw bad("has no 'log' list") }
    func number(_ o: [String: JSONValue], _ key: String) -> Double? {
      if case .number(let n)? = o[key], n.double.isFinite { return n.double }
      return nil
    }
    var epochs: [EpochRecord] = []
    for (i, item) in items.enumerated() {
      guard case .object(let o, _) = item, let epoch = number(o, "epoch"), let loss = number(o, "loss"), let train = number(o, "train_accuracy") else {
        throw bad("log entry \(i) lacks epoch, loss or train_accuracy")
      }
      epochs.append(EpochRecord(epoch: Int(epoch), loss: loss, trainAccuracy: train, testAccuracy: number(o, "test_accuracy"), seconds: number(o, "seconds") ?? 0))
    }
    var surrogate: String? = nil
    if case .object(let sg, _)? = top["surrogate"], case .string(let kind)? = sg["kind"] { surrogate = kind }
    let name: String = { if case .string(let n)? = top["name"] { n } else { directory.lastPathComponent } }()
    let mode: String = { if case .string(let m)? = top["mode"] { m } else { "" } }()
    var log = Log(name: name, mode: mode, surrogate: surrogate, epochs: epochs)
    if case .array(let records)? = top["time_constants"] {
      for (i, record) in records.enumerated() {
        func decays(_ value: JSONValue?) -> [Int]? {
          guard case .array(let items)? = value else { return nil }
          var out: [Int] = []
          for item in items {
            guard case .number(let n) = item, n.double == n.double.rounded(), (0...4095).contains(n.double) else { return nil }
            out.append(Int(n.double))
          }
          return out
        }
        guard case .object(let o, _) = record, case .string(let layer)? = o["layer"], case .string(let field)? = o["field"],
          let initial = decays(o["initial"]), let learned = decays(o["learned"]), initial.count == learned.count
        else { throw bad("time_constants entry \(i) lacks layer, field, or initial and learned decays of one length") }
        log.timeConstants.append((layer, field, initial, learned))
      }
    }
    return log
  }
}
