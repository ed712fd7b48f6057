import LoihiArithmetic

extension Network {
  /// Checks the network against the format's rules and the chip's field widths.
  ///
  /// - Returns: every problem found, in file order; empty when the network is valid.
  public func validate() -> [NetworkIssue] {
    var issues: [NetworkIssue] = []
    if version < 1 || version > Network.currentVersion {
      issues.append(
        NetworkIssue(
          path: "version", problem: "version \(version) is not supported",
          fix: "this Neuromesh reads versions 1...\(Network.currentVersion)"))
    }
    if !(dt > 0 && dt.isFinite) {
      issues.append(NetworkIssue(path: "dt", problem: "dt \(dt) is not a positive number of seconds", fix: "use e.g. 0.001 (1 ms per step)"))
    } else if !(Network.dtRange.contains(dt)) {
      // Beyond these, 1/dt and the rates derived from it leave double precision's useful range.
      issues.append(
        NetworkIssue(
          path: "dt", problem: "dt \(dt) s is outside \(Network.dtRange.lowerBound) ... \(Network.dtRange.upperBound) s",
          fix: "use e.g. 0.001 (1 ms per step)"))
    }
    if layers.isEmpty {
      issues.append(
        NetworkIssue(
          path: "layers", problem: "the network has no layers",
          fix: "add at least one layer (inputs alone do not run on the chip)"))
    }
    var seenNames: [String: String] = [:]
    func checkName(_ name: String, at path: String) {
      if name.isEmpty {
        issues.append(NetworkIssue(path: path, problem: "name is empty", fix: "give it a unique name"))
      } else if let other = seenNames[name] {
        issues.append(
          NetworkIssue(
            path: path, problem: "name '\(name)' is already used by \(other)",
            fix: "inputs and layers share one namespace; rename one of them"))
      } else {
        seenNames[name] = path
      }
    }
    for (i, input) in inputs.enumerated() {
      let path = "inputs[\(i)]"
      checkName(input.name, at: "\(path).name")
      if let issue = sizeIssue(input.size, path: "\(path).size") {
        issues.append(issue)
        continue
      }
      issues += input.spikes.issues(size: input.size, path: path)
    }
    let (shapes, shapeIssues) = inferredShapes()
    for input in realInputs {
      let path = "inputs['\(input.name)']"
      checkName(input.name, at: "\(path).name")
      if let issue = sizeIssue(input.size, path: "\(path).size") {
        issues.append(issue)
        continue
      }
      if version < 2 {
        issues.append(NetworkIssue(path: path, problem: "real-valued inputs need format version 2", fix: "set \"version\": 2 at the top level"))
      }
      if input.rows < 1 || input.values.count != input.rows * input.size {
        issues.append(
          NetworkIssue(
            path: "\(path).values", problem: "holds \(input.values.count) values, not a whole number of rows of \(input.size)",
            fix: "give \(input.size) values, or [steps, \(input.size)] for values that change over time"))
      } else if let bad = input.values.firstIndex(where: { !$0.isFinite }) {
        issues.append(NetworkIssue(path: "\(path).values", problem: "value \(bad) is not a finite number", fix: "replace it"))
      }
      let rate = input.rate ?? 1 / dt
      // (A dt out of range is reported once, above.)
      if Network.dtRange.contains(dt), !(rate > 0 && rate * dt <= 1) {
        issues.append(
          NetworkIssue(
            path: "\(path).encoding.rate", problem: "rate \(rate) spikes/s is not in (0, 1/dt = \(1 / dt)]",
            fix: "a host unit spikes at most once per step; use a rate up to 1/dt"))
      }
    }
    for (i, layer) in layers.enumerated() {
      let path = "layers[\(i)]"
      checkName(layer.name, at: "\(path).name")
      if !layer.kind.hasNeurons {
        if version < 2 {
          issues.append(
            NetworkIssue(
              path: "\(path).kind", problem: "\(layer.kind.rawValue) layers need format version 2",
              fix: "set \"version\": 2 at the top level"))
        }
        continue
      }
      if let shape = layer.shape, shapeSize(shape) != layer.size || shape.contains(where: { $0 < 1 }) {
        issues.append(
          NetworkIssue(
            path: "\(path).shape", problem: "shape \(shape) holds \(shapeSize(shape)) neurons but size is \(layer.size)",
            fix: "give a shape of positive sizes whose product is the layer size (or omit one of them)"))
      }
      if let issue = sizeIssue(layer.size, path: "\(path).size") {
        issues.append(issue)
        continue
      }
      if let real = layer.real {
        if version < 2 {
          issues.append(
            NetworkIssue(
              path: "\(path).neuron", problem: "real-valued neuron parameters need format version 2",
              fix: "set \"version\": 2 at the top level (version 1 takes the chip's integers only)"))
        }
        issues += real.issues(layerSize: layer.size, path: "\(path).neuron")
      } else {
        issues += layer.neuron.issues(layerSize: layer.size, path: "\(path).neuron")
      }
    }
    issues += shapeIssues
    // Names looked up once per connection: by table, not by a scan of every layer (a scan
    // made validation quadratic: minutes for a 100,000-layer system).
    var names = NameTable()
    for (i, layer) in layers.enumerated() {
      names.layers.insert(layer.name)
      if layer.kind.hasNeurons && names.neuronLayer[layer.name] == nil { names.neuronLayer[layer.name] = i }
    }
    for input in inputs { names.inputs.insert(input.name) }
    for (i, connection) in connections.enumerated() {
      issues += connectionIssues(connection, path: "connections[\(i)]", shapes: shapes, names: names)
    }
    var probeNames: Set<String> = []
    for (i, probe) in probes.enumerated() {
      let path = "probes[\(i)]"
      if !probeNames.insert(probe.name).inserted {
        issues.append(
          NetworkIssue(
            path: "\(path).name", problem: "probe name '\(probe.name)' is used twice",
            fix: "give each probe a unique name"))
      }
      guard let layer = layers.first(where: { $0.name == probe.layer }) else {
        let isInput = inputs.contains { $0.name == probe.layer }
        issues.append(
          NetworkIssue(
            path: "\(path).layer",
            problem: isInput
              ? "'\(probe.layer)' is an input, and inputs cannot be probed"
              : "unknown layer '\(probe.layer)'",
            fix: isInput
              ? "probe a layer instead; an input's spikes are the ones you gave"
              : "use one of: \(layerNameList)"))
        continue
      }
      if !layer.kind.hasNeurons {
        issues.append(
          NetworkIssue(
            path: "\(path).layer", problem: "'\(probe.layer)' is a stage (\(layer.kind.rawValue)), which has no neurons to probe",
            fix: "probe the neuron layer it reads or feeds"))
        continue
      }
      for (k, n) in (probe.neurons ?? []).enumerated() where n < 0 || n >= layer.size {
        issues.append(
          NetworkIssue(
            path: "\(path).neurons[\(k)]",
            problem: "neuron index \(n) is outside layer '\(layer.name)' (size \(layer.size))",
            fix: "use indices 0...\(layer.size - 1)"))
      }
    }
    return issues
  }

  /// The largest input or layer Neuromesh accepts: 2^24 neurons.
  public static let maximumPopulationSize = 1 << 24

  private func sizeIssue(_ size: Int, path: String) -> NetworkIssue? {
    if size < 1 { return NetworkIssue(path: path, problem: "size \(size) is not positive", fix: "use a size ≥ 1") }
    if size > Network.maximumPopulationSize {
      return NetworkIssue(
        path: path, problem: "size \(size) is larger than \(Network.maximumPopulationSize) (2^24), the largest population Neuromesh accepts",
        fix: "split it into several inputs or layers")
    }
    return nil
  }

  private var layerNameList: String {
    layers.isEmpty ? "(no layers defined)" : layers.map { "'\($0.name)'" }.joined(separator: ", ")
  }

  /// The names a connection may refer to.
  private struct NameTable {
    var layers: Set<String> = []
    /// The first neuron layer of each name.
    var neuronLayer: [String: Int] = [:]
    var inputs: Set<String> = []
  }

  private func connectionIssues(_ c: Connection, path: String, shapes: [String: [Int]], names: NameTable) -> [NetworkIssue] {
    var issues: [NetworkIssue] = []
    let sourceShape = shapes[c.from]
    let sourceSize = sourceShape.map(shapeSize)
    if sourceSize == nil && !names.layers.contains(c.from) {
      issues.append(
        NetworkIssue(
          path: "\(path).from", problem: "unknown input or layer '\(c.from)'",
          fix: "name one of the inputs or layers defined in the file"))
    }
    let target = names.neuronLayer[c.to].map { layers[$0] }
    if target == nil, names.layers.contains(c.to) {
      issues.append(
        NetworkIssue(
          path: "\(path).to", problem: "'\(c.to)' is a pooling or flatten stage, which reads its 'input' instead of receiving connections",
          fix: "connect to a neuron layer; a stage names what it reads with \"input\""))
      return issues
    }
    if target == nil {
      let isInput = names.inputs.contains(c.to)
      issues.append(
        NetworkIssue(
          path: "\(path).to",
          problem: isInput ? "'\(c.to)' is an input; connections must end on a layer" : "unknown layer '\(c.to)'",
          fix: "use one of: \(layerNameList)"))
    }
    if let geometry = c.conv {
      if version < 2 {
        issues.append(NetworkIssue(path: "\(path).kind", problem: "conv2d connections need format version 2", fix: "set \"version\": 2 at the top level"))
      }
      let k = geometry.kernelShape
      if k.count != 4 || k.contains(where: { $0 < 1 }) || geometry.stride.count != 2 || geometry.padding.count != 2
        || geometry.stride.contains(where: { $0 < 1 }) || geometry.padding.contains(where: { $0 < 0 })
      {
        issues.append(
          NetworkIssue(
            path: path, problem: "kernel \(k), stride \(geometry.stride), padding \(geometry.padding) is not a 2-D convolution",
            fix: "give weights of shape [out_channels, in_channels, kh, kw], stride [h, w] ≥ 1 and padding [h, w] ≥ 0"))
      } else if c.weights.rows != k[0] || c.weights.columns != shapeSize(Array(k[1...])) {
        issues.append(
          NetworkIssue(
            path: "\(path).weights", problem: "holds \(c.weights.rows) × \(c.weights.columns) values but the kernel \(k) needs \(k[0]) × \(shapeSize(Array(k[1...])))",
            fix: "give the kernel as [out_channels, in_channels, kh, kw]"))
      } else if let sourceShape, let target {
        if let out = geometry.outputShape(input: sourceShape) {
          let targetShape = target.shape ?? [target.size]
          if out != targetShape {
            let kerasLike = k[2] == sourceShape[0] && targetShape.count == 3 && k[3] == targetShape[0] && k[0] != targetShape[0]
            issues.append(
              NetworkIssue(
                path: "\(path).to", problem: "the convolution of '\(c.from)' \(sourceShape) gives shape \(out) but '\(c.to)' has shape \(targetShape)",
                fix: kerasLike
                  ? "the kernel \(k) looks like Keras' layout [kh, kw, in_channels, out_channels]; Neuromesh, like PyTorch, takes [out_channels, in_channels, kh, kw]: transpose it with kernel.transpose(3, 2, 0, 1)"
                  : "give '\(c.to)' \"shape\": \(out), or change the kernel, stride or padding"))
          }
        } else if sourceShape.count == 3, k[1] != sourceShape[0], k[2] == sourceShape[0],
          k[3] == (target.shape?.first ?? k[3]), k[0] <= 15, k[1] <= 15
        {
          // [kh, kw, in, out] with `in` where PyTorch's layout has kh: Keras' (and TensorFlow's) layout.
          issues.append(
            NetworkIssue(
              path: "\(path).weights",
              problem:
                "the kernel \(k) looks like Keras' layout [kh, kw, in_channels, out_channels] (\(k[2]) = the channels of '\(c.from)'); Neuromesh, like PyTorch, takes [out_channels, in_channels, kh, kw]",
              fix: "transpose it with numpy before saving: kernel.transpose(3, 2, 0, 1)"))
        } else {
          issues.append(
            NetworkIssue(
              path: "\(path).weights",
              problem: "a kernel \(k) cannot convolve '\(c.from)' of shape \(sourceShape) (it needs [\(k[1]), height, width] with room for the kernel)",
              fix: "give the source a channels-first \"shape\" with \(k[1]) channels, or fix the kernel"))
        }
      }
    } else if let sourceSize, let target,
      c.weights.rows != target.size || c.weights.columns != sourceSize
    {
      issues.append(
        NetworkIssue(
          path: "\(path).weights",
          problem:
            "shape [\(c.weights.rows), \(c.weights.columns)] does not match [to.size, from.size] = [\(target.size), \(sourceSize)] ('\(c.to)' × '\(c.from)')",
          fix: c.weights.rows == sourceSize && c.weights.columns == target.size
            ? "the matrix looks transposed: rows are target neurons, columns are source neurons"
            : "give a matrix with one row per target neuron and one column per source neuron"))
    }
    if realInputs.contains(where: { $0.name == c.from }), !c.weights.isReal,
      c.weights.values.contains(where: { $0 == Int32(ChipFields.weightRange.lowerBound) })
    {
      issues.append(
        NetworkIssue(
          path: "\(path).weights", problem: "a weight of -256 from a real-valued input cannot be mirrored (the off units use -W, and 256 is out of range)",
          fix: "use weights in -255...255"))
    }
    if let target, target.real != nil, !c.weights.isReal {
      issues.append(
        NetworkIssue(
          path: "\(path).weights", problem: "'\(c.to)' has real-valued parameters, so its weights must be real too",
          fix: "give real weights (the mapper quantizes them), or give '\(c.to)' the chip's integer parameters"))
    }
    if let real = c.weights.real {
      if let target, target.real == nil {
        issues.append(
          NetworkIssue(
            path: "\(path).weights", problem: "'\(c.to)' has the chip's integer parameters, so its weights must be integer Wgt values",
            fix: "give integer weights in -256...255, or give '\(c.to)' real-valued parameters so the mapper quantizes both"))
      }
      if let bad = real.firstIndex(where: { !$0.isFinite }) {
        issues.append(
          NetworkIssue(
            path: "\(path).weights[\(bad / max(c.weights.columns, 1))][\(bad % max(c.weights.columns, 1))]",
            problem: "weight \(real[bad]) is not a finite number", fix: "replace it with a finite value"))
      }
    } else if let bad = c.weights.values.firstIndex(where: { !ChipFields.weightRange.contains(Int($0)) }) {
      let row = bad / max(c.weights.columns, 1)
      let column = bad % max(c.weights.columns, 1)
      issues.append(
        NetworkIssue(
          path: "\(path).weights[\(row)][\(column)]",
          problem: "weight \(c.weights.values[bad]) is outside the chip's Wgt range -256...255",
          fix: "scale the weights into -256...255 and raise weight_exp to keep their effect"))
    }
    if !ChipFields.weightExponentRange.contains(c.weightExponent) {
      issues.append(
        NetworkIssue(
          path: "\(path).weight_exp", problem: "\(c.weightExponent) is outside -8...7 (4-bit signed field)",
          fix: "use an exponent in -8...7"))
    }
    if !ChipFields.weightBitsAllowed.contains(c.weightBits) {
      issues.append(
        NetworkIssue(
          path: "\(path).weight_bits",
          problem: "\(c.weightBits) weight bits cannot be encoded by the synapse format",
          fix: "use one of 1, 2, 3, 4, 5, 6, 8"))
    }
    return issues
  }
}

extension NeuronParameters {
  func issues(layerSize: Int, path: String) -> [NetworkIssue] {
    var issues: [NetworkIssue] = []
    func range(_ value: Int, _ r: ClosedRange<Int>, _ key: String, _ what: String) {
      if !r.contains(value) {
        issues.append(
          NetworkIssue(
            path: "\(path).\(key)",
            problem: "\(value) is out of range \(r.lowerBound)...\(r.upperBound) (\(what))",
            fix: "use a value in \(r.lowerBound)...\(r.upperBound)"))
      }
    }
    /// A field given once or per neuron: the length, then every value's range (the first
    /// bad one located by its index, with how many others are bad).
    func field(_ layerWide: Int, _ perNeuron: [Int]?, _ r: ClosedRange<Int>, _ key: String, _ what: String) {
      guard let perNeuron else {
        range(layerWide, r, key, what)
        return
      }
      if perNeuron.count != 1 && perNeuron.count != layerSize {
        issues.append(
          NetworkIssue(
            path: "\(path).\(key)",
            problem: "has \(perNeuron.count) values but the layer has \(layerSize) neurons",
            fix: "give one value for all neurons or exactly one per neuron"))
        return
      }
      let bad = perNeuron.indices.filter { !r.contains(perNeuron[$0]) }
      if let first = bad.first {
        let others = bad.count > 1 ? " (and \(bad.count - 1) other value\(bad.count == 2 ? "" : "s") of this list)" : ""
        issues.append(
          NetworkIssue(
            path: perNeuron.count == 1 ? "\(path).\(key)" : "\(path).\(key)[\(first)]",
            problem: "\(perNeuron[first]) is out of range \(r.lowerBound)...\(r.upperBound) (\(what))\(others)",
            fix: "use values in \(r.lowerBound)...\(r.upperBound)"))
      }
    }
    field(decayU, decayUPerNeuron, ChipFields.decayRange, "decay_u", "12-bit field")
    field(decayV, decayVPerNeuron, ChipFields.decayRange, "decay_v", "12-bit field")
    field(thresholdMantissa, thresholdMantissaPerNeuron, ChipFields.thresholdMantissaRange, "vth_mant", "17-bit field, vth = vth_mant << 6")
    range(biasExponent, ChipFields.biasExponentRange, "bias_exp", "3-bit field")
    field(refractoryDelay, refractoryDelayPerNeuron, ChipFields.refractoryDelayRange, "refract_delay", "6-bit field")
    if model == .loihiSpikingRectifiedLinear {
      let leaky = (decayVPerNeuron ?? [decayV]).firstIndex { $0 != 0 }
      if let leaky {
        let perNeuron = (decayVPerNeuron?.count ?? 1) > 1
        issues.append(
          NetworkIssue(
            path: perNeuron ? "\(path).decay_v[\(leaky)]" : "\(path).decay_v",
            problem: "LoihiSpikingRectifiedLinear has a non-leaky voltage, but decay_v is \((decayVPerNeuron ?? [decayV])[leaky])",
            fix: "remove decay_v, or use model \"LoihiLIF\" for a leaky voltage"))
      }
    }
    if biasMantissa.count != 1 && biasMantissa.count != layerSize {
      issues.append(
        NetworkIssue(
          path: "\(path).bias_mant",
          problem: "has \(biasMantissa.count) values but the layer has \(layerSize) neurons",
          fix: "give one value for all neurons or exactly one per neuron"))
    }
    if let bad = biasMantissa.firstIndex(where: { !ChipFields.biasMantissaRange.contains($0) }) {
      let r = ChipFields.biasMantissaRange
      issues.append(
        NetworkIssue(
          path: biasMantissa.count == 1 ? "\(path).bias_mant" : "\(path).bias_mant[\(bad)]",
          problem: "\(biasMantissa[bad]) is out of range \(r.lowerBound)...\(r.upperBound) (13-bit signed field)",
          fix: "raise bias_exp and divide the mantissa by 2 per step (bias = bias_mant << bias_exp)"))
    }
    if !ChipFields.vminValues.contains(vmin) {
      issues.append(
        NetworkIssue(
          path: "\(path).vmin",
          problem: "\(vmin) is not a value the chip can hold (vmin = -(2^e - 1), e = 0...23)",
          fix: "use \(nearest(vmin, in: ChipFields.vminValues)) or another of 0, -1, -3, -7, ..., -8388607"))
    }
    if !ChipFields.vmaxValues.contains(vmax) {
      issues.append(
        NetworkIssue(
          path: "\(path).vmax",
          problem: "\(vmax) is not a value the chip can hold (vmax = 2^(9+2f) - 1, f = 0...7)",
          fix: "use \(nearest(vmax, in: ChipFields.vmaxValues)) or another of \(ChipFields.vmaxValues.map(String.init).joined(separator: ", "))"))
    }
    return issues
  }

  /// The value of `values` nearest `x` (distances in floating point: `x` comes from a file
  /// and may be anywhere in Int's range, where a difference would overflow).
  private func nearest(_ x: Int, in values: [Int]) -> Int {
    values.min { abs(Double($0) - Double(x)) < abs(Double($1) - Double(x)) } ?? values[0]
  }
}

extension RealNeuronParameters {
  func issues(layerSize: Int, path: String) -> [NetworkIssue] {
    var issues: [NetworkIssue] = []
    func check(_ ok: Bool, _ key: String, _ problem: String, _ fix: String) {
      if !ok { issues.append(NetworkIssue(path: "\(path).\(key)", problem: problem, fix: fix)) }
    }
    /// A time given once or per neuron: the length, then the first bad value, located.
    func time(_ layerWide: Double, _ perNeuron: [Double]?, _ key: String, _ ok: (Double) -> Bool, _ what: String, _ fix: String) {
      guard let perNeuron else {
        check(ok(layerWide), key, "\(layerWide) is not \(what)", fix)
        return
      }
      if perNeuron.count != 1 && perNeuron.count != layerSize {
        issues.append(
          NetworkIssue(
            path: "\(path).\(key)", problem: "has \(perNeuron.count) values but the layer has \(layerSize) neurons",
            fix: "give one value for all neurons or exactly one per neuron"))
      } else if let bad = perNeuron.firstIndex(where: { !ok($0) }) {
        issues.append(
          NetworkIssue(
            path: perNeuron.count == 1 ? "\(path).\(key)" : "\(path).\(key)[\(bad)]", problem: "\(perNeuron[bad]) is not \(what)", fix: fix))
      }
    }
    if model == .loihiLIF {
      time(tauRC, tauRCPerNeuron, "tau_rc", { $0 > 0 && $0.isFinite }, "a positive time constant", "give the membrane time constant in seconds, e.g. 0.02")
    }
    time(tauRef, tauRefPerNeuron, "tau_ref", { $0 >= 0 && $0.isFinite }, "a non-negative time", "give the refractory period in seconds, e.g. 0.002")
    time(tauS, tauSPerNeuron, "tau_s", { $0 >= 0 && $0.isFinite }, "a non-negative time constant", "give the synaptic time constant in seconds, or 0 for no filter")
    check(amplitude > 0 && amplitude.isFinite, "amplitude", "\(amplitude) is not a positive number", "use a positive spike amplitude, e.g. 1")
    check(minVoltage <= 0 && minVoltage.isFinite, "min_voltage", "\(minVoltage) is above 0", "use a value ≤ 0 (a fraction of the threshold)")
    for (key, values) in [("gain", gain), ("bias", bias)] {
      if values.count != 1 && values.count != layerSize {
        issues.append(
          NetworkIssue(
            path: "\(path).\(key)", problem: "has \(values.count) values but the layer has \(layerSize) neurons",
            fix: "give one value for all neurons or exactly one per neuron"))
      } else if let bad = values.firstIndex(where: { !$0.isFinite }) {
        issues.append(
          NetworkIssue(
            path: values.count == 1 ? "\(path).\(key)" : "\(path).\(key)[\(bad)]", problem: "\(values[bad]) is not a finite number",
            fix: "replace it with a finite value"))
      }
    }
    return issues
  }
}

extension SpikeTrain {
  func issues(size: Int, path: String) -> [NetworkIssue] {
    var issues: [NetworkIssue] = []
    var previous: (Int32, Int32)? = nil
    for k in 0..<count {
      let step = steps[k]
      let source = sources[k]
      if step < 1 {
        issues.append(
          NetworkIssue(
            path: "\(path).spikes", problem: "source \(source) spikes at step \(step), but steps start at 1",
            fix: "number steps from 1 (a spike at step t reaches its targets at step t+1)"))
        break
      }
      if source < 0 || Int(source) >= size {
        issues.append(
          NetworkIssue(
            path: "\(path).spikes", problem: "spike at step \(step) names source \(source), but the input has \(size) sources",
            fix: "use source indices 0...\(size - 1)"))
        break
      }
      if let previous, previous.0 == step, previous.1 == source {
        issues.append(
          NetworkIssue(
            path: "\(path).spikes", problem: "source \(source) spikes twice at step \(step)",
            fix: "a source emits at most one spike per step; remove the duplicate"))
        break
      }
      previous = (step, source)
    }
    return issues
  }
}
