import CoreMapModel
import NetworkModel

extension ProbedVariable {
  init(_ kind: ProbeKind) {
    switch kind {
    case .spikes: self = .spikes
    case .voltage: self = .voltage
    case .current: self = .current
    }
  }
}

extension HostInput {
  /// Builds the per-step schedule of a sorted spike train.
  static func make(
    name: String, size: Int, train: SpikeTrain, encoder: HostEncoder? = nil, routesPerSource: [[AxonRoute]]
  ) -> HostInput {
    let lastStep = Int(train.steps.last ?? 0)
    var stepStart = [Int32](repeating: 0, count: lastStep + 1)
    var k = 0
    for t in 1...max(lastStep, 1) where t <= lastStep {
      while k < train.count && Int(train.steps[k]) <= t { k += 1 }
      stepStart[t] = Int32(k)
    }
    var start: [Int32] = [0]
    var routes: [AxonRoute] = []
    for list in routesPerSource {
      routes += list
      start.append(Int32(routes.count))
    }
    return HostInput(
      name: name, size: size, stepStart: stepStart, eventSources: train.sources,
      routeStart: start, routes: routes, encoderIncrements: encoder?.increments ?? [], encoderRows: encoder?.rows ?? 0)
  }
}
