import CoreMapModel
import Dispatch
import Emulator
import Energy
import HardwareSpec
import Mapper
import NetworkModel

/// How samples follow one another on the chip.
public enum Presentation: String, Sendable, Equatable, CaseIterable {
  /// Every sample starts from a zero state, like a freshly started chip.
  case fresh
  /// Samples run back to back on one chip, state carried over (as NengoLoihi's
  /// `PresentInput` does), optionally with blank steps of zero input in between.
  case continuous
}

/// What is read from the output layer over a sample's readout window.
public enum Readout: String, Sendable, Equatable, CaseIterable {
  /// Output spike counts.
  case spikes
  /// The mean input current J = u + bias, in the layer's real units (integer units for an
  /// integer layer): a non-spiking readout, the way NengoDL users read logits.
  case current
  /// The mean voltage v, in the layer's real units (integer units for an integer layer).
  case voltage
}

/// How to present a data set.
public struct EvaluationOptions: Sendable, Equatable {
  /// Steps each sample is shown for (≥ 1).
  public var stepsPerSample: Int
  /// Fresh state per sample, or back to back.
  public var presentation: Presentation
  /// Steps of zero input between samples (continuous presentation only).
  public var blankSteps: Int
  /// Steps at the start of each sample left out of the readout (< `stepsPerSample`).
  public var skipSteps: Int
  /// What is read from the output layer.
  public var readout: Readout
  /// The layer read; `nil` picks the one layer nothing reads from.
  public var readoutLayer: String?
  /// Worker threads (default: every active processor).
  public var threads: Int?
  /// Chips emulated side by side in a fresh presentation (copies of the core map).
  public var batchSize: Int

  /// Creates options.
  public init(
    stepsPerSample: Int, presentation: Presentation = .fresh, blankSteps: Int = 0, skipSteps: Int = 0,
    readout: Readout = .spikes, readoutLayer: String? = nil, threads: Int? = nil, batchSize: Int = 64
  ) {
    self.stepsPerSample = stepsPerSample
    self.presentation = presentation
    self.blankSteps = blankSteps
    self.skipSteps = skipSteps
    self.readout = readout
    self.readoutLayer = readoutLayer
    self.threads = threads
    self.batchSize = batchSize
  }

  /// What is wrong with the options, if anything.
  public var problem: String? {
    if stepsPerSample < 1 { return "--steps-per-sample must be at least 1, got \(stepsPerSample)" }
    if stepsPerSample > 1 << 24 { return "--steps-per-sample must be at most \(1 << 24), got \(stepsPerSample)" }
    if skipSteps < 0 || skipSteps >= stepsPerSample {
      return "--skip must be in 0 ..< \(stepsPerSample) (the steps per sample), got \(skipSteps)"
    }
    if blankSteps < 0 || blankSteps > 1 << 24 { return "--blank must be in 0 ... \(1 << 24), got \(blankSteps)" }
    if blankSteps > 0 && presentation == .fresh {
      return "--blank only applies to --presentation continuous (a fresh presentation starts every sample from zero)"
    }
    if let threads, threads < 1 || threads > 1024 { return "--threads must be in 1 ... 1024, got \(threads)" }
    if batchSize < 1 || batchSize > 1 << 16 { return "the batch size must be in 1 ... 65536, got \(batchSize)" }
    return nil
  }
}

/// A network that cannot be evaluated as asked, with what to do.
public struct EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong and how to fix it.
  public var message: String
  /// Creates the error.
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// Input values the encoder had to clip.
public struct ClippedValues: Sendable, Equatable {
  /// The input.
  public var input: String
  /// Values outside the encoder's range.
  public var count: Int
  /// All values of the input.
  public var total: Int
  /// The smallest and largest value seen.
  public var minimum: Double
  public var maximum: Double
  /// The range the encoding carries.
  public var range: ClosedRange<Double>

  /// Creates the record.
  public init(input: String, count: Int, total: Int, minimum: Double, maximum: Double, range: ClosedRange<Double>) {
    self.input = input
    self.count = count
    self.total = total
    self.minimum = minimum
    self.maximum = maximum
    self.range = range
  }
}

/// Everything an evaluation measured.
public struct EvaluationResult: Sendable {
  /// The layer read and what was read.
  public var readoutLayer: String
  public var readout: Readout
  /// Neurons of the readout layer (classes).
  public var outputs: Int
  /// Samples presented.
  public var samples: Int
  /// Readout values, `samples × outputs`: spike counts, or mean current/voltage in real
  /// units (integer units for an integer layer).
  public var values: [Double]
  /// Integer probe units per real unit of the readout (nil for spike counts; 1 for an
  /// integer layer).
  public var unitsPerReal: Double?
  /// Whether the readout layer is described in real units.
  public var readoutIsReal: Bool
  /// Predicted class of each sample: the first neuron with the largest readout.
  public var predictions: [Int]
  /// Samples whose largest readout is shared by several neurons.
  public var ties: Int
  /// Of those, the ones where the label is among the tied neurons (labels given).
  public var tiesIncludingLabel: Int?
  /// Correct predictions (labels given).
  public var correct: Int?
  /// `confusion[label][predicted]` (labels given).
  public var confusion: [[Int]]?
  /// Samples whose prediction equals the reference model's (reference given).
  public var agreeing: Int?
  /// Values the encoders clipped, per input that had any.
  public var clipped: [ClippedValues]
  /// Seconds spent presenting the samples (compilation excluded).
  public var seconds: Double
  /// The options used.
  public var options: EvaluationOptions
  /// The mapping report of the compiled network (cores, quantization).
  public var mapping: MappingReport
  /// The board the network ran on and the cores it used.
  public var boardName: String
  public var coresUsed: Int
  /// Energy and chip time of the whole evaluation (every sample's steps; blanks included),
  /// when the chip spec has energy figures; per inference is this divided by ``samples``.
  public var energy: EnergyReport?

  /// Correct predictions as a fraction of samples.
  public var accuracy: Double? { correct.map { Double($0) / Double(max(samples, 1)) } }
  /// Agreement with the reference as a fraction of samples.
  public var agreement: Double? { agreeing.map { Double($0) / Double(max(samples, 1)) } }
  /// Samples per second of wall time.
  public var samplesPerSecond: Double { seconds > 0 ? Double(samples) / seconds : 0 }
}

/// Presents a data set to a network on the emulated chip and reads a class from its output
/// layer for every sample: the network is compiled once; a fresh presentation runs many
/// copies of the core map side by side (``Emulator/BatchEmulator``), a continuous one runs
/// the samples back to back on one chip.
public enum Evaluator {
  /// The layers nothing reads from: candidates for the readout.
  public static func sinkLayers(of network: Network) -> [String] {
    var read = Set(network.connections.map(\.from))
    for layer in network.layers { if let input = layer.input { read.insert(input) } }
    return network.layers.filter { $0.kind.hasNeurons && !read.contains($0.name) }.map(\.name)
  }

  /// Evaluates `network` on `data`.
  ///
  /// - Parameters:
  ///   - referenceLogits: the source model's outputs, `samples × outputs`, for agreement.
  ///   - progress: called with (samples done, total) after each batch or sample.
  /// - Throws: ``EvaluationError`` (options, readout, shapes), or the compiler's
  ///   ``Mapper/MappingError``.
  public static func evaluate(
    network described: Network, board: BoardSpec, data: Dataset, options: EvaluationOptions,
    referenceLogits: [Double]? = nil, progress: ((Int, Int) -> Void)? = nil
  ) throws -> EvaluationResult {
    if let problem = options.problem { throw EvaluationError(problem) }
    // The readout layer.
    let layerName: String
    if let wanted = options.readoutLayer {
      guard let layer = described.layers.first(where: { $0.name == wanted }), layer.kind.hasNeurons else {
        throw EvaluationError(
          "--readout-layer '\(wanted)' is not a neuron layer of the network (layers: \(described.layers.filter { $0.kind.hasNeurons }.map(\.name).joined(separator: ", ")))")
      }
      layerName = wanted
    } else {
      let sinks = sinkLayers(of: described)
      guard sinks.count == 1 else {
        throw EvaluationError(
          sinks.isEmpty
            ? "every layer feeds another, so there is no output layer to read; name one with --readout-layer"
            : "the network has \(sinks.count) output layers (\(sinks.joined(separator: ", "))); choose one with --readout-layer")
      }
      layerName = sinks[0]
    }
    guard let readLayer = described.layers.first(where: { $0.name == layerName }) else {
      throw EvaluationError("no layer '\(layerName)'")
    }
    let outputs = readLayer.size
    if let labels = data.labels, let bad = labels.firstIndex(where: { $0 >= outputs }) {
      throw EvaluationError("label \(bad) is \(labels[bad]), but the readout layer '\(layerName)' has \(outputs) neurons (classes 0 ..< \(outputs))")
    }
    if let referenceLogits, referenceLogits.count != data.count * outputs {
      throw EvaluationError(
        "the reference logits hold \(referenceLogits.count) values; \(data.count) samples × \(outputs) outputs of '\(layerName)' need \(data.count * outputs)")
    }
    for input in described.realInputs {
      guard let values = data.inputs[input.name], values.count == data.count * input.size else {
        throw EvaluationError("the data set has no \(data.count) × \(input.size) values for input '\(input.name)'")
      }
    }
    for (name, values) in data.spikeTrains {
      guard let input = described.inputs.first(where: { $0.name == name }), values.count == data.count * data.spikeTrainSteps * input.size else {
        throw EvaluationError("the data set's spike trains for '\(name)' do not fit a spike-train input of the network")
      }
    }

    // Compile once, probing only the readout.
    var network = described
    let probeKind: ProbeKind = options.readout == .spikes ? .spikes : options.readout == .current ? .current : .voltage
    network.probes = [Probe(name: "readout", layer: layerName, kind: probeKind)]
    let (map, mapping) = try NetworkCompiler(board: board).compile(network)
    let quantization = mapping.quantization.first { $0.layer == layerName }
    let unitsPerReal: Double? =
      switch options.readout {
      case .spikes: nil
      case .current: quantization?.currentUnitsPerReal ?? 1
      case .voltage: quantization?.voltageUnitsPerReal ?? 1
      }
    guard let placement = map.layers.first(where: { $0.name == layerName }) else {
      throw EvaluationError("the compiled map has no layer '\(layerName)'")
    }
    // The bias each readout neuron adds to its current, in the same integer units.
    let bias: [Double] = (0..<outputs).map { n in
      options.readout == .current
        ? Double(map.cores[Int(placement.neuronCore[n])].bias[Int(placement.neuronCompartment[n])]) : 0
    }

    // The encoders: per real input, its host input in the map and its encoding.
    struct Feed {
      var hostInput: Int
      var input: RealInput
      var rate: Double
      var values: [Double]
    }
    var feeds: [Feed] = []
    var clipped: [ClippedValues] = []
    for input in described.realInputs {
      guard let host = map.inputs.firstIndex(where: { $0.name == input.name }) else { continue }
      let values = data.inputs[input.name] ?? []
      feeds.append(Feed(hostInput: host, input: input, rate: HostEncoding.rate(of: input, dt: described.dt), values: values))
      let range = HostEncoding.outOfRange(values: values, encoding: input.encoding)
      if range.count > 0 {
        clipped.append(
          ClippedValues(
            input: input.name, count: range.count, total: values.count, minimum: range.min, maximum: range.max,
            range: HostEncoding.range(input.encoding)))
      }
    }
    // Spike trains given per sample: the host input and its rows.
    let trains: [(hostInput: Int, values: [UInt8], size: Int)] = data.spikeTrains.compactMap { name, values in
      guard let host = map.inputs.firstIndex(where: { $0.name == name }) else { return nil }
      return (host, values, map.inputs[host].size)
    }.sorted { $0.hostInput < $1.hostInput }
    let trainSteps = data.spikeTrainSteps
    func giveSpikes(_ chip: ChipEmulator, sample: Int) {
      for train in trains {
        let rows = train.size * trainSteps
        chip.setInputSpikes(input: train.hostInput, raster: train.values[(sample * rows)..<((sample + 1) * rows)], steps: trainSteps)
      }
    }
    func increments(_ feed: Feed, sample: Int) -> [Int32] {
      let size = feed.input.size
      return HostEncoding.increments(
        values: feed.values[sample * size..<(sample + 1) * size], encoding: feed.input.encoding, rate: feed.rate, dt: described.dt)
    }

    let steps = options.stepsPerSample
    var values = [Double](repeating: 0, count: data.count * outputs)
    /// The readout of one sample from a recording of its `steps` steps.
    func read(_ recording: ProbeRecording, sample: Int) {
      let window = Double(steps - options.skipSteps)
      for n in 0..<outputs {
        var sum: Int64 = 0
        for t in (options.skipSteps + 1)...steps { sum += Int64(recording.value(step: t, column: n)) }
        let total = Double(sum)
        values[sample * outputs + n] =
          switch options.readout {
          case .spikes: total
          case .current: (total / window + bias[n]) / (quantization?.currentUnitsPerRealPerNeuron?[n] ?? unitsPerReal ?? 1)
          case .voltage: total / window / (unitsPerReal ?? 1)
          }
      }
    }

    // Work and chip time, summed over every copy and batch, for the energy estimate.
    let timing = map.board.chip.energy.map(EnergyModel.timingWeights)
    var activity = [CoreActivity](repeating: CoreActivity(), count: map.cores.count)
    var stepTiming = StepTimingTotals()
    var hostMessages: Int64 = 0
    var stepsRun = 0
    func account(_ chip: ChipEmulator) {
      for (i, a) in chip.activity.enumerated() { activity[i] = activity[i] + a }
      stepTiming = stepTiming + chip.stepTiming
      hostMessages += chip.hostSpikeMessages
      stepsRun += chip.time
    }

    let start = DispatchTime.now().uptimeNanoseconds
    switch options.presentation {
    case .fresh:
      // Each copy's own state: about 16 bytes per compartment and 4 per route into a core.
      // Keep the batch within 512 MB of state, so a large network runs with fewer copies.
      let perCopy = map.cores.reduce(0) { $0 + 16 * $1.compartmentCount + 4 * $1.routes.count }
        + map.inputs.reduce(0) { $0 + 4 * $1.routes.count + 4 * $1.size }
      let copies = max(1, min(options.batchSize, max(data.count, 1), (512 << 20) / max(perCopy, 1)))
      let batch = try BatchEmulator(coreMap: map, copies: copies, threads: options.threads, timing: timing)
      var done = 0
      while done < data.count {
        let active = min(copies, data.count - done)
        for k in 0..<active {
          let copy = batch.copy(k)
          copy.reset()
          for feed in feeds { copy.setEncoderIncrements(input: feed.hostInput, increments: increments(feed, sample: done + k)) }
          giveSpikes(copy, sample: done + k)
        }
        batch.run(steps: steps, active: active)
        for k in 0..<active {
          read(batch.copy(k).probeRecordings[0], sample: done + k)
          account(batch.copy(k))
        }
        done += active
        progress?(done, data.count)
      }
    case .continuous:
      let chip = try ChipEmulator(coreMap: map, options: EmulatorOptions(threads: options.threads, recordsSpikeLogs: false, timing: timing))
      let zeros = feeds.map { feed in
        HostEncoding.increments(
          values: repeatElement(0.0, count: feed.input.size), encoding: feed.input.encoding, rate: feed.rate, dt: described.dt)
      }
      for sample in 0..<data.count {
        for feed in feeds { chip.setEncoderIncrements(input: feed.hostInput, increments: increments(feed, sample: sample)) }
        giveSpikes(chip, sample: sample)
        chip.run(steps: steps)
        read(chip.probeRecordings[0], sample: sample)
        chip.clearProbeRecordings()
        if options.blankSteps > 0 {
          for (f, feed) in feeds.enumerated() { chip.setEncoderIncrements(input: feed.hostInput, increments: zeros[f]) }
          chip.run(steps: options.blankSteps)
          chip.clearProbeRecordings()
        }
        if sample % 64 == 63 || sample == data.count - 1 { progress?(sample + 1, data.count) }
      }
      account(chip)
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

    // Classes, ties, accuracy, confusion, agreement.
    var predictions: [Int] = []
    predictions.reserveCapacity(data.count)
    var ties = 0
    var tiesWithLabel = 0
    var correct = 0
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: outputs), count: outputs)
    var agreeing = 0
    for s in 0..<data.count {
      let row = values[s * outputs..<(s + 1) * outputs]
      let best = argmax(row)
      predictions.append(best)
      let top = row[s * outputs + best]
      let tied = row.indices.filter { row[$0] == top }.map { $0 - s * outputs }
      if tied.count > 1 { ties += 1 }
      if let labels = data.labels {
        let label = labels[s]
        if best == label { correct += 1 }
        if tied.count > 1 && tied.contains(label) { tiesWithLabel += 1 }
        confusion[label][best] += 1
      }
      if let referenceLogits, argmax(referenceLogits[s * outputs..<(s + 1) * outputs]) == best { agreeing += 1 }
    }
    return EvaluationResult(
      readoutLayer: layerName, readout: options.readout, outputs: outputs, samples: data.count, values: values,
      unitsPerReal: unitsPerReal, readoutIsReal: quantization != nil, predictions: predictions, ties: ties,
      tiesIncludingLabel: data.labels == nil ? nil : tiesWithLabel, correct: data.labels == nil ? nil : correct,
      confusion: data.labels == nil ? nil : confusion, agreeing: referenceLogits == nil ? nil : agreeing, clipped: clipped,
      seconds: seconds, options: options, mapping: mapping, boardName: map.board.name, coresUsed: map.cores.count,
      energy: EnergyModel.estimate(
        map: map, activity: activity, hostMessages: hostMessages, timing: stepTiming, steps: stepsRun, dt: described.dt))
  }

  /// The position (from 0) of the first largest value of `row`.
  static func argmax(_ row: ArraySlice<Double>) -> Int {
    var best = row.startIndex
    for i in row.indices where row[i] > row[best] { best = i }
    return best - row.startIndex
  }
}
