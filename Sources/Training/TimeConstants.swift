import Foundation

/// The decays a trained time constant may take: `levels` values spaced evenly in log between
/// `smallest` and `largest` (12-bit decay fields, 1 … 4095). A neuron's latent log-decay is
/// snapped to the nearest level in the forward pass, and the gradient passes the snap
/// straight through.
///
/// The grid is what keeps a trained network on the chip: a core holds at most 32
/// compartment profiles (distinct decay pairs and refractory delays), so the levels of
/// `decay_u` times those of `decay_v` are kept within 32 by the configuration.
public struct TimeConstantGrid: Sendable, Equatable {
  public var levels: Int
  public var smallest: Int
  public var largest: Int

  /// Creates a grid; `levels` ≥ 1 and 1 ≤ `smallest` ≤ `largest` ≤ 4095.
  public init(levels: Int, smallest: Int = 16, largest: Int = 4095) {
    precondition(levels >= 1 && 1 <= smallest && smallest <= largest && largest <= 4095, "a grid of decays within 12 bits")
    self.levels = levels
    self.smallest = smallest
    self.largest = largest
  }

  /// The level values, ascending (distinct after rounding; fewer than `levels` if the range
  /// is too narrow to hold them all).
  public var values: [Int] {
    guard levels > 1 else { return [smallest] }
    let (a, b) = (Foundation.log(Double(smallest)), Foundation.log(Double(largest)))
    var out: [Int] = []
    for k in 0..<levels {
      let d = Int(Foundation.exp(a + (b - a) * Double(k) / Double(levels - 1)).rounded())
      if out.last != d { out.append(min(max(d, smallest), largest)) }
    }
    return out
  }

  /// The level nearest (in log) to `exp(logDecay)`.
  public func snap(_ logDecay: Double, values: [Int]) -> Int {
    var best = values[0]
    var distance = Double.infinity
    for d in values {
      let e = abs(Foundation.log(Double(d)) - logDecay)
      if e < distance {
        distance = e
        best = d
      }
    }
    return best
  }
}

/// What surrogate training learns besides the weights.
public struct TimeConstantTraining: Sendable, Equatable {
  /// Train the per-neuron current decay `decay_u` (synaptic time constant).
  public var current: TimeConstantGrid?
  /// Train the per-neuron voltage decay `decay_v` (membrane time constant).
  public var voltage: TimeConstantGrid?
  /// Adam's step for the log-decays (a step of 0.02 changes a time constant by about 2 %).
  public var learningRate: Double = 0.02

  public init(current: TimeConstantGrid? = nil, voltage: TimeConstantGrid? = nil, learningRate: Double = 0.02) {
    self.current = current
    self.voltage = voltage
    self.learningRate = learningRate
  }

  /// Whether anything is trained.
  public var isEnabled: Bool { current != nil || voltage != nil }
}

extension SpikingNetwork {
  /// Starts training the time constants of every layer: latent log-decays from the
  /// programmed ones, snapped to the grids.
  public mutating func makeTimeConstantsTrainable(_ training: TimeConstantTraining) {
    for l in layers.indices {
      if let grid = training.current {
        layers[l].logDecayU = layers[l].decayU.map { Foundation.log(Double(max($0, 1))) }
        let values = grid.values
        layers[l].decayU = layers[l].decayU.map { grid.snap(Foundation.log(Double(max($0, 1))), values: values) }
        layers[l].initialDecayU = layers[l].decayU
      }
      if let grid = training.voltage {
        layers[l].logDecayV = layers[l].decayV.map { Foundation.log(Double(max($0, 1))) }
        let values = grid.values
        layers[l].decayV = layers[l].decayV.map { grid.snap(Foundation.log(Double(max($0, 1))), values: values) }
        layers[l].initialDecayV = layers[l].decayV
      }
    }
  }

  /// Programs the decays from the latent log-decays (after a training step).
  mutating func snapTimeConstants(_ training: TimeConstantTraining) {
    let uValues = training.current?.values ?? []
    let vValues = training.voltage?.values ?? []
    for l in layers.indices {
      if let grid = training.current, let latent = layers[l].logDecayU { layers[l].decayU = latent.map { grid.snap($0, values: uValues) } }
      if let grid = training.voltage, let latent = layers[l].logDecayV { layers[l].decayV = latent.map { grid.snap($0, values: vValues) } }
    }
  }
}

extension TimeConstantGrid {
  /// The time constant, in steps, of a current decay (`u ← u·(4095 − d)/4096`) or a
  /// voltage decay (`v ← v·(4096 − d)/4096`): −1/ln(factor/4096); 0 when nothing is kept.
  public static func steps(decay d: Int, current: Bool) -> Double {
    let factor = Double((current ? 4095 : 4096) - d) / 4096
    return factor <= 0 ? 0 : -1 / Foundation.log(factor)
  }
}
