import CoreMapModel
import Emulator
import Foundation
import HardwareSpec
import LoihiArithmetic
import Mapper
import NetworkModel
import NeuroIO
import Testing

/// A direct convolution, written independently of the mapper: the dense matrix
/// [out·oh·ow, in·h·w] of a kernel [out, in, kh, kw] with the given stride and padding.
func referenceConvolutionMatrix(kernel: [Double], shape k: [Int], input: [Int], stride: Int, padding: Int) -> (rows: Int, columns: Int, values: [Double]) {
  let (cin, h, w) = (input[0], input[1], input[2])
  let oh = (h + 2 * padding - k[2]) / stride + 1
  let ow = (w + 2 * padding - k[3]) / stride + 1
  let rows = k[0] * oh * ow
  let columns = cin * h * w
  var m = [Double](repeating: 0, count: rows * columns)
  for o in 0..<k[0] {
    for y in 0..<oh {
      for x in 0..<ow {
        for c in 0..<cin {
          for ky in 0..<k[2] {
            for kx in 0..<k[3] {
              let sy = y * stride + ky - padding
              let sx = x * stride + kx - padding
              guard sy >= 0, sy < h, sx >= 0, sx < w else { continue }
              m[((o * oh + y) * ow + x) * columns + (c * h + sy) * w + sx] += kernel[((o * cin + c) * k[2] + ky) * k[3] + kx]
            }
          }
        }
      }
    }
  }
  return (rows, columns, m)
}

/// Average pooling as a dense matrix [c·ph·pw, c·h·w].
func referencePoolMatrix(channels: Int, h: Int, w: Int, kernel: Int) -> [[Double]] {
  let ph = (h - kernel) / kernel + 1
  let pw = (w - kernel) / kernel + 1
  var m = [[Double]](repeating: [Double](repeating: 0, count: channels * h * w), count: channels * ph * pw)
  for c in 0..<channels {
    for y in 0..<ph {
      for x in 0..<pw {
        for dy in 0..<kernel {
          for dx in 0..<kernel { m[(c * ph + y) * pw + x][(c * h + y * kernel + dy) * w + x * kernel + dx] = 1 / Double(kernel * kernel) }
        }
      }
    }
  }
  return m
}

func spikeInput(_ name: String, shape: [Int], steps: Int, seed: UInt64) -> SpikeInput {
  var rng = SplitMix64(seed: seed)
  let size = shape.reduce(1, *)
  var input = SpikeInput(
    name: name, size: size, spikes: SpikeTrain(perSource: (0..<size).map { _ in (1...steps).filter { _ in rng.chance(0.2) } }))
  input.shape = shape
  return input
}

@Suite("Convolution and pooling")
struct ConvolutionTests {
  @Test("an integer conv2d spikes exactly like the dense matrix of a direct convolution", arguments: [(1, 0), (2, 1)])
  func integerConvolution(_ stride: Int, _ padding: Int) throws {
    var rng = SplitMix64(seed: UInt64(7 + stride))
    let k = [3, 2, 3, 3]
    let kernel = (0..<54).map { _ in Double(Int(rng.next() % 300) - 100) }
    let input = spikeInput("in", shape: [2, 9, 9], steps: 40, seed: 5)
    let out = Conv2D(kernelShape: k, stride: [stride, stride], padding: [padding, padding]).outputShape(input: [2, 9, 9])!
    var layer = Layer(name: "conv", size: out.reduce(1, *), neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 150))
    layer.shape = out
    var conv = Connection(from: "in", to: "conv", weights: WeightMatrix(rows: 3, columns: 18, values: kernel.map { Int32($0) }))
    conv.conv = Conv2D(kernelShape: k, stride: [stride, stride], padding: [padding, padding])
    let convNet = Network(inputs: [input], layers: [layer], connections: [conv])
    #expect(convNet.validate().isEmpty)

    let dense = referenceConvolutionMatrix(kernel: kernel, shape: k, input: [2, 9, 9], stride: stride, padding: padding)
    var flatLayer = layer
    flatLayer.shape = nil
    let denseNet = Network(
      inputs: [input], layers: [flatLayer],
      connections: [Connection(from: "in", to: "conv", weights: WeightMatrix(rows: dense.rows, columns: dense.columns, values: dense.values.map { Int32($0) }))])
    let a = try runWithFullProbes(convNet, steps: 40, board: unlimitedBoard)
    let b = try runWithFullProbes(denseNet, steps: 40, board: unlimitedBoard)
    #expect(a == b)
    #expect(a["conv.spikes"]!.values.reduce(0) { $0 + Int($1) } > 20)
    // The sparse lists hold only the synapses the kernel reaches.
    let (map, _) = try NetworkCompiler(board: unlimitedBoard).compile(convNet)
    #expect(map.cores.reduce(0) { $0 + $1.synapseCount } == dense.values.filter { $0 != 0 }.count)
    // Cut over the tiny board, nothing changes.
    #expect(try runWithFullProbes(convNet, steps: 40, board: try tinyBoard(), threads: 2, minimumSliceSize: 4) == a)
  }

  @Test("avgpool2d folds into the next connection: equal to the dense composition, no extra neurons")
  func averagePooling() throws {
    var rng = SplitMix64(seed: 31)
    // in [1, 8, 8] → conv 3×3 → c1 [4, 6, 6] → avgpool 2 → [4, 3, 3] → flatten → dense → out [5]
    let k = [4, 1, 3, 3]
    let kernel = (0..<36).map { _ in Double(Int(rng.next() % 200) - 60) / 100 }
    let readout = (0..<(5 * 36)).map { _ in Double(Int(rng.next() % 200) - 90) / 100 }
    let input = spikeInput("in", shape: [1, 8, 8], steps: 60, seed: 3)
    let lif = RealNeuronParameters(model: .loihiLIF, tauS: 0.005, gain: [0.3], bias: [0.9])
    var c1 = Layer(name: "c1", size: 144, real: lif)
    c1.shape = [4, 6, 6]
    var pool = Layer(name: "pool", size: 0, neuron: NeuronParameters(model: .loihiLIF, thresholdMantissa: 1))
    pool.kind = .avgpool2d
    pool.input = "c1"
    pool.poolKernel = [2, 2]
    pool.poolStride = [2, 2]
    var flat = Layer(name: "flat", size: 0, neuron: NeuronParameters(model: .loihiLIF, thresholdMantissa: 1))
    flat.kind = .flatten
    flat.input = "pool"
    let out = Layer(name: "out", size: 5, real: RealNeuronParameters(model: .loihiSpikingRectifiedLinear, gain: [5], bias: [10]))
    var conv = Connection(from: "in", to: "c1", weights: WeightMatrix(rows: 4, columns: 9, real: kernel))
    conv.conv = Conv2D(kernelShape: k)
    let staged = Network(
      inputs: [input], layers: [c1, pool, flat, out],
      connections: [conv, Connection(from: "flat", to: "out", weights: WeightMatrix(rows: 5, columns: 36, real: readout))])
    #expect(staged.validate().isEmpty)

    // The same network written with explicit dense matrices: conv, and readout ∘ pool.
    let convDense = referenceConvolutionMatrix(kernel: kernel, shape: k, input: [1, 8, 8], stride: 1, padding: 0)
    let p = referencePoolMatrix(channels: 4, h: 6, w: 6, kernel: 2)
    var folded = [Double](repeating: 0, count: 5 * 144)
    for o in 0..<5 {
      for q in 0..<36 where readout[o * 36 + q] != 0 {
        for s in 0..<144 { folded[o * 144 + s] += readout[o * 36 + q] * p[q][s] }
      }
    }
    var c1Flat = c1
    c1Flat.shape = nil
    let dense = Network(
      inputs: [input], layers: [c1Flat, out],
      connections: [
        Connection(from: "in", to: "c1", weights: WeightMatrix(rows: 144, columns: 64, real: convDense.values)),
        Connection(from: "c1", to: "out", weights: WeightMatrix(rows: 5, columns: 144, real: folded)),
      ])
    let a = try runWithFullProbes(staged, steps: 60, board: unlimitedBoard)
    let b = try runWithFullProbes(dense, steps: 60, board: unlimitedBoard)
    #expect(a == b)
    #expect(a["out.spikes"]!.values.reduce(0) { $0 + Int($1) } > 5)
    let (map, _) = try NetworkCompiler(board: unlimitedBoard).compile(staged)
    #expect(map.layers.map(\.name) == ["c1", "out"])
    #expect(map.cores.reduce(0) { $0 + $1.compartmentCount } == 149)
  }

  @Test("max pooling and pooled integer weights are refused with a way out")
  func refusals() throws {
    let input = spikeInput("in", shape: [1, 4, 4], steps: 5, seed: 1)
    var a = Layer(name: "a", size: 16, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 10))
    a.shape = [1, 4, 4]
    var mp = Layer(name: "mp", size: 0, neuron: a.neuron)
    mp.kind = .maxpool2d
    mp.input = "a"
    let b = Layer(name: "b", size: 4, neuron: a.neuron)
    let network = Network(
      inputs: [input], layers: [a, mp, b],
      connections: [
        Connection(from: "in", to: "a", weights: WeightMatrix(rows: 16, columns: 16, values: [Int32](repeating: 2, count: 256))),
        Connection(from: "mp", to: "b", weights: WeightMatrix(rows: 4, columns: 4, values: [Int32](repeating: 2, count: 16))),
      ])
    do {
      _ = try NetworkCompiler(board: unlimitedBoard).compile(network)
      Issue.record("expected a refusal")
    } catch {
      #expect(error.description == "layers[1]: layer 'mp' (maxpool2d): a Loihi core adds weighted spikes; it cannot take the maximum of a window; use \"kind\": \"avgpool2d\" (folded into the next connection's weights, no extra neurons), or pool on the host before the chip")
    }
    var averaged = network
    averaged.layers[1].kind = .avgpool2d
    do {
      _ = try NetworkCompiler(board: unlimitedBoard).compile(averaged)
      Issue.record("expected a refusal")
    } catch {
      #expect(error.description == "connections[1]: 'mp' → 'b': reads an avgpool2d stage, whose 1/window factor makes the folded weights fractional, but 'b' takes integer Wgt values; give 'b' real-valued parameters (version 2) so the mapper quantizes the folded weights")
    }
  }

  @Test("a convolution chain over several chips keeps its local connections on-chip")
  func convolutionPlacement() throws {
    let input = spikeInput("in", shape: [1, 24, 24], steps: 5, seed: 2)
    func conv(_ from: String, _ to: String, channels: Int) -> Connection {
      var c = Connection(from: from, to: to, weights: WeightMatrix(rows: 4, columns: channels * 9, values: [Int32](repeating: 6, count: 4 * channels * 9)))
      c.conv = Conv2D(kernelShape: [4, channels, 3, 3])
      return c
    }
    var c1 = Layer(name: "c1", size: 4 * 22 * 22, neuron: NeuronParameters(model: .loihiSpikingRectifiedLinear, thresholdMantissa: 20))
    c1.shape = [4, 22, 22]
    var c2 = Layer(name: "c2", size: 4 * 20 * 20, neuron: c1.neuron)
    c2.shape = [4, 20, 20]
    let network = Network(inputs: [input], layers: [c1, c2], connections: [conv("in", "c1", channels: 1), conv("c1", "c2", channels: 1 * 4)])
    let limits = CoreLimits(compartments: 64, inputAxons: 1024, outputAxons: 1024, synapseWords: 4096, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)
    let board = BoardSpec(name: "8 small chips", chip: ChipSpec(name: "small", coresPerChip: 8, core: limits), chipCount: 8, chipsX: 4)
    let (map, _) = try NetworkCompiler(board: board).compile(network)
    let usage = map.usage()
    let routes = usage.reduce(0) { $0 + $1.outputAxons }
    let crossing = usage.reduce(0) { $0 + $1.interChipRoutes }
    #expect(Set(map.cores.map(\.chip)).count > 2)
    // Each c1 tile feeds only the c2 tiles over the same pixels: most routes stay on-chip.
    #expect(Double(crossing) < 0.3 * Double(routes), "\(crossing) of \(routes) routes cross chips")
  }
}
