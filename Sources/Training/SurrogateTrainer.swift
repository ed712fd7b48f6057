import Dispatch
import Foundation
import LoihiArithmetic
import NetworkModel

/// Trains a ``SpikingNetwork`` by surrogate-gradient BPTT through the chip's dynamics:
/// minibatch Adam (its step falling linearly to a tenth over the epochs) on softmax
/// cross-entropy of the output spike counts. Deterministic for a
/// seed (fixed chunks per minibatch, gradients added in order).
public struct SurrogateTrainer: Sendable {
  public var steps: Int
  public var surrogate: Surrogate
  /// Logits are spike counts × `countScale` / steps, or mean currents × `countScale` /
  /// threshold.
  public var countScale: Double
  /// What the loss (and the accuracy) reads from the output layer.
  public var readout: SpikingNetwork.Readout = .spikeCount
  /// Decoupled weight decay (AdamW): every step shrinks each weight by step size × this.
  public var weightDecay = 0.0
  public var epochs: Int
  public var batchSize: Int
  public var learningRate: Double
  public var seed: UInt64
  /// Chunks each minibatch is cut into for parallel work (fixed, for determinism).
  public var chunks = 8
  /// Per-neuron time constants learned with the weights (none by default).
  public var timeConstants = TimeConstantTraining()

  public init(
    steps: Int, surrogate: Surrogate, countScale: Double = 10, epochs: Int, batchSize: Int, learningRate: Double, seed: UInt64
  ) {
    self.steps = steps
    self.surrogate = surrogate
    self.countScale = countScale
    self.epochs = epochs
    self.batchSize = batchSize
    self.learningRate = learningRate
    self.seed = seed
  }

  /// Trains `network` on `train`; reports each epoch (loss during it, accuracy after).
  public func train(
    _ initial: SpikingNetwork, on train: LabelledSamples, test: LabelledSamples?, progress: (EpochRecord) -> Void = { _ in }
  ) -> (network: SpikingNetwork, log: [EpochRecord]) {
    var network = initial
    if timeConstants.isEnabled { network.makeTimeConstantsTrainable(timeConstants) }
    var random = SplitMix64(seed: seed)
    var adam = Adam(sizes: network.layers.flatMap { [$0.weights.count, $0.recurrentWeights.count] }, learningRate: learningRate)
    var decayAdam = Adam(
      sizes: network.layers.flatMap { [$0.logDecayU?.count ?? 0, $0.logDecayV?.count ?? 0] }, learningRate: timeConstants.learningRate)
    var order = Array(0..<train.count)
    var log: [EpochRecord] = []
    let results = (0..<chunks).map { _ in ChunkResult() }
    let loss = SpikingLoss(surrogate: surrogate, countScale: countScale, readout: readout)
    for epoch in 1...max(epochs, 1) {
      let start = DispatchTime.now().uptimeNanoseconds
      // The step size falls linearly to a tenth over the epochs: spike counts are noisy
      // targets, and a constant step keeps jumping between nearby solutions.
      let fraction = 1 - 0.9 * Double(epoch - 1) / Double(max(epochs - 1, 1))
      adam.learningRate = learningRate * fraction
      decayAdam.learningRate = timeConstants.learningRate * fraction
      for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.next(below: i + 1)) }
      var lossSum = 0.0
      for batchStart in stride(from: 0, to: order.count, by: batchSize) {
        let batch = Array(order[batchStart..<min(batchStart + batchSize, order.count)])
        let frozen = network
        let (chunks, steps) = (self.chunks, self.steps)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
          var gradient = SpikingGradient(zeroFor: frozen)
          var sum = 0.0
          for i in batch[(batch.count * c / chunks)..<(batch.count * (c + 1) / chunks)] {
            let x = train.inputs[(i * train.featureCount)..<((i + 1) * train.featureCount)]
            sum += frozen.accumulate(x, label: train.labels[i], steps: steps, loss: loss, into: &gradient)
          }
          results[c].gradient = gradient
          results[c].loss = sum
        }
        var gradient = SpikingGradient(zeroFor: network)
        for c in 0..<chunks { if let part = results[c].gradient { gradient.add(part) } }
        for c in 0..<chunks { lossSum += results[c].loss }
        gradient.scale(by: 1 / Double(batch.count))
        var weights = network.layers.flatMap { [$0.weights, $0.recurrentWeights] }
        if weightDecay > 0 {
          let shrink = 1 - adam.learningRate * weightDecay
          for l in weights.indices { for k in weights[l].indices { weights[l][k] *= shrink } }
        }
        adam.step(&weights, gradients: zip(gradient.weights, gradient.recurrent).flatMap { [$0, $1] })
        for l in network.layers.indices {
          network.layers[l].weights = weights[2 * l].map { min(max($0, -255), 255) }
          network.layers[l].recurrentWeights = weights[2 * l + 1].map { min(max($0, -255), 255) }
        }
        if timeConstants.isEnabled {
          var decays = network.layers.flatMap { [$0.logDecayU ?? [], $0.logDecayV ?? []] }
          decayAdam.step(&decays, gradients: zip(gradient.logDecayU, gradient.logDecayV).flatMap { [$0, $1] })
          // Log-decays stay within the 12-bit field (decay 1 ... 4095).
          let limit = Foundation.log(4095.0)
          for l in network.layers.indices {
            if network.layers[l].logDecayU != nil { network.layers[l].logDecayU = decays[2 * l].map { min(max($0, 0), limit) } }
            if network.layers[l].logDecayV != nil { network.layers[l].logDecayV = decays[2 * l + 1].map { min(max($0, 0), limit) } }
          }
          network.snapTimeConstants(timeConstants)
        }
      }
      let record = EpochRecord(
        epoch: epoch, loss: lossSum / Double(train.count), trainAccuracy: accuracy(network, on: train),
        testAccuracy: test.map { accuracy(network, on: $0) }, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      log.append(record)
      progress(record)
    }
    return (network, log)
  }

  /// The share of `samples` whose largest readout is at the label (ties: the first such
  /// neuron, as `evaluate` takes it).
  public func accuracy(_ network: SpikingNetwork, on samples: LabelledSamples) -> Double {
    let correct = SharedInts(count: samples.count)
    let (chunks, steps, readout) = (self.chunks, self.steps, self.readout)
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
      for i in (samples.count * c / chunks)..<(samples.count * (c + 1) / chunks) {
        let counts = network.scores(samples.inputs[(i * samples.featureCount)..<((i + 1) * samples.featureCount)], steps: steps, readout: readout)
        let predicted = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) } ?? 0
        correct.values[i] = predicted == samples.labels[i] ? 1 : 0
      }
    }
    return samples.count == 0 ? 0 : Double(correct.values.reduce(0, +)) / Double(samples.count)
  }
}

/// One chunk's gradient and loss, written by one worker.
final class ChunkResult: @unchecked Sendable {
  var gradient: SpikingGradient? = nil
  var loss = 0.0
}

extension SurrogateTrainer {
  /// The trainer a configuration asks for (surrogate mode).
  public init(config: TrainingConfig) {
    self.init(
      steps: config.timesteps, surrogate: config.spiking.surrogate, countScale: config.spiking.countScale, epochs: config.epochs,
      batchSize: config.batchSize, learningRate: config.learningRate, seed: config.seed)
    readout = config.spiking.readout
    weightDecay = config.spiking.weightDecay
    timeConstants = config.spiking.timeConstants
  }

  /// Trains the network `config` describes from its seed on `train`, and reads the test
  /// samples' output with the result (what the chip will read: spike counts or mean
  /// currents).
  ///
  /// - Parameter base: fine-tune mode's starting network (else built from `config`).
  public func train(
    config: TrainingConfig, base: SpikingNetwork? = nil, on train: LabelledSamples, test: LabelledSamples?, progress: (EpochRecord) -> Void = { _ in }
  ) -> (network: SpikingNetwork, log: [EpochRecord], testScores: [[Double]]) {
    let initial = base ?? initialNetwork(config: config, inputShape: train.shape)
    let (network, log) = self.train(initial, on: train, test: test, progress: progress)
    return (network, log, scores(network, on: test))
  }

  /// The readout of every sample of `samples` (none without samples).
  public func scores(_ network: SpikingNetwork, on samples: LabelledSamples?) -> [[Double]] {
    guard let samples else { return [] }
    let rows = SharedRows(count: samples.count)
    let (chunks, steps, readout) = (self.chunks, self.steps, self.readout)
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
      for i in (samples.count * c / chunks)..<(samples.count * (c + 1) / chunks) {
        rows.values[i] = network.scores(samples.inputs[(i * samples.featureCount)..<((i + 1) * samples.featureCount)], steps: steps, readout: readout)
      }
    }
    return rows.values
  }

  /// The network `config` describes, with weights drawn from its seed (for the voltage
  /// loss, a readout that integrates without spiking).
  public func initialNetwork(config: TrainingConfig, inputShape shape: [Int]) -> SpikingNetwork {
    var network = describedNetwork(config: config, inputShape: shape)
    if config.spiking.readout == .voltage { network.layers[network.layers.count - 1].thresholdMantissa = SpikingNetwork.silentThresholdMantissa }
    return network
  }

  func describedNetwork(config: TrainingConfig, inputShape shape: [Int]) -> SpikingNetwork {
    let s = config.spiking
    var random = SplitMix64(seed: config.seed)
    let neuron = NeuronParameters(
      model: s.decayV == 0 ? .loihiSpikingRectifiedLinear : .loihiLIF, decayU: s.decayU, decayV: s.decayV, thresholdMantissa: s.thresholdMantissa,
      refractoryDelay: s.refractoryDelay)
    return SpikingNetwork(
      inputShape: config.spikeTrainInput ? Array(shape.dropFirst()) : shape, layers: config.layers, neuron: neuron, exponent: s.weightExponent, weightLimit: s.weightLimit,
      weightLimits: config.layerWeightLimits, input: config.spikeTrainInput ? .spikeTrains : .encoder(rate: config.inputRate), dt: config.dt,
      random: &random)
  }
}

/// Rows written by several workers, each row by one.
final class SharedRows: @unchecked Sendable {
  var values: [[Double]]
  init(count: Int) { values = [[Double]](repeating: [], count: count) }
}
