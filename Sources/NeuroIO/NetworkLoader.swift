import Foundation
import NetworkModel

/// Reads a network description (`network.json` and the files it names) into a validated
/// ``Network``.
public enum NetworkLoader {
  /// Loads and validates the network at `url`.
  ///
  /// - Throws: ``InputFileError`` naming the file (the JSON or a data file it references),
  ///   the JSON path, what is wrong and how to fix it. Validation problems are all reported.
  public static func load(from url: URL) throws(InputFileError) -> Network {
    let displayPath = url.relativePath
    let root = try readJSONDocument(url, kind: "the network file")
    let directory = url.deletingLastPathComponent()
    var decoder = NetworkDecoder(directory: directory, networkFile: displayPath)
    let network: Network
    do {
      network = try decoder.decode(root)
    } catch let error as InputFileError {
      throw error
    } catch {
      throw InputFileError(file: displayPath, problem: "\(error)")
    }
    let issues = network.validate().map(decoder.locatedInFile) + OutputNames.probeIssues(network.probes.map(\.name))
    if !issues.isEmpty { throw InputFileError(file: displayPath, issues: issues) }
    return network
  }
}

/// Turns the parsed JSON of a network file into a ``Network``, reading referenced files.
struct NetworkDecoder {
  let directory: URL
  let networkFile: String
  /// The file's format version, known once the top level is read.
  var version = Network.currentVersion
  /// Where each input is in the file's `inputs` array: validation numbers spike inputs
  /// among themselves (`inputs[i]`) and names real ones (`inputs['x']`); a file may mix them.
  var spikeInputFileIndex: [Int] = []
  var realInputFileIndex: [String: Int] = [:]

  /// `issue` with its input path rewritten to the input's place in the file.
  func locatedInFile(_ issue: NetworkIssue) -> NetworkIssue {
    var issue = issue
    guard issue.path.hasPrefix("inputs["), let close = issue.path.firstIndex(of: "]") else { return issue }
    let inside = issue.path[issue.path.index(issue.path.startIndex, offsetBy: 7)..<close]
    let fileIndex: Int?
    if let k = Int(inside) {
      fileIndex = spikeInputFileIndex.indices.contains(k) ? spikeInputFileIndex[k] : nil
    } else {
      fileIndex = realInputFileIndex[String(inside.dropFirst().dropLast())]
    }
    if let fileIndex { issue.path = "inputs[\(fileIndex)]" + issue.path[issue.path.index(after: close)...] }
    return issue
  }

  private func inNetworkFile(_ issue: NetworkIssue) -> InputFileError {
    InputFileError(file: networkFile, issues: [issue])
  }

  mutating func decode(_ root: JSONValue) throws -> Network {
    do {
      let top = try JSONCursor(value: root, path: "").object(
        allowedKeys: ["version", "name", "dt", "inputs", "layers", "connections", "probes"])
      let version = try top.required(
        "version", fix: "add \"version\": \(Network.currentVersion) at the top level"
      ).int()
      if version > Network.currentVersion || version < 1 {
        throw NetworkIssue(
          path: "version", problem: "version \(version) is not supported",
          fix: "this Neuromesh reads versions 1...\(Network.currentVersion); upgrade Neuromesh or write version \(Network.currentVersion)")
      }
      self.version = version
      let name = try top.optional("name")?.string() ?? ""
      let dt = try top.optional("dt")?.real() ?? 0.001
      var inputs: [SpikeInput] = []
      var realInputs: [RealInput] = []
      for (k, c) in (try top.optional("inputs")?.array() ?? []).enumerated() {
        if case .object(let fields, _) = c.value, case .string("real")? = fields["kind"] {
          realInputs.append(try decodeRealInput(c))
          realInputFileIndex[realInputs[realInputs.count - 1].name] = k
        } else {
          inputs.append(try decodeInput(c))
          spikeInputFileIndex.append(k)
        }
      }
      let layers = try top.required("layers", fix: "add a \"layers\" array").array().map { c throws in
        try decodeLayer(c)
      }
      // Weights into real layers are read as real numbers (and into stages too, so that a
      // connection wrongly aimed at a stage is reported as such by validation).
      let realLayers = Set(layers.filter { $0.real != nil || !$0.kind.hasNeurons }.map(\.name))
      let connections = try (top.optional("connections")?.array() ?? []).map { c throws in
        try decodeConnection(c, realLayers: realLayers)
      }
      let probes = try (top.optional("probes")?.array() ?? []).map { c throws in try decodeProbe(c) }
      var network = Network(
        version: version, name: name, dt: dt, inputs: inputs, layers: layers, connections: connections,
        probes: probes)
      network.realInputs = realInputs
      return network
    } catch let issue as NetworkIssue {
      throw inNetworkFile(issue)
    }
  }

  private func decodeInput(_ c: JSONCursor) throws -> SpikeInput {
    let o = try c.object(allowedKeys: ["name", "kind", "size", "shape", "spike_times", "spike_file"])
    let name = try o.required("name").string()
    let kindCursor = try o.required("kind", fix: "add \"kind\": \"spike_train\"")
    let kind = try kindCursor.string()
    guard kind == "spike_train" else {
      throw kindCursor.fail("unknown input kind '\(kind)'", fix: "use \"spike_train\" or (version 2) \"real\"")
    }
    let (size, shape) = try sizeAndShape(o)
    let times = o.optional("spike_times")
    let file = o.optional("spike_file")
    switch (times, file) {
    case (nil, nil):
      throw NetworkIssue(
        path: c.path, problem: "gives neither 'spike_times' nor 'spike_file'",
        fix: "add \"spike_times\": one array of steps per source, or \"spike_file\": a CSV path")
    case (.some, .some):
      throw NetworkIssue(
        path: c.path, problem: "gives both 'spike_times' and 'spike_file'", fix: "keep one of them")
    case (let times?, nil):
      let rows = try times.array()
      guard rows.count == size else {
        throw times.fail(
          "has \(rows.count) rows but the input has \(size) sources",
          fix: "give one array of spike steps per source (use [] for a silent source)")
      }
      var perSource: [[Int]] = []
      for row in rows {
        let steps = try row.intArray()
        if let k = steps.firstIndex(where: { Int32(exactly: $0) == nil }) {
          throw NetworkIssue(
            path: "\(row.path)[\(k)]", problem: "step \(steps[k]) is outside the steps a run can reach (1...\(Int32.max))",
            fix: "number steps from 1 (a spike at step t reaches its targets at step t+1), up to \(Int32.max)")
        }
        perSource.append(steps)
      }
      var input = SpikeInput(name: name, size: size, spikes: SpikeTrain(perSource: perSource))
      input.shape = shape
      return input
    case (nil, let file?):
      let path = try file.string()
      let train = try SpikeCSV.read(at: resolve(path), displayPath: displayPath(path), sources: size)
      var input = SpikeInput(name: name, size: size, spikes: train)
      input.shape = shape
      return input
    }
  }

  /// A real-valued input: values (one row, or one row per step) and their encoding.
  private func decodeRealInput(_ c: JSONCursor) throws -> RealInput {
    let o = try c.object(allowedKeys: ["name", "kind", "size", "shape", "values", "encoding"])
    let name = try o.required("name").string()
    let (size, shape) = try sizeAndShape(o)
    let v = try o.required("values", fix: "add \"values\": \(size) numbers, [steps][\(size)] numbers, or a .npy path")
    var values: [Double]
    var rows = 1
    switch v.value {
    case .string(let path):
      let array = try NPYFile.readReals(at: resolve(path), displayPath: displayPath(path))
      values = array.values
      if array.shape.count == 2 { rows = array.shape[0] } else if array.shape.count != 1 {
        throw InputFileError(file: displayPath(path), problem: "values have shape \(array.shape)", fix: "save [size] or [steps, size] values")
      }
    case .array(let items):
      if case .array? = items.first {
        let table = try v.array().map { try $0.array().map { try $0.real() } }
        rows = table.count
        values = table.flatMap { $0 }
      } else {
        values = try v.array().map { try $0.real() }
      }
    default:
      throw v.fail("expected numbers, rows of numbers or a .npy path but found \(v.value.typeName)")
    }
    if values.count != rows * size {
      throw v.fail("holds \(values.count) values but the input has \(size) (per row)", fix: "give \(size) values per row")
    }
    var encoding = ValueEncoding.onOff
    var rate: Double? = nil
    if let e = o.optional("encoding") {
      let eo = try e.object(allowedKeys: ["kind", "rate"])
      let kindCursor = try eo.required("kind")
      let text = try kindCursor.string()
      guard let parsed = ValueEncoding(rawValue: text) else {
        throw kindCursor.fail("unknown encoding '\(text)'", fix: "use \"on_off\" or \"spiking\"")
      }
      encoding = parsed
      rate = try eo.optional("rate")?.real()
    }
    return RealInput(name: name, size: size, shape: shape, values: values, rows: rows, encoding: encoding, rate: rate)
  }

  private func decodeLayer(_ c: JSONCursor) throws -> Layer {
    let o = try c.object(allowedKeys: ["name", "kind", "size", "shape", "neuron", "input", "kernel", "stride"])
    let name = try o.required("name").string()
    var kind = LayerKind.neurons
    if let k = o.optional("kind") {
      let text = try k.string()
      guard let parsed = LayerKind(rawValue: text) else {
        throw k.fail(
          "unknown layer kind '\(text)'", fix: "use one of: " + LayerKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
      }
      kind = parsed
    }
    if !kind.hasNeurons {
      for key in ["size", "shape", "neuron"] where o.fields[key] != nil {
        throw NetworkIssue(
          path: "\(c.path).\(key)", problem: "a \(kind.rawValue) layer has no neurons of its own; its shape follows from its input",
          fix: "remove \"\(key)\"")
      }
      var layer = Layer(name: name, size: 0, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 1))
      layer.kind = kind
      layer.input = try o.required("input", fix: "add \"input\": the layer or input this stage reads").string()
      if kind != .flatten {
        let kernel = try pair(o.required("kernel", fix: "add \"kernel\": [height, width]"))
        layer.poolKernel = kernel
        layer.poolStride = try o.optional("stride").map { try pair($0) } ?? kernel
      } else if o.fields["kernel"] != nil || o.fields["stride"] != nil {
        throw NetworkIssue(path: c.path, problem: "flatten takes no kernel or stride", fix: "remove them")
      }
      return layer
    }
    for key in ["input", "kernel", "stride"] where o.fields[key] != nil {
      throw NetworkIssue(
        path: "\(c.path).\(key)", problem: "'\(key)' belongs to pooling and flatten layers, not to a neuron layer",
        fix: "remove it, or set \"kind\" to the stage you mean")
    }
    let (size, shape) = try sizeAndShape(o)
    var layer = try decodeLayerNeurons(try o.required("neuron"), name: name, size: size)
    layer.shape = shape
    return layer
  }

  /// `size`, `shape`, or both (which must agree).
  private func sizeAndShape(_ o: ObjectCursor) throws -> (Int, [Int]?) {
    let shape = try o.optional("shape").map { try $0.intArray() }
    if let shape, shape.isEmpty || shape.contains(where: { $0 < 1 }) {
      throw NetworkIssue(path: "\(o.path).shape", problem: "shape \(shape) is not a list of positive sizes", fix: "e.g. [channels, height, width]")
    }
    if let shape, shapeSize(shape) > 1 << 24 {
      throw NetworkIssue(
        path: "\(o.path).shape", problem: "shape \(shape) holds more than 16777216 (2^24) neurons, the largest population Neuromesh accepts",
        fix: "split it into several inputs or layers")
    }
    guard let sizeCursor = o.optional("size") else {
      guard let shape else { throw NetworkIssue(path: o.path, problem: "missing required key 'size'", fix: "add \"size\" (or \"shape\")") }
      return (shapeSize(shape), shape)
    }
    let size = try sizeCursor.int()
    guard size >= 1 else { throw sizeCursor.fail("size \(size) is not positive", fix: "use a size ≥ 1") }
    if let shape, shapeSize(shape) != size {
      throw NetworkIssue(
        path: "\(o.path).shape", problem: "shape \(shape) holds \(shapeSize(shape)) neurons but size is \(size)",
        fix: "make them agree, or give only one of them")
    }
    return (size, shape)
  }

  private func pair(_ c: JSONCursor) throws -> [Int] {
    if case .number = c.value {
      let v = try c.int()
      return [v, v]
    }
    let values = try c.intArray()
    guard values.count == 2 else { throw c.fail("expected [height, width] but found \(values.count) values", fix: "give two integers") }
    return values
  }

  static let chipNeuronKeys = ["decay_u", "decay_v", "vth_mant", "bias_mant", "bias_exp", "refract_delay", "vmin", "vmax"]
  static let realNeuronKeys = [
    "tau_rc", "tau_ref", "tau_s", "gain", "bias", "max_rates", "intercepts", "amplitude", "min_voltage",
  ]

  /// A layer's neuron object: the chip's integers (format 1 and 2) or real-valued
  /// parameters (format 2), never a mix.
  private func decodeLayerNeurons(_ c: JSONCursor, name: String, size: Int) throws -> Layer {
    let o = try c.object(allowedKeys: ["model"] + Self.chipNeuronKeys + Self.realNeuronKeys)
    let chipKeys = Self.chipNeuronKeys.filter { o.fields[$0] != nil }
    let realKeys = Self.realNeuronKeys.filter { o.fields[$0] != nil }
    if !chipKeys.isEmpty && !realKeys.isEmpty {
      throw NetworkIssue(
        path: c.path,
        problem: "mixes the chip's integer fields (\(chipKeys.joined(separator: ", "))) with real-valued parameters (\(realKeys.joined(separator: ", ")))",
        fix: "give either integers (vth_mant, decay_u, ...) or real parameters (tau_rc, gain, bias, ...), not both")
    }
    // Real-valued when any real key is given, or (version 2) when no chip field is given.
    if realKeys.isEmpty && (version < 2 || !chipKeys.isEmpty) {
      return Layer(name: name, size: size, neuron: try decodeNeuron(o))
    }
    let model = try decodeModel(o)
    var p = RealNeuronParameters(model: model)
    // Time constants may be per neuron: a list (or .npy) decides alone, the layer-wide
    // value keeps its default.
    if let v = o.optional("tau_rc") {
      if case .number = v.value { p.tauRC = try v.real() } else { p.tauRCPerNeuron = try realVector(v) }
    }
    if let v = o.optional("tau_ref") {
      if case .number = v.value { p.tauRef = try v.real() } else { p.tauRefPerNeuron = try realVector(v) }
    }
    if let v = o.optional("tau_s") {
      if case .number = v.value { p.tauS = try v.real() } else { p.tauSPerNeuron = try realVector(v) }
    }
    if let v = o.optional("amplitude") { p.amplitude = try v.real() }
    if let v = o.optional("min_voltage") { p.minVoltage = try v.real() }
    if let v = o.optional("gain") { p.gain = try realVector(v) }
    if let v = o.optional("bias") { p.bias = try realVector(v) }
    let rates = o.optional("max_rates")
    let intercepts = o.optional("intercepts")
    if rates != nil || intercepts != nil {
      guard let rates, let intercepts else {
        throw NetworkIssue(path: c.path, problem: "gives only one of 'max_rates' and 'intercepts'", fix: "give both (tuning curves), or gain and bias")
      }
      if o.fields["gain"] != nil || o.fields["bias"] != nil {
        throw NetworkIssue(path: c.path, problem: "gives both tuning curves (max_rates, intercepts) and gain/bias", fix: "give one of the two")
      }
      let r = try realVector(rates)
      let x = try realVector(intercepts)
      // Each list on its own first, so the message names the value that is wrong.
      for (list, key) in [(r, "max_rates"), (x, "intercepts")] where list.count != 1 && list.count != size {
        throw NetworkIssue(
          path: "\(c.path).\(key)", problem: list.isEmpty ? "is empty" : "has \(list.count) values but the layer has \(size) neurons",
          fix: "give one value for all neurons or exactly one per neuron")
      }
      if let i = r.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
        throw NetworkIssue(path: "\(c.path).max_rates[\(i)]", problem: "\(r[i]) is not a positive rate", fix: "give rates in spikes per second, e.g. 200")
      }
      if model == .loihiLIF, p.tauRefPerNeuron == nil, let i = r.firstIndex(where: { 1 / $0 <= p.tauRef }) {
        throw NetworkIssue(
          path: "\(c.path).max_rates[\(i)]", problem: "\(r[i]) spikes/s is not below 1/tau_ref = \(1 / p.tauRef) (a LIF neuron rests tau_ref after every spike)",
          fix: "lower the rate, or shorten tau_ref")
      }
      if let i = x.firstIndex(where: { !($0 < 1) || !$0.isFinite }) {
        throw NetworkIssue(
          path: "\(c.path).intercepts[\(i)]", problem: "\(x[i]) is not below 1",
          fix: "give intercepts below 1: a neuron starts firing at this input and reaches its max rate at 1")
      }
      // With per-neuron time constants, each neuron's tuning curve uses its own.
      let perNeuronTimes = p.tauRCPerNeuron != nil || p.tauRefPerNeuron != nil
      let tuned: (gain: [Double], bias: [Double])?
      if perNeuronTimes {
        if r.count <= size && x.count <= size && (p.tauRCPerNeuron?.count ?? 1) <= size && (p.tauRefPerNeuron?.count ?? 1) <= size {
          var gains: [Double] = []
          var biases: [Double] = []
          for i in 0..<size {
            guard
              let one = RealNeuronParameters.gainAndBias(
                model: model, maxRates: [r.count == 1 ? r[0] : (i < r.count ? r[i] : .nan)],
                intercepts: [x.count == 1 ? x[0] : (i < x.count ? x[i] : .nan)],
                tauRC: p.tauRCPerNeuron.map { $0.count == 1 ? $0[0] : (i < $0.count ? $0[i] : .nan) } ?? p.tauRC,
                tauRef: p.tauRefPerNeuron.map { $0.count == 1 ? $0[0] : (i < $0.count ? $0[i] : .nan) } ?? p.tauRef)
            else { break }
            gains += one.gain
            biases += one.bias
          }
          tuned = gains.count == size && (r.count == 1 || r.count == size) && (x.count == 1 || x.count == size) ? (gains, biases) : nil
        } else {
          tuned = nil
        }
      } else if r.count == x.count || r.count == 1 || x.count == 1 {
        tuned = RealNeuronParameters.gainAndBias(model: model, maxRates: r, intercepts: x, tauRC: p.tauRC, tauRef: p.tauRef)
      } else {
        tuned = nil
      }
      guard let (gain, bias) = tuned else {
        throw NetworkIssue(
          path: "\(c.path).max_rates",
          problem: "no gain and bias give these tuning curves (rates must be positive\(model == .loihiLIF ? " and below 1/tau_ref" : ""), intercepts below 1, and the lists of equal length)",
          fix: "adjust max_rates or intercepts")
      }
      p.gain = gain
      p.bias = bias
    }
    return Layer(name: name, size: size, real: p)
  }

  private func decodeModel(_ o: ObjectCursor) throws -> NeuronModel {
    let modelCursor = try o.required("model", fix: "add \"model\": \"LoihiLIF\" or \"LoihiSpikingRectifiedLinear\"")
    let modelName = try modelCursor.string()
    guard let model = NeuronModel(rawValue: modelName) else {
      throw modelCursor.fail(
        "unknown neuron model '\(modelName)'",
        fix: "use one of: " + NeuronModel.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
    }
    return model
  }

  /// A number, an array of numbers or an `.npy` path, as real values.
  private func realVector(_ v: JSONCursor) throws -> [Double] {
    switch v.value {
    case .number: return [try v.real()]
    case .array: return try v.array().map { try $0.real() }
    case .string(let path):
      let array = try NPYFile.readReals(at: resolve(path), displayPath: displayPath(path))
      guard array.shape.count == 1 else {
        throw InputFileError(
          file: displayPath(path), problem: "array has shape \(array.shape) but must be one-dimensional",
          fix: "save one value per neuron: numpy.save(path, values.reshape(-1))")
      }
      return array.values
    default:
      throw v.fail("expected a number, an array of numbers or a .npy path but found \(v.value.typeName)")
    }
  }

  private func decodeNeuron(_ o: ObjectCursor) throws -> NeuronParameters {
    let model = try decodeModel(o)
    let vth = try o.required("vth_mant", fix: "add \"vth_mant\" (threshold = vth_mant << 6)")
    var p: NeuronParameters
    if case .number = vth.value {
      p = NeuronParameters(model: model, thresholdMantissa: try vth.int())
    } else {
      p = NeuronParameters(model: model, thresholdMantissa: 1)
      p.thresholdMantissaPerNeuron = try intVector(vth, what: "vth_mant")
    }
    // Fields that may be per neuron: the layer-wide value stays the default when a list is
    // given (the list alone decides; `decayU(ofNeuron:)` and friends read it).
    if let v = o.optional("decay_u") {
      if case .number = v.value { p.decayU = try v.int() } else { p.decayUPerNeuron = try intVector(v, what: "decay_u") }
    }
    if let v = o.optional("decay_v") {
      if case .number = v.value { p.decayV = try v.int() } else { p.decayVPerNeuron = try intVector(v, what: "decay_v") }
    }
    if let v = o.optional("refract_delay") {
      if case .number = v.value { p.refractoryDelay = try v.int() } else { p.refractoryDelayPerNeuron = try intVector(v, what: "refract_delay") }
    }
    if let v = o.optional("bias_exp") { p.biasExponent = try v.int() }
    if let v = o.optional("vmin") { p.vmin = try v.int() }
    if let v = o.optional("vmax") { p.vmax = try v.int() }
    if let v = o.optional("bias_mant") { p.biasMantissa = try intVector(v, what: "bias") }
    return p
  }

  /// An integer, an array of integers or the path of a one-dimensional integer `.npy`.
  private func intVector(_ v: JSONCursor, what: String) throws -> [Int] {
    switch v.value {
    case .number: return [try v.int()]
    case .array: return try v.intArray()
    case .string(let path):
      let array = try NPYFile.readIntegers(at: resolve(path), displayPath: displayPath(path))
      guard array.shape.count == 1 else {
        throw InputFileError(
          file: displayPath(path),
          problem: "\(what) array has shape \(array.shape) but must be one-dimensional",
          fix: "save one value per neuron: numpy.save(path, values.reshape(-1))")
      }
      return array.values.map(Int.init)
    default:
      throw v.fail("expected an integer, an array of integers or a .npy path but found \(v.value.typeName)")
    }
  }

  private func decodeConnection(_ c: JSONCursor, realLayers: Set<String>) throws -> Connection {
    let o = try c.object(allowedKeys: ["from", "to", "kind", "weights", "weight_exp", "weight_bits", "stride", "padding"])
    let from = try o.required("from").string()
    let to = try o.required("to").string()
    var isConv = false
    if let k = o.optional("kind") {
      let text = try k.string()
      guard text == "dense" || text == "conv2d" else {
        throw k.fail("unknown connection kind '\(text)'", fix: "use \"dense\" or \"conv2d\"")
      }
      isConv = text == "conv2d"
    }
    if !isConv {
      for key in ["stride", "padding"] where o.fields[key] != nil {
        throw NetworkIssue(path: "\(c.path).\(key)", problem: "'\(key)' belongs to conv2d connections", fix: "remove it, or add \"kind\": \"conv2d\"")
      }
    } else {
      return try decodeConv(o, from: from, to: to, real: realLayers.contains(to))
    }
    let w = try o.required("weights", fix: "add \"weights\": a [to.size][from.size] array or a .npy path")
    let matrix: WeightMatrix
    switch w.value {
    case .string(let path) where realLayers.contains(to):
      let array = try NPYFile.readReals(at: resolve(path), displayPath: displayPath(path))
      try requireMatrix(array.shape, path: path)
      matrix = WeightMatrix(rows: array.shape[0], columns: array.shape[1], real: array.values)
    case .array where realLayers.contains(to):
      let (rows, columns, values) = try rectangular(w) { row in try row.array().map { try $0.real() } }
      matrix = WeightMatrix(rows: rows, columns: columns, real: values)
    case .string(let path):
      let array = try NPYFile.readIntegers(at: resolve(path), displayPath: displayPath(path))
      try requireMatrix(array.shape, path: path)
      matrix = WeightMatrix(rows: array.shape[0], columns: array.shape[1], values: array.values)
    case .array:
      let (rows, columns, values) = try rectangular(w) { row in
        try row.intArray().enumerated().map { k, value throws(NetworkIssue) -> Int32 in
          guard let v32 = Int32(exactly: value) else {
            throw NetworkIssue(
              path: "\(row.path)[\(k)]", problem: "weight \(value) is outside the chip's Wgt range -256...255",
              fix: "scale the weights into -256...255 and raise weight_exp to keep their effect")
          }
          return v32
        }
      }
      matrix = WeightMatrix(rows: rows, columns: columns, values: values)
    default:
      throw w.fail("expected an array of rows or a .npy path but found \(w.value.typeName)")
    }
    let exponent = try o.optional("weight_exp")?.int() ?? 0
    let bits = try o.optional("weight_bits")?.int() ?? 8
    return Connection(from: from, to: to, weights: matrix, weightExponent: exponent, weightBits: bits)
  }

  /// The rows of an inline matrix, each read by `row`, checked to be of equal length.
  private func rectangular<T>(_ w: JSONCursor, row read: (JSONCursor) throws -> [T]) throws -> (Int, Int, [T]) {
    let rows = try w.array()
    var values: [T] = []
    var columns: Int? = nil
    for row in rows {
      let r = try read(row)
      if let columns, r.count != columns {
        throw row.fail("has \(r.count) values but the first row has \(columns)", fix: "every row needs one value per source neuron")
      }
      columns = r.count
      values += r
    }
    return (rows.count, columns ?? 0, values)
  }

  private func requireMatrix(_ shape: [Int], path: String) throws {
    guard shape.count == 2 else {
      throw InputFileError(
        file: displayPath(path), problem: "weight array has shape \(shape) but must be two-dimensional [to.size, from.size]",
        fix: "reshape it to [to.size, from.size] before saving")
    }
  }

  /// A conv2d connection: a 4-D kernel `[out, in, kh, kw]` (nested arrays or `.npy`).
  private func decodeConv(_ o: ObjectCursor, from: String, to: String, real: Bool) throws -> Connection {
    let w = try o.required("weights", fix: "add \"weights\": a [out_channels, in_channels, kh, kw] kernel (nested arrays or a .npy path)")
    var shape: [Int]
    var reals: [Double] = []
    var ints: [Int32] = []
    switch w.value {
    case .string(let path):
      let array = try NPYFile.readReals(at: resolve(path), displayPath: displayPath(path))
      shape = array.shape
      reals = array.values
    case .array:
      // Nested arrays, four levels deep.
      func flatten(_ c: JSONCursor, depth: Int, into shape: inout [Int], level: Int) throws {
        if level == 4 {
          reals.append(try c.real())
          return
        }
        let items = try c.array()
        if shape.count == level { shape.append(items.count) } else if shape[level] != items.count {
          throw c.fail("has \(items.count) entries but its siblings have \(shape[level])", fix: "give a rectangular [out, in, kh, kw] kernel")
        }
        for item in items { try flatten(item, depth: depth + 1, into: &shape, level: level + 1) }
      }
      shape = []
      try flatten(w, depth: 0, into: &shape, level: 0)
    default:
      throw w.fail("expected a [out, in, kh, kw] kernel or a .npy path but found \(w.value.typeName)")
    }
    guard shape.count == 4 else {
      throw w.fail("kernel has shape \(shape) but a conv2d kernel is [out_channels, in_channels, kh, kw]", fix: "give a 4-D kernel")
    }
    if !real {
      for (k, v) in reals.enumerated() {
        guard let i = Int32(exactly: v) else {
          throw NetworkIssue(
            path: "\(w.path)", problem: "kernel element \(k) is \(v), not an integer Wgt",
            fix: "give integer weights, or give '\(to)' real-valued parameters so the mapper quantizes them")
        }
        ints.append(i)
      }
    }
    let columns = shape[1] * shape[2] * shape[3]
    var connection = Connection(
      from: from, to: to,
      weights: real
        ? WeightMatrix(rows: shape[0], columns: columns, real: reals) : WeightMatrix(rows: shape[0], columns: columns, values: ints),
      weightExponent: try o.optional("weight_exp")?.int() ?? 0, weightBits: try o.optional("weight_bits")?.int() ?? 8)
    let stride = try o.optional("stride").map { try pair($0) } ?? [1, 1]
    var padding = [0, 0]
    if let p = o.optional("padding") {
      if case .string(let mode) = p.value {
        padding = try samePadding(mode, at: p, kernel: shape, stride: stride)
      } else {
        padding = try pair(p)
      }
    }
    connection.conv = Conv2D(kernelShape: shape, stride: stride, padding: padding)
    return connection
  }

  /// `"padding": "same"` (or `"valid"`): the symmetric zero padding that keeps the height and
  /// width at stride 1, as PyTorch's and Keras' "same" do for odd kernels.
  private func samePadding(_ mode: String, at c: JSONCursor, kernel: [Int], stride: [Int]) throws -> [Int] {
    switch mode {
    case "valid":
      return [0, 0]
    case "same":
      guard stride == [1, 1] else {
        throw c.fail(
          "\"same\" padding is defined here for stride 1 only (as in PyTorch); at stride \(stride) it depends on the input size and may pad one side more",
          fix: "give the padding [h, w] explicitly")
      }
      guard kernel.count == 4, kernel[2] % 2 == 1, kernel[3] % 2 == 1 else {
        throw c.fail(
          "\"same\" padding of an even kernel (\(kernel.count == 4 ? "\(kernel[2])×\(kernel[3])" : "\(kernel)")) pads one side one more than the other, which the chip's symmetric padding cannot express",
          fix: "use an odd kernel, or give the padding [h, w] explicitly and crop")
      }
      return [(kernel[2] - 1) / 2, (kernel[3] - 1) / 2]
    default:
      throw c.fail("unknown padding '\(mode)'", fix: "use [h, w], one integer, \"same\" or \"valid\"")
    }
  }

  private func decodeProbe(_ c: JSONCursor) throws -> Probe {
    let o = try c.object(allowedKeys: ["name", "layer", "kind", "neurons"])
    let layer = try o.required("layer").string()
    let kindCursor = try o.required("kind", fix: "add \"kind\": \"spikes\", \"voltage\" or \"current\"")
    let kindName = try kindCursor.string()
    guard let kind = ProbeKind(rawValue: kindName) else {
      throw kindCursor.fail("unknown probe kind '\(kindName)'", fix: "use \"spikes\", \"voltage\" or \"current\"")
    }
    let name = try o.optional("name")?.string() ?? "\(layer).\(kind.rawValue)"
    let neurons = try o.optional("neurons")?.intArray()
    return Probe(name: name, layer: layer, kind: kind, neurons: neurons)
  }

  private func resolve(_ path: String) -> URL {
    path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
  }

  private func displayPath(_ path: String) -> String {
    path.hasPrefix("/") ? path : directory.appendingPathComponent(path).relativePath
  }
}

/// Spike trains as CSV: a header `step,neuron`, then one spike per line.
public enum SpikeCSV {
  /// Reads a spike CSV into a spike train. With `sources`, every spike is also checked
  /// against the input (a step from 1, a source in 0 ..< sources, no spike twice), and a
  /// problem is reported at its line of the CSV file.
  ///
  /// Lines end at `\n` (a `\r` before it is dropped, so Windows files read); spaces and
  /// tabs around values are ignored, and so are blank lines. The file is parsed as bytes.
  public static func read(at url: URL, displayPath: String, sources size: Int? = nil) throws(InputFileError) -> SpikeTrain {
    let fix = "give the path of a spike CSV file (relative paths start at the network file's directory)"
    let bytes = try InputFile.bytes(at: url, display: displayPath, fix: fix)
    guard String(validating: bytes, as: UTF8.self) != nil else {
      throw InputFileError(file: displayPath, problem: "is not UTF-8 text", fix: fix)
    }
    var steps: [Int32] = []
    var sources: [Int32] = []
    var lines: [Int] = []
    var sawHeader = false
    try bytes.withUnsafeBufferPointer { (buffer) throws(InputFileError) in
      var lineNumber = 0
      var start = 0
      let count = buffer.count
      while start < count {
        var end = start
        while end < count && buffer[end] != 0x0A { end += 1 }
        lineNumber += 1
        defer { start = end + 1 }
        // Trim spaces, tabs and carriage returns at both ends.
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0B || b == 0x0C }
        var lo = start
        var hi = end
        while lo < hi && isBlank(buffer[lo]) { lo += 1 }
        while hi > lo && isBlank(buffer[hi - 1]) { hi -= 1 }
        if lo == hi { continue }
        func lineText() -> String { String(decoding: UnsafeBufferPointer(rebasing: buffer[lo..<hi]), as: UTF8.self) }
        func fail(_ problem: String, _ fix: String) -> InputFileError {
          InputFileError(file: displayPath, path: "line \(lineNumber)", problem: problem, fix: fix)
        }
        if !sawHeader {
          guard lineText().replacingOccurrences(of: " ", with: "") == "step,neuron" else {
            throw fail("expected the header 'step,neuron' but found '\(lineText())'", "start the file with the line: step,neuron")
          }
          sawHeader = true
          continue
        }
        // Two signed decimal integers separated by one comma, each with optional blanks.
        func integer(_ from: Int, _ to: Int) -> Int? {
          var p = from
          var q = to
          while p < q && isBlank(buffer[p]) { p += 1 }
          while q > p && isBlank(buffer[q - 1]) { q -= 1 }
          var negative = false
          if p < q && (buffer[p] == 0x2D || buffer[p] == 0x2B) {
            negative = buffer[p] == 0x2D
            p += 1
          }
          guard p < q else { return nil }
          var value = 0
          while p < q {
            let digit = Int(buffer[p]) - 0x30
            guard digit >= 0 && digit <= 9 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !o1 && !o2 else { return nil }
            value = next
            p += 1
          }
          return value
        }
        var comma = lo
        while comma < hi && buffer[comma] != 0x2C { comma += 1 }
        var second = comma + 1
        while second < hi && buffer[second] != 0x2C { second += 1 }
        guard comma < hi, second >= hi, let wideStep = integer(lo, comma), let wideNeuron = integer(comma + 1, hi) else {
          throw fail("expected two integers 'step,neuron' but found '\(lineText())'", "write one spike per line, e.g. 12,3")
        }
        guard wideStep >= 1 else {
          throw fail("step \(wideStep): steps start at 1", "number steps from 1 (a spike at step t reaches its targets at step t+1)")
        }
        guard let step = Int32(exactly: wideStep) else {
          throw fail("step \(wideStep) is past the last step a run can reach (\(Int32.max))", "give steps in 1...\(Int32.max)")
        }
        guard wideNeuron >= 0, let neuron = Int32(exactly: wideNeuron), size.map({ wideNeuron < $0 }) ?? true else {
          let count = size.map { "the input's \($0)" } ?? "an input's"
          throw fail("source \(wideNeuron) is not one of \(count) sources", size.map { "use source indices 0...\($0 - 1)" } ?? "use source indices from 0")
        }
        steps.append(step)
        sources.append(neuron)
        lines.append(lineNumber)
      }
    }
    guard sawHeader else {
      throw InputFileError(file: displayPath, problem: "the file is empty", fix: "start the file with the line: step,neuron")
    }
    let train = SpikeTrain(steps: steps, sources: sources)
    if size != nil, train.count > 1 {
      // A spike given twice: sorted by (step, source, line), copies are neighbours and the
      // first two of a run are its first line and the line that repeats it. Report the
      // repeat met first in the file.
      let order = steps.indices.sorted {
        (steps[$0], sources[$0], lines[$0]) < (steps[$1], sources[$1], lines[$1])
      }
      func same(_ a: Int, _ b: Int) -> Bool { steps[a] == steps[b] && sources[a] == sources[b] }
      var worst: (line: Int, first: Int, step: Int32, source: Int32)? = nil
      for k in order.indices.dropFirst() where same(order[k - 1], order[k]) && (k < 2 || !same(order[k - 2], order[k])) {
        let (a, b) = (order[k - 1], order[k])
        if lines[b] < (worst?.line ?? .max) { worst = (lines[b], lines[a], steps[b], sources[b]) }
      }
      if let worst {
        throw InputFileError(
          file: displayPath, path: "line \(worst.line)",
          problem: "source \(worst.source) spikes at step \(worst.step) again (first on line \(worst.first))",
          fix: "a source emits at most one spike per step; remove the duplicate")
      }
    }
    return train
  }
}
