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
  /// Builds a host input from a spike train (sorted by step, then source) and its routes.
  static func make(
    name: String, size: Int, train: SpikeTrain, encoder: HostEncoder? = nil, routesPerSource: [[AxonRoute]]
  ) -> HostInput {
    var start: [Int32] = [0]
    var routes: [AxonRoute] = []
    for list in routesPerSource {
      routes += list
      start.append(Int32(routes.count))
    }
    return HostInput(
      name: name, size: size, eventSteps: train.steps, eventSources: train.sources,
      routeStart: start, routes: routes, encoderIncrements: encoder?.increments ?? [], encoderRows: encoder?.rows ?? 0)
  }
}
