import LoihiArithmetic
import NetworkModel

/// A full Loihi 1 chip at a chosen activity (issue 11): 1,280 groups of 100 neurons, ten to
/// a core, so 128,000 compartments fill the 128 cores; every group receives a dense 100 × 100
/// connection from one other group (a random permutation), so each neuron has a fan-in and
/// fan-out of 100 and the chip holds 12.8 M synapses, about 100 K per core (the 8-bit
/// synapse memory of a Loihi core holds about 120 K).
///
/// Neurons are non-leaky (`LoihiSpikingRectifiedLinear`) and driven by their bias: neuron
/// i alone would fire once every 1 / (activity × spread_i) steps (bias = vth / (period − 1),
/// since v must pass vth and resets to 0), with spread_i uniform in [0.5, 1.5] so that the
/// groups do not fire in lockstep. Weights are small and zero-mean
/// (−16 … 15), so the synaptic input perturbs the rhythm without running away; the
/// measured activity is printed with every result.
///
/// `chips` > 1 builds the same structure `chips` times over (one permutation cycle through
/// all groups), for the system-scale benchmark. There `distinctWeights` bounds the number of
/// different weight matrices: connections share them (Swift arrays are shared until
/// written), so the network description stays small while the mapper and the emulator still
/// store every synapse of every core.
enum FullChipNetwork {
  static let groupsPerChip = 1280
  static let groupSize = 100

  /// `connected` is the fraction of groups that receive their connection (the rest run on
  /// their bias alone): the system benchmark's way to trade synapses for compartments.
  static func make(
    activity: Double, chips: Int = 1, groups: Int? = nil, distinctWeights: Int? = nil, connected: Double = 1,
    seed: UInt64 = 4
  ) -> Network {
    var rng = SplitMix64(seed: seed)
    let groups = groups ?? groupsPerChip * chips
    let thresholdMantissa = 1000  // vth = 64,000 voltage units
    let threshold = Double(thresholdMantissa << 6)
    func bias(spread: Double) -> Double { threshold / max(1 / (activity * spread) - 1, 1) }
    // The exponent is chosen so that the largest mantissa fits 12 bits.
    var exponent = 0
    while bias(spread: 1.5) / Double(1 << exponent) > 4095 && exponent < 7 { exponent += 1 }
    var order = Array(0..<groups)
    order.shuffle(using: &rng)
    var layers: [Layer] = []
    var connections: [Connection] = []
    layers.reserveCapacity(groups)
    connections.reserveCapacity(groups)
    for g in 0..<groups {
      let bias = (0..<groupSize).map { _ in
        Int((bias(spread: Double.random(in: 0.5...1.5, using: &rng)) / Double(1 << exponent)).rounded())
      }
      layers.append(
        Layer(
          name: "g\(g)", size: groupSize,
          neuron: NeuronParameters(
            model: .loihiSpikingRectifiedLinear, thresholdMantissa: thresholdMantissa, biasMantissa: bias,
            biasExponent: exponent)))
    }
    var shared: [[Int32]] = []
    for g in 0..<groups {
      // Group order[g] feeds group order[(g + 1) % groups]: one cycle through every group.
      let from = order[g]
      let to = order[(g + 1) % groups]
      if connected < 1 && Double(g % 1000) >= connected * 1000 { continue }
      let values: [Int32]
      if let distinctWeights, shared.count >= distinctWeights {
        values = shared[g % distinctWeights]
      } else {
        values = (0..<groupSize * groupSize).map { _ in Int32(Int.random(in: -16...15, using: &rng)) }
        if distinctWeights != nil { shared.append(values) }
      }
      connections.append(
        Connection(from: "g\(from)", to: "g\(to)", weights: WeightMatrix(rows: groupSize, columns: groupSize, values: values)))
    }
    let percent = activity * 100
    return Network(
      name: "\(chips == 1 ? "full Loihi chip" : "\(chips) full Loihi chips"), \(percent < 1 ? String(percent) : String(Int(percent.rounded()))) % activity",
      layers: layers, connections: connections)
  }
}
