import HardwareSpec
import LoihiArithmetic

/// A compiled network: the integer-only program a board of neuro-cores executes.
///
/// A core map is what the mapper produces and the only thing the emulator reads. It holds
/// no floats and no reference to the network description: per core, the compartment
/// parameters as the chip's registers hold them, the synapse lists of every input axon,
/// and the output axon routes of every compartment; per host input, its spike schedule
/// and routes. Names of layers and inputs are kept only so logs can say which neuron a
/// compartment is.
public struct CoreMap: Sendable, Equatable {
  /// Name of the network the map was compiled from.
  public var networkName: String
  /// The board the map was placed on (its limits are what the placement respects).
  public var board: BoardSpec
  /// The cores in use, in global order (the index is a core's global id).
  public var cores: [CoreProgram]
  /// Host-side spike sources and their routes into the cores.
  public var inputs: [HostInput]
  /// Where every neuron of every layer lives.
  public var layers: [LayerPlacement]
  /// Compartments to record every step.
  public var probes: [ProbePlacement]

  /// Creates a core map.
  public init(
    networkName: String = "", board: BoardSpec, cores: [CoreProgram], inputs: [HostInput],
    layers: [LayerPlacement], probes: [ProbePlacement]
  ) {
    self.networkName = networkName
    self.board = board
    self.cores = cores
    self.inputs = inputs
    self.layers = layers
    self.probes = probes
  }
}

/// One neuro-core's configuration: compartments, synapses and output axons.
///
/// Arrays are flat and indexed by compartment or by input axon, so the emulator can step a
/// core with plain loops.
public struct CoreProgram: Sendable, Equatable {
  /// Chip index on the board.
  public var chip: Int
  /// Core index within its chip.
  public var coreOnChip: Int
  /// Board-wide mesh X coordinate of the core's tile.
  public var meshX: Int
  /// Board-wide mesh Y coordinate of the core's tile.
  public var meshY: Int

  // MARK: Compartments (one entry per compartment)

  /// Current decay field (12 bits).
  public var decayU: [Int32]
  /// Voltage decay field (12 bits).
  public var decayV: [Int32]
  /// Threshold in voltage units (`vth_mant << 6`).
  public var threshold: [Int32]
  /// Bias in voltage units (`bias_mant << bias_exp`).
  public var bias: [Int32]
  /// Refractory delay field (0...63).
  public var refractoryDelay: [Int32]
  /// Lower voltage limit of the core (a per-core register).
  public var vmin: Int32
  /// Upper voltage limit of the core (a per-core register).
  public var vmax: Int32
  /// Layer index (into ``CoreMap/layers``) of each compartment.
  public var compartmentLayer: [Int32]
  /// Neuron index within its layer of each compartment.
  public var compartmentNeuron: [Int32]

  // MARK: Synapses (per input axon, a run of segments)

  /// Segments of input axon `a` are `segments[axonSegmentStart[a] ..< axonSegmentStart[a + 1]]`.
  public var axonSegmentStart: [Int32]
  /// Synapse lists; see ``SynapseSegment``.
  public var segments: [SynapseSegment]
  /// Weight mantissas of all segments, in synaptic units before the segment's shift.
  public var weights: SynapseWeights
  /// Target compartments of sparse segments.
  public var sparseTargets: [Int32]

  // MARK: Output axons (per compartment, a run of routes)

  /// Routes of compartment `c` are `routes[routeStart[c] ..< routeStart[c + 1]]`.
  public var routeStart: [Int32]
  /// Output axon routes: destination core and input axon.
  public var routes: [AxonRoute]

  /// Creates a core program. Array lengths are checked by ``CoreProgram/validate()``.
  public init(
    chip: Int, coreOnChip: Int, meshX: Int = 0, meshY: Int = 0, decayU: [Int32], decayV: [Int32], threshold: [Int32],
    bias: [Int32], refractoryDelay: [Int32], vmin: Int32, vmax: Int32,
    compartmentLayer: [Int32], compartmentNeuron: [Int32], axonSegmentStart: [Int32],
    segments: [SynapseSegment], weights: SynapseWeights, sparseTargets: [Int32], routeStart: [Int32],
    routes: [AxonRoute]
  ) {
    self.chip = chip
    self.coreOnChip = coreOnChip
    self.meshX = meshX
    self.meshY = meshY
    self.decayU = decayU
    self.decayV = decayV
    self.threshold = threshold
    self.bias = bias
    self.refractoryDelay = refractoryDelay
    self.vmin = vmin
    self.vmax = vmax
    self.compartmentLayer = compartmentLayer
    self.compartmentNeuron = compartmentNeuron
    self.axonSegmentStart = axonSegmentStart
    self.segments = segments
    self.weights = weights
    self.sparseTargets = sparseTargets
    self.routeStart = routeStart
    self.routes = routes
  }

  /// Number of compartments in use.
  public var compartmentCount: Int { threshold.count }
  /// Number of input axons in use.
  public var inputAxonCount: Int { max(axonSegmentStart.count - 1, 0) }
  /// Number of synapses stored.
  public var synapseCount: Int { weights.count }

  /// Entries of the core's compartment profile table in use: the distinct (decay_u, decay_v,
  /// refract_delay) tuples of its compartments. (Each field is taken to 20 bits; the
  /// validation refuses values outside their fields anyway.)
  public var compartmentProfileCount: Int {
    let n = min(decayU.count, decayV.count, refractoryDelay.count)
    var keys = Set<UInt64>(minimumCapacity: 4)
    for k in 0..<n {
      let u = UInt64(UInt32(bitPattern: decayU[k]) & 0xFFFFF)
      let v = UInt64(UInt32(bitPattern: decayV[k]) & 0xFFFFF)
      let r = UInt64(UInt32(bitPattern: refractoryDelay[k]) & 0xFFFFF)
      keys.insert(u << 40 | v << 20 | r)
    }
    return keys.count
  }

  /// Entries of the core's threshold profile table in use: its distinct thresholds.
  public var thresholdProfileCount: Int { Set(threshold).count }

  /// Synapse memory words used, counted with `limits`' list-chunk rules.
  public func synapseWords(limits: CoreLimits) -> Int {
    segments.reduce(0) { $0 + limits.synapseWords(forListOf: Int($1.count), bitsPerSynapse: Int($1.synapseBits)) }
  }
}

/// A run of synapses reached through one input axon.
///
/// A spike on the axon adds `Int16(weights[weightOffset + k]) << shift` synaptic units (64
/// current units each) to target compartment `firstCompartment + k` (dense) or
/// `sparseTargets[targetOffset + k]` (sparse), for `k` in `0 ..< count`.
public struct SynapseSegment: Sendable, Equatable {
  /// First target compartment of a dense segment (unused when sparse).
  public var firstCompartment: Int32
  /// Number of synapses.
  public var count: Int32
  /// Offset of the first weight in ``CoreProgram/weights``.
  public var weightOffset: Int32
  /// Offset of the first target in ``CoreProgram/sparseTargets``, or −1 for dense.
  public var targetOffset: Int32
  /// Left shift applied to every weight mantissa of the segment (0...15).
  public var shift: Int32
  /// Bits each synapse of the segment takes in synapse memory (weight bits, plus index
  /// bits for sparse lists).
  public var synapseBits: Int32

  /// Creates a segment.
  public init(
    firstCompartment: Int32, count: Int32, weightOffset: Int32, targetOffset: Int32 = -1,
    shift: Int32, synapseBits: Int32 = 8
  ) {
    self.firstCompartment = firstCompartment
    self.count = count
    self.weightOffset = weightOffset
    self.targetOffset = targetOffset
    self.shift = shift
    self.synapseBits = synapseBits
  }

  /// Whether targets are `firstCompartment ..< firstCompartment + count`.
  public var isDense: Bool { targetOffset < 0 }
}

/// One output axon: where a spike goes.
public struct AxonRoute: Sendable, Equatable {
  /// Global index of the destination core (into ``CoreMap/cores``).
  public var core: Int32
  /// Input axon on the destination core.
  public var axon: Int32

  /// Creates a route.
  public init(core: Int32, axon: Int32) {
    self.core = core
    self.axon = axon
  }
}

/// A host-side spike source group and the input axons its spikes enter.
public struct HostInput: Sendable, Equatable {
  /// Name of the input in the network.
  public var name: String
  /// Number of sources.
  public var size: Int
  /// The step of each scheduled spike event (≥ 1), in ascending order. The schedule is
  /// sparse: its size follows the number of spikes, not the last step.
  public var eventSteps: [Int32]
  /// Source index of each event; within one step the sources ascend.
  public var eventSources: [Int32]
  /// Routes of source `s` are `routes[routeStart[s] ..< routeStart[s + 1]]`.
  public var routeStart: [Int32]
  /// Routes into cores.
  public var routes: [AxonRoute]
  /// For an input encoded on the host: per step, every source adds its increment to an
  /// accumulator and spikes when it reaches 2^24 (subtracting 2^24). `encoderRows × size`
  /// increments, row `t − 1` at step `t`, the last row held; empty when the spikes are given.
  public var encoderIncrements: [Int32]
  /// Rows of ``encoderIncrements`` (0 without an encoder).
  public var encoderRows: Int

  /// Creates a host input.
  public init(
    name: String, size: Int, eventSteps: [Int32], eventSources: [Int32], routeStart: [Int32],
    routes: [AxonRoute], encoderIncrements: [Int32] = [], encoderRows: Int = 0
  ) {
    self.name = name
    self.size = size
    self.eventSteps = eventSteps
    self.eventSources = eventSources
    self.routeStart = routeStart
    self.routes = routes
    self.encoderIncrements = encoderIncrements
    self.encoderRows = encoderRows
  }

  /// The accumulator threshold of host encoders: 2^24.
  public static let encoderThreshold: Int32 = EncoderDynamics.threshold

  /// The last step with scheduled spikes (0 if none).
  public var lastStep: Int { Int(eventSteps.last ?? 0) }
}

/// Where a layer's neurons are: core and compartment of every neuron.
public struct LayerPlacement: Sendable, Equatable {
  /// Layer name.
  public var name: String
  /// Global core index of each neuron.
  public var neuronCore: [Int32]
  /// Compartment index of each neuron on its core.
  public var neuronCompartment: [Int32]

  /// Creates a placement.
  public init(name: String, neuronCore: [Int32], neuronCompartment: [Int32]) {
    self.name = name
    self.neuronCore = neuronCore
    self.neuronCompartment = neuronCompartment
  }

  /// Number of neurons.
  public var size: Int { neuronCore.count }
}

/// What a probe records on the placed network.
public enum ProbedVariable: String, Sendable, Equatable {
  /// 1 if the compartment spiked in the step, else 0.
  case spikes
  /// Voltage `v` at the end of the step.
  case voltage
  /// Current `u` at the end of the step.
  case current
}

/// A probe resolved to compartments.
public struct ProbePlacement: Sendable, Equatable {
  /// Probe name.
  public var name: String
  /// Layer index (into ``CoreMap/layers``).
  public var layer: Int
  /// Recorded variable.
  public var variable: ProbedVariable
  /// Neuron indices in the layer, one per recorded column.
  public var neurons: [Int32]

  /// Creates a probe placement.
  public init(name: String, layer: Int, variable: ProbedVariable, neurons: [Int32]) {
    self.name = name
    self.layer = layer
    self.variable = variable
    self.neurons = neurons
  }
}
