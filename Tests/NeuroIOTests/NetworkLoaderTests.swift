import Foundation
import NetworkModel
import NeuroIO
import Testing

@Suite("Loading network files")
struct NetworkLoaderTests {
  func errorText(_ json: String, files: [String: [UInt8]] = [:]) throws -> String { try loadErrorText(json, files: files) }

  @Test("a valid network loads with defaults filled in")
  func validNetwork() throws {
    let dir = try TemporaryDirectory()
    let net = try NetworkLoader.load(from: try dir.write("net.json", network()))
    #expect(net.layers.map(\.name) == ["a", "b"])
    #expect(net.layers[0].neuron.decayU == 4095)
    #expect(net.layers[0].neuron.vmax == 8_388_607)
    #expect(net.layers[1].neuron.refractoryDelay == 1)
    #expect(net.connections[0].weights == WeightMatrix(rows: 3, columns: 2, values: [1, 2, 3, 4, 5, 6]))
    #expect(net.inputs[0].spikes == SpikeTrain(steps: [1, 2, 3], sources: [0, 1, 0]))
    #expect(net.probes[0].name == "b.spikes")
  }

  @Test("malformed JSON names the line and column")
  func malformedJSON() throws {
    let text = try errorText("{\n  \"version\": 1,\n  \"layers\": [\n}")
    #expect(text == "net.json: is not valid JSON: line 4, column 1: expected a value but found '}'; fix the syntax at that position")
  }

  @Test("a missing network file")
  func missingFile() throws {
    let dir = try TemporaryDirectory()
    #expect(throws: InputFileError.self) { try NetworkLoader.load(from: dir.url.appendingPathComponent("nope.json")) }
    do {
      _ = try NetworkLoader.load(from: dir.url.appendingPathComponent("nope.json"))
    } catch {
      #expect(error.issues[0].problem == "does not exist" && error.issues[0].fix == "give the path of the network file")
    }
  }

  @Test("unknown keys are refused with a suggestion")
  func unknownKey() throws {
    let layers = #"[{"name": "a", "size": 3, "neuron": {"model": "LoihiLIF", "vth_mant": 10, "decay_vv": 100}}, {"name": "b", "size": 1, "neuron": {"model": "LoihiSpikingRectifiedLinear", "vth_mant": 5}}]"#
    #expect(
      try errorText(network(layers: layers))
        == "net.json: layers[0].neuron.decay_vv: unknown key 'decay_vv'; did you mean 'decay_v'? allowed keys here: model, decay_u, decay_v, vth_mant, bias_mant, bias_exp, refract_delay, vmin, vmax, tau_rc, tau_ref, tau_s, gain, bias, max_rates, intercepts, amplitude, min_voltage")
    #expect(
      try errorText(network(extra: #", "layer": []"#))
        == "net.json: layer: unknown key 'layer'; did you mean 'layers'? allowed keys here: version, name, dt, inputs, layers, connections, probes")
  }

  @Test("unknown kinds and models are refused")
  func unknownKinds() throws {
    #expect(
      try errorText(network(inputs: #"[{"name": "in", "kind": "poisson", "size": 2, "spike_times": [[], []]}]"#))
        == "net.json: inputs[0].kind: unknown input kind 'poisson'; use \"spike_train\" or (version 2) \"real\"")
    #expect(
      try errorText(network(layers: #"[{"name": "a", "size": 3, "neuron": {"model": "LIF", "vth_mant": 10}}]"#))
        == "net.json: layers[0].neuron.model: unknown neuron model 'LIF'; use one of: \"LoihiLIF\", \"LoihiSpikingRectifiedLinear\"")
    #expect(
      try errorText(network(probes: #"[{"layer": "b", "kind": "rates"}]"#))
        == "net.json: probes[0].kind: unknown probe kind 'rates'; use \"spikes\", \"voltage\" or \"current\"")
  }

  @Test("a missing version, and a version from the future")
  func versions() throws {
    #expect(
      try errorText(#"{"layers": []}"#)
        == "net.json: missing required key 'version'; add \"version\": 2 at the top level")
    #expect(
      try errorText(#"{"version": 3, "layers": []}"#)
        == "net.json: version: version 3 is not supported; this Neuromesh reads versions 1...2; upgrade Neuromesh or write version 2")
  }

  @Test("weight shapes that do not match the layers")
  func weightShape() throws {
    #expect(
      try errorText(network(connections: #"[{"from": "in", "to": "a", "weights": [[1, 2, 3], [4, 5, 6]]}]"#))
        == "net.json: connections[0].weights: shape [2, 3] does not match [to.size, from.size] = [3, 2] ('a' × 'in'); the matrix looks transposed: rows are target neurons, columns are source neurons")
    #expect(
      try errorText(network(connections: #"[{"from": "in", "to": "a", "weights": [[1, 2], [3]]}]"#))
        == "net.json: connections[0].weights[1]: has 1 values but the first row has 2; every row needs one value per source neuron")
  }

  @Test("integers outside the chip's fields")
  func outOfRange() throws {
    let layers = #"[{"name": "a", "size": 3, "neuron": {"model": "LoihiLIF", "vth_mant": 0, "decay_v": 5000, "vmax": 1000, "bias_mant": [1, 5000, 2]}}, {"name": "b", "size": 1, "neuron": {"model": "LoihiSpikingRectifiedLinear", "vth_mant": 5, "decay_v": 3}}]"#
    let text = try errorText(network(layers: layers))
    #expect(
      text == """
        net.json: layers[0].neuron.decay_v: 5000 is out of range 0...4095 (12-bit field); use a value in 0...4095
        net.json: layers[0].neuron.vth_mant: 0 is out of range 1...131071 (17-bit field, vth = vth_mant << 6); use a value in 1...131071
        net.json: layers[0].neuron.bias_mant[1]: 5000 is out of range -4096...4095 (13-bit signed field); raise bias_exp and divide the mantissa by 2 per step (bias = bias_mant << bias_exp)
        net.json: layers[0].neuron.vmax: 1000 is not a value the chip can hold (vmax = 2^(9+2f) - 1, f = 0...7); use 511 or another of 511, 2047, 8191, 32767, 131071, 524287, 2097151, 8388607
        net.json: layers[1].neuron.decay_v: LoihiSpikingRectifiedLinear has a non-leaky voltage, but decay_v is 3; remove decay_v, or use model "LoihiLIF" for a leaky voltage
        """)
    #expect(
      try errorText(network(connections: #"[{"from": "in", "to": "a", "weights": [[1, 2], [3, 300], [5, 6]], "weight_exp": 8, "weight_bits": 7}]"#))
        == """
        net.json: connections[0].weights[1][1]: weight 300 is outside the chip's Wgt range -256...255; scale the weights into -256...255 and raise weight_exp to keep their effect
        net.json: connections[0].weight_exp: 8 is outside -8...7 (4-bit signed field); use an exponent in -8...7
        net.json: connections[0].weight_bits: 7 weight bits cannot be encoded by the synapse format; use one of 1, 2, 3, 4, 5, 6, 8
        """)
    #expect(
      try errorText(network(layers: #"[{"name": "a", "size": 3, "neuron": {"model": "LoihiLIF", "vth_mant": 1.5}}]"#))
        == "net.json: layers[0].neuron.vth_mant: expected an integer but found 1.5; version 1 takes the chip's integer values")
  }

  @Test("sizes beyond 2^24 and weight literals beyond 32 bits are refused, not allocated")
  func hugeValues() throws {
    #expect(
      try errorText(network(inputs: #"[{"name": "in", "kind": "spike_train", "size": 100000000000, "spike_file": "none.csv"}]"#), files: ["none.csv": Array("step,neuron\n".utf8)]).components(separatedBy: "\n").first
        == "net.json: inputs[0].size: size 100000000000 is larger than 16777216 (2^24), the largest population Neuromesh accepts; split it into several inputs or layers")
    #expect(
      try errorText(network(connections: #"[{"from": "in", "to": "a", "weights": [[1, 2], [3, 99999999999], [5, 6]]}]"#))
        == "net.json: connections[0].weights[1][1]: weight 99999999999 is outside the chip's Wgt range -256...255; scale the weights into -256...255 and raise weight_exp to keep their effect")
  }

  @Test("probe names whose output files would collide (after the file-name rule, case ignored), or too long for a file name, are refused before anything runs")
  func probeFileNames() throws {
    #expect(
      try errorText(network(probes: #"[{"name": "b/v", "layer": "b", "kind": "voltage"}, {"name": "b_v", "layer": "b", "kind": "spikes"}]"#))
        == "net.json: probes[1].name: probes 'b/v' and 'b_v' would both be written to probes/b_v.csv; give the probes names that differ in letters, digits, '-', '_' or '.' (other characters become '_', and case is ignored)")
    #expect(
      try errorText(network(probes: #"[{"name": "Trace", "layer": "b", "kind": "voltage"}, {"name": "trace", "layer": "b", "kind": "spikes"}]"#))
        == "net.json: probes[1].name: probes 'Trace' and 'trace' would both be written to probes/trace.csv; give the probes names that differ in letters, digits, '-', '_' or '.' (other characters become '_', and case is ignored)")
    let long = String(repeating: "p", count: 201)
    #expect(
      try errorText(network(probes: #"[{"name": "\#(long)", "layer": "b", "kind": "spikes"}]"#))
        == "net.json: probes[0].name: is 201 bytes long, more than the 200 an output file name can take; give the probe a shorter name")
    // 200 bytes, and names that differ only outside the rule's reach, are fine.
    let dir = try TemporaryDirectory()
    let ok = try NetworkLoader.load(
      from: try dir.write("ok.json", network(probes: #"[{"name": "\#(String(long.dropFirst()))", "layer": "b", "kind": "spikes"}, {"name": "b.v", "layer": "b", "kind": "voltage"}, {"name": "b-v", "layer": "b", "kind": "current"}]"#)))
    #expect(ok.probes.count == 3)
  }

  @Test("numbers at the ends of their types are refused with a located message, not a trap: vmax Int64.min, dt 5e-324 and 1e308")
  func extremeNumbers() throws {
    #expect(
      try errorText(network(layers: #"[{"name": "a", "size": 3, "neuron": {"model": "LoihiLIF", "vth_mant": 10, "vmax": -9223372036854775808}}, {"name": "b", "size": 1, "neuron": {"model": "LoihiLIF", "vth_mant": 5, "vmin": 9223372036854775807}}]"#))
        == """
        net.json: layers[0].neuron.vmax: -9223372036854775808 is not a value the chip can hold (vmax = 2^(9+2f) - 1, f = 0...7); use 511 or another of 511, 2047, 8191, 32767, 131071, 524287, 2097151, 8388607
        net.json: layers[1].neuron.vmin: 9223372036854775807 is not a value the chip can hold (vmin = -(2^e - 1), e = 0...23); use 0 or another of 0, -1, -3, -7, ..., -8388607
        """)
    for dt in ["5e-324", "1e308"] {
      let real = #"{"version": 2, "dt": \#(dt), "inputs": [{"name": "x", "kind": "real", "size": 1, "values": [0.5], "encoding": {"kind": "spiking"}}], "layers": [{"name": "a", "size": 1, "neuron": {"model": "LoihiLIF"}}], "connections": [{"from": "x", "to": "a", "weights": [[1.0]]}]}"#
      #expect(try errorText(real) == "net.json: dt: dt \(Double(dt) ?? 0) s is outside 1e-09 ... 10.0 s; use e.g. 0.001 (1 ms per step)")
    }
  }

  @Test("a missing or unreadable .npy names that file")
  func missingNPY() throws {
    let text = try errorText(network(connections: #"[{"from": "in", "to": "a", "weights": "w.npy"}]"#))
    #expect(
      text == "w.npy: does not exist; check that the path is right (relative paths start at the network file's directory) and readable")
    let garbage = try errorText(network(connections: #"[{"from": "in", "to": "a", "weights": "w.npy"}]"#), files: ["w.npy": Array("hello".utf8)])
    #expect(garbage == "w.npy: not a .npy file (the magic string \\x93NUMPY is missing); save it with numpy.save")
  }

  @Test(".npy weights: dtypes, shape and integrality")
  func npyWeights() throws {
    let dir = try TemporaryDirectory()
    try dir.write("w.npy", bytes: NPYFile.encode([1, -2, 3, -4, 5, -6], shape: [3, 2], dtype: "<i2"))
    let net = try NetworkLoader.load(
      from: try dir.write("net.json", network(connections: #"[{"from": "in", "to": "a", "weights": "w.npy"}]"#)))
    #expect(net.connections[0].weights.values == [1, -2, 3, -4, 5, -6])
    let flat = try errorText(
      network(connections: #"[{"from": "in", "to": "a", "weights": "w.npy"}]"#),
      files: ["w.npy": NPYFile.encode([1, 2, 3, 4, 5, 6], shape: [6], dtype: "|i1")])
    #expect(flat == "w.npy: weight array has shape [6] but must be two-dimensional [to.size, from.size]; reshape it to [to.size, from.size] before saving")
    // A float64 array with a non-integral value.
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }"
    header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
    for v in [1.0, 2.5] { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
    let fractional = try errorText(
      network(connections: #"[{"from": "in", "to": "a", "weights": "w.npy"}]"#), files: ["w.npy": bytes])
    #expect(fractional == "w.npy: element [0][1] is 2.5, not an integer; version 1 takes the chip's integer values; round the array (float weights are quantized by the mapper)")
  }

  @Test("probes of unknown layers and out-of-range neurons")
  func badProbes() throws {
    #expect(
      try errorText(network(probes: #"[{"layer": "c", "kind": "voltage"}]"#))
        == "net.json: probes[0].layer: unknown layer 'c'; use one of: 'a', 'b'")
    #expect(
      try errorText(network(probes: #"[{"layer": "in", "kind": "spikes"}]"#))
        == "net.json: probes[0].layer: 'in' is an input, and inputs cannot be probed; probe a layer instead; an input's spikes are the ones you gave")
    #expect(
      try errorText(network(probes: #"[{"layer": "a", "kind": "spikes", "neurons": [0, 3]}]"#))
        == "net.json: probes[0].neurons[1]: neuron index 3 is outside layer 'a' (size 3); use indices 0...2")
  }

  @Test("connections naming unknown sources or targets, duplicate names")
  func badNames() throws {
    #expect(
      try errorText(network(connections: #"[{"from": "x", "to": "in", "weights": [[1]]}]"#))
        == """
        net.json: connections[0].from: unknown input or layer 'x'; name one of the inputs or layers defined in the file
        net.json: connections[0].to: 'in' is an input; connections must end on a layer; use one of: 'a', 'b'
        """)
    #expect(
      try errorText(network(layers: #"[{"name": "in", "size": 3, "neuron": {"model": "LoihiLIF", "vth_mant": 10}}]"#, connections: "[]", probes: "[]"))
        == "net.json: layers[0].name: name 'in' is already used by inputs[0].name; inputs and layers share one namespace; rename one of them")
  }

  @Test("spike trains: steps from 1, sources in range, no duplicates, CSV files")
  func spikeTrains() throws {
    #expect(
      try errorText(network(inputs: #"[{"name": "in", "kind": "spike_train", "size": 2, "spike_times": [[0], []]}]"#))
        == "net.json: inputs[0].spikes: source 0 spikes at step 0, but steps start at 1; number steps from 1 (a spike at step t reaches its targets at step t+1)")
    #expect(
      try errorText(network(inputs: #"[{"name": "in", "kind": "spike_train", "size": 2, "spike_times": [[2, 2], []]}]"#))
        == "net.json: inputs[0].spikes: source 0 spikes twice at step 2; a source emits at most one spike per step; remove the duplicate")
    #expect(
      try errorText(network(inputs: #"[{"name": "in", "kind": "spike_train", "size": 2, "spike_times": [[1]]}]"#))
        == "net.json: inputs[0].spike_times: has 1 rows but the input has 2 sources; give one array of spike steps per source (use [] for a silent source)")
    let csvInput = #"[{"name": "in", "kind": "spike_train", "size": 2, "spike_file": "s.csv"}]"#
    #expect(
      try errorText(network(inputs: csvInput), files: ["s.csv": Array("step,neuron\n3,1\n1,x\n".utf8)])
        == "s.csv: line 3: expected two integers 'step,neuron' but found '1,x'; write one spike per line, e.g. 12,3")
    #expect(
      try errorText(network(inputs: csvInput), files: ["s.csv": Array("step,neuron\n3,2\n".utf8)])
        == "s.csv: line 2: source 2 is not one of the input's 2 sources; use source indices 0...1")
    #expect(
      try errorText(network(inputs: csvInput), files: ["s.csv": Array("step,neuron\n3,1\n\n4,0\n 3, 1\n".utf8)])
        == "s.csv: line 5: source 1 spikes at step 3 again (first on line 2); a source emits at most one spike per step; remove the duplicate")
    #expect(
      try errorText(network(inputs: csvInput), files: ["s.csv": Array("step,neuron\n0,1\n".utf8)])
        == "s.csv: line 2: step 0: steps start at 1; number steps from 1 (a spike at step t reaches its targets at step t+1)")
    let dir = try TemporaryDirectory()
    try dir.write("s.csv", "step,neuron\n 3, 1\n\n1,0\n2,1\n")
    let net = try NetworkLoader.load(from: try dir.write("net.json", network(inputs: csvInput)))
    #expect(net.inputs[0].spikes == SpikeTrain(steps: [1, 2, 3], sources: [0, 1, 1]))
  }
}

@Suite("Loading version 2 networks")
struct NetworkLoaderV2Tests {
  static let base = #"""
    {"version": 2,
     "inputs": [{"name": "img", "kind": "real", "shape": [1, 6, 6], "values": VALUES, "encoding": {"kind": "spiking"}}],
     "layers": [{"name": "c", "shape": SHAPE, "neuron": {"model": "LoihiLIF", "tau_s": 0.005}},
                {"name": "p", "kind": "avgpool2d", "input": "c", "kernel": 2},
                {"name": "o", "size": 3, "neuron": {"model": "LoihiLIF", "max_rates": [100, 120, 140], "intercepts": 0}}],
     "connections": [{"from": "img", "to": "c", "kind": "conv2d", "weights": "k.npy"},
                     {"from": "p", "to": TARGET, "weights": [[0.1, 0, 0, 0, 0, 0, 0, 0.2], [0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]]}]}
    """#

  func load(
    values: String = "[" + Array(repeating: "0.5", count: 36).joined(separator: ", ") + "]", shape: String = "[2, 4, 4]", target: String = #""o""#,
    kernelShape: [Int] = [2, 1, 3, 3], convExtra: String = "", denseColumns: Int = 8
  ) throws -> (Network?, String) {
    let dir = try TemporaryDirectory()
    let kernel = (0..<18).map { Int32($0 % 5) - 2 }
    try dir.write("k.npy", bytes: NPYFile.encode(kernel, shape: kernelShape, dtype: "<i2"))
    let text = Self.base.replacingOccurrences(of: "VALUES", with: values).replacingOccurrences(of: "SHAPE", with: shape)
      .replacingOccurrences(of: "TARGET", with: target)
      .replacingOccurrences(of: #""weights": "k.npy"}"#, with: #""weights": "k.npy""# + convExtra + "}")
    let rows = (0..<3).map { _ in "[" + Array(repeating: "0.1", count: denseColumns).joined(separator: ", ") + "]" }
    let dense = "[" + rows.joined(separator: ", ") + "]"
    let denseText = denseColumns == 8 ? text : text.replacingOccurrences(
      of: "[[0.1, 0, 0, 0, 0, 0, 0, 0.2], [0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]]", with: dense)
    let file = try dir.write("net.json", denseText)
    do {
      return (try NetworkLoader.load(from: file), "")
    } catch {
      return (nil, error.description.replacingOccurrences(of: dir.url.path + "/", with: ""))
    }
  }

  @Test("stages, convolutions, real inputs and tuning curves load")
  func valid() throws {
    let (network, message) = try load()
    let net = try #require(network, "\(message)")
    #expect(net.realInputs.map(\.encoding) == [.spiking])
    #expect(net.layers.map(\.kind) == [.neurons, .avgpool2d, .neurons])
    #expect(net.layers[0].real?.tauS == 0.005)
    #expect(net.connections[0].conv == Conv2D(kernelShape: [2, 1, 3, 3]))
    #expect(net.connections[0].weights.real?.prefix(3) == [-2, -1, 0])
    #expect(net.inferredShapes().shapes["p"] == [2, 2, 2])
    let gains = try #require(net.layers[2].real?.gain)
    #expect(gains.count == 3 && gains[0] < gains[2])
  }

  @Test("shape and wiring mistakes are reported with their paths")
  func mistakes() throws {
    #expect(try load(shape: "[2, 5, 5]").1 == "net.json: connections[0].to: the convolution of 'img' [1, 6, 6] gives shape [2, 4, 4] but 'c' has shape [2, 5, 5]; give 'c' \"shape\": [2, 4, 4], or change the kernel, stride or padding")
    #expect(try load(target: #""p""#).1 == "net.json: connections[1].to: 'p' is a pooling or flatten stage, which reads its 'input' instead of receiving connections; connect to a neuron layer; a stage names what it reads with \"input\"")
    #expect(try load(values: "[0.5, 0.5]").1 == "net.json: inputs[0].values: holds 2 values but the input has 36 (per row); give 36 values per row")
  }

  @Test("\"padding\": \"same\" keeps the size at stride 1; other cases are refused with a way out")
  func samePadding() throws {
    let (network, message) = try load(shape: "[2, 6, 6]", convExtra: #", "padding": "same""#, denseColumns: 18)
    #expect(try #require(network, "\(message)").connections[0].conv == Conv2D(kernelShape: [2, 1, 3, 3], padding: [1, 1]))
    let valid = try load(convExtra: #", "padding": "valid""#)
    #expect(valid.0?.connections[0].conv?.padding == [0, 0], "\(valid.1)")
    #expect(
      try load(shape: "[2, 3, 3]", convExtra: #", "padding": "same", "stride": 2"#).1
        == "net.json: connections[0].padding: \"same\" padding is defined here for stride 1 only (as in PyTorch); at stride [2, 2] it depends on the input size and may pad one side more; give the padding [h, w] explicitly")
    #expect(
      try load(shape: "[2, 3, 3]", convExtra: #", "padding": "full""#).1
        == "net.json: connections[0].padding: unknown padding 'full'; use [h, w], one integer, \"same\" or \"valid\"")
  }

  @Test("a kernel in Keras' [kh, kw, in, out] layout is recognised and the transpose named")
  func kerasKernel() throws {
    // [3, 3, 1, 2]: kh, kw, in = 1 (the image's channels), out = 2 (c's channels).
    #expect(
      try load(kernelShape: [3, 3, 1, 2]).1
        == "net.json: connections[0].weights: the kernel [3, 3, 1, 2] looks like Keras' layout [kh, kw, in_channels, out_channels] (1 = the channels of 'img'); Neuromesh, like PyTorch, takes [out_channels, in_channels, kh, kw]; transpose it with numpy before saving: kernel.transpose(3, 2, 0, 1)")
  }
}
