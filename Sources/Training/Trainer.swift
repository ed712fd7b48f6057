import Dispatch
import Foundation
import LoihiArithmetic
import Mapper

/// One epoch's figures in the training log.
public struct EpochRecord: Sendable, Equatable {
  public var epoch: Int
  /// Mean cross-entropy over the training samples (as trained: during the epoch).
  public var loss: Double
  /// Accuracy of the model (forward as on the chip) on the training and test samples
  /// after the epoch.
  public var trainAccuracy: Double
  public var testAccuracy: Double?
  public var seconds: Double

  /// Creates a record.
  public init(epoch: Int, loss: Double, trainAccuracy: Double, testAccuracy: Double?, seconds: Double) {
    self.epoch = epoch
    self.loss = loss
    self.trainAccuracy = trainAccuracy
    self.testAccuracy = testAccuracy
    self.seconds = seconds
  }
}

/// What training produced: the network and its log.
public struct TrainingResult: Sendable {
  public var network: RateNetwork
  public var log: [EpochRecord]
  /// The model's predicted class for every test sample (forward as on the chip).
  public var testPredictions: [Int]
  /// The model's class scores for every test sample, `[samples, classes]` row-major.
  public var testScores: [Double]
}

/// Trains a ``RateNetwork`` with minibatch Adam on softmax cross-entropy.
///
/// Deterministic for a seed: the order of samples, the initial weights and every sum are
/// fixed (each minibatch is cut into the same chunks whatever the thread count, and the
/// chunks' gradients are added in order), so the same config gives the same weights bit
/// for bit on any number of threads.
public struct Trainer: Sendable {
  public var config: TrainingConfig
  /// Chunks each minibatch is cut into for parallel work (fixed, for determinism).
  public var chunks = 8

  public init(config: TrainingConfig) { self.config = config }

  /// Trains on `train`, reporting each epoch to `progress` (and measuring `test` when given).
  ///
  /// With ``TrainingConfig/quantizationAware``, the forward and backward passes use the
  /// weights the chip will apply (the mapper's quantization, refreshed every epoch) and the
  /// update goes to the real weights behind them (straight through); the reported
  /// accuracies and test scores are those of the quantized network.
  ///
  /// - Throws: ``MappingError`` when the mapper refuses the network it would compile.
  public func train(
    _ train: LabelledSamples, test: LabelledSamples?, classes: Int, progress: (EpochRecord) -> Void = { _ in }
  ) throws(MappingError) -> TrainingResult {
    var random = SplitMix64(seed: config.seed)
    let shape = train.shape.reduce(1, *) == train.featureCount ? train.shape : [train.featureCount]
    guard case .success(var network) = RateNetwork.make(input: shape, layers: config.layers, dt: config.dt, random: &random) else {
      preconditionFailure("the architecture was checked against the input shape when the configuration was read")
    }
    if config.hiddenNeuron == .loihiLIF { network.lif = LIFRate(tauRC: config.tauRC, tauRef: config.tauRef, dt: config.dt) }
    var adam = Adam(parameters: network, learningRate: config.learningRate)
    var order = Array(0..<train.count)
    var log: [EpochRecord] = []
    let workers = (0..<chunks).map { _ in GradientWorker(network: network) }
    for epoch in 1...max(config.epochs, 1) {
      let start = DispatchTime.now().uptimeNanoseconds
      calibrateScales(&network, on: train)
      var chip = try chipWeights(network, train)
      for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.next(below: i + 1)) }
      var lossSum = 0.0
      for batchStart in stride(from: 0, to: order.count, by: config.batchSize) {
        let batch = Array(order[batchStart..<min(batchStart + config.batchSize, order.count)])
        let frozen = chip?.applied(to: network) ?? network
        let chunks = self.chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
          let lo = batch.count * c / chunks
          let hi = batch.count * (c + 1) / chunks
          workers[c].accumulate(frozen, samples: batch[lo..<hi], from: train)
        }
        var gradient = workers[0].gradient
        for c in 1..<chunks { gradient.add(workers[c].gradient) }
        for c in 0..<chunks { lossSum += workers[c].loss }
        gradient.scale(by: 1 / Double(batch.count))
        adam.step(&network, gradient: gradient)
      }
      chip = try chipWeights(network, train)
      let measured = chip?.applied(to: network) ?? network
      let record = EpochRecord(
        epoch: epoch, loss: lossSum / Double(train.count), trainAccuracy: accuracy(measured, on: train).accuracy,
        testAccuracy: test.map { accuracy(measured, on: $0).accuracy },
        seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      log.append(record)
      progress(record)
    }
    let final = try chipWeights(network, train)?.applied(to: network) ?? network
    let predictions = test.map { accuracy(final, on: $0).predictions } ?? []
    var scores: [Double] = []
    if let test {
      for i in 0..<test.count { scores += final.scores(Array(test.inputs[(i * test.featureCount)..<((i + 1) * test.featureCount)])) }
    }
    return TrainingResult(network: network, log: log, testPredictions: predictions, testScores: scores)
  }

  /// The chip's weights for `network` (nil unless training is quantization-aware).
  func chipWeights(_ network: RateNetwork, _ train: LabelledSamples) throws(MappingError) -> ChipWeights? {
    guard config.quantizationAware else { return nil }
    return try ChipWeights(network, sample: Array(train.inputs.prefix(train.featureCount)), tauS: config.tauS, inputRate: config.inputRate)
  }

  /// Sets each hidden layer's scale so that the 99.9th percentile of its positive
  /// pre-activations on (up to 512 of) the training samples fires at `maxRate`, and the
  /// readout's likewise (its scale sets the readout current's size on the chip).
  func calibrateScales(_ network: inout RateNetwork, on samples: LabelledSamples) {
    let n = min(samples.count, 512)
    var values = network.layers.map { _ in [Double]() }
    var (pre, activations) = network.buffers()
    for l in network.layers.indices where network.layers[l].hasNeurons {
      values[l].removeAll()
      for i in 0..<n {
        samples.inputs.withUnsafeBufferPointer { all in
          network.forward(UnsafeBufferPointer(rebasing: all[(i * samples.featureCount)..<((i + 1) * samples.featureCount)]), pre: &pre, activations: &activations)
        }
        values[l] += pre[l].filter { $0 > 0 }
      }
      let sorted = values[l].sorted()
      let p = sorted.isEmpty ? 1 : max(sorted[min(sorted.count - 1, Int(0.999 * Double(sorted.count)))], 1e-6)
      // The current that fires at maxRate: maxRate itself for a rectified linear neuron.
      let target = l < network.layers.count - 1 ? network.lif?.current(forRate: config.maxRate) ?? config.maxRate : config.maxRate
      network.layers[l].scale = target / p
    }
  }

  /// Accuracy and predictions of `network` (forward as on the chip) on `samples`.
  public func accuracy(_ network: RateNetwork, on samples: LabelledSamples) -> (accuracy: Double, predictions: [Int]) {
    let out = SharedInts(count: samples.count)
    let chunks = self.chunks
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
      var (pre, activations) = network.buffers()
      for i in (samples.count * c / chunks)..<(samples.count * (c + 1) / chunks) {
        samples.inputs.withUnsafeBufferPointer { all in
          network.forward(UnsafeBufferPointer(rebasing: all[(i * samples.featureCount)..<((i + 1) * samples.featureCount)]), pre: &pre, activations: &activations)
        }
        let scores = activations[network.layers.count]
        out.values[i] = scores.indices.max { scores[$0] < scores[$1] } ?? 0
      }
    }
    let predictions = Array(out.values)
    let correct = zip(predictions, samples.labels).filter { $0 == $1 }.count
    return (samples.count == 0 ? 0 : Double(correct) / Double(samples.count), predictions)
  }
}

/// Integers written by parallel workers, each to its own indices.
final class SharedInts: @unchecked Sendable {
  let values: UnsafeMutableBufferPointer<Int>
  init(count: Int) {
    values = .allocate(capacity: count)
    values.initialize(repeating: 0)
  }
  deinit { values.deallocate() }
}

/// Gradients of every weight and bias, laid out like the network.
struct Gradient: Sendable {
  var weights: [[Double]]
  var bias: [[Double]]

  init(zeroLike network: RateNetwork) {
    weights = network.layers.map { [Double](repeating: 0, count: $0.weights.count) }
    bias = network.layers.map { [Double](repeating: 0, count: $0.bias.count) }
  }

  mutating func add(_ other: Gradient) {
    for l in weights.indices {
      for k in weights[l].indices { weights[l][k] += other.weights[l][k] }
      for k in bias[l].indices { bias[l][k] += other.bias[l][k] }
    }
  }

  mutating func scale(by factor: Double) {
    for l in weights.indices {
      for k in weights[l].indices { weights[l][k] *= factor }
      for k in bias[l].indices { bias[l][k] *= factor }
    }
  }
}

/// One chunk's work buffers and gradient; used by one thread at a time.
final class GradientWorker: @unchecked Sendable {
  var gradient: Gradient
  var loss = 0.0
  private var pre: [[Double]]
  private var activations: [[Double]]
  private var delta: [[Double]]

  init(network: RateNetwork) {
    gradient = Gradient(zeroLike: network)
    (pre, activations) = network.buffers()
    // delta[l] is dLoss/d activations[l] (the input of layer l).
    delta = [[Double](repeating: 0, count: network.layers[0].inputs)] + network.layers.map { [Double](repeating: 0, count: $0.outputs) }
  }

  /// Replaces the gradient and loss by those of `samples` (summed, not averaged).
  func accumulate(_ network: RateNetwork, samples: ArraySlice<Int>, from data: LabelledSamples) {
    gradient = Gradient(zeroLike: network)
    loss = 0
    let last = network.layers.count - 1
    for i in samples {
      data.inputs.withUnsafeBufferPointer { all in
        network.forward(UnsafeBufferPointer(rebasing: all[(i * data.featureCount)..<((i + 1) * data.featureCount)]), pre: &pre, activations: &activations)
      }
      // Softmax cross-entropy on the readout's scores.
      let scores = activations[last + 1]
      let top = scores.max() ?? 0
      let exps = scores.map { Foundation.exp($0 - top) }
      let sum = exps.reduce(0, +)
      let label = data.labels[i]
      loss += -(scores[label] - top - Foundation.log(sum))
      for o in scores.indices { delta[last + 1][o] = exps[o] / sum - (o == label ? 1 : 0) }
      // Back through the layers: the readout is linear; hidden neuron layers pass the
      // smooth rate's derivative (straight through the chip's staircase).
      for l in stride(from: last, through: 0, by: -1) {
        let layer = network.layers[l]
        switch layer.kind {
        case .dense, .conv2d:
          if l < last {
            for o in 0..<layer.outputs { delta[l + 1][o] *= network.rateDerivative(current: layer.scale * pre[l][o]) }
          }
          backLinear(layer, l)
        case .avgpool2d:
          let (c, ih, iw) = (layer.inputShape[0], layer.inputShape[1], layer.inputShape[2])
          let (oh, ow) = (layer.outputShape[1], layer.outputShape[2])
          let k = layer.kernel[0]
          let norm = 1 / Double(k * k)
          for i in 0..<layer.inputs { delta[l][i] = 0 }
          for ch in 0..<c {
            for y in 0..<oh {
              for x in 0..<ow {
                let d = delta[l + 1][(ch * oh + y) * ow + x] * norm
                for dy in 0..<k { for dx in 0..<k { delta[l][(ch * ih + y * k + dy) * iw + x * k + dx] = d } }
              }
            }
          }
        case .flatten:
          for i in 0..<layer.inputs { delta[l][i] = delta[l + 1][i] }
        }
      }
    }
  }

  /// Adds layer l's weight and bias gradients for the output deltas `delta[l + 1]` and
  /// writes the input deltas `delta[l]` (not needed for the first layer).
  private func backLinear(_ layer: RateNetwork.Layer, _ l: Int) {
    // The buffers are moved out for the loops, so that they run over plain pointers
    // (no uniqueness or exclusivity checks per element), and moved back after.
    var gw: [Double] = []
    var gb: [Double] = []
    var din: [Double] = []
    swap(&gw, &gradient.weights[l])
    swap(&gb, &gradient.bias[l])
    swap(&din, &delta[l])
    defer {
      swap(&gw, &gradient.weights[l])
      swap(&gb, &gradient.bias[l])
      swap(&din, &delta[l])
    }
    let dout = delta[l + 1]
    let input = activations[l]
    let needsInput = l > 0
    gw.withUnsafeMutableBufferPointer { gw in
      gb.withUnsafeMutableBufferPointer { gb in
        din.withUnsafeMutableBufferPointer { din in
          layer.weights.withUnsafeBufferPointer { w in
            input.withUnsafeBufferPointer { x in
              dout.withUnsafeBufferPointer { dout in
                if needsInput { for i in 0..<layer.inputs { din[i] = 0 } }
                if layer.kind == .dense {
                  for o in 0..<layer.outputs {
                    let d = dout[o]
                    guard d != 0 else { continue }
                    gb[o] += d
                    let row = o * layer.inputs
                    for k in 0..<layer.inputs { gw[row + k] += d * x[k] }
                    if needsInput { for k in 0..<layer.inputs { din[k] += w[row + k] * d } }
                  }
                  return
                }
                let g = layer.conv
                let (ic, ih, iw, oc, oh, ow, kh, kw, sy, sx, py, px) = (g.ic, g.ih, g.iw, g.oc, g.oh, g.ow, g.kh, g.kw, g.sy, g.sx, g.py, g.px)
                for c in 0..<oc {
                  for y in 0..<oh {
                    for xo in 0..<ow {
                      let d = dout[(c * oh + y) * ow + xo]
                      guard d != 0 else { continue }
                      gb[c] += d
                      for i in 0..<ic {
                        for dy in 0..<kh {
                          let yy = y * sy - py + dy
                          guard yy >= 0 && yy < ih else { continue }
                          for dx in 0..<kw {
                            let xx = xo * sx - px + dx
                            guard xx >= 0 && xx < iw else { continue }
                            let wi = ((c * ic + i) * kh + dy) * kw + dx
                            let xi = (i * ih + yy) * iw + xx
                            gw[wi] += d * x[xi]
                            if needsInput { din[xi] += w[wi] * d }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

/// Adam (Kingma & Ba 2015) with β1 = 0.9, β2 = 0.999, ε = 1e-8, over groups of parameters.
struct Adam: Sendable {
  var learningRate: Double
  var m: [[Double]]
  var v: [[Double]]
  var t = 0

  init(sizes: [Int], learningRate: Double) {
    self.learningRate = learningRate
    m = sizes.map { [Double](repeating: 0, count: $0) }
    v = m
  }

  /// A step for every group of `parameters` along its gradient.
  mutating func step(_ parameters: inout [[Double]], gradients g: [[Double]]) {
    t += 1
    let (b1, b2, eps) = (0.9, 0.999, 1e-8)
    let c1 = 1 - Foundation.pow(b1, Double(t))
    let c2 = 1 - Foundation.pow(b2, Double(t))
    for group in parameters.indices {
      for k in parameters[group].indices {
        m[group][k] = b1 * m[group][k] + (1 - b1) * g[group][k]
        v[group][k] = b2 * v[group][k] + (1 - b2) * g[group][k] * g[group][k]
        parameters[group][k] -= learningRate * (m[group][k] / c1) / ((v[group][k] / c2).squareRoot() + eps)
      }
    }
  }
}

extension Adam {
  /// Adam for a rate network's weights and biases, layer by layer.
  init(parameters network: RateNetwork, learningRate: Double) {
    self.init(sizes: network.layers.flatMap { [$0.weights.count, $0.bias.count] }, learningRate: learningRate)
  }

  /// A step for `network` along `gradient`.
  mutating func step(_ network: inout RateNetwork, gradient: Gradient) {
    var parameters = network.layers.flatMap { [$0.weights, $0.bias] }
    step(&parameters, gradients: zip(gradient.weights, gradient.bias).flatMap { [$0, $1] })
    for l in network.layers.indices {
      network.layers[l].weights = parameters[2 * l]
      network.layers[l].bias = parameters[2 * l + 1]
    }
  }
}
