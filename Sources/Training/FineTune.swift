import LoihiArithmetic
import Mapper
import NetworkModel

extension SpikingNetwork {
  /// The chip's integer form of a trained or converted network (`network.json` as
  /// `neuromesh train` or the converters write it), ready to fine-tune with spikes forward
  /// and a surrogate backward: every layer's integers exactly as `compile` programs them
  /// (decays, threshold, refractory delay, biases, weight exponent and every `Wgt`), so the
  /// network starts out spiking exactly as the compiled original does.
  ///
  /// The network must be a chain: one spiking-encoded real input (or spike-train input),
  /// then neuron layers, each read by the next through one dense or `conv2d` connection,
  /// with `avgpool2d` (square, stride = kernel) and `flatten` stages between them.
  ///
  /// - Throws: ``Mapper/MappingError`` naming the layer or input that does not fit, or why
  ///   the network does not compile.
  public init(fineTuning network: Network) throws(MappingError) {
    let input: Input
    let inputName: String
    var inputShape: [Int]
    var amplitude: Double
    if network.realInputs.count == 1 && network.inputs.isEmpty {
      let real = network.realInputs[0]
      guard real.encoding == .spiking else {
        throw MappingError(
          subject: "input '\(real.name)'", problem: "is on/off encoded; fine-tuning takes the spiking encoder",
          fix: "give the input \"encoding\": {\"kind\": \"spiking\", \"rate\": …} (values in [0, 1])")
      }
      let rate = HostEncoding.rate(of: real, dt: network.dt)
      input = .encoder(rate: rate)
      inputName = real.name
      inputShape = real.shape ?? [real.size]
      amplitude = SpikeUnits.encoderAmplitude(rate: rate)
    } else if network.inputs.count == 1 && network.realInputs.isEmpty {
      input = .spikeTrains
      inputName = network.inputs[0].name
      inputShape = [network.inputs[0].size]
      amplitude = 1
    } else {
      throw MappingError(
        subject: "the network", problem: "has \(network.inputs.count + network.realInputs.count) inputs; fine-tuning takes one",
        fix: "give the network a single input")
    }
    let (chip, report) = try NetworkCompiler.discretized(network)
    var layers: [Layer] = []
    var previous = inputName
    var shape = inputShape
    var unpooledShape = inputShape
    var pool = 1
    for described in network.layers {
      let subject = "layer '\(described.name)'"
      switch described.kind {
      case .avgpool2d:
        let k = described.poolKernel
        guard described.input == previous, k.count == 2, k[0] == k[1], described.poolStride == k, shape.count == 3 else {
          throw MappingError(
            subject: subject, problem: "is not a square pool with stride = kernel reading '\(previous)'",
            fix: "fine-tune chains of layers with square, non-overlapping average pools")
        }
        pool *= k[0]
        shape = [shape[0], shape[1] / k[0], shape[2] / k[0]]
        previous = described.name
        continue
      case .flatten:
        guard described.input == previous else {
          throw MappingError(subject: subject, problem: "does not read '\(previous)'", fix: "fine-tune chains of layers, each reading the one before")
        }
        shape = [shape.reduce(1, *)]
        previous = described.name
        continue
      case .maxpool2d:
        throw MappingError(subject: subject, problem: "is a max pool, which the chip cannot compute", fix: "use avgpool2d")
      case .neurons:
        break
      }
      let incoming = network.connections.filter { $0.to == described.name }
      guard incoming.count == 1, incoming[0].from == previous, !network.connections.contains(where: { $0.from == described.name && $0.to == described.name })
      else {
        throw MappingError(
          subject: subject, problem: "is not read from '\(previous)' through exactly one connection",
          fix: "fine-tune feed-forward chains: each layer reads the one before it")
      }
      let connection = incoming[0]
      guard let integer = chip.layers.first(where: { $0.name == described.name }) else {
        throw MappingError(subject: subject, problem: "was not compiled", fix: "this is a bug; please report it")
      }
      let p = integer.neuron
      guard p.thresholdMantissaPerNeuron == nil, p.refractoryDelayPerNeuron == nil else {
        throw MappingError(subject: subject, problem: "has per-neuron thresholds or refractory periods", fix: "give the layer one threshold and one refractory period")
      }
      // The programmed Wgt of every weight, and the exponent.
      let programmed: [Int]
      let exponent: Int
      if let real = described.real {
        guard real.gain.count == 1 || Set(real.gain).count == 1 else {
          throw MappingError(subject: subject, problem: "has one gain per neuron", fix: "fold the gains into the weights, one gain for the layer")
        }
        guard let quantizer = report.first(where: { $0.layer == described.name })?.weightQuantizers.first, let values = connection.weights.real else {
          throw MappingError(subject: subject, problem: "has integer weights into real-valued neurons", fix: "give the weights in real units")
        }
        let perWeight = SpikeUnits.currentPerSpike(weight: 1, gain: real.gain[0], amplitude: amplitude, dt: network.dt) / Double(pool * pool)
        programmed = values.map { WeightQuantizer.program($0 * perWeight, wgtPerCurrent: quantizer.wgtPerCurrent) }
        exponent = quantizer.exponent
        amplitude = real.amplitude
      } else {
        guard pool == 1, !connection.weights.isReal else {
          throw MappingError(subject: subject, problem: "takes integer weights through a pool", fix: "give the layer real-valued parameters")
        }
        programmed = connection.weights.values.map { WeightQuantizer.program(Double($0), wgtPerCurrent: 1) }
        exponent = connection.weightExponent
        amplitude = 1
      }
      let synapses: Synapses
      let outShape: [Int]
      if let conv = connection.conv {
        let k = conv.kernelShape
        (synapses, outShape) = Synapses.conv(
          channels: k[0], kernel: [k[2], k[3]], stride: conv.stride, padding: conv.padding, sourceShape: unpooledShape, pool: pool)
      } else {
        synapses = Synapses.dense(targets: described.size, sourceShape: unpooledShape, pool: pool)
        outShape = [described.size]
      }
      guard synapses.parameterCount == programmed.count, synapses.targetCount == described.size else {
        throw MappingError(subject: subject, problem: "has \(programmed.count) weights where its shape needs \(synapses.parameterCount)", fix: "check the layer's shape")
      }
      let n = described.size
      let bias = (0..<n).map { p.biasMantissa(ofNeuron: $0) }
      var layer = Layer(
        name: described.name, shape: outShape, synapses: synapses, weights: programmed.map(Double.init), exponent: exponent,
        thresholdMantissa: p.thresholdMantissa, refractoryDelay: p.refractoryDelay, decayU: (0..<n).map { p.decayU(ofNeuron: $0) },
        decayV: (0..<n).map { p.decayV(ofNeuron: $0) }, biasMantissa: bias)
      layer.biasExponent = p.biasExponent
      layer.vmin = p.vmin
      layer.vmax = p.vmax
      layers.append(layer)
      previous = described.name
      shape = outShape
      unpooledShape = outShape
      pool = 1
    }
    guard !layers.isEmpty else { throw MappingError(subject: "the network", problem: "has no neuron layers", fix: "give it at least a readout layer") }
    self.init(layers: layers, input: input, inputShape: inputShape, dt: network.dt)
  }
}
