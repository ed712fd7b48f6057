import Foundation

/// A spiking network described in the chip's own integers (network format version 1).
///
/// This is the user-facing model: what `network.json` says, after files are read. It is a
/// plain value; ``Network/validate()`` checks it against the chip's field widths, and the
/// mapper compiles it into a core map. See `docs/network-format.md` for every field.
public struct Network: Sendable, Equatable {
  /// The newest format version this library reads.
  public static let currentVersion = 2
  /// Seconds per step a network may give: a nanosecond to ten seconds.
  public static let dtRange: ClosedRange<Double> = 1e-9...10

  /// The format version the description was written in.
  public var version: Int
  /// A label for reports.
  public var name: String
  /// Seconds per timestep; converts the real-valued parameters (time constants, rates) of
  /// format version 2 into per-step quantities.
  public var dt: Double
  /// Host-side spike sources.
  public var inputs: [SpikeInput]
  /// Real values fed through host-side spiking encoders (version 2).
  public var realInputs: [RealInput] = []
  /// On-chip neuron populations.
  public var layers: [Layer]
  /// Weighted projections from inputs or layers onto layers.
  public var connections: [Connection]
  /// State recorded every step.
  public var probes: [Probe]

  /// Creates a network.
  public init(
    version: Int = Network.currentVersion, name: String = "", dt: Double = 0.001, inputs: [SpikeInput] = [],
    layers: [Layer], connections: [Connection] = [], probes: [Probe] = []
  ) {
    self.version = version
    self.name = name
    self.dt = dt
    self.inputs = inputs
    self.layers = layers
    self.connections = connections
    self.probes = probes
  }

  /// The size of the input or layer called `name`, if there is one.
  public func sourceSize(named name: String) -> Int? {
    if let layer = layers.first(where: { $0.name == name }) { return layer.size }
    if let input = realInputs.first(where: { $0.name == name }) { return input.size }
    return inputs.first(where: { $0.name == name })?.size
  }
}

/// A host-side spike generator: `size` sources emitting spikes at given steps.
public struct SpikeInput: Sendable, Equatable {
  /// Unique name (shared namespace with layers).
  public var name: String
  /// Number of sources.
  public var size: Int
  /// The spikes, as (step, source) events.
  public var spikes: SpikeTrain
  /// Channels-first shape (e.g. `[2, 32, 32]` for an event camera), or `nil` for flat.
  public var shape: [Int]? = nil
  /// Amplitude of the spikes as seen by real-valued targets: a spike has height
  /// amplitude/dt (``SpikeUnits``). 1 for given spike trains; 1/rate for encoded real
  /// values, so a target sees the mean current W·x.
  public var amplitude: Double = 1
  /// For spikes produced on the host from real values: the encoder. `spikes` is then empty.
  public var encoder: HostEncoder? = nil

  /// Creates a spike input.
  public init(name: String, size: Int, spikes: SpikeTrain) {
    self.name = name
    self.size = size
    self.spikes = spikes
  }
}

/// A host-side spiking encoder: each source accumulates a fixed increment per step (its
/// firing rate × dt in units of 2^-24) and spikes when the accumulator reaches 2^24,
/// subtracting 2^24 — at most one spike per step. Deterministic integer arithmetic.
public struct HostEncoder: Sendable, Equatable {
  /// The accumulator threshold: 2^24.
  public static let threshold: Int32 = 1 << 24
  /// Increments, `rows × sources`, row-major; row `t − 1` applies at step `t`, the last
  /// row holds for every later step.
  public var increments: [Int32]
  /// Number of rows (time steps given).
  public var rows: Int

  /// Creates an encoder.
  public init(increments: [Int32], rows: Int) {
    self.increments = increments
    self.rows = rows
  }
}

/// How real values become spikes on the host.
public enum ValueEncoding: String, Sendable, Equatable, CaseIterable {
  /// NengoLoihi's on/off encoding: per value an "on" unit at rate·(1 + x)/2 and an "off"
  /// unit at rate·(1 − x)/2 (x clipped to [−1, 1]), driving the chip through weights [W, −W].
  /// Carries dense transforms only.
  case onOff = "on_off"
  /// One spiking unit per value at rate·x (x clipped to [0, 1]): a host-side spiking
  /// encoder layer, whose spikes can feed any connection, convolutions included.
  case spiking
}

/// Real values fed to the chip through a host-side spiking encoder (format version 2).
public struct RealInput: Sendable, Equatable {
  /// Unique name (shared namespace with layers and spike inputs).
  public var name: String
  /// Number of values.
  public var size: Int
  /// Channels-first shape, or `nil` for flat.
  public var shape: [Int]?
  /// `rows × size` values, row-major: row `t − 1` applies at step `t`, the last row holds.
  public var values: [Double]
  /// Number of rows.
  public var rows: Int
  /// The encoding.
  public var encoding: ValueEncoding
  /// Rate in spikes per second of a unit at full scale (|x| = 1); `nil` means 1/dt.
  public var rate: Double?

  /// Creates a real-valued input.
  public init(name: String, size: Int, shape: [Int]? = nil, values: [Double], rows: Int = 1, encoding: ValueEncoding = .onOff, rate: Double? = nil) {
    self.name = name
    self.size = size
    self.shape = shape
    self.values = values
    self.rows = rows
    self.encoding = encoding
    self.rate = rate
  }
}

/// Spike events as parallel arrays of steps (1-based) and source indices.
public struct SpikeTrain: Sendable, Equatable {
  /// The step of each event (≥ 1).
  public var steps: [Int32]
  /// The source index of each event.
  public var sources: [Int32]

  /// Creates a spike train from parallel arrays of events, in any order; the events are
  /// kept sorted by step, then source.
  public init(steps: [Int32] = [], sources: [Int32] = []) {
    precondition(steps.count == sources.count)
    let order = steps.indices.sorted {
      steps[$0] != steps[$1] ? steps[$0] < steps[$1] : sources[$0] < sources[$1]
    }
    self.steps = order.map { steps[$0] }
    self.sources = order.map { sources[$0] }
  }

  /// Creates a spike train from per-source lists of steps.
  public init(perSource: [[Int]]) {
    var events: [(Int32, Int32)] = []
    for (source, times) in perSource.enumerated() {
      for t in times { events.append((Int32(clamping: t), Int32(source))) }
    }
    events.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
    self.steps = events.map(\.0)
    self.sources = events.map(\.1)
  }

  /// Number of spike events.
  public var count: Int { steps.count }
}

/// A population of neurons, one compartment each — or (format version 2) a linear stage
/// between populations that the mapper folds into connections (`avgpool2d`, `flatten`), or
/// one it must refuse on chip (`maxpool2d`).
public struct Layer: Sendable, Equatable {
  /// Unique name.
  public var name: String
  /// Number of neurons (for a stage: of its output, known after shape inference).
  public var size: Int
  /// What the layer is.
  public var kind: LayerKind = .neurons
  /// Channels-first shape `[channels, height, width]` (or any shape whose product is
  /// `size`), or `nil` for a flat layer.
  public var shape: [Int]? = nil
  /// For a stage: the layer or input it reads.
  public var input: String? = nil
  /// For a pooling stage: kernel `[height, width]` and stride `[height, width]`.
  public var poolKernel: [Int] = [2, 2]
  public var poolStride: [Int] = [2, 2]
  /// Neuron model and its chip parameters. For a layer described in real units this is a
  /// placeholder until the discretizer fills it in (and clears ``real``).
  public var neuron: NeuronParameters
  /// The layer's real-valued parameters (format version 2), or `nil` when the layer is
  /// given in the chip's integers.
  public var real: RealNeuronParameters?

  /// Creates a layer with chip parameters.
  public init(name: String, size: Int, neuron: NeuronParameters) {
    self.name = name
    self.size = size
    self.neuron = neuron
    self.real = nil
  }

  /// Creates a layer with real-valued parameters, to be discretized by the mapper.
  public init(name: String, size: Int, real: RealNeuronParameters) {
    self.name = name
    self.size = size
    self.neuron = NeuronParameters(model: real.model, thresholdMantissa: 1)
    self.real = real
  }
}

/// A layer's neuron model with real-valued parameters, in the units of Nengo's neuron
/// models: the input current J is dimensionless (a LIF neuron fires when J > 1; a spiking
/// rectified-linear neuron fires at J spikes per second), times are in seconds.
///
/// Per step of `dt` seconds, the layer computes
/// `u ← e^(−dt/τs)·u + (1 − e^(−dt/τs))·Σ w·s` (or `u = Σ w·s` when τs = 0) and
/// `J = u + bias`; a LIF voltage relaxes toward J with time constant τrc and fires when it
/// exceeds 1, then holds at 0 for τref; a rectified-linear voltage integrates J·dt and fires
/// when it exceeds 1. Spikes have height `amplitude / dt`.
public struct RealNeuronParameters: Sendable, Equatable {
  /// The model.
  public var model: NeuronModel
  /// Membrane time constant τrc in seconds (LoihiLIF only).
  public var tauRC: Double
  /// Refractory period τref in seconds (LoihiLIF only).
  public var tauRef: Double
  /// Synaptic filter time constant τs in seconds; 0 means no filter.
  public var tauS: Double
  /// Input gain, one value or one per neuron; multiplies every incoming weight.
  public var gain: [Double]
  /// Bias current, one value or one per neuron.
  public var bias: [Double]
  /// Output scale of the layer's spikes (multiplies outgoing weights).
  public var amplitude: Double
  /// Lowest voltage, as a fraction of the threshold (LoihiLIF; 0 by default).
  public var minVoltage: Double
  /// Per-neuron membrane time constants (one per neuron, or one for all), or `nil` when
  /// every neuron uses ``tauRC``.
  public var tauRCPerNeuron: [Double]? = nil
  /// Per-neuron refractory periods, or `nil` when every neuron uses ``tauRef``.
  public var tauRefPerNeuron: [Double]? = nil
  /// Per-neuron synaptic time constants, or `nil` when every neuron uses ``tauS``.
  public var tauSPerNeuron: [Double]? = nil

  /// Creates real-valued parameters with Nengo's defaults.
  public init(
    model: NeuronModel, tauRC: Double = 0.02, tauRef: Double? = nil, tauS: Double = 0, gain: [Double] = [1],
    bias: [Double] = [0], amplitude: Double = 1, minVoltage: Double = 0
  ) {
    self.model = model
    self.tauRC = tauRC
    self.tauRef = tauRef ?? (model == .loihiLIF ? 0.002 : 0)
    self.tauS = tauS
    self.gain = gain
    self.bias = bias
    self.amplitude = amplitude
    self.minVoltage = minVoltage
  }

  /// Gain and bias from tuning curves, as Nengo defines them: neuron *i* starts firing at
  /// input `intercepts[i]` and fires at `maxRates[i]` spikes/s at input 1. For a rectified
  /// linear neuron J = gain·x + bias is its rate; for a LIF neuron J = 1 at the intercept and
  /// J at x = 1 is the current that gives the maximum rate.
  ///
  /// - Returns: `nil` when a rate or intercept is out of reach (intercept ≥ 1, rate ≤ 0, or
  ///   a LIF rate at or above 1/τref).
  public static func gainAndBias(
    model: NeuronModel, maxRates: [Double], intercepts: [Double], tauRC: Double, tauRef: Double
  ) -> (gain: [Double], bias: [Double])? {
    let n = max(maxRates.count, intercepts.count)
    guard !maxRates.isEmpty, !intercepts.isEmpty, maxRates.count == 1 || maxRates.count == n,
      intercepts.count == 1 || intercepts.count == n
    else { return nil }
    var gains: [Double] = []
    var biases: [Double] = []
    for i in 0..<n {
      let r = maxRates.count == 1 ? maxRates[0] : maxRates[i]
      let c = intercepts.count == 1 ? intercepts[0] : intercepts[i]
      guard r > 0, c < 1 else { return nil }
      let jMax: Double
      let jAtIntercept: Double
      switch model {
      case .loihiSpikingRectifiedLinear:
        jMax = r
        jAtIntercept = 0
      case .loihiLIF:
        // r = 1 / (τref + τrc ln(1 + 1/(J − 1)))  ⇒  J = 1 / (1 − e^((τref − 1/r)/τrc))
        guard 1 / r > tauRef else { return nil }
        jMax = 1 / (1 - exp((tauRef - 1 / r) / tauRC))
        jAtIntercept = 1
      }
      let g = (jMax - jAtIntercept) / (1 - c)
      gains.append(g)
      biases.append(jAtIntercept - g * c)
    }
    return (gains, biases)
  }

  /// The gain of neuron `i`.
  public func gain(ofNeuron i: Int) -> Double { gain.count == 1 ? gain[0] : gain[i] }
  /// The bias of neuron `i`.
  public func bias(ofNeuron i: Int) -> Double { bias.count == 1 ? bias[0] : bias[i] }
  /// The membrane time constant of neuron `i`.
  public func tauRC(ofNeuron i: Int) -> Double { Self.value(tauRCPerNeuron, i, tauRC) }
  /// The refractory period of neuron `i`.
  public func tauRef(ofNeuron i: Int) -> Double { Self.value(tauRefPerNeuron, i, tauRef) }
  /// The synaptic time constant of neuron `i`.
  public func tauS(ofNeuron i: Int) -> Double { Self.value(tauSPerNeuron, i, tauS) }

  private static func value(_ perNeuron: [Double]?, _ i: Int, _ layerWide: Double) -> Double {
    guard let perNeuron else { return layerWide }
    return perNeuron.count == 1 ? perNeuron[0] : perNeuron[i]
  }
}

/// What a layer is.
public enum LayerKind: String, Sendable, Equatable, CaseIterable {
  /// A population of neurons (compartments).
  case neurons
  /// 2-D average pooling of its input's spikes; folded into the next connection's weights.
  case avgpool2d
  /// Reshape to one dimension (channels-first order is already flat: a no-op).
  case flatten
  /// 2-D max pooling: not something a Loihi core computes; refused on chip.
  case maxpool2d

  /// Whether the layer has neurons on the chip.
  public var hasNeurons: Bool { self == .neurons }
}

/// The neuron models a Loihi compartment implements.
public enum NeuronModel: String, Sendable, Equatable, CaseIterable {
  /// Leaky integrate-and-fire with current and voltage decay.
  case loihiLIF = "LoihiLIF"
  /// Non-leaky integrate-and-fire (`decay_v = 0`) with hard reset to 0.
  case loihiSpikingRectifiedLinear = "LoihiSpikingRectifiedLinear"
}

/// A layer's neuron model with its parameters given as the chip's integers.
///
/// `decayU`, `decayV`, `thresholdMantissa` and `refractoryDelay` hold the layer-wide value;
/// each may instead be given per neuron (`decayUPerNeuron`, ...), which then decides alone
/// (read the value of a neuron with ``decayU(ofNeuron:)`` etc.). `biasMantissa` is one value
/// or one per neuron. `biasExponent`, `vmin` and `vmax` are always layer-wide (`vmin`/`vmax`
/// are per-core registers on the chip).
public struct NeuronParameters: Sendable, Equatable {
  /// The model.
  public var model: NeuronModel
  /// Current decay, 12 bits: `u ← u·(4095 − decayU)/4096`.
  public var decayU: Int
  /// Voltage decay, 12 bits: `v ← v·(4096 − decayV)/4096`.
  public var decayV: Int
  /// Threshold mantissa, 17 bits: `vth = thresholdMantissa << 6`.
  public var thresholdMantissa: Int
  /// Bias mantissa: one value for all neurons, or one per neuron.
  public var biasMantissa: [Int]
  /// Bias exponent, 3 bits: `bias = biasMantissa << biasExponent`.
  public var biasExponent: Int
  /// Refractory delay, 6 bits.
  public var refractoryDelay: Int
  /// Lower voltage limit, `−(2^e − 1)`.
  public var vmin: Int
  /// Upper voltage limit, `2^(9+2f) − 1`.
  public var vmax: Int
  /// Per-neuron current decays (one value per neuron, or one for all), or `nil` when every
  /// neuron uses ``decayU``.
  public var decayUPerNeuron: [Int]? = nil
  /// Per-neuron voltage decays, or `nil` when every neuron uses ``decayV``.
  public var decayVPerNeuron: [Int]? = nil
  /// Per-neuron threshold mantissas, or `nil` when every neuron uses ``thresholdMantissa``.
  public var thresholdMantissaPerNeuron: [Int]? = nil
  /// Per-neuron refractory delays, or `nil` when every neuron uses ``refractoryDelay``.
  public var refractoryDelayPerNeuron: [Int]? = nil

  /// Default values of the optional fields (see `docs/network-format.md`).
  public static let defaultDecayU = 4095
  public static let defaultVmax = 8_388_607

  /// Creates neuron parameters; omitted fields take the documented defaults.
  public init(
    model: NeuronModel, decayU: Int = NeuronParameters.defaultDecayU, decayV: Int = 0,
    thresholdMantissa: Int, biasMantissa: [Int] = [0], biasExponent: Int = 0,
    refractoryDelay: Int = 1, vmin: Int = 0, vmax: Int = NeuronParameters.defaultVmax
  ) {
    self.model = model
    self.decayU = decayU
    self.decayV = decayV
    self.thresholdMantissa = thresholdMantissa
    self.biasMantissa = biasMantissa
    self.biasExponent = biasExponent
    self.refractoryDelay = refractoryDelay
    self.vmin = vmin
    self.vmax = vmax
  }

  /// The bias mantissa of neuron `i`.
  public func biasMantissa(ofNeuron i: Int) -> Int {
    biasMantissa.count == 1 ? biasMantissa[0] : biasMantissa[i]
  }

  /// The current decay of neuron `i`.
  public func decayU(ofNeuron i: Int) -> Int { Self.value(decayUPerNeuron, i, decayU) }
  /// The voltage decay of neuron `i`.
  public func decayV(ofNeuron i: Int) -> Int { Self.value(decayVPerNeuron, i, decayV) }
  /// The threshold mantissa of neuron `i`.
  public func thresholdMantissa(ofNeuron i: Int) -> Int { Self.value(thresholdMantissaPerNeuron, i, thresholdMantissa) }
  /// The refractory delay of neuron `i`.
  public func refractoryDelay(ofNeuron i: Int) -> Int { Self.value(refractoryDelayPerNeuron, i, refractoryDelay) }

  /// Whether any of the profile fields (decays, threshold, refractory delay) is given per
  /// neuron.
  public var hasPerNeuronProfiles: Bool {
    decayUPerNeuron != nil || decayVPerNeuron != nil || thresholdMantissaPerNeuron != nil || refractoryDelayPerNeuron != nil
  }

  private static func value(_ perNeuron: [Int]?, _ i: Int, _ layerWide: Int) -> Int {
    guard let perNeuron else { return layerWide }
    return perNeuron.count == 1 ? perNeuron[0] : perNeuron[i]
  }
}

/// A dense weight matrix from a source (input or layer) onto a layer.
public struct Connection: Sendable, Equatable {
  /// Name of the source input or layer.
  public var from: String
  /// Name of the target layer.
  public var to: String
  /// Programmed `Wgt` values, shape `[to.size, from.size]`.
  public var weights: WeightMatrix
  /// Weight exponent, −8...7.
  public var weightExponent: Int
  /// Weight bits kept: 1, 2, 3, 4, 5, 6 or 8.
  public var weightBits: Int
  /// For a 2-D convolution: its geometry; `weights` then holds the kernel as
  /// `[out_channels, in_channels · kh · kw]`.
  public var conv: Conv2D? = nil
  /// Names of the `avgpool2d` stages the mapper folded into this connection's weights
  /// (empty as written): each widens the connection's fan-in by its window.
  public var foldedPools: [String] = []

  /// Creates a connection.
  public init(
    from: String, to: String, weights: WeightMatrix, weightExponent: Int = 0,
    weightBits: Int = 8
  ) {
    self.from = from
    self.to = to
    self.weights = weights
    self.weightExponent = weightExponent
    self.weightBits = weightBits
  }
}

/// The geometry of a 2-D convolution (channels-first, like PyTorch's `Conv2d`): kernel
/// `[out_channels, in_channels, kh, kw]`, stride and zero padding `[height, width]`.
public struct Conv2D: Sendable, Equatable {
  /// `[out_channels, in_channels, kh, kw]`.
  public var kernelShape: [Int]
  /// `[height, width]`.
  public var stride: [Int]
  /// `[height, width]`.
  public var padding: [Int]

  /// Creates a geometry.
  public init(kernelShape: [Int], stride: [Int] = [1, 1], padding: [Int] = [0, 0]) {
    self.kernelShape = kernelShape
    self.stride = stride
    self.padding = padding
  }

  /// The output shape `[out_channels, h, w]` for an input `[in_channels, H, W]`, or `nil`
  /// when the shapes do not fit together.
  public func outputShape(input: [Int]) -> [Int]? {
    let bounded = { (x: Int) in x >= 0 && x <= 1 << 24 }
    guard input.count == 3, kernelShape.count == 4, stride.count == 2, padding.count == 2, input[0] == kernelShape[1],
      (input + kernelShape + stride + padding).allSatisfy(bounded),
      stride.allSatisfy({ $0 >= 1 }),
      input[1] + 2 * padding[0] >= kernelShape[2], input[2] + 2 * padding[1] >= kernelShape[3]
    else { return nil }
    let h = (input[1] + 2 * padding[0] - kernelShape[2]) / stride[0] + 1
    let w = (input[2] + 2 * padding[1] - kernelShape[3]) / stride[1] + 1
    return [kernelShape[0], h, w]
  }
}

/// A row-major matrix, `rows` target neurons × `columns` source neurons: the chip's
/// integer `Wgt` values, or (format version 2) real-valued weights for the discretizer.
public struct WeightMatrix: Sendable, Equatable {
  /// Number of rows (target neurons).
  public var rows: Int
  /// Number of columns (source neurons).
  public var columns: Int
  /// `rows · columns` integer values, row-major (empty for a real matrix). Wide enough to
  /// hold out-of-range user values so validation can report them.
  public var values: [Int32]
  /// `rows · columns` real values, row-major, or `nil` for an integer matrix.
  public var real: [Double]?
  /// When set, the matrix is sparse: only the entries listed here are stored, and
  /// ``values`` / ``real`` hold one value per listed entry, in the same order.
  public var sparse: SparseColumns?

  /// Creates an integer matrix; `values.count` must be `rows · columns`.
  public init(rows: Int, columns: Int, values: [Int32]) {
    precondition(values.count == rows * columns)
    self.rows = rows
    self.columns = columns
    self.values = values
    self.real = nil
  }

  /// Creates a real-valued matrix; `real.count` must be `rows · columns`.
  public init(rows: Int, columns: Int, real: [Double]) {
    precondition(real.count == rows * columns)
    self.rows = rows
    self.columns = columns
    self.values = []
    self.real = real
  }

  /// Creates a sparse matrix from its columns' entries; exactly one of `values` and `real`
  /// is given, one value per entry.
  public init(rows: Int, columns: Int, sparse: SparseColumns, values: [Int32]? = nil, real: [Double]? = nil) {
    precondition(sparse.columnStart.count == columns + 1)
    precondition((values?.count ?? real?.count ?? -1) == sparse.rowIndex.count)
    self.rows = rows
    self.columns = columns
    self.values = values ?? []
    self.real = real
    self.sparse = sparse
  }

  /// Whether the matrix holds real values (to be discretized).
  public var isReal: Bool { real != nil }

  /// The stored entries of column `j`: (row, index into ``values`` or ``real``), rows ascending.
  public func entries(ofColumn j: Int) -> [(row: Int, index: Int)] {
    if let sparse {
      return (sparse.columnStart[j]..<sparse.columnStart[j + 1]).map { (Int(sparse.rowIndex[$0]), $0) }
    }
    return (0..<rows).map { ($0, $0 * columns + j) }
  }

  /// The row of stored value `index`.
  public func row(ofEntry index: Int) -> Int {
    if let sparse { return Int(sparse.rowIndex[index]) }
    return index / max(columns, 1)
  }

  /// The weight from source `column` onto target `row`.
  public subscript(row: Int, column: Int) -> Int32 { values[row * columns + column] }
}

/// The stored entries of a sparse matrix, column by column: the rows of column `j` are
/// `rowIndex[columnStart[j] ..< columnStart[j + 1]]`, ascending.
public struct SparseColumns: Sendable, Equatable {
  /// Offsets of each column's entries; `columns + 1` values from 0.
  public var columnStart: [Int]
  /// Row of every entry.
  public var rowIndex: [Int32]

  /// Creates the structure.
  public init(columnStart: [Int], rowIndex: [Int32]) {
    self.columnStart = columnStart
    self.rowIndex = rowIndex
  }
}

/// What a probe records.
public enum ProbeKind: String, Sendable, Equatable, CaseIterable {
  /// Whether each neuron spiked (0 or 1).
  case spikes
  /// The voltage `v` at the end of the step.
  case voltage
  /// The current `u` at the end of the step (excluding bias).
  case current
}

/// A request to record one state variable of (some neurons of) a layer every step.
public struct Probe: Sendable, Equatable {
  /// Unique probe name.
  public var name: String
  /// The probed layer.
  public var layer: String
  /// The recorded variable.
  public var kind: ProbeKind
  /// Recorded neuron indices, or `nil` for all.
  public var neurons: [Int]?

  /// Creates a probe.
  public init(name: String, layer: String, kind: ProbeKind, neurons: [Int]? = nil) {
    self.name = name
    self.layer = layer
    self.kind = kind
    self.neurons = neurons
  }
}
