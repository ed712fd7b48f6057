import Dispatch
import Foundation
import NetworkModel

/// Folds the stages of a network into its connections, so that only neuron layers, inputs
/// and weight matrices remain — what the chip can hold.
///
/// * `flatten` reorders nothing (shapes are channels-first, already flat in memory);
/// * `avgpool2d` is linear: a connection that reads a pooled layer becomes one that reads
///   the pool's input, with weights multiplied through the pool (each weight spread over its
///   window and divided by the window size). No extra neurons are needed; the weights
///   become real-valued, so the target must have real-valued parameters;
/// * `maxpool2d` takes a maximum, which a neuro-core cannot compute: refused;
/// * a `conv2d` connection becomes a sparse matrix: one column per source neuron, holding
///   the targets its kernel reaches.
enum Lowering {
  static func lower(_ network: Network) throws(MappingError) -> Network {
    let hasStages = network.layers.contains { !$0.kind.hasNeurons }
    let hasConv = network.connections.contains { $0.conv != nil }
    guard hasStages || hasConv || !network.realInputs.isEmpty else { return network }
    // Every refusal is collected, so one compile reports them all.
    var refusals: [MappingError] = []
    let encoded: Network
    do throws(MappingError) {
      encoded = try encodeRealInputs(network)
    } catch {
      refusals += error.all
      encoded = network
    }
    let network = encoded
    let (shapes, _) = network.inferredShapes()
    var stages: [String: Layer] = [:]
    for layer in network.layers where !layer.kind.hasNeurons { stages[layer.name] = layer }
    for maxpool in network.layers where maxpool.kind == .maxpool2d {
      refusals.append(
        MappingError(
          subject: "layer '\(maxpool.name)' (maxpool2d)",
          problem: "a Loihi core adds weighted spikes; it cannot take the maximum of a window",
          fix: "use \"kind\": \"avgpool2d\" (folded into the next connection's weights, no extra neurons), or pool on the host before the chip",
          layer: maxpool.name))
    }
    var out = network
    out.layers = network.layers.filter { $0.kind.hasNeurons }
    out.connections = []
    for (k, c) in network.connections.enumerated() {
      // Walk back from the connection's source through the stages to a neuron layer or input.
      var chain: [Layer] = []
      var origin = c.from
      while let stage = stages[origin] {
        chain.append(stage)
        origin = stage.input ?? ""
      }
      if chain.isEmpty && c.conv == nil {
        out.connections.append(c)  // a plain dense connection stays dense
        continue
      }
      let target = network.layers.first { $0.name == c.to }
      if chain.contains(where: { $0.kind == .avgpool2d }) && target?.real == nil {
        refusals.append(
          MappingError(
            subject: "'\(c.from)' → '\(c.to)'",
            problem: "reads an avgpool2d stage, whose 1/window factor makes the folded weights fractional, but '\(c.to)' takes integer Wgt values",
            fix: "give '\(c.to)' real-valued parameters (version 2) so the mapper quantizes the folded weights",
            connection: k))
        continue
      }
      // After a refusal only the checks go on: nothing built here would be used.
      if chain.contains(where: { $0.kind == .maxpool2d }) || !refusals.isEmpty { continue }
      var lowered = c
      lowered.from = origin
      lowered.conv = nil
      lowered.foldedPools = chain.filter { $0.kind == .avgpool2d }.map(\.name)
      if let geometry = c.conv, chain.isEmpty {
        lowered.weights = convolutionColumns(c, geometry: geometry, inputShape: shapes[origin] ?? [])
      } else {
        lowered.weights = fold(c, through: chain, originShape: shapes[origin] ?? [], stageShapes: shapes)
      }
      out.connections.append(lowered)
    }
    try refusals.throwIfAny()
    return out
  }

  /// Replaces every real-valued input by the host-side spike source that encodes it, and
  /// every connection from it by one from the encoder's units: `[W, −W]` for on/off pairs.
  ///
  /// A convolution cannot read on/off-encoded values: each value becomes a *pair* of spike
  /// sources whose difference carries it, and only a dense transform can be applied to that
  /// difference (as `[W, −W]`). This is NengoLoihi's rule too ("Conv2D transforms not
  /// supported for off-chip to on-chip connections where `pre` is not a Neurons object").
  static func encodeRealInputs(_ network: Network) throws(MappingError) -> Network {
    var out = network
    out.realInputs = []
    var encoded: [String: RealInput] = [:]
    for input in network.realInputs {
      encoded[input.name] = input
      let rate = HostEncoding.rate(of: input, dt: network.dt)
      let pairs = input.encoding == .onOff
      let sources = HostEncoding.unitsPerValue(input.encoding) * input.size
      var increments: [Int32] = []
      increments.reserveCapacity(input.rows * sources)
      for r in 0..<input.rows {
        increments += HostEncoding.increments(
          values: input.values[r * input.size..<(r + 1) * input.size], encoding: input.encoding, rate: rate, dt: network.dt)
      }
      var source = SpikeInput(name: input.name, size: sources, spikes: SpikeTrain())
      source.shape = pairs ? nil : input.shape
      source.amplitude = SpikeUnits.encoderAmplitude(rate: rate)
      source.encoder = HostEncoder(increments: increments, rows: input.rows)
      out.inputs.append(source)
    }
    var stageInput: [String: String] = [:]
    for layer in network.layers where !layer.kind.hasNeurons { stageInput[layer.name] = layer.input }
    var refusals: [MappingError] = []
    for (k, c) in network.connections.enumerated() {
      // Walk back through stages to what the connection really reads.
      var origin = c.from
      var throughStages = false
      while let next = stageInput[origin] {
        origin = next
        throughStages = true
      }
      guard let input = encoded[origin], input.encoding == .onOff else { continue }
      if throughStages {
        refusals.append(MappingError(
          subject: "'\(c.from)' → '\(c.to)'",
          problem:
            "reads on/off-encoded values from '\(input.name)' through pooling or flatten stages; on/off pairs carry a value as the difference of two spike trains, which only a dense connection straight from the input can use",
          fix:
            "connect '\(input.name)' directly with a dense matrix, or set \"encoding\": {\"kind\": \"spiking\"} on '\(input.name)' (values in [0, 1])",
          connection: k))
        continue
      }
      if c.conv != nil {
        let target = c.to
        refusals.append(MappingError(
          subject: "conv2d from '\(input.name)' to '\(target)'",
          problem:
            "'\(input.name)' is a real-valued input with on/off encoding, not a spiking neuron layer; the chip receives only spikes, and on/off encoding carries a value as the difference of two spike trains, which only a dense transform can use",
          fix:
            "(1) put a host-side spiking encoder in between: set \"encoding\": {\"kind\": \"spiking\"} on '\(input.name)' (values in [0, 1]; see docs/mapping.md); (2) feed the values as the bias of the first on-chip layer; or (3) use a dense connection",
          connection: k))
        continue
      }
      // [W, −W]: on units add W·(1+x)/2, off units subtract W·(1−x)/2; the difference is W·x.
      let w = c.weights
      var mirrored = c
      if let real = w.real {
        var values = [Double](repeating: 0, count: w.rows * 2 * w.columns)
        for r in 0..<w.rows {
          for j in 0..<w.columns {
            values[r * 2 * w.columns + j] = real[r * w.columns + j]
            values[r * 2 * w.columns + w.columns + j] = -real[r * w.columns + j]
          }
        }
        mirrored.weights = WeightMatrix(rows: w.rows, columns: 2 * w.columns, real: values)
      } else {
        var values = [Int32](repeating: 0, count: w.rows * 2 * w.columns)
        for r in 0..<w.rows {
          for j in 0..<w.columns {
            values[r * 2 * w.columns + j] = w.values[r * w.columns + j]
            values[r * 2 * w.columns + w.columns + j] = -w.values[r * w.columns + j]
          }
        }
        mirrored.weights = WeightMatrix(rows: w.rows, columns: 2 * w.columns, values: values)
      }
      out.connections[k] = mirrored
    }
    try refusals.throwIfAny()
    return out
  }

  /// A convolution read directly from its source, as a sparse matrix built column by
  /// column: for every source neuron, the targets its kernel reaches (rows ascending).
  private static func convolutionColumns(_ c: Connection, geometry: Conv2D, inputShape: [Int]) -> WeightMatrix {
    let k = geometry.kernelShape
    let (cin, h, w) = (inputShape[0], inputShape[1], inputShape[2])
    let out = geometry.outputShape(input: inputShape) ?? [k[0], 0, 0]
    let (oh, ow) = (out[1], out[2])
    let (sy, sx) = (geometry.stride[0], geometry.stride[1])
    let (py, px) = (geometry.padding[0], geometry.padding[1])
    // The kernel rows (and columns) a source row (column) meets and the output row
    // (column) each reaches, kernel index descending so that target rows ascend.
    func reach(size: Int, kernel: Int, stride: Int, padding: Int, outputs: Int) -> [[(tap: Int, output: Int)]] {
      (0..<size).map { y in
        (0..<kernel).reversed().compactMap { ky -> (tap: Int, output: Int)? in
          let ny = y + padding - ky
          if ny < 0 || ny % stride != 0 || ny / stride >= outputs { return nil }
          return (ky, ny / stride)
        }
      }
    }
    let reachY = reach(size: h, kernel: k[2], stride: sy, padding: py, outputs: oh)
    let reachX = reach(size: w, kernel: k[3], stride: sx, padding: px, outputs: ow)
    let (outChannels, kh, kw) = (k[0], k[2], k[3])
    let fanIn = cin * kh * kw
    let columns = cin * h * w
    let targets = out.reduce(1, *)

    /// The columns with the kernel's weights `kernel` (zero weights left out). Rows ascend
    /// without sorting: by output channel, then (ny, nx) ascending, i.e. kernel rows and
    /// columns descending. Every column's length follows from its reach and the kernel's
    /// non-zero weights, so chunks of columns fill their own slots in parallel.
    func columnsOf<Value: Equatable & Sendable>(_ kernel: [Value], zero: Value) -> (start: [Int], rows: [Int32], values: [Value]) {
      // (Validation gives every kernel all its weights; never read past them.)
      guard kernel.count >= outChannels * fanIn else { return ([Int](repeating: 0, count: columns + 1), [], []) }
      // Per (input channel, kernel row, kernel column): its non-zero weights over the output channels.
      var nonZero = [Int](repeating: 0, count: fanIn)
      for o in 0..<outChannels {
        for t in 0..<fanIn where kernel[o * fanIn + t] != zero { nonZero[t] += 1 }
      }
      var start = [Int](repeating: 0, count: columns + 1)
      var column = 0
      for ci in 0..<cin {
        for y in 0..<h {
          for x in 0..<w {
            var n = 0
            for (ky, _) in reachY[y] {
              for (kx, _) in reachX[x] { n += nonZero[(ci * kh + ky) * kw + kx] }
            }
            start[column + 1] = start[column] + n
            column += 1
          }
        }
      }
      let total = start[columns]
      let chunks = Partitioner.parallelChunks(for: total)
      let columnStart = start
      var values: [Value] = []
      let rows = [Int32](unsafeUninitializedCapacity: total) { rowsOut, rowCount in
        values = [Value](unsafeUninitializedCapacity: total) { valuesOut, valueCount in
          // Each chunk writes every slot of its own columns.
          nonisolated(unsafe) let (rowsOut, valuesOut) = (rowsOut, valuesOut)
          DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            for column in (columns * chunk / chunks)..<(columns * (chunk + 1) / chunks) {
              let (ci, y, x) = (column / (h * w), (column / w) % h, column % w)
              var slot = columnStart[column]
              for o in 0..<outChannels {
                for (ky, oy) in reachY[y] {
                  for (kx, ox) in reachX[x] {
                    let value = kernel[o * fanIn + (ci * kh + ky) * kw + kx]
                    if value == zero { continue }
                    rowsOut[slot] = Int32((o * oh + oy) * ow + ox)
                    valuesOut[slot] = value
                    slot += 1
                  }
                }
              }
            }
          }
          valueCount = total
        }
        rowCount = total
      }
      return (start, rows, values)
    }

    if let real = c.weights.real {
      let (start, rows, values) = columnsOf(real, zero: 0.0)
      return WeightMatrix(rows: targets, columns: columns, sparse: SparseColumns(columnStart: start, rowIndex: rows), real: values)
    }
    let (start, rows, values) = columnsOf(c.weights.values, zero: Int32(0))
    return WeightMatrix(rows: targets, columns: columns, sparse: SparseColumns(columnStart: start, rowIndex: rows), values: values)
  }

  /// The connection's weights as a sparse matrix over the origin's neurons.
  private static func fold(_ c: Connection, through chain: [Layer], originShape: [Int], stageShapes: [String: [Int]]) -> WeightMatrix {
    let originSize = originShape.reduce(1, *)
    let real = c.weights.real
    // Columns of the connection as written: for each source index, (target row, value).
    let readShape = chain.first.flatMap { stageShapes[$0.name] } ?? originShape
    let readSize = readShape.reduce(1, *)
    var columns = [[(row: Int32, value: Double)]](repeating: [], count: readSize)
    if let geometry = c.conv {
      let k = geometry.kernelShape
      let (cin, h, w) = (readShape[0], readShape[1], readShape[2])
      let out = geometry.outputShape(input: readShape) ?? [k[0], 0, 0]
      let (oh, ow) = (out[1], out[2])
      for o in 0..<k[0] {
        for ty in 0..<oh {
          for tx in 0..<ow {
            let row = Int32((o * oh + ty) * ow + tx)
            for ci in 0..<cin {
              for ky in 0..<k[2] {
                let y = ty * geometry.stride[0] + ky - geometry.padding[0]
                if y < 0 || y >= h { continue }
                for kx in 0..<k[3] {
                  let x = tx * geometry.stride[1] + kx - geometry.padding[1]
                  if x < 0 || x >= w { continue }
                  let index = o * (cin * k[2] * k[3]) + (ci * k[2] + ky) * k[3] + kx
                  let value = real?[index] ?? Double(c.weights.values[index])
                  if value != 0 { columns[(ci * h + y) * w + x].append((row, value)) }
                }
              }
            }
          }
        }
      }
    } else {
      for j in 0..<c.weights.columns {
        for (row, index) in c.weights.entries(ofColumn: j) {
          let value = real?[index] ?? Double(c.weights.values[index])
          if value != 0 { columns[j].append((Int32(row), value)) }
        }
      }
    }
    // Push the columns back through the stages, last read first.
    var shape = readShape
    for (s, stage) in chain.enumerated() {
      let inputShape = s + 1 < chain.count ? (stageShapes[chain[s + 1].name] ?? []) : originShape
      if stage.kind == .avgpool2d {
        let (ch, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let (ph, pw) = (shape[1], shape[2])
        let (kh, kw) = (stage.poolKernel[0], stage.poolKernel[1])
        let (sh, sw) = (stage.poolStride[0], stage.poolStride[1])
        let share = 1 / Double(kh * kw)
        var next = [[(row: Int32, value: Double)]](repeating: [], count: ch * h * w)
        for c0 in 0..<ch {
          for py in 0..<ph {
            for px in 0..<pw {
              let pooled = columns[(c0 * ph + py) * pw + px]
              if pooled.isEmpty { continue }
              for dy in 0..<kh {
                for dx in 0..<kw {
                  let source = (c0 * h + py * sh + dy) * w + px * sw + dx
                  next[source] += pooled.map { ($0.row, $0.value * share) }
                }
              }
            }
          }
        }
        columns = next
      }
      // flatten: same order, nothing to do.
      shape = inputShape
    }
    precondition(columns.count == originSize)
    // Merge repeated rows (overlapping pool windows) and sort each column by row.
    var start = [0]
    var rows: [Int32] = []
    var values: [Double] = []
    for column in columns {
      var merged: [Int32: Double] = [:]
      for entry in column { merged[entry.row, default: 0] += entry.value }
      for (row, value) in merged.sorted(by: { $0.key < $1.key }) {
        rows.append(row)
        values.append(value)
      }
      start.append(rows.count)
    }
    let sparse = SparseColumns(columnStart: start, rowIndex: rows)
    let targetRows = c.weights.rows == 0 ? 0 : (c.conv.flatMap { $0.outputShape(input: readShape) }?.reduce(1, *) ?? c.weights.rows)
    if real != nil || chain.contains(where: { $0.kind == .avgpool2d }) {
      return WeightMatrix(rows: targetRows, columns: originSize, sparse: sparse, real: values)
    }
    return WeightMatrix(rows: targetRows, columns: originSize, sparse: sparse, values: values.map { Int32($0) })
  }
}
