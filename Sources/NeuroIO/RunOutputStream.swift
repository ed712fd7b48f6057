import CoreMapModel
import Emulator
import Foundation

/// Writes a run's spike logs and probe traces to disk while the run goes on, so that memory
/// does not grow with the step count, and puts the finished directory in place atomically.
///
/// The files are written into a staging directory beside the target; ``finish(report:emulator:extraFiles:)``
/// adds `summary.json` and replaces the target in one rename. Until then the target is
/// untouched, and a stream that is dropped or ``abandon()``ed leaves nothing behind.
///
/// ```swift
/// let stream = try RunOutputStream(directory: out, map: map, options: options)
/// while running {
///   emulator.run(steps: 1_000)
///   try stream.drain(emulator)  // writes and clears what the emulator holds, when it is a lot
/// }
/// try stream.finish(report: report, emulator: emulator)
/// ```
///
/// The bytes written do not depend on when ``drain(_:force:)`` is called: a run streamed in
/// any number of pieces writes the same files as one written at the end.
public final class RunOutputStream {
  /// The directory the outputs will replace.
  public let directory: URL
  /// What is written.
  public let options: RunOutputWriter.WriteOptions
  /// Held spikes above which ``drain(_:force:)`` writes (and clears) them.
  public var spikeThreshold = 1 << 20
  /// Held probe values above which ``drain(_:force:)`` writes (and clears) them.
  public var probeValueThreshold = 1 << 21
  /// Seconds spent writing so far (apart from the emulation).
  public private(set) var writeSeconds = 0.0

  private let map: CoreMap
  private let staging: URL
  /// Per layer: whether its spikes go into the logs.
  private let loggedLayers: [Bool]
  /// Per core: its spike log's file, or nil when it writes none.
  private let spikeFiles: [URL?]
  private var spikesWritten: [Int]
  private let probeFiles: [URL]
  private var probeStepsWritten: Int = 0
  private var finished = false
  /// Layer names as UTF-8, for CSV rows.
  private let layerNames: [[UInt8]]

  /// The fixed length of every `.npy` header written here, so that the final shape can be
  /// written over the placeholder without moving the data.
  static let npyHeaderLength = 128

  /// Checks that `directory` can be (re)placed and creates the staging directory with empty
  /// logs and traces.
  ///
  /// - Throws: ``OutputError`` when the directory exists and is not ours, or cannot be written.
  public init(directory: URL, map: CoreMap, options: RunOutputWriter.WriteOptions) throws(OutputError) {
    try RunOutputWriter.checkWritable(directory)
    StaleOutputs.clean(beside: directory)
    self.directory = directory
    self.map = map
    self.options = options
    let staging = RunOutputWriter.stagingURL(for: directory)
    self.staging = staging
    let logged = options.loggedLayers(map)
    self.loggedLayers = logged
    self.spikeFiles = map.cores.enumerated().map { i, core in
      options.spikeLogPath(i, core: core, loggedLayers: logged).map { staging.appendingPathComponent($0) }
    }
    self.spikesWritten = [Int](repeating: 0, count: map.cores.count)
    self.probeFiles = options.probes ? map.probes.map { staging.appendingPathComponent(options.probePath($0.name)) } : []
    self.layerNames = map.layers.map { Array($0.name.utf8) }
    let fm = FileManager.default
    do {
      try? fm.removeItem(at: staging)
      try fm.createDirectory(at: staging, withIntermediateDirectories: true)
      if options.spikeLogs { try fm.createDirectory(at: staging.appendingPathComponent("spikes"), withIntermediateDirectories: true) }
      if options.probes { try fm.createDirectory(at: staging.appendingPathComponent("probes"), withIntermediateDirectories: true) }
      for file in spikeFiles.compactMap({ $0 }) {
        let start = options.npy ? Self.npyHeader(shape: [0, 2]) : Array("step,core,compartment,layer,neuron\n".utf8)
        try Data(start).write(to: file)
      }
      for (probe, file) in zip(map.probes, probeFiles) {
        let start =
          options.npy
          ? Self.npyHeader(shape: [0, probe.neurons.count])
          : Array(("step" + probe.neurons.map { ",n\($0)" }.joined() + "\n").utf8)
        try Data(start).write(to: file)
      }
    } catch {
      try? fm.removeItem(at: staging)
      throw OutputError(path: directory.relativePath, message: "could not start writing the outputs (\(reason(error))); nothing was written")
    }
  }

  deinit { if !finished { try? FileManager.default.removeItem(at: staging) } }

  /// Writes what `emulator` holds in its spike logs and probe recordings, and clears them
  /// there, when it exceeds the thresholds (or always, with `force`).
  public func drain(_ emulator: ChipEmulator, force: Bool = false) throws(OutputError) {
    precondition(!finished, "the stream has finished")
    let start = DispatchTime.now().uptimeNanoseconds
    defer { writeSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    if options.spikeLogs && (force || emulator.loggedSpikeCount > spikeThreshold) {
      try writeSpikes(emulator)
      emulator.clearSpikeLogs()
    }
    if options.probes && (force || emulator.recordedProbeValueCount > probeValueThreshold) {
      try writeProbes(emulator)
      emulator.clearProbeRecordings()
    }
  }

  /// Writes the rest, `summary.json` and `extraFiles`, and puts the directory in place.
  public func finish(report: RunReport, emulator: ChipEmulator, extraFiles: [String: [UInt8]] = [:]) throws(OutputError) {
    try drain(emulator, force: true)
    let start = DispatchTime.now().uptimeNanoseconds
    defer { writeSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    try attempt("finish the outputs") {
      if options.npy {
        for (core, file) in spikeFiles.enumerated() {
          guard let file else { continue }
          try overwriteStart(of: file, with: Self.npyHeader(shape: [spikesWritten[core], 2]))
        }
        for (probe, file) in zip(map.probes, probeFiles) {
          try overwriteStart(of: file, with: Self.npyHeader(shape: [probeStepsWritten, probe.neurons.count]))
        }
      }
      for (name, bytes) in extraFiles { try Data(bytes).write(to: staging.appendingPathComponent(name)) }
      let summary = RunOutputWriter.summaryJSON(report: report, map: map, emulator: emulator, options: options)
      try Data(summary.utf8).write(to: staging.appendingPathComponent("summary.json"))
    }
    do {
      try RunOutputWriter.putInPlace(staging, as: directory)
      finished = true
    } catch {
      abandon()
      throw OutputError(path: directory.relativePath, message: "could not put the outputs in place (\(reason(error))); nothing was written")
    }
  }

  /// Deletes what was written; the target directory stays as it was.
  public func abandon() {
    finished = true
    try? FileManager.default.removeItem(at: staging)
  }

  // MARK: Writing

  private func writeSpikes(_ emulator: ChipEmulator) throws(OutputError) {
    let bytes = ByteBuffer()
    for (core, file) in spikeFiles.enumerated() {
      guard let file else { continue }
      let log = emulator.spikeLog(core: core)
      guard log.count > 0 else { continue }
      bytes.removeAll()
      let program = map.cores[core]
      var kept = 0
      for k in 0..<log.count {
        let c = Int(log.compartments[k])
        let layer = Int(program.compartmentLayer[c])
        guard loggedLayers[layer] else { continue }
        kept += 1
        if options.npy {
          bytes.reserve(8)
          bytes.appendLittleEndian(log.steps[k])
          bytes.appendLittleEndian(log.compartments[k])
        } else {
          bytes.reserve(4 * 21 + layerNames[layer].count)
          bytes.appendDecimal(Int(log.steps[k]))
          bytes.append(UInt8(ascii: ","))
          bytes.appendDecimal(core)
          bytes.append(UInt8(ascii: ","))
          bytes.appendDecimal(c)
          bytes.append(UInt8(ascii: ","))
          bytes.append(contentsOf: layerNames[layer])
          bytes.append(UInt8(ascii: ","))
          bytes.appendDecimal(Int(program.compartmentNeuron[c]))
          bytes.append(UInt8(ascii: "\n"))
        }
      }
      spikesWritten[core] += kept
      try append(bytes, to: file)
    }
  }

  private func writeProbes(_ emulator: ChipEmulator) throws(OutputError) {
    let bytes = ByteBuffer()
    var steps = 0
    for (recording, file) in zip(emulator.probeRecordings, probeFiles) {
      bytes.removeAll()
      let width = recording.neurons.count
      steps = recording.stepCount
      recording.values.withUnsafeBufferPointer { values in
        if options.npy {
          bytes.reserve(4 * values.count)
          for v in values { bytes.appendLittleEndian(v) }
          return
        }
        for step in 0..<recording.stepCount {
          bytes.reserve(21 * (width + 1))
          bytes.appendDecimal(probeStepsWritten + step + 1)
          for column in 0..<width {
            bytes.append(UInt8(ascii: ","))
            bytes.appendDecimal(Int(values[step * width + column]))
          }
          bytes.append(UInt8(ascii: "\n"))
        }
      }
      try append(bytes, to: file)
    }
    probeStepsWritten += steps
  }

  private func append(_ bytes: ByteBuffer, to file: URL) throws(OutputError) {
    guard bytes.count > 0 else { return }
    try attempt("write \(file.lastPathComponent)") {
      let handle = try FileHandle(forWritingTo: file)
      defer { try? handle.close() }
      try handle.seekToEnd()
      try handle.write(contentsOf: bytes.data)
    }
  }

  private func overwriteStart(of file: URL, with bytes: [UInt8]) throws {
    let handle = try FileHandle(forWritingTo: file)
    defer { try? handle.close() }
    try handle.seek(toOffset: 0)
    try handle.write(contentsOf: bytes)
  }

  /// Runs `body`; on failure deletes the staging directory and throws a located error.
  private func attempt(_ what: String, _ body: () throws -> Void) throws(OutputError) {
    do { try body() } catch {
      abandon()
      throw OutputError(path: directory.relativePath, message: "could not \(what) (\(reason(error))); nothing was written")
    }
  }

  /// A version 1.0 `.npy` header of exactly ``npyHeaderLength`` bytes.
  static func npyHeader(shape: [Int]) -> [UInt8] {
    NPYFile.headerBytes(dtype: "<i4", shape: shape, totalLength: npyHeaderLength)
  }
}

/// A growable byte buffer for formatting logs fast: callers ``reserve(_:)`` room for a row,
/// then append into it without further checks.
final class ByteBuffer {
  private var storage: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  /// Bytes held.
  private(set) var count = 0

  init(capacity: Int = 1 << 16) {
    self.capacity = max(capacity, 64)
    storage = .allocate(capacity: self.capacity)
  }

  deinit { storage.deallocate() }

  /// Makes room for `extra` more bytes.
  @inline(__always)
  func reserve(_ extra: Int) {
    guard count + extra > capacity else { return }
    var grown = capacity
    while grown < count + extra { grown *= 2 }
    let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
    bigger.update(from: storage, count: count)
    storage.deallocate()
    storage = bigger
    capacity = grown
  }

  func removeAll() { count = 0 }

  /// Appends one byte (room must have been reserved).
  @inline(__always)
  func append(_ byte: UInt8) {
    storage[count] = byte
    count += 1
  }

  /// Appends `bytes` (room must have been reserved).
  func append(contentsOf bytes: [UInt8]) {
    for b in bytes { append(b) }
  }

  /// Appends the decimal digits of `value`, at most 20 bytes (room must have been reserved).
  @inline(__always)
  func appendDecimal(_ value: Int) {
    if value < 0 { append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    var digits = 1
    var scale: UInt = 10
    while digits < 20 && magnitude >= scale {
      digits += 1
      if digits < 20 { scale &*= 10 }
    }
    var i = count + digits - 1
    repeat {
      storage[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
      magnitude /= 10
      i -= 1
    } while magnitude > 0
    count += digits
  }

  /// Appends `value` as 4 little-endian bytes (room must have been reserved).
  @inline(__always)
  func appendLittleEndian(_ value: Int32) {
    let u = UInt32(bitPattern: value)
    append(UInt8(truncatingIfNeeded: u))
    append(UInt8(truncatingIfNeeded: u >> 8))
    append(UInt8(truncatingIfNeeded: u >> 16))
    append(UInt8(truncatingIfNeeded: u >> 24))
  }

  /// The bytes held (a view valid until the next append).
  var data: Data { Data(bytesNoCopy: storage, count: count, deallocator: .none) }
}
