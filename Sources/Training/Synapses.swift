import NetworkModel

/// The synapses into one layer of a ``SpikingNetwork``, by source: the targets each source
/// neuron reaches and which shared parameter (weight) each synapse applies. Dense layers
/// have one parameter per synapse; a convolution shares its kernel over every output
/// position; an average pool in front of a layer shares each weight over the pool's
/// window (the folded pool's weights are equal, so one parameter holds them).
public struct Synapses: Sendable, Equatable {
  /// How the connection is written for the chip.
  public enum Form: Sendable, Equatable {
    /// A `[targets, sources]` matrix.
    case dense
    /// A `conv2d` kernel `[out, in, kh, kw]` with stride and padding (a folded pool already
    /// multiplied in).
    case conv(kernel: [Int], stride: [Int], padding: [Int])
  }

  public var sourceCount: Int
  public var targetCount: Int
  /// Number of shared parameters.
  public var parameterCount: Int
  public var form: Form
  /// The synapses of source j are `start[j] ..< start[j + 1]`.
  var start: [Int32]
  var target: [Int32]
  var parameter: [Int32]
  /// Parameter of every entry of the written matrix or kernel (−1: none, weight 0).
  var writtenParameter: [Int32]

  /// Number of synapses.
  public var count: Int { target.count }

  /// Source-major tables from (source, target, parameter) triples.
  init(sources: Int, targets: Int, parameters: Int, form: Form, triples: [(source: Int32, target: Int32, parameter: Int32)], written: [Int32]) {
    sourceCount = sources
    targetCount = targets
    parameterCount = parameters
    self.form = form
    var start = [Int32](repeating: 0, count: sources + 1)
    for t in triples { start[Int(t.source) + 1] += 1 }
    for j in 0..<sources { start[j + 1] += start[j] }
    var fill = start
    var target = [Int32](repeating: 0, count: triples.count)
    var parameter = [Int32](repeating: 0, count: triples.count)
    for t in triples {
      let k = Int(fill[Int(t.source)])
      target[k] = t.target
      parameter[k] = t.parameter
      fill[Int(t.source)] += 1
    }
    self.start = start
    self.target = target
    self.parameter = parameter
    self.writtenParameter = written
  }

  /// A dense layer of `targets` neurons reading `sourceShape`, through an average pool of
  /// `pool`×`pool` (stride `pool`) when `pool` > 1: target i's weight for pooled position
  /// (c, y, x) is parameter `i · pooledSize + (c · h + y) · w + x`.
  static func dense(targets: Int, sourceShape: [Int], pool: Int) -> Synapses {
    let sources = sourceShape.reduce(1, *)
    guard pool > 1, sourceShape.count == 3 else {
      let triples = (0..<sources).flatMap { j in (0..<targets).map { i in (Int32(j), Int32(i), Int32(i * sources + j)) } }
      return Synapses(
        sources: sources, targets: targets, parameters: sources * targets, form: .dense, triples: triples,
        written: (0..<Int32(sources * targets)).map { $0 })
    }
    let (c, h, w) = (sourceShape[0], sourceShape[1], sourceShape[2])
    let (ph, pw) = (h / pool, w / pool)
    let pooled = c * ph * pw
    var triples: [(source: Int32, target: Int32, parameter: Int32)] = []
    var written = [Int32](repeating: -1, count: targets * sources)
    for ch in 0..<c {
      for y in 0..<(ph * pool) {
        for x in 0..<(pw * pool) {
          let j = (ch * h + y) * w + x
          let p = (ch * ph + y / pool) * pw + x / pool
          for i in 0..<targets {
            triples.append((Int32(j), Int32(i), Int32(i * pooled + p)))
            written[i * sources + j] = Int32(i * pooled + p)
          }
        }
      }
    }
    return Synapses(sources: sources, targets: targets, parameters: targets * pooled, form: .dense, triples: triples, written: written)
  }

  /// A convolution of `channels` output channels over `sourceShape` `[C, H, W]`, read
  /// through an average pool of `pool`×`pool` (stride `pool`): on the un-pooled map that
  /// is a kernel `pool` times as large, with `pool` times the stride and padding, each
  /// weight shared over a `pool`×`pool` block. Returns the synapses and the output shape.
  static func conv(channels: Int, kernel: [Int], stride: [Int], padding: [Int], sourceShape: [Int], pool: Int) -> (Synapses, [Int]) {
    let (c, h, w) = (sourceShape[0], sourceShape[1], sourceShape[2])
    let (ph, pw) = (h / pool, w / pool)
    let oh = (ph + 2 * padding[0] - kernel[0]) / stride[0] + 1
    let ow = (pw + 2 * padding[1] - kernel[1]) / stride[1] + 1
    let (kh, kw) = (kernel[0] * pool, kernel[1] * pool)
    let (sy, sx) = (stride[0] * pool, stride[1] * pool)
    let (py, px) = (padding[0] * pool, padding[1] * pool)
    var triples: [(source: Int32, target: Int32, parameter: Int32)] = []
    for o in 0..<channels {
      for ty in 0..<oh {
        for tx in 0..<ow {
          let target = Int32((o * oh + ty) * ow + tx)
          for ch in 0..<c {
            for a in 0..<kh {
              let y = ty * sy - py + a
              guard y >= 0, y < h else { continue }
              for b in 0..<kw {
                let x = tx * sx - px + b
                guard x >= 0, x < w else { continue }
                let p = ((o * c + ch) * kernel[0] + a / pool) * kernel[1] + b / pool
                triples.append((Int32((ch * h + y) * w + x), target, Int32(p)))
              }
            }
          }
        }
      }
    }
    var written = [Int32](repeating: 0, count: channels * c * kh * kw)
    for o in 0..<channels {
      for ch in 0..<c {
        for a in 0..<kh {
          for b in 0..<kw { written[((o * c + ch) * kh + a) * kw + b] = Int32(((o * c + ch) * kernel[0] + a / pool) * kernel[1] + b / pool) }
        }
      }
    }
    let synapses = Synapses(
      sources: c * h * w, targets: channels * oh * ow, parameters: channels * c * kernel[0] * kernel[1],
      form: .conv(kernel: [channels, c, kh, kw], stride: [sy, sx], padding: [py, px]), triples: triples, written: written)
    return (synapses, [channels, oh, ow])
  }

  /// The connection as the network file holds it, with the programmed `Wgt` of every
  /// parameter.
  func connection(from: String, to: String, programmed: [Int32], exponent: Int) -> Connection {
    let values = writtenParameter.map { $0 < 0 ? 0 : programmed[Int($0)] }
    switch form {
    case .dense:
      return Connection(from: from, to: to, weights: WeightMatrix(rows: targetCount, columns: sourceCount, values: values), weightExponent: exponent)
    case .conv(let kernel, let stride, let padding):
      var connection = Connection(
        from: from, to: to, weights: WeightMatrix(rows: kernel[0], columns: kernel[1] * kernel[2] * kernel[3], values: values), weightExponent: exponent)
      connection.conv = Conv2D(kernelShape: kernel, stride: stride, padding: padding)
      return connection
    }
  }
}
