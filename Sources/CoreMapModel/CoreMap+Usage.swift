import HardwareSpec

/// The resources one core of a core map uses, and what lives on it.
public struct CoreUsage: Sendable, Equatable {
  /// Global core index.
  public var core: Int
  /// Chip index.
  public var chip: Int
  /// Core index on the chip.
  public var coreOnChip: Int
  /// Compartments in use.
  public var compartments: Int
  /// Input axons in use.
  public var inputAxons: Int
  /// Output axons (routes) in use.
  public var outputAxons: Int
  /// Synapse memory words in use.
  public var synapseWords: Int
  /// Compartment profile table entries in use (distinct decay_u, decay_v, refract_delay).
  public var compartmentProfiles: Int = 0
  /// Threshold profile table entries in use (distinct thresholds).
  public var thresholdProfiles: Int = 0
  /// Routes whose destination is on another chip.
  public var interChipRoutes: Int
  /// Sum over the core's routes of the mesh hops each spike message travels.
  public var routeHops: Int
  /// The layer pieces on the core, e.g. `["hidden[0..<512]", "out"]`.
  public var contents: [String]
}

extension CoreMap {
  /// Mesh hops between two cores: tiles travelled in X plus in Y on the board-wide mesh
  /// (0 between cores of one tile). The energy and latency model prices these.
  public func hops(from a: Int, to b: Int) -> Int {
    abs(cores[a].meshX - cores[b].meshX) + abs(cores[a].meshY - cores[b].meshY)
  }

  /// Resource use of every core, in core order.
  public func usage() -> [CoreUsage] {
    let limits = board.chip.core
    return cores.enumerated().map { i, core in
      var usage = CoreUsage(
        core: i, chip: core.chip, coreOnChip: core.coreOnChip, compartments: core.compartmentCount,
        inputAxons: core.inputAxonCount, outputAxons: core.routes.count, synapseWords: core.synapseWords(limits: limits),
        interChipRoutes: core.routes.filter { cores[Int($0.core)].chip != core.chip }.count,
        routeHops: core.routes.reduce(0) { $0 + hops(from: i, to: Int($1.core)) },
        contents: contents(of: core))
      usage.compartmentProfiles = core.compartmentProfileCount
      usage.thresholdProfiles = core.thresholdProfileCount
      return usage
    }
  }

  /// What of each layer is on a core: `name` (all of it), `name[a..<b]` (a run of
  /// neurons), or `name: k neurons` (a tile of a layout that is not the neuron order).
  private func contents(of core: CoreProgram) -> [String] {
    var out: [String] = []
    var k = 0
    let n = core.compartmentCount
    while k < n {
      let layer = core.compartmentLayer[k]
      var end = k + 1
      while end < n && core.compartmentLayer[end] == layer { end += 1 }
      let neurons = core.compartmentNeuron[k..<end]
      let first = neurons.first ?? 0
      let contiguous = zip(neurons, neurons.dropFirst()).allSatisfy { $1 == $0 + 1 }
      let name = Int(layer) < layers.count ? layers[Int(layer)].name : "layer \(layer)"
      let size = Int(layer) < layers.count ? layers[Int(layer)].size : -1
      if contiguous {
        out.append(end - k == size ? name : "\(name)[\(first)..<\(first + Int32(end - k))]")
      } else {
        out.append("\(name): \(end - k) neurons")
      }
      k = end
    }
    return out
  }
}
