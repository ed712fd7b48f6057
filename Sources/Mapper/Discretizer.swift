import Foundation
import LoihiArithmetic
import NetworkModel

/// How well one real-valued layer survived quantization.
public struct LayerQuantization: Sendable, Equatable {
  /// Layer name.
  public var layer: String
  /// The discretizer's voltage scale *S* (docs/quantization.md): integer voltage units per
  /// unit of the real voltage (LIF) or of voltage/dt (rectified linear).
  public var voltageScale: Double
  /// Integer units of a voltage probe per unit of the real model's voltage v: *S* for LIF,
  /// *S*/dt for rectified linear (whose real v integrates J·dt).
  public var voltageUnitsPerReal: Double
  /// Integer units of a current probe per unit of the real current: the chip's `u` (and
  /// `u + bias`) is the real J times *S*·g_v, so J = (u + bias) / currentUnitsPerReal.
  public var currentUnitsPerReal: Double
  /// Per neuron, integer units of a current probe per unit of the real current, when the
  /// neurons' membrane time constants differ (each has its own g_v); `nil` when all share
  /// ``currentUnitsPerReal``.
  public var currentUnitsPerRealPerNeuron: [Double]? = nil
  /// The current probe units of neuron `i`.
  public func currentUnitsPerReal(ofNeuron i: Int) -> Double { currentUnitsPerRealPerNeuron?[i] ?? currentUnitsPerReal }
  /// Chosen chip parameters (neuron 0's when they are per neuron: see ``perNeuron``).
  public var thresholdMantissa: Int
  public var decayU: Int
  public var decayV: Int
  public var refractoryDelay: Int
  public var biasExponent: Int
  /// Whether decay_u, decay_v or refract_delay differ between the layer's neurons (its time
  /// constants were given per neuron).
  public var perNeuron = false
  /// Weight exponent chosen for each incoming connection, with its source.
  public var weightExponents: [(from: String, exponent: Int)]
  /// Nonzero real weights into the layer.
  public var weightCount: Int
  /// Largest and mean relative error of the weights the chip will apply (0 when none).
  public var weightMaxRelativeError: Double
  public var weightMeanRelativeError: Double
  /// The 50th, 90th and 99th percentile of the weights' relative errors (0 when none): the
  /// maximum is often a tiny weight rounded to 0 (100 %), which says little on its own.
  public var weightErrorPercentiles: [Double] = [0, 0, 0]
  /// The largest error of any weight as a fraction of the largest weight magnitude into the
  /// layer: what a rounding can do to the current, at most.
  public var weightMaxErrorOfLargest: Double = 0
  /// Nonzero real weights the chip applies as 0.
  public var weightsRoundedToZero: Int
  /// Share of the nonzero weights the chip applies as 0.
  public var weightsRoundedToZeroShare: Double { weightCount == 0 ? 0 : Double(weightsRoundedToZero) / Double(weightCount) }
  /// Largest and mean relative error of the nonzero biases.
  public var biasMaxRelativeError: Double
  public var biasMeanRelativeError: Double

  /// How each incoming connection's weights became the chip's (in the order of
  /// ``weightExponents``); empty for a layer with per-neuron time constants, whose rows
  /// scale differently.
  public var weightQuantizers: [WeightQuantizer] = []

  public static func == (a: LayerQuantization, b: LayerQuantization) -> Bool {
    a.layer == b.layer && a.voltageScale == b.voltageScale && a.thresholdMantissa == b.thresholdMantissa
      && a.decayU == b.decayU && a.decayV == b.decayV && a.refractoryDelay == b.refractoryDelay
      && a.biasExponent == b.biasExponent && a.weightExponents.map(\.exponent) == b.weightExponents.map(\.exponent)
      && a.weightCount == b.weightCount && a.weightsRoundedToZero == b.weightsRoundedToZero
  }
}

/// How one connection's real weights become programmed `Wgt` values, and what the chip
/// then applies: the one place this rounding lives (the discretizer programs with it;
/// training applies it in its forward pass, so that compiling the result changes nothing).
///
/// Weights are in current per spike (J, as `SpikeUnits.currentPerSpike` gives them).
public struct WeightQuantizer: Sendable, Equatable {
  /// The connection's source.
  public var from: String
  /// Programmed `Wgt` per unit of current per spike.
  public var wgtPerCurrent: Double
  /// The connection's weight exponent.
  public var exponent: Int
  /// Current-probe units per unit of current (the layer's voltage scale times its
  /// integral compensation): synaptic units · 64 / this = the current applied.
  public var currentScale: Double

  /// The even `Wgt` in −254 … 254 programmed for current per spike `current` (even values:
  /// the chip keeps 7 magnitude bits of an 8-bit weight).
  public static func program(_ current: Double, wgtPerCurrent: Double) -> Int {
    Int(min(max(2 * (current * wgtPerCurrent / 2).rounded(.toNearestOrEven), -Discretizer.maxWgt), Discretizer.maxWgt))
  }

  /// The current per spike the chip applies for `current`.
  public func applied(_ current: Double) -> Double {
    let wgt = Self.program(current, wgtPerCurrent: wgtPerCurrent)
    return Double(SynapseWeight.synapticUnits(wgt: wgt, exponent: exponent, bits: 8)) * 64 / currentScale
  }
}

/// Turns layers and weights given in real units (network format version 2) into the chip's
/// integers, choosing for every layer a voltage scale that uses the threshold's, the bias's and
/// the weights' precision without leaving their fields, and for every connection a weight
/// exponent. See `docs/quantization.md` for the model and the derivation.
public enum Discretizer {
  /// The chip's field limits used here, from ``LoihiArithmetic/ChipFields``.
  static let maxThreshold = Double(ChipFields.thresholdMantissaRange.upperBound << ChipFields.thresholdExponent)
  static let maxBiasMantissa = ChipFields.biasMantissaRange.upperBound
  static let maxBias = Double(maxBiasMantissa << ChipFields.biasExponentRange.upperBound)
  /// The largest stored weight magnitude with 8 bits in mixed-sign mode.
  static let maxWgt = 254.0

  /// Discretizes every real-valued layer of `network` and the weights into it.
  ///
  /// - Returns: the network with only chip parameters, and one report per discretized layer.
  /// - Throws: ``MappingError`` when a layer's parameters cannot be represented (e.g. a
  ///   refractory period longer than the 6-bit field allows).
  public static func discretize(_ network: Network) throws(MappingError) -> (Network, [LayerQuantization]) {
    var out = network
    var reports: [LayerQuantization] = []
    var layerIndex: [String: Int] = [:]
    for (i, layer) in network.layers.enumerated() { layerIndex[layer.name] = i }
    var refusals: [MappingError] = []
    for (l, layer) in network.layers.enumerated() {
      guard let real = layer.real else { continue }
      let incoming = network.connections.indices.filter { network.connections[$0].to == layer.name }
      let discretized: (NeuronParameters, [Connection], LayerQuantization)
      do throws(MappingError) {
        discretized = try discretizeLayer(
        layer, real: real, dt: network.dt, incoming: incoming.map { k in
          let c = network.connections[k]
          let amplitude =
            layerIndex[c.from].flatMap { network.layers[$0].real?.amplitude }
            ?? network.inputs.first(where: { $0.name == c.from })?.amplitude ?? 1
          return (c, amplitude)
        })
      } catch {
        refusals.append(error)
        continue
      }
      let (neuron, weights, report) = discretized
      out.layers[l].neuron = neuron
      out.layers[l].real = nil
      for (k, w) in zip(incoming, weights) { out.connections[k] = w }
      reports.append(report)
    }
    try refusals.throwIfAny()
    return (out, reports)
  }

  /// The sum of the chip's truncated decay series `x, ⌊r·x⌋, ⌊r·⌊r·x⌋⌋, …` divided by its
  /// first term, for `x = 2^21` and `r = (4096 − offset − decay)/4096`: how much one unit of
  /// input adds up to in the integer model (1/d for an exact exponential filter, a little less
  /// because every step truncates).
  package static func truncatedSeriesSum(decay: Int, offset: Int) -> Double {
    let factor = Int64(4096 - offset - decay)
    precondition(factor < 4096, "a non-decaying series has no finite sum")
    let first: Int64 = 1 << 21
    var x = first
    var sum: Int64 = 0
    while x > 0 {
      sum += x
      x = (x * factor) >> 12
    }
    return Double(sum) / Double(first)
  }

  /// `decay_u` for a synaptic time constant: the chip multiplies u by
  /// (4095 − decay_u)/4096 = e^(−dt/τs) (4095, no filter, for τs = 0).
  static func currentDecay(tauS: Double, dt: Double) -> Int {
    let dU = tauS > 0 ? 1 - exp(-dt / tauS) : 1
    return Int(min(max(4096 * dU - 1, 0), 4095).rounded(.toNearestOrEven))
  }

  /// `decay_v` for a membrane time constant: (4096 − decay_v)/4096 = e^(−dt/τrc).
  public static func voltageDecay(tauRC: Double, dt: Double) -> Int {
    let dV = 1 - exp(-dt / tauRC)
    return Int(min(max(4096 * dV, 0), 4095).rounded(.toNearestOrEven))
  }

  /// `refract_delay` for a refractory period: the neuron is held for round(τref/dt) steps
  /// after the step it spikes in.
  public static func refractoryDelay(tauRef: Double, dt: Double) -> Int { Int((tauRef / dt).rounded(.toNearestOrEven)) + 1 }

  /// What the chip's fields cannot hold of a layer's time constants, whatever its weights:
  /// a leak too slow for `decay_v`, a refractory period too long for its 6-bit field.
  /// Checked for every real-valued layer even when other refusals stop the compilation, so
  /// one run reports them all.
  static func timeConstantRefusals(_ layer: Layer, real p: RealNeuronParameters, dt: Double) -> [MappingError] {
    func refuse(_ problem: String, _ fix: String) -> MappingError {
      MappingError(subject: "layer '\(layer.name)'", problem: problem, fix: fix, layer: layer.name)
    }
    var refusals: [MappingError] = []
    // Per-neuron time constants are checked neuron by neuron; the first bad one is named.
    let rcNeurons = p.tauRCPerNeuron.map { $0.count == 1 ? [0] : Array($0.indices) } ?? [0]
    if p.model == .loihiLIF, let i = rcNeurons.first(where: { voltageDecay(tauRC: p.tauRC(ofNeuron: $0), dt: dt) == 0 }) {
      let which = (p.tauRCPerNeuron?.count ?? 1) > 1 ? "tau_rc[\(i)]" : "tau_rc"
      refusals.append(
        refuse(
          "\(which) = \(p.tauRC(ofNeuron: i)) s leaks less than the 12-bit decay_v can express at dt = \(dt) s",
          "use a tau_rc below \(String(format: "%.3g", 8192 * dt)) s, or LoihiSpikingRectifiedLinear for no leak"))
    }
    let refNeurons = p.tauRefPerNeuron.map { $0.count == 1 ? [0] : Array($0.indices) } ?? [0]
    if let i = refNeurons.first(where: { !((p.tauRef(ofNeuron: $0) / dt).rounded(.toNearestOrEven) <= Double(ChipFields.refractoryDelayRange.upperBound - 1)) }) {
      let steps = (p.tauRef(ofNeuron: i) / dt).rounded(.toNearestOrEven)
      let which = (p.tauRefPerNeuron?.count ?? 1) > 1 ? "tau_ref[\(i)]" : "tau_ref"
      refusals.append(
        refuse(
          "\(which) = \(p.tauRef(ofNeuron: i)) s is \(String(format: "%.0f", steps)) steps, more than the 6-bit refractory delay holds (62 steps + 1)",
          "use a tau_ref of at most \(String(format: "%.3g", 62 * dt)) s"))
    }
    return refusals
  }

  private static func discretizeLayer(
    _ layer: Layer, real p: RealNeuronParameters, dt: Double, incoming: [(Connection, Double)]
  ) throws(MappingError) -> (NeuronParameters, [Connection], LayerQuantization) {
    func refuse(_ problem: String, _ fix: String) -> MappingError {
      MappingError(subject: "layer '\(layer.name)'", problem: problem, fix: fix, layer: layer.name)
    }
    let isLIF = p.model == .loihiLIF
    try timeConstantRefusals(layer, real: p, dt: dt).throwIfAny()
    // Time constants may differ per neuron: then so do the decays, the refractory delay and
    // the integral compensation g_u, g_v. The layer keeps one voltage scale S (so one
    // threshold); each neuron's weights and bias carry its own g_v·g_u and g_v.
    let perNeuron = p.tauSPerNeuron != nil || p.tauRefPerNeuron != nil || (isLIF && p.tauRCPerNeuron != nil)
    let neurons = perNeuron ? layer.size : 1
    let decayUs = (0..<neurons).map { currentDecay(tauS: p.tauS(ofNeuron: $0), dt: dt) }
    let decayVs = (0..<neurons).map { isLIF ? voltageDecay(tauRC: p.tauRC(ofNeuron: $0), dt: dt) : 0 }
    let refractories = (0..<neurons).map { refractoryDelay(tauRef: p.tauRef(ofNeuron: $0), dt: dt) }
    // Integral compensation: what one unit of input adds up to through the truncating filters.
    var seriesCache: [Int: Double] = [:]
    func series(_ decay: Int, _ offset: Int) -> Double {
      let key = decay * 2 + offset
      if let s = seriesCache[key] { return s }
      let s = truncatedSeriesSum(decay: decay, offset: offset)
      seriesCache[key] = s
      return s
    }
    let uGains = decayUs.map { 1 / series($0, 1) }
    let vGains = decayVs.map { isLIF ? 1 / series($0, 0) : 1 }
    let decayU = decayUs[0]
    let decayV = decayVs[0]
    let refractory = refractories[0]
    // Neuron 0's gains are the layer's reference; every neuron's relative to them (exactly 1
    // when they are shared, so a layer with one time constant is discretized as before).
    let uGain = uGains[0]
    let vGain = vGains[0]
    let relativeWeightGain = (0..<neurons).map { (vGains[$0] * uGains[$0]) / (vGain * uGain) }
    let relativeBiasGain = (0..<neurons).map { vGains[$0] / vGain }
    func rowGain(_ i: Int) -> Double { perNeuron ? relativeWeightGain[i] : 1 }
    func biasGain(_ i: Int) -> Double { perNeuron ? relativeBiasGain[i] : 1 }
    func vGainOf(_ i: Int) -> Double { perNeuron ? vGains[i] : vGain }
    func uGainOf(_ i: Int) -> Double { perNeuron ? uGains[i] : uGain }
    let threshold = isLIF ? 1.0 : 1.0 / dt
    // Real synapse weights, J per spike: transform × source amplitude × target gain / dt.
    let synapseWeights: [[Double]] = incoming.map { c, amplitude in
      let real = c.weights.real ?? []
      return real.indices.map {
        SpikeUnits.currentPerSpike(weight: real[$0], gain: p.gain(ofNeuron: c.weights.row(ofEntry: $0)), amplitude: amplitude, dt: dt)
      }
    }
    let maxOf: ([Double]) -> Double = { $0.reduce(0) { max($0, abs($1)) } }
    if synapseWeights.contains(where: { $0.contains { !$0.isFinite } }) {
      throw refuse(
        "a weight × gain × amplitude / dt is too large to represent",
        "scale the weights or gains down")
    }
    // Largest weights and biases as the chip sees them: scaled by each neuron's gains
    // relative to the reference (1 when shared).
    let wMaxPerConnection = incoming.indices.map { k in
      synapseWeights[k].indices.reduce(0.0) { m, j in max(m, abs(synapseWeights[k][j]) * rowGain(incoming[k].0.weights.row(ofEntry: j))) }
    }
    let wMax = wMaxPerConnection.max() ?? 0
    let bMax = (0..<layer.size).reduce(0.0) { max($0, abs(p.bias(ofNeuron: $1)) * biasGain($1)) }

    // The voltage scale: largest that keeps threshold and bias in range, with the biggest
    // weight at full 8-bit precision under the largest exponent that allows it.
    var scale: Double
    var topExponent = 0
    if wMax > 0 {
      var chosen: Double? = nil
      for e in stride(from: 0, through: ChipFields.weightExponentRange.lowerBound, by: -1) {
        let v = maxWgt * 64 * pow(2, Double(e)) / (vGain * uGain * wMax)
        if v * threshold <= maxThreshold && v * vGain * bMax <= maxBias {
          chosen = v
          topExponent = e
          break
        }
      }
      // Weights much larger than the threshold would leave the threshold with a few bits
      // only: then raise the exponent (each step doubles the scale) until the threshold
      // mantissa has at least 10 bits, as long as threshold and bias still fit — and as long
      // as no step's input can wrap the dendritic accumulator (±2^21 current units) even
      // if every source of the neuron spikes at once: raising the exponent scales every
      // spike up, and a wrapped sum is a silently wrong current.
      if var v = chosen {
        var rowAbs = [Double](repeating: 0, count: layer.size)
        for (k, (c, _)) in incoming.enumerated() {
          for (j, w) in synapseWeights[k].enumerated() { rowAbs[c.weights.row(ofEntry: j)] += abs(w) }
        }
        let worstInput = rowAbs.indices.reduce(0.0) { max($0, rowAbs[$1] * rowGain($1)) }
        while topExponent < ChipFields.weightExponentRange.upperBound && v * threshold / 64 < 1024
          && 2 * v * threshold <= maxThreshold && 2 * v * vGain * bMax <= maxBias
          && 2 * v * vGain * uGain * worstInput < Double(1 << 21)
        {
          v *= 2
          topExponent += 1
        }
        chosen = v
      }
      guard let v = chosen else {
        throw refuse(
          "its weights are too small against its threshold or bias: even at weight exponent -8 the threshold or bias would leave its field",
          "scale the incoming weights up (or the bias down); the largest weight is \(wMax * dt) × gain/amplitude")
      }
      scale = v
    } else if bMax > 0 {
      scale = min(maxThreshold / threshold, maxBias / (vGain * bMax))
    } else {
      scale = Double((1 << 21) - 1) / threshold
    }
    scale = min(scale, maxThreshold / threshold)
    // The chip spikes when v > vth; the real model fires when v reaches its threshold. Put
    // vth just below the scaled threshold (64·m < scale·threshold ≤ 64·(m + 1)) so a voltage
    // that reaches it exactly still spikes — otherwise an input that hits the threshold in a
    // whole number of steps takes one step more (NengoLoihi's rate functions and chip differ
    // there by exactly that step).
    let thresholdMantissa = max(1, Int((scale * threshold / 64).rounded(.up)) - 1)

    // Bias: one exponent for the layer, a 13-bit mantissa per neuron.
    let biasInt = (0..<layer.size).map { scale * vGainOf($0) * p.bias(ofNeuron: $0) }
    let biasMax = maxOf(biasInt)
    var biasExponent = 0
    while biasExponent < 7 && (biasMax / pow(2, Double(biasExponent))).rounded() > Double(maxBiasMantissa) { biasExponent += 1 }
    let biasMantissa = biasInt.map {
      Int(max(min(($0 / pow(2, Double(biasExponent))).rounded(.toNearestOrEven), Double(maxBiasMantissa)), Double(-maxBiasMantissa)))
    }
    var biasErrors: [Double] = []
    for i in 0..<layer.size where p.bias(ofNeuron: i) != 0 {
      let applied = Double(biasMantissa[i] << biasExponent) / (scale * vGainOf(i))
      biasErrors.append(abs(applied - p.bias(ofNeuron: i)) / abs(p.bias(ofNeuron: i)))
    }

    // Voltage floor: min_voltage (a fraction of the LIF threshold of 1) in chip units.
    var vmin = 0
    if isLIF && p.minVoltage < 0 {
      let e = log2(-p.minVoltage * scale + 1).rounded(.toNearestOrEven)
      let clamped = Int(min(max(e, Double(ChipFields.vminExponentRange.lowerBound)), Double(ChipFields.vminExponentRange.upperBound)))
      vmin = -((1 << clamped) - 1)
    }

    // Weights: each connection's exponent puts its largest weight near ±254, but never below
    // −1 unless the largest connection's already is: below −1 the chip's two-part shift
    // drops the extra bits again (emulator-semantics.md), so a lower exponent gains no
    // precision and only adds the asymmetric rounding. (NengoLoihi goes down to −6, and
    // there keeps the weights 2^dw too large — a bug this avoids.)
    var connections: [Connection] = []
    var weightErrors: [Double] = []
    var largestError = 0.0
    var roundedToZero = 0
    var exponents: [(from: String, exponent: Int)] = []
    var quantizers: [WeightQuantizer] = []
    for (k, (c, _)) in incoming.enumerated() {
      var exponent = topExponent
      if wMaxPerConnection[k] > 0 {
        // Clamp in floating point first: a tiny connection can be 2^1000 smaller.
        exponent -= Int(min(floor(log2(wMax / wMaxPerConnection[k])), 64))
      }
      exponent = max(exponent, min(topExponent, -1), ChipFields.weightExponentRange.lowerBound)
      let unit = 64 * pow(2, Double(exponent))
      let toChip = scale * vGain * uGain / unit
      // Per neuron (row), when the gains differ.
      let toChipOfRow = perNeuron ? (0..<layer.size).map { scale * vGainOf($0) * uGainOf($0) / unit } : []
      // What the chip applies for each programmed value, in synaptic units.
      let appliedUnits = ChipFields.weightRange.map { SynapseWeight.synapticUnits(wgt: $0, exponent: exponent, bits: 8) }
      var values = [Int32](repeating: 0, count: synapseWeights[k].count)
      for (j, w) in synapseWeights[k].enumerated() {
        let row = perNeuron ? c.weights.row(ofEntry: j) : 0
        let rowToChip = perNeuron ? toChipOfRow[row] : toChip
        // Program even values: the chip keeps 7 magnitude bits of an 8-bit weight.
        let wgt = WeightQuantizer.program(w, wgtPerCurrent: rowToChip)
        values[j] = Int32(wgt)
        if w != 0 {
          let applied =
            Double(appliedUnits[wgt - ChipFields.weightRange.lowerBound]) * 64
            / (perNeuron ? scale * vGainOf(row) * uGainOf(row) : scale * vGain * uGain)
          if applied == 0 { roundedToZero += 1 }
          weightErrors.append(abs(applied - w) / abs(w))
          largestError = max(largestError, abs(applied - w))
        }
      }
      var integer = c
      if let sparse = c.weights.sparse {
        integer.weights = WeightMatrix(rows: c.weights.rows, columns: c.weights.columns, sparse: sparse, values: values)
      } else {
        integer.weights = WeightMatrix(rows: c.weights.rows, columns: c.weights.columns, values: values)
      }
      integer.weightExponent = exponent
      integer.weightBits = 8
      connections.append(integer)
      exponents.append((c.from, exponent))
      if !perNeuron { quantizers.append(WeightQuantizer(from: c.from, wgtPerCurrent: toChip, exponent: exponent, currentScale: scale * vGain * uGain)) }
    }

    var neuron = NeuronParameters(
      model: p.model, decayU: decayU, decayV: decayV, thresholdMantissa: thresholdMantissa,
      biasMantissa: Set(biasMantissa).count == 1 ? [biasMantissa[0]] : biasMantissa,
      biasExponent: biasExponent, refractoryDelay: refractory, vmin: vmin, vmax: ChipFields.vmaxValues.last ?? 8_388_607)
    if perNeuron {
      if Set(decayUs).count > 1 { neuron.decayUPerNeuron = decayUs }
      if Set(decayVs).count > 1 { neuron.decayVPerNeuron = decayVs }
      if Set(refractories).count > 1 { neuron.refractoryDelayPerNeuron = refractories }
    }
    let mean: ([Double]) -> Double = { $0.isEmpty ? 0 : $0.reduce(0, +) / Double($0.count) }
    let sortedErrors = weightErrors.sorted()
    let percentile = { (q: Double) -> Double in
      sortedErrors.isEmpty ? 0 : sortedErrors[min(sortedErrors.count - 1, Int((q * Double(sortedErrors.count - 1)).rounded()))]
    }
    var report = LayerQuantization(
      layer: layer.name, voltageScale: scale, voltageUnitsPerReal: isLIF ? scale : scale / dt,
      currentUnitsPerReal: scale * vGain, thresholdMantissa: neuron.thresholdMantissa, decayU: decayU, decayV: decayV,
      refractoryDelay: refractory, biasExponent: biasExponent, weightExponents: exponents, weightCount: weightErrors.count,
      weightMaxRelativeError: weightErrors.max() ?? 0, weightMeanRelativeError: mean(weightErrors),
      weightsRoundedToZero: roundedToZero, biasMaxRelativeError: biasErrors.max() ?? 0, biasMeanRelativeError: mean(biasErrors))
    report.weightErrorPercentiles = [0.5, 0.9, 0.99].map(percentile)
    report.perNeuron = neuron.hasPerNeuronProfiles
    if perNeuron && Set(vGains).count > 1 { report.currentUnitsPerRealPerNeuron = vGains.map { scale * $0 } }
    report.weightMaxErrorOfLargest = wMax > 0 ? largestError / wMax : 0
    report.weightQuantizers = quantizers
    return (neuron, connections, report)
  }
}
