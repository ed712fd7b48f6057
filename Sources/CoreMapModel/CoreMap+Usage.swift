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
  /// Routes whose destination is on another chip.
  public var interChipRoutes: Int
  /// The layer pieces on the core, e.g. `["hidden[0..<512]", "out"]`.
  public var contents: [String]
}

extension CoreMap {
  /// Resource use of every core, in core order.
  public func usage() -> [CoreUsage] {
    let limits = board.chip.core
    return cores.enumerated().map { i, core in
      CoreUsage(
        core: i, chip: core.chip, coreOnChip: core.coreOnChip, compartments: core.compartmentCount,
        inputAxons: core.inputAxonCount, outputAxons: core.routes.count, synapseWords: core.synapseWords(limits: limits),
        interChipRoutes: core.routes.filter { cores[Int($0.core)].chip != core.chip }.count,
        contents: contents(of: core))
    }
  }

  /// Contiguous runs of one layer's neurons on a core, as `name[a..<b]` (or `name` when
  /// the whole layer is there).
  private func contents(of core: CoreProgram) -> [String] {
    var out: [String] = []
    var k = 0
    let n = core.compartmentCount
    while k < n {
      let layer = Int(core.compartmentLayer[k])
      let first = core.compartmentNeuron[k]
      var end = k + 1
      while end < n && core.compartmentLayer[end] == Int32(layer)
        && core.compartmentNeuron[end] == first + Int32(end - k)
      {
        end += 1
      }
      let name = layer < layers.count ? layers[layer].name : "layer \(layer)"
      let size = layer < layers.count ? layers[layer].size : -1
      out.append(end - k == size ? name : "\(name)[\(first)..<\(first + Int32(end - k))]")
      k = end
    }
    return out
  }
}
