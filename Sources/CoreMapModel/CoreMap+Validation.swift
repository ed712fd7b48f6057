extension CoreMap {
  /// Checks that every array has the right length and every index points inside its
  /// target, so a core map read from anywhere can be executed without out-of-bounds access.
  ///
  /// - Returns: a description of each inconsistency; empty when the map is well formed.
  public func structuralProblems() -> [String] {
    var problems: [String] = []
    let coreCount = cores.count
    // Sizes are bounded before any arithmetic on them.
    let limit = 1 << 24
    let c = board.chip.core
    let m = board.chip.mesh
    if [c.compartments, c.inputAxons, c.outputAxons, c.synapseWords, c.synapseWordBits, c.synapsesPerChunk,
      board.chip.coresPerChip, board.chipCount, board.chipsX, m.coresPerTile, m.tilesX, m.tilesY, c.compartmentProfiles,
      c.thresholdProfiles].contains(where: { $0 < 1 })
      || c.chunkHeaderBits < 0
    {
      problems.append("board: a limit, count or mesh size is not positive")
      return problems
    }
    for (i, input) in inputs.enumerated()
    where input.size < 0 || input.size > limit || input.encoderRows < 0 || input.encoderRows > limit {
      problems.append("input \(i): size \(input.size) or encoder rows \(input.encoderRows) outside 0...2^24")
      return problems
    }
    // Every program on a physical core of the board, one program per core, at that core's
    // mesh position (a map from elsewhere may claim chip 7 of 1 or core 999,999 of 128).
    var occupied: Set<Int> = []
    let boardIsSmall = board.chipCount <= limit && board.chip.coresPerChip <= limit && m.tilesX <= limit && m.tilesY <= limit
      && board.chipsX <= limit
    for (i, core) in cores.enumerated() {
      guard core.chip >= 0 && core.chip < board.chipCount && core.coreOnChip >= 0 && core.coreOnChip < board.chip.coresPerChip else {
        problems.append(
          "core \(i): is placed on core \(core.coreOnChip) of chip \(core.chip), but '\(board.name)' has \(board.chipCount) chip(s) of \(board.chip.coresPerChip) cores")
        continue
      }
      guard boardIsSmall else { continue }
      if !occupied.insert(core.chip * board.chip.coresPerChip + core.coreOnChip).inserted {
        problems.append("core \(i): core \(core.coreOnChip) of chip \(core.chip) already holds another program")
      }
      let position = board.meshPosition(chip: core.chip, core: core.coreOnChip)
      if position.x != core.meshX || position.y != core.meshY {
        problems.append(
          "core \(i): its mesh position (\(core.meshX), \(core.meshY)) is not that of core \(core.coreOnChip) of chip \(core.chip), (\(position.x), \(position.y))")
      }
    }
    func checkRoutes(_ routes: [AxonRoute], owner: String) {
      for (k, r) in routes.enumerated() {
        guard r.core >= 0 && Int(r.core) < coreCount else {
          problems.append("\(owner): route \(k) targets core \(r.core), but there are \(coreCount) cores")
          return
        }
        let axons = cores[Int(r.core)].inputAxonCount
        guard r.axon >= 0 && Int(r.axon) < axons else {
          problems.append("\(owner): route \(k) targets input axon \(r.axon) of core \(r.core), which has \(axons)")
          return
        }
      }
    }
    func checkStarts(_ starts: [Int32], count: Int, total: Int, owner: String, what: String) {
      guard starts.count == count + 1, starts.first == 0, Int(starts.last ?? -1) == total,
        zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 })
      else {
        problems.append("\(owner): \(what) offsets are not \(count + 1) non-decreasing values from 0 to \(total)")
        return
      }
    }
    for (i, core) in cores.enumerated() {
      let owner = "core \(i)"
      let n = core.compartmentCount
      let lengths = [
        core.decayU.count, core.decayV.count, core.bias.count, core.refractoryDelay.count,
        core.compartmentLayer.count, core.compartmentNeuron.count,
      ]
      if n == 0 {
        problems.append("\(owner): has no compartments")
        continue
      }
      if lengths.contains(where: { $0 != n }) {
        problems.append("\(owner): compartment arrays differ in length")
        continue
      }
      if core.decayU.contains(where: { $0 < 0 || $0 > 4095 }) || core.decayV.contains(where: { $0 < 0 || $0 > 4095 }) {
        problems.append("\(owner): a decay is outside 0...4095")
      }
      if core.refractoryDelay.contains(where: { $0 < 0 || $0 > 63 }) {
        problems.append("\(owner): a refractory delay is outside 0...63")
      }
      if core.threshold.contains(where: { $0 <= 0 }) {
        problems.append("\(owner): a threshold is not positive")
      }
      if core.vmin > 0 || core.vmax < 0 || core.vmin < -(1 << 23) || core.vmax >= (1 << 23) {
        problems.append("\(owner): vmin/vmax (\(core.vmin), \(core.vmax)) outside the 24-bit voltage range")
      }
      if core.bias.contains(where: { $0 < -(1 << 23) || $0 >= (1 << 23) }) {
        problems.append("\(owner): a bias is outside the 24-bit range")
      }
      checkStarts(core.axonSegmentStart, count: core.inputAxonCount, total: core.segments.count, owner: owner, what: "axon segment")
      for (k, s) in core.segments.enumerated() {
        let inWeights = s.count >= 0 && s.weightOffset >= 0 && Int(s.weightOffset) + Int(s.count) <= core.weights.count
        let inShift = s.shift >= 0 && s.shift <= 15
        let inTargets: Bool
        if s.count < 0 {
          inTargets = false
        } else if s.isDense {
          inTargets = s.firstCompartment >= 0 && Int(s.firstCompartment) + Int(s.count) <= n
        } else {
          let end = Int(s.targetOffset) + Int(s.count)
          inTargets =
            end <= core.sparseTargets.count
            && core.sparseTargets[Int(s.targetOffset)..<end].allSatisfy { $0 >= 0 && Int($0) < n }
        }
        if !(inWeights && inShift && inTargets) {
          problems.append("\(owner): synapse segment \(k) points outside the core's weights or compartments")
          break
        }
      }
      checkStarts(core.routeStart, count: n, total: core.routes.count, owner: owner, what: "route")
      // The placement must respect the board's per-core limits.
      if n > c.compartments || core.inputAxonCount > c.inputAxons || core.routes.count > c.outputAxons
        || (problems.isEmpty && core.synapseWords(limits: c) > c.synapseWords)
      {
        problems.append("\(owner): uses more compartments, input axons, output axons or synapse words than a core of '\(board.chip.name)' has")
      }
      if core.compartmentProfileCount > c.compartmentProfiles || core.thresholdProfileCount > c.thresholdProfiles {
        problems.append(
          "\(owner): uses \(core.compartmentProfileCount) compartment profiles and \(core.thresholdProfileCount) threshold profiles, but a core of '\(board.chip.name)' holds \(c.compartmentProfiles) and \(c.thresholdProfiles)")
      }
      checkRoutes(core.routes, owner: owner)
      if core.compartmentNeuron.contains(where: { $0 < 0 || Int($0) >= limit }) {
        problems.append("\(owner): a compartment names a neuron outside 0...2^24")
      }
      if core.compartmentLayer.contains(where: { $0 < 0 || Int($0) >= layers.count }) {
        problems.append("\(owner): a compartment names a layer that does not exist")
      }
    }
    for (i, input) in inputs.enumerated() {
      let owner = "input '\(input.name)'"
      checkStarts(input.routeStart, count: input.size, total: input.routes.count, owner: owner, what: "route")
      checkRoutes(input.routes, owner: owner)
      if input.eventSteps.count != input.eventSources.count {
        problems.append("\(owner): \(input.eventSteps.count) event steps for \(input.eventSources.count) event sources")
      } else if let bad = input.eventSteps.firstIndex(where: { $0 < 1 }) {
        problems.append("\(owner): event \(bad) is at step \(input.eventSteps[bad]); steps start at 1")
      } else if let bad = input.eventSteps.indices.dropFirst().first(where: { input.eventSteps[$0 - 1] > input.eventSteps[$0] }) {
        problems.append("\(owner): event \(bad) at step \(input.eventSteps[bad]) follows one at step \(input.eventSteps[bad - 1]); events are in step order")
      } else if let bad = input.eventSteps.indices.dropFirst().first(where: {
        input.eventSteps[$0 - 1] == input.eventSteps[$0] && input.eventSources[$0 - 1] >= input.eventSources[$0]
      }) {
        problems.append("\(owner): the events of step \(input.eventSteps[bad]) are not distinct sources in ascending order")
      }
      if input.encoderIncrements.count != input.encoderRows * input.size
        || input.encoderIncrements.contains(where: { $0 < 0 || $0 > HostInput.encoderThreshold })
      {
        problems.append("\(owner): encoder increments are not \(input.encoderRows) rows of \(input.size) values in 0...2^24")
      }
      // A source spikes at most once per step (the inboxes are sized for that): an input is
      // either encoded on the host or given as events, not both.
      if input.encoderRows > 0 && !input.eventSources.isEmpty {
        problems.append("\(owner): has both an encoder and scheduled events")
      }
      if input.eventSources.contains(where: { $0 < 0 || Int($0) >= input.size }) {
        problems.append("\(owner) (input \(i)): an event names a source outside 0..<\(input.size)")
      }
    }
    for layer in layers {
      if layer.neuronCore.count != layer.neuronCompartment.count {
        problems.append("layer '\(layer.name)': core and compartment lists differ in length")
        continue
      }
      for (c, k) in zip(layer.neuronCore, layer.neuronCompartment)
      where c < 0 || Int(c) >= coreCount || k < 0 || Int(k) >= cores[Int(c)].compartmentCount {
        problems.append("layer '\(layer.name)': a neuron is placed outside the cores")
        break
      }
    }
    for probe in probes {
      guard probe.layer >= 0 && probe.layer < layers.count else {
        problems.append("probe '\(probe.name)': layer \(probe.layer) does not exist")
        continue
      }
      if probe.neurons.contains(where: { $0 < 0 || Int($0) >= layers[probe.layer].size }) {
        problems.append("probe '\(probe.name)': a neuron index is outside its layer")
      }
    }
    return problems
  }
}
