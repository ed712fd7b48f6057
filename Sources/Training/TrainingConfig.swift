import NetworkModel

/// What `neuromesh train` trains, on what, and how (docs/training.md). The loader in
/// `NeuroIO` reads it from a `CONFIG.json` and checks every field; the types here hold
/// checked values only.
public struct TrainingConfig: Sendable, Equatable {
  /// How the forward and backward passes treat the spiking neurons.
  public enum Mode: String, Sendable, Equatable, CaseIterable {
    /// Forward: the rate the chip's neuron really produces at a constant current (a
    /// staircase); backward: the smooth rate's derivative; joined straight through.
    case loihiRate = "loihi-rate"
    /// Forward: the chip itself, step by step in its integers (the same function as the
    /// emulator); backward: BPTT with a surrogate spike derivative.
    case surrogate
    /// Surrogate training that starts from a trained or converted network (`"from"`): its
    /// integers exactly as `compile` programs them.
    case fineTune = "fine-tune"
  }

  /// Surrogate mode: the neurons' integer parameters (shared by every layer), the weight
  /// exponent, the initial weight range, the surrogate and the loss scale.
  public struct SpikingSettings: Sendable, Equatable {
    public var decayU = 1024
    public var decayV = 128
    public var thresholdMantissa = 40
    public var refractoryDelay = 1
    public var weightExponent = 0
    /// Initial latent weights are uniform in ± this many `Wgt`.
    public var weightLimit = 60.0
    public var surrogate = Surrogate(.fastSigmoid, slope: 5)
    /// Logits are output spike counts × this / steps (or mean currents × this / threshold).
    public var countScale = 10.0
    /// What the loss reads from the output layer.
    public var readout = SpikingNetwork.Readout.spikeCount
    /// Decoupled weight decay per unit of step size (0: none).
    public var weightDecay = 0.0
    /// Per-neuron time constants trained with the weights (none by default).
    public var timeConstants = TimeConstantTraining()
    public init() {}
  }

  /// One layer of the architecture, in order from the input.
  public enum LayerSpec: Sendable, Equatable {
    /// A dense layer of `size` neurons (the last one is the readout: its input current,
    /// not its spikes, gives the class scores).
    case dense(size: Int)
    /// A 2-D convolution into `channels` channels of neurons: kernel, stride and zero
    /// padding as `[h, w]`.
    case conv2d(channels: Int, kernel: [Int], stride: [Int], padding: [Int])
    /// k×k average pooling with stride k (no neurons: folded into the next connection).
    case avgpool2d(kernel: Int)
    /// `[C, H, W]` to `[C·H·W]` (no neurons).
    case flatten
    /// A dense layer of `size` neurons that also reads its own spikes of the step before
    /// (all-to-all recurrent weights; surrogate mode).
    case recurrent(size: Int)

    /// Short form for a summary line: `dense 128`, `conv 16@3×3`, `avgpool 2`, `flatten`.
    public var summary: String {
      switch self {
      case .dense(let n): "dense \(n)"
      case .conv2d(let c, let k, _, _): "conv \(c)@\(k[0])×\(k[1])"
      case .avgpool2d(let k): "avgpool \(k)"
      case .flatten: "flatten"
      case .recurrent(let n): "recurrent \(n)"
      }
    }
  }

  /// The network's name, written into `network.json`.
  public var name: String
  public var mode: Mode
  /// Hidden layers and the readout, in order.
  public var layers: [LayerSpec]
  /// Seconds per step.
  public var dt: Double
  /// Steps per sample when the result is evaluated on the chip (printed with the command).
  public var timesteps: Int
  /// The rate (spikes/s) that a hidden layer's 99.9th-percentile activation is scaled to.
  public var maxRate: Double
  /// Synaptic time constant of the hidden layers (seconds; 0: none).
  public var tauS: Double
  /// Loihi-rate mode: the hidden layers' neuron model, and a LoihiLIF's membrane time
  /// constant and refractory period (seconds).
  public var hiddenNeuron = NeuronModel.loihiSpikingRectifiedLinear
  public var tauRC = 0.02
  public var tauRef = 0.002
  /// Spikes per second of an input value of 1 (the host's spiking encoder).
  public var inputRate: Double
  public var epochs: Int
  public var batchSize: Int
  public var learningRate: Double
  public var seed: UInt64
  /// Train with the weights the chip applies (the mapper's quantization) in the forward
  /// and backward passes, updating the real weights behind them straight through.
  public var quantizationAware = true
  /// Surrogate mode's settings.
  public var spiking = SpikingSettings()
  /// Per neuron layer (in order), an initial weight range overriding `spiking.weightLimit`.
  public var layerWeightLimits: [Double?] = []
  /// The samples are spike trains `[steps, size]` (0/1) fed to the first layer as given,
  /// instead of values shown through the spiking encoder.
  public var spikeTrainInput = false

  /// Creates a configuration of checked values.
  public init(
    name: String, mode: Mode = .loihiRate, layers: [LayerSpec], dt: Double = 0.001, timesteps: Int = 50, maxRate: Double = 600,
    tauS: Double = 0.003, inputRate: Double = 1000, epochs: Int = 30, batchSize: Int = 32, learningRate: Double = 0.003, seed: UInt64 = 1
  ) {
    self.name = name
    self.mode = mode
    self.layers = layers
    self.dt = dt
    self.timesteps = timesteps
    self.maxRate = maxRate
    self.tauS = tauS
    self.inputRate = inputRate
    self.epochs = epochs
    self.batchSize = batchSize
    self.learningRate = learningRate
    self.seed = seed
  }
}

/// Samples and labels: `inputs[i * featureCount ..< (i + 1) * featureCount]` is sample i.
public struct LabelledSamples: Sendable, Equatable {
  public var inputs: [Double]
  public var labels: [Int]
  public var featureCount: Int
  /// The input's shape (channels-first), e.g. `[64]` or `[1, 8, 8]`.
  public var shape: [Int]

  /// Creates a set of samples; `inputs.count == labels.count · featureCount`.
  public init(inputs: [Double], labels: [Int], featureCount: Int, shape: [Int]) {
    precondition(featureCount > 0 && inputs.count == labels.count * featureCount, "one row of features per label")
    self.inputs = inputs
    self.labels = labels
    self.featureCount = featureCount
    self.shape = shape
  }

  /// Number of samples.
  public var count: Int { labels.count }
}
