/// The number of elements of `shape`, saturating at `Int.max` instead of overflowing.
public func shapeSize(_ shape: [Int]) -> Int {
  var n = 1
  for d in shape {
    let (product, overflow) = n.multipliedReportingOverflow(by: max(d, 0))
    if overflow { return Int.max }
    n = product
  }
  return n
}

extension Network {
  /// The shape of every input and layer, inferring those of stages (`avgpool2d`, `flatten`,
  /// `maxpool2d`) from what they read.
  ///
  /// - Returns: shapes by name, and a problem for each stage whose shape cannot be found.
  public func inferredShapes() -> (shapes: [String: [Int]], issues: [NetworkIssue]) {
    var shapes: [String: [Int]] = [:]
    for input in inputs { shapes[input.name] = input.shape ?? [input.size] }
    for input in realInputs { shapes[input.name] = input.shape ?? [input.size] }
    for layer in layers where layer.kind.hasNeurons { shapes[layer.name] = layer.shape ?? [layer.size] }
    var issues: [NetworkIssue] = []
    var pending = layers.enumerated().filter { !$0.element.kind.hasNeurons }
    // Stages may read stages listed later: resolve until nothing changes.
    while !pending.isEmpty {
      var progress = false
      pending = pending.filter { i, layer in
        guard let inputName = layer.input, let source = shapes[inputName] else { return true }
        progress = true
        switch layer.kind {
        case .flatten:
          shapes[layer.name] = [shapeSize(source)]
        case .avgpool2d, .maxpool2d:
          let k = layer.poolKernel
          let s = layer.poolStride
          guard source.count == 3, k.count == 2, s.count == 2, k.allSatisfy({ $0 >= 1 }), s.allSatisfy({ $0 >= 1 }),
            source[1] >= k[0], source[2] >= k[1]
          else {
            issues.append(
              NetworkIssue(
                path: "layers[\(i)]",
                problem: "\(layer.kind.rawValue) with kernel \(k) and stride \(s) does not fit its input '\(inputName)' of shape \(source)",
                fix: "pool a [channels, height, width] input with a kernel no larger than it"))
            return false
          }
          shapes[layer.name] = [source[0], (source[1] - k[0]) / s[0] + 1, (source[2] - k[1]) / s[1] + 1]
        case .neurons:
          break
        }
        return false
      }
      if !progress {
        for (i, layer) in pending {
          issues.append(
            NetworkIssue(
              path: "layers[\(i)].input",
              problem: layer.input.map { "'\($0)' is not an input or layer (or the stages read each other in a cycle)" } ?? "a \(layer.kind.rawValue) layer needs an 'input'",
              fix: "name the input or layer this stage reads"))
        }
        break
      }
    }
    return (shapes, issues)
  }
}
