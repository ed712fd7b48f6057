import LoihiArithmetic

/// A temporal classification task in the spirit of the Spiking Heidelberg Digits, generated
/// deterministically: the class is carried by the *order* in which groups of input channels
/// fire, not by how often they fire.
///
/// The input has `groups × channelsPerGroup` channels. A sample of class c plays the groups
/// one after another, in the class's own order (a fixed permutation per class, drawn from
/// the task's seed), each for `slotSteps` steps followed by `gapSteps` quiet ones; while its
/// group plays, a channel spikes
/// with probability `spikeProbability` per step. The whole pattern is shifted by up to
/// ±`jitter` steps, every channel also fires background spikes with probability `noise`,
/// and `tailSteps` quiet steps follow. Every class plays every group once for the same time,
/// so each channel's expected spike count is the same in every class: a reader of rates is
/// at chance, and a network must remember what came before, which takes time constants of
/// the order of a slot or longer.
public struct SpikePatternTask: Sendable, Equatable {
  public var classes: Int
  public var groups: Int
  public var channelsPerGroup: Int
  public var slotSteps: Int
  /// Quiet steps after each group's slot: the gap a network must remember across.
  public var gapSteps: Int
  public var tailSteps: Int
  public var spikeProbability: Double
  public var noise: Double
  public var jitter: Int
  /// Seed of the class orders.
  public var seed: UInt64

  public init(
    classes: Int = 6, groups: Int = 6, channelsPerGroup: Int = 4, slotSteps: Int = 8, gapSteps: Int = 0, tailSteps: Int = 8, spikeProbability: Double = 0.4,
    noise: Double = 0.01, jitter: Int = 2, seed: UInt64 = 1
  ) {
    self.classes = classes
    self.groups = groups
    self.channelsPerGroup = channelsPerGroup
    self.slotSteps = slotSteps
    self.gapSteps = gapSteps
    self.tailSteps = tailSteps
    self.spikeProbability = spikeProbability
    self.noise = noise
    self.jitter = jitter
    self.seed = seed
  }

  /// Input channels.
  public var channels: Int { groups * channelsPerGroup }
  /// Steps of one sample.
  public var steps: Int { groups * (slotSteps + gapSteps) + 2 * jitter + tailSteps }

  /// The order of the groups in each class: distinct permutations drawn from `seed`.
  public var orders: [[Int]] {
    var random = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 17)
    var out: [[Int]] = []
    // Distinct orders exist for classes ≤ groups! (the configuration checks it).
    while out.count < classes {
      var order = Array(0..<groups)
      for i in stride(from: groups - 1, to: 0, by: -1) { order.swapAt(i, random.next(below: i + 1)) }
      if !out.contains(order) { out.append(order) }
    }
    return out
  }

  /// `count` samples `[steps, channels]` (0/1) with labels, from `seed` (the train and test
  /// sets use different seeds; the class orders are the task's).
  public func samples(count: Int, seed sampleSeed: UInt64) -> LabelledSamples {
    let orders = self.orders
    var random = SplitMix64(seed: sampleSeed)
    let (t, n) = (steps, channels)
    var inputs = [Double](repeating: 0, count: count * t * n)
    var labels: [Int] = []
    labels.reserveCapacity(count)
    for s in 0..<count {
      let label = random.next(below: classes)
      labels.append(label)
      let shift = random.next(below: 2 * jitter + 1) - jitter
      let base = s * t * n
      for step in 0..<t {
        // The group playing at this step (the pattern starts `jitter` steps in, shifted).
        let position = step - jitter - shift
        let period = slotSteps + gapSteps
        let slot = position >= 0 && position % period < slotSteps ? position / period : -1
        let playing = slot >= 0 && slot < groups ? orders[label][slot] : -1
        for channel in 0..<n {
          let p = channel / channelsPerGroup == playing ? spikeProbability : noise
          if random.nextUnit() < p { inputs[base + step * n + channel] = 1 }
        }
      }
    }
    return LabelledSamples(inputs: inputs, labels: labels, featureCount: t * n, shape: [t, n])
  }
}
