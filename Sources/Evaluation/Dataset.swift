import Foundation
import NetworkModel
import NeuroIO

/// Samples to present to a network: for every real-valued input, `count` rows of values,
/// and optionally a label per sample.
public struct Dataset: Sendable, Equatable {
  /// Values per real input, by input name: `count × input.size`, row-major.
  public var inputs: [String: [Double]]
  /// Number of samples.
  public var count: Int
  /// Class label of each sample (0-based), if known.
  public var labels: [Int]?
  /// Spike trains per spike-train input, by input name: `count × steps × input.size`
  /// values, nonzero where a source spikes (row t − 1 of a sample is sent in its step t).
  public var spikeTrains: [String: [UInt8]] = [:]
  /// Steps (rows) of every sample's spike trains.
  public var spikeTrainSteps = 0

  /// Creates a data set.
  public init(inputs: [String: [Double]], count: Int, labels: [Int]? = nil) {
    self.inputs = inputs
    self.count = count
    self.labels = labels
  }

  /// Creates a data set of spike trains (`count × steps × size` per input).
  public init(spikeTrains: [String: [UInt8]], steps: Int, count: Int, labels: [Int]? = nil) {
    self.inputs = [:]
    self.spikeTrains = spikeTrains
    self.spikeTrainSteps = steps
    self.count = count
    self.labels = labels
  }
}

/// A data-set file that does not fit the network, with the file and how to fix it.
public struct DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file (or folder) at fault.
  public var file: String
  /// What is wrong and what to do.
  public var message: String

  /// Creates the error.
  public init(file: String, message: String) {
    self.file = file
    self.message = message
  }

  public var description: String { "\(file): \(message)" }
}

extension Dataset {
  /// Reads the samples for `network` from `.npy` files.
  ///
  /// - Parameters:
  ///   - inputs: one `.npy` file `[N, …shape]` when the network has one real-valued input, or
  ///     a folder holding `NAME.npy` for each real-valued input `NAME`.
  ///   - labels: an integer `.npy` file `[N]`, optional.
  /// - Throws: ``DatasetError`` or ``NeuroIO/InputFileError`` naming the file.
  public static func load(inputs: URL, labels: URL?, for network: Network) throws -> Dataset {
    let reals = network.realInputs
    if reals.isEmpty && network.inputs.count == 1 {
      let data = try loadSpikeTrains(inputs, for: network.inputs[0])
      return Dataset(spikeTrains: [network.inputs[0].name: data.values], steps: data.steps, count: data.count, labels: try readLabels(labels, count: data.count))
    }
    guard !reals.isEmpty else {
      throw DatasetError(
        file: inputs.relativePath,
        message: network.inputs.isEmpty
          ? "the network has no input to feed samples into; give it a real-valued input (\"kind\": \"real\") with an encoding, or one spike-train input"
          : "the network has \(network.inputs.count) spike-train inputs; samples of spike trains feed a network with one")
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: inputs.path, isDirectory: &isDirectory) else {
      throw DatasetError(file: inputs.relativePath, message: "no such file or folder")
    }
    var files: [(input: RealInput, url: URL)] = []
    if isDirectory.boolValue {
      for input in reals { files.append((input, inputs.appendingPathComponent(input.name + ".npy"))) }
      for (_, url) in files where !FileManager.default.fileExists(atPath: url.path) {
        throw DatasetError(
          file: url.relativePath,
          message: "missing: the folder given to --inputs holds one NAME.npy per real-valued input (\(reals.map { $0.name + ".npy" }.joined(separator: ", ")))")
      }
    } else {
      guard reals.count == 1 else {
        throw DatasetError(
          file: inputs.relativePath,
          message: "the network has \(reals.count) real-valued inputs (\(reals.map(\.name).joined(separator: ", "))); pass a folder holding one NAME.npy for each")
      }
      files = [(reals[0], inputs)]
    }
    var values: [String: [Double]] = [:]
    var count: Int? = nil
    for (input, url) in files {
      let (shape, data) = try NPYFile.readReals(at: url, displayPath: url.relativePath)
      let n = try sampleCount(shape: shape, of: input, file: url.relativePath)
      if let count, count != n {
        throw DatasetError(file: url.relativePath, message: "holds \(n) samples, but \(files[0].url.lastPathComponent) holds \(count); every input needs one row per sample")
      }
      if let bad = data.firstIndex(where: { !$0.isFinite }) {
        throw DatasetError(file: url.relativePath, message: "value \(bad) (sample \(bad / max(input.size, 1))) is \(data[bad]); samples must be finite numbers")
      }
      count = n
      values[input.name] = data
    }
    let n = count ?? 0
    return Dataset(inputs: values, count: n, labels: try readLabels(labels, count: n))
  }

  /// Reads `count` integer class labels from `labels` (none without a file).
  static func readLabels(_ labels: URL?, count n: Int) throws -> [Int]? {
    var labelValues: [Int]? = nil
    if let labels {
      let (shape, data) = try NPYFile.readReals(at: labels, displayPath: labels.relativePath)
      guard shape.count == 1 || (shape.count == 2 && shape[1] == 1) else {
        throw DatasetError(file: labels.relativePath, message: "has shape \(shape); labels are one integer class per sample, shape [\(n)]")
      }
      guard data.count == n else {
        throw DatasetError(file: labels.relativePath, message: "holds \(data.count) labels for \(n) samples; give one per sample")
      }
      var out: [Int] = []
      out.reserveCapacity(n)
      for (k, x) in data.enumerated() {
        guard x.isFinite, x == x.rounded(), x >= 0, x < Double(1 << 31) else {
          throw DatasetError(file: labels.relativePath, message: "label \(k) is \(x); labels are class indices 0, 1, 2, …")
        }
        out.append(Int(x))
      }
      labelValues = out
    }
    return labelValues
  }

  /// Reads spike trains `[N, steps, size]` (0/1) for `input`.
  static func loadSpikeTrains(_ url: URL, for input: SpikeInput) throws -> (values: [UInt8], steps: Int, count: Int) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
      throw DatasetError(file: url.relativePath, message: "no such file; spike trains for '\(input.name)' are one .npy [N, steps, \(input.size)] of 0/1")
    }
    let (shape, data) = try NPYFile.readReals(at: url, displayPath: url.relativePath)
    guard shape.count == 3, shape[0] >= 1, shape[1] >= 1, shape[2] == input.size else {
      throw DatasetError(
        file: url.relativePath,
        message: "has shape [\(shape.map(String.init).joined(separator: ", "))]; spike trains for '\(input.name)' are an array [N, steps, \(input.size)]: per sample, one row of 0/1 per step")
    }
    var values = [UInt8](repeating: 0, count: data.count)
    for (k, x) in data.enumerated() {
      guard x == 0 || x == 1 else {
        let perSample = shape[1] * shape[2]
        throw DatasetError(
          file: url.relativePath,
          message: "value \(k) (sample \(k / perSample), step \(k % perSample / shape[2] + 1), source \(k % shape[2])) is \(x); spike trains hold 0 (no spike) or 1 (a spike)")
      }
      values[k] = x == 1 ? 1 : 0
    }
    return (values, shape[1], shape[0])
  }

  /// The number of samples in an array of `shape` for `input`: the first axis, when the
  /// others are the input's shape or its size.
  static func sampleCount(shape: [Int], of input: RealInput, file: String) throws(DatasetError) -> Int {
    let expected = input.shape ?? [input.size]
    let text = { (s: [Int]) in "[" + s.map(String.init).joined(separator: ", ") + "]" }
    guard shape.count >= 2, shape[0] >= 1 else {
      throw DatasetError(
        file: file,
        message: "has shape \(text(shape)); samples for '\(input.name)' are an array [N, \(expected.map(String.init).joined(separator: ", "))] with one row per sample")
    }
    let rest = Array(shape.dropFirst())
    if rest == expected || rest == [input.size] { return shape[0] }
    if shapeSize(rest) == input.size, rest.count == 3, expected.count == 3, rest == [expected[1], expected[2], expected[0]] {
      throw DatasetError(
        file: file,
        message: "has shape \(text(shape)), channels last (NHWC, Keras' layout), but '\(input.name)' is channels-first \(text(expected)) (NCHW); transpose with numpy: x.transpose(0, 3, 1, 2)")
    }
    throw DatasetError(
      file: file,
      message: "has shape \(text(shape)), but each sample of '\(input.name)' has shape \(text(expected)) (\(input.size) values); give [N, \(expected.map(String.init).joined(separator: ", "))] or [N, \(input.size)]")
  }
}
