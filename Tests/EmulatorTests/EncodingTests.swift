import CoreMapModel
import Emulator
import Foundation
import HardwareSpec
import LoihiArithmetic
import Mapper
import NetworkModel
import NeuroIO
import Testing

@Suite("Real-valued inputs")
struct EncodingTests {
  /// A layer whose current each step is 128 × (on − off spikes) of the input value it reads.
  func relayNetwork(values: [Double], encoding: ValueEncoding, rate: Double? = nil) -> Network {
    var network = Network(
      dt: 0.001,
      layers: [Layer(name: "relay", size: values.count, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 131_071, vmin: -8_388_607))],
      connections: [
        Connection(
          from: "x", to: "relay",
          weights: WeightMatrix(rows: values.count, columns: values.count, values: (0..<(values.count * values.count)).map { $0 % (values.count + 1) == 0 ? 2 : 0 }))
      ])
    network.realInputs = [RealInput(name: "x", size: values.count, values: values, encoding: encoding, rate: rate)]
    return network
  }

  @Test("on/off encoding: on minus off spikes carry x·rate·dt per step")
  func onOff() throws {
    let values = [-1, -0.5, 0, 0.3, 0.5, 1]
    let steps = 1000
    let recordings = try runWithFullProbes(relayNetwork(values: values, encoding: .onOff), steps: steps, board: unlimitedBoard)
    let current = try #require(recordings["relay.current"])
    for (i, x) in values.enumerated() {
      let net = (1...steps).reduce(0) { $0 + Int(current.value(step: $1, column: i)) } / 128
      // Spikes of steps 1 ... steps − 1 are delivered within the run.
      #expect(abs(Double(net) - x * Double(steps - 1)) <= 2, "x = \(x): on − off = \(net)")
    }
    // Half the rate halves the difference.
    let half = try runWithFullProbes(relayNetwork(values: [1], encoding: .onOff, rate: 500), steps: steps, board: unlimitedBoard)
    let sum = (1...steps).reduce(0) { $0 + Int(half["relay.current"]!.value(step: $1, column: 0)) } / 128
    #expect(abs(Double(sum) - 0.5 * Double(steps - 1)) <= 2)
  }

  @Test("spiking encoding: one unit per value at rate·x, negative values silent")
  func spiking() throws {
    let values = [-0.5, 0, 0.25, 1]
    let recordings = try runWithFullProbes(relayNetwork(values: values, encoding: .spiking), steps: 401, board: unlimitedBoard)
    let current = try #require(recordings["relay.current"])
    let counts = values.indices.map { i in (1...401).reduce(0) { $0 + Int(current.value(step: $1, column: i)) } / 128 }
    #expect(counts == [0, 0, 100, 400])
  }

  @Test("a convolution from on/off-encoded values is refused with three fixes; the first fix compiles")
  func convolutionRefusal() throws {
    var layer = Layer(name: "conv1", size: 2 * 6 * 6, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 20))
    layer.shape = [2, 6, 6]
    var conv = Connection(from: "image", to: "conv1", weights: WeightMatrix(rows: 2, columns: 9, values: [Int32](repeating: 10, count: 18)))
    conv.conv = Conv2D(kernelShape: [2, 1, 3, 3])
    var network = Network(dt: 0.001, layers: [layer], connections: [conv])
    var rng = SplitMix64(seed: 4)
    network.realInputs = [RealInput(name: "image", size: 64, shape: [1, 8, 8], values: (0..<64).map { _ in Double(rng.next() % 100) / 100 })]
    #expect(network.validate().isEmpty)
    do {
      _ = try NetworkCompiler(board: unlimitedBoard).compile(network)
      Issue.record("expected the refusal")
    } catch {
      #expect(
        error.description
          == "connections[0]: conv2d from 'image' to 'conv1': 'image' is a real-valued input with on/off encoding, not a spiking neuron layer; the chip receives only spikes, and on/off encoding carries a value as the difference of two spike trains, which only a dense transform can use; (1) put a host-side spiking encoder in between: set \"encoding\": {\"kind\": \"spiking\"} on 'image' (values in [0, 1]; see docs/mapping.md); (2) feed the values as the bias of the first on-chip layer; or (3) use a dense connection")
    }
    network.realInputs[0].encoding = .spiking
    let recordings = try runWithFullProbes(network, steps: 50, board: unlimitedBoard)
    #expect(recordings["conv1.spikes"]!.values.reduce(0) { $0 + Int($1) } > 100)
  }
}
