import LoihiArithmetic
import NetworkModel

/// The benchmark network of the foundation issue: input → W → W → W → 10, dense random
/// int8 weights, about 10 % of neurons active per step.
///
/// The input is `width` spike sources, each spiking with probability 0.1 per step. Layers
/// are non-leaky (`LoihiSpikingRectifiedLinear`) with the threshold set to a multiple of
/// the expected input spread so that roughly a tenth of each layer fires per step; the
/// measured activity is printed with every result.
enum DenseChainNetwork {
  static func make(width: Int, steps: Int, seed: UInt64 = 1) -> Network {
    var rng = SplitMix64(seed: seed)
    var times: [Int32] = []
    var sources: [Int32] = []
    for t in 1...max(steps, 1) {
      for s in 0..<width where rng.chance(0.1) {
        times.append(Int32(t))
        sources.append(Int32(s))
      }
    }
    let input = SpikeInput(name: "input", size: width, spikes: SpikeTrain(steps: times, sources: sources))
    // Spread of one step's input: sqrt(active sources) × std of a uniform int8 weight × 64.
    let spread = (Double(width) * 0.1).squareRoot() * 74.0 * 64.0
    let threshold = Int((spread * 1.6 / 64).rounded())
    func layer(_ name: String, _ size: Int) -> Layer {
      Layer(
        name: name, size: size,
        neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: threshold))
    }
    let layers = [layer("hidden1", width), layer("hidden2", width), layer("hidden3", width), layer("output", 10)]
    func dense(_ from: String, _ to: String, rows: Int, columns: Int) -> Connection {
      var values = [Int32](repeating: 0, count: rows * columns)
      for k in values.indices { values[k] = Int32(Int.random(in: -128...127, using: &rng)) }
      return Connection(from: from, to: to, weights: WeightMatrix(rows: rows, columns: columns, values: values))
    }
    let connections = [
      dense("input", "hidden1", rows: width, columns: width),
      dense("hidden1", "hidden2", rows: width, columns: width),
      dense("hidden2", "hidden3", rows: width, columns: width),
      dense("hidden3", "output", rows: 10, columns: width),
    ]
    return Network(
      name: "dense chain W=\(width)", inputs: [input], layers: layers, connections: connections)
  }
}

/// The mapper benchmark: 1,000 layers of 1,000 neurons (1 M compartments) where the first
/// 101 form a dense chain (100 connections × 10^6 synapses = 100 M synapses).
enum MapperBenchmarkNetwork {
  static func make(seed: UInt64 = 2) -> Network {
    var rng = SplitMix64(seed: seed)
    let layers = (0..<1000).map {
      Layer(name: "l\($0)", size: 1000, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 100))
    }
    var connections: [Connection] = []
    for i in 0..<100 {
      var values = [Int32](repeating: 0, count: 1_000_000)
      for k in values.indices { values[k] = Int32(truncatingIfNeeded: Int8(truncatingIfNeeded: rng.next())) }
      connections.append(
        Connection(from: "l\(i)", to: "l\(i + 1)", weights: WeightMatrix(rows: 1000, columns: 1000, values: values)))
    }
    return Network(name: "mapper benchmark: 1 M compartments, 100 M synapses", layers: layers, connections: connections)
  }
}

/// The convolutional mapper benchmark: a 2×188×188 event-camera input through a 5×5
/// convolution to 16×184×184 and a 3×3 one to 16×182×182 — 1.07 M compartments and
/// 103 M synapses once the kernels are expanded.
enum ConvolutionBenchmarkNetwork {
  static func make(seed: UInt64 = 3) -> Network {
    var rng = SplitMix64(seed: seed)
    var input = SpikeInput(name: "events", size: 2 * 188 * 188, spikes: SpikeTrain())
    input.shape = [2, 188, 188]
    func layer(_ name: String, _ shape: [Int]) -> Layer {
      var l = Layer(name: name, size: shape.reduce(1, *), neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 100))
      l.shape = shape
      return l
    }
    func conv(_ from: String, _ to: String, _ shape: [Int]) -> Connection {
      let count = shape.reduce(1, *)
      let values = (0..<count).map { _ in Int32(truncatingIfNeeded: Int8(truncatingIfNeeded: rng.next())) }
      var c = Connection(from: from, to: to, weights: WeightMatrix(rows: shape[0], columns: count / shape[0], values: values))
      c.conv = Conv2D(kernelShape: shape)
      return c
    }
    return Network(
      name: "convolutional mapper benchmark: 1.07 M compartments, 103 M synapses", inputs: [input],
      layers: [layer("c1", [16, 184, 184]), layer("c2", [16, 182, 182])],
      connections: [conv("events", "c1", [16, 2, 5, 5]), conv("c1", "c2", [16, 16, 3, 3])])
  }
}
