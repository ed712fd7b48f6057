import Foundation
import NetworkModel

/// Writes a ``Network`` as a network directory: `network.json` plus `.npy` weight files and
/// `.csv` spike files beside it, readable by ``NetworkLoader`` and by the reference tools.
///
/// It writes networks in the chip's integers with dense connections (what the reference
/// tools take); real-valued layers, convolutions, stages and encoded inputs are refused.
public enum NetworkWriter {
  /// What the writer cannot express.
  public struct Unsupported: Error, CustomStringConvertible {
    public var description: String
  }

  /// Writes `network` into `directory` (created if needed) as `network.json` and data files.
  public static func write(_ network: Network, to directory: URL) throws {
    if network.layers.contains(where: { $0.real != nil || !$0.kind.hasNeurons }) || !network.realInputs.isEmpty
      || network.connections.contains(where: { $0.weights.isReal || $0.weights.sparse != nil || $0.conv != nil })
      || network.inputs.contains(where: { $0.encoder != nil })
    {
      throw Unsupported(description: "the network writer writes integer networks with dense connections only")
    }
    let fm = FileManager.default
    try fm.createDirectory(at: directory, withIntermediateDirectories: true)
    var inputs: [String] = []
    for (i, input) in network.inputs.enumerated() {
      let file = "input-\(i).csv"
      var csv = "step,neuron\n"
      csv.reserveCapacity(12 * input.spikes.count + 16)
      for k in 0..<input.spikes.count { csv += "\(input.spikes.steps[k]),\(input.spikes.sources[k])\n" }
      try Data(csv.utf8).write(to: directory.appendingPathComponent(file))
      inputs.append(
        "    {\"name\": \(jsonQuoted(input.name)), \"kind\": \"spike_train\", \"size\": \(input.size), \"spike_file\": \(jsonQuoted(file))}")
    }
    var layers: [String] = []
    for (i, layer) in network.layers.enumerated() {
      let p = layer.neuron
      var bias = "\(p.biasMantissa.first ?? 0)"
      if p.biasMantissa.count > 1 {
        let file = "bias-\(i).npy"
        try Data(NPYFile.encode(p.biasMantissa.map { Int32($0) }, shape: [p.biasMantissa.count], dtype: "<i2"))
          .write(to: directory.appendingPathComponent(file))
        bias = jsonQuoted(file)
      }
      // A field given per neuron is written as a .npy beside the file (like the bias).
      func field(_ key: String, _ layerWide: Int, _ perNeuron: [Int]?) throws -> String {
        guard let perNeuron else { return "\(layerWide)" }
        let file = "\(key)-\(i).npy"
        try Data(NPYFile.encode(perNeuron.map { Int32(clamping: $0) }, shape: [perNeuron.count], dtype: "<i4"))
          .write(to: directory.appendingPathComponent(file))
        return jsonQuoted(file)
      }
      let decayU = try field("decay_u", p.decayU, p.decayUPerNeuron)
      let decayV = try field("decay_v", p.decayV, p.decayVPerNeuron)
      let vth = try field("vth_mant", p.thresholdMantissa, p.thresholdMantissaPerNeuron)
      let refract = try field("refract_delay", p.refractoryDelay, p.refractoryDelayPerNeuron)
      layers.append(
        "    {\"name\": \(jsonQuoted(layer.name)), \"size\": \(layer.size), \"neuron\": {\"model\": \(jsonQuoted(p.model.rawValue)), \"decay_u\": \(decayU), \"decay_v\": \(decayV), \"vth_mant\": \(vth), \"bias_mant\": \(bias), \"bias_exp\": \(p.biasExponent), \"refract_delay\": \(refract), \"vmin\": \(p.vmin), \"vmax\": \(p.vmax)}}")
    }
    var connections: [String] = []
    for (i, c) in network.connections.enumerated() {
      let file = "weights-\(i).npy"
      try Data(NPYFile.encode(c.weights.values, shape: [c.weights.rows, c.weights.columns], dtype: "<i2"))
        .write(to: directory.appendingPathComponent(file))
      connections.append(
        "    {\"from\": \(jsonQuoted(c.from)), \"to\": \(jsonQuoted(c.to)), \"weights\": \(jsonQuoted(file)), \"weight_exp\": \(c.weightExponent), \"weight_bits\": \(c.weightBits)}")
    }
    var probes: [String] = []
    for probe in network.probes {
      let neurons = probe.neurons.map { ", \"neurons\": [" + $0.map(String.init).joined(separator: ", ") + "]" } ?? ""
      probes.append(
        "    {\"name\": \(jsonQuoted(probe.name)), \"layer\": \(jsonQuoted(probe.layer)), \"kind\": \(jsonQuoted(probe.kind.rawValue))\(neurons)}")
    }
    func list(_ items: [String]) -> String { items.isEmpty ? "[]" : "[\n" + items.joined(separator: ",\n") + "\n  ]" }
    let json = """
      {
        "version": \(network.version),
        "name": \(jsonQuoted(network.name)),
        "inputs": \(list(inputs)),
        "layers": \(list(layers)),
        "connections": \(list(connections)),
        "probes": \(list(probes))
      }

      """
    try Data(json.utf8).write(to: directory.appendingPathComponent("network.json"))
  }
}
