import LoihiArithmetic
import Mapper
import NetworkModel

/// The trained network as the network file describes it, and the weights the chip will
/// apply to it.
///
/// ``network(name:sample:tauS:inputRate:)`` is the network that `TrainingFiles.write` puts
/// into `network.json` (a test loads the file back and compares); the mapper's own
/// discretizer quantizes it, and ``ChipWeights`` applies the same rounding to the training
/// weights, so the forward pass of quantization-aware training sees what the chip will.
extension RateNetwork {
  /// Layer names as written: `conv1`, `pool1`, `conv2`, `flatten1`, `dense1`, …, `out`.
  public var layerNames: [String] {
    var counts: [String: Int] = [:]
    return layers.enumerated().map { l, layer in
      if l == readout { return "out" }
      let stem: String
      switch layer.kind {
      case .dense: stem = "dense"
      case .conv2d: stem = "conv"
      case .avgpool2d: stem = "pool"
      case .flatten: stem = "flatten"
      }
      counts[stem, default: 0] += 1
      return "\(stem)\(counts[stem] ?? 1)"
    }
  }

  /// The network in real units: every neuron layer with gain s, bias s·b per neuron and
  /// amplitude 1/s; a spiking input encoder at `inputRate` showing `sample`.
  public func network(name: String, sample: [Double], tauS: Double, inputRate: Double) -> Network {
    var network = Network(version: 2, name: name, dt: dt, layers: [])
    network.realInputs = [
      RealInput(
        name: "input", size: layers[0].inputs, shape: layers[0].inputShape, values: sample,
        encoding: .spiking, rate: inputRate)
    ]
    let names = layerNames
    var previous = "input"
    for (l, layer) in layers.enumerated() {
      switch layer.kind {
      case .avgpool2d, .flatten:
        var stage = NetworkModel.Layer(name: names[l], size: 0, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 1))
        stage.kind = layer.kind == .flatten ? .flatten : .avgpool2d
        stage.input = previous
        if layer.kind == .avgpool2d {
          stage.poolKernel = layer.kernel
          stage.poolStride = layer.stride
        }
        network.layers.append(stage)
      case .dense, .conv2d:
        let conv = layer.kind == .conv2d
        let perPosition = conv ? layer.outputShape[1] * layer.outputShape[2] : 1
        let lif = l == readout ? nil : self.lif
        var real = RealNeuronParameters(
          model: lif == nil ? .loihiSpikingRectifiedLinear : .loihiLIF, tauRC: lif?.tauRC ?? 0.02, tauS: l == readout ? 0 : tauS,
          gain: [layer.scale], bias: layer.bias.flatMap { repeatElement($0 * layer.scale, count: perPosition) }, amplitude: 1 / layer.scale)
        real.tauRef = lif?.tauRef ?? 0
        var neurons = NetworkModel.Layer(name: names[l], size: layer.outputs, real: real)
        if conv { neurons.shape = layer.outputShape }
        network.layers.append(neurons)
        let columns = conv ? layer.inputShape[0] * layer.kernel[0] * layer.kernel[1] : layer.inputs
        let rows = conv ? layer.outputShape[0] : layer.outputs
        var connection = Connection(from: previous, to: names[l], weights: WeightMatrix(rows: rows, columns: columns, real: layer.weights))
        if conv {
          connection.conv = Conv2D(
            kernelShape: [layer.outputShape[0], layer.inputShape[0], layer.kernel[0], layer.kernel[1]], stride: layer.stride, padding: layer.padding)
        }
        network.connections.append(connection)
      }
      previous = names[l]
    }
    network.probes = [Probe(name: "out.spikes", layer: "out", kind: .spikes)]
    return network
  }
}

/// The weights the chip applies to a ``RateNetwork``, by the mapper's own quantization.
public struct ChipWeights: Sendable {
  /// Per layer (nil for stages): the connection's quantizer, the current per spike of a
  /// weight of 1 (gain × source amplitude / dt, times the folded pool's 1/k²).
  struct Entry: Sendable {
    var quantizer: WeightQuantizer
    var currentPerWeight: Double
  }

  let entries: [Entry?]

  /// Quantizes `network` as `neuromesh compile` would.
  ///
  /// - Throws: ``MappingError`` when the mapper refuses the network.
  public init(_ network: RateNetwork, sample: [Double], tauS: Double, inputRate: Double) throws(MappingError) {
    let described = network.network(name: "training", sample: sample, tauS: tauS, inputRate: inputRate)
    let report = try NetworkCompiler.quantization(of: described)
    let names = network.layerNames
    var entries: [Entry?] = []
    var amplitude = SpikeUnits.encoderAmplitude(rate: inputRate)
    var fold = 1.0
    for (l, layer) in network.layers.enumerated() {
      switch layer.kind {
      case .avgpool2d:
        fold /= Double(layer.kernel[0] * layer.kernel[1])
        entries.append(nil)
      case .flatten:
        entries.append(nil)
      case .dense, .conv2d:
        guard let q = report.first(where: { $0.layer == names[l] })?.weightQuantizers.first else {
          throw MappingError(subject: "layer '\(names[l])'", problem: "was not quantized as one connection", fix: "this is a training bug; please report it")
        }
        let perWeight = SpikeUnits.currentPerSpike(weight: 1, gain: layer.scale, amplitude: amplitude, dt: network.dt) * fold
        entries.append(Entry(quantizer: q, currentPerWeight: perWeight))
        amplitude = 1 / layer.scale
        fold = 1
      }
    }
    self.entries = entries
  }

  /// `network` with every weight replaced by the one the chip applies.
  public func applied(to network: RateNetwork) -> RateNetwork {
    var out = network
    for (l, entry) in entries.enumerated() {
      guard let entry else { continue }
      let c = entry.currentPerWeight
      out.layers[l].weights = network.layers[l].weights.map { w in c != 0 ? entry.quantizer.applied(w * c) / c : 0 }
    }
    return out
  }
}
