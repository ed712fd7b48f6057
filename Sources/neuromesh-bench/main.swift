import CoreMapModel
import Dispatch
import Emulator
import Evaluation
import Foundation
import HardwareSpec
import Mapper
import NetworkModel
import NeuroIO

// neuromesh-bench: emulator throughput on the foundation benchmark network.
//
//   swift run -c release neuromesh-bench [dense-1024] [dense-4096] [chip-1pct] [chip-10pct]
//       [compile-1m] [compile-conv-1m] [evaluate-digits] [--steps N] [--threads N] [--samples N]
//       [--export DIR] [--parallel-threshold N] [--minimum-slice N]
//   swift run -c release neuromesh-bench system [--chips N] [--groups G] [--activity A] [--connected F] [--steps N]
//       (N full chips' worth of groups of 100 neurons, or G groups, compiled onto Pohoiki Springs)
//
// With no names: dense-1024, dense-4096 and compile-1m. chip-1pct and chip-10pct: a full
// Loihi 1 chip (128 cores, 128,000 compartments, 12.8 M synapses, fan-in 100) compiled by
// the mapper onto the built-in loihi1-single-chip board, at 1 % and 10 % activity. compile-conv-1m (the mapper on a
// convolutional network of 1.07 M compartments and 103 M synapses) runs only when named.
// evaluate-digits: the shipped converted MLP and CNN (examples/digits, run from the
// repository root) over the 540 test images at 50 steps, fresh on 1 and 2 threads and
// continuous: samples/s.
//
// For each benchmark: build the network, place it (one core per layer on a reference chip
// with W-compartment cores, so the emulator is measured rather than the placement), then time
// `run(steps:)` on a fresh emulator: one warm-up run, then --samples timed runs; print
// min and median. --export DIR writes each network as a network directory for
// tools/reference/bench_nengo_loihi.py.

var assertionsEnabled = false
assert({ assertionsEnabled = true; return true }())
if assertionsEnabled {
  print("WARNING: this is a debug build; numbers are meaningless. Use: swift run -c release neuromesh-bench")
}

var names: [String] = []
var steps = 1000
var threads: Int? = nil
var samples = 3
var exportDirectory: String? = nil
var parallelThreshold: Int? = nil
var systemChips: Int? = nil
var systemActivity = 0.01
var systemConnected = 1.0
var systemGroups: Int? = nil
var minimumSlice: Int? = nil
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
  let a = arguments.removeFirst()
  func value() -> String {
    guard !arguments.isEmpty else {
      print("error: \(a) needs a value")
      exit(64)
    }
    return arguments.removeFirst()
  }
  switch a {
  case "--steps": steps = Int(value()) ?? steps
  case "--threads": threads = Int(value())
  case "--samples": samples = max(1, Int(value()) ?? samples)
  case "--export": exportDirectory = value()
  case "--parallel-threshold": parallelThreshold = Int(value())
  case "--chips": systemChips = Int(value()).map { min(max($0, 1), 768) }
  case "--groups": systemGroups = Int(value()).map { min(max($0, 2), 2_000_000) }
  case "--connected": systemConnected = Double(value()).map { min(max($0, 0), 1) } ?? systemConnected
  case "--activity": systemActivity = Double(value()).map { min(max($0, 0.0001), 0.5) } ?? systemActivity
  case "--minimum-slice": minimumSlice = Int(value())
  case "--help", "-h":
    print(
      "usage: neuromesh-bench [dense-1024] [dense-4096] [chip-1pct] [chip-10pct] [compile-1m] [compile-conv-1m] [evaluate-digits] [--steps N] [--threads N] [--samples N] [--export DIR] [--parallel-threshold N] [--minimum-slice N]"
    )
    exit(0)
  default:
    if a.hasPrefix("-") {
      print("error: unknown option \(a)")
      exit(64)
    }
    names.append(a)
  }
}
let benchmarks: [(String, Int)] = [("dense-1024", 1024), ("dense-4096", 4096), ("chip-1pct", 0), ("chip-10pct", 0)]
let selected = names.isEmpty ? Array(benchmarks.prefix(2)) : benchmarks.filter { names.contains($0.0) }
let runCompileBenchmark = names.isEmpty || names.contains("compile-1m")
let runConvolutionCompileBenchmark = names.contains("compile-conv-1m")  // opt-in: ~0.5 min, several GB
let runEvaluateBenchmark = names.contains("evaluate-digits")
let runSystemBenchmark = names.contains("system")
if selected.isEmpty && !runCompileBenchmark && !runConvolutionCompileBenchmark && !runEvaluateBenchmark && !runSystemBenchmark {
  print("error: no benchmark named \(names.joined(separator: ", ")); known: \(benchmarks.map(\.0).joined(separator: ", "))")
  exit(64)
}

/// A reference chip whose cores hold one W-neuron layer each and are otherwise unlimited:
/// every layer is one core, as in NengoLoihi's emulator (one block per layer).
func benchmarkBoard(width: Int) -> BoardSpec {
  BoardSpec(
    singleChip: ChipSpec(
      name: "reference chip, \(width)-compartment cores", coresPerChip: 4096,
      core: CoreLimits(
        compartments: width, inputAxons: 1 << 20, outputAxons: 1 << 24, synapseWords: 1 << 28,
        synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10)))
}

func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

print("threads: \(threads ?? ProcessInfo.processInfo.activeProcessorCount), steps: \(steps), samples: \(samples)")
for (name, width) in selected {
  var start = DispatchTime.now().uptimeNanoseconds
  let network =
    width > 0
    ? DenseChainNetwork.make(width: width, steps: steps)
    : FullChipNetwork.make(activity: name == "chip-1pct" ? 0.01 : 0.1)
  let buildSeconds = seconds(since: start)
  if let exportDirectory {
    let dir = URL(fileURLWithPath: exportDirectory).appendingPathComponent(name)
    do {
      try NetworkWriter.write(network, to: dir)
      print("\(name): exported to \(dir.relativePath)")
    } catch {
      print("error: cannot export \(name): \(error)")
      exit(1)
    }
  }
  start = DispatchTime.now().uptimeNanoseconds
  let map: CoreMap
  do {
    let board: BoardSpec
    if width > 0 {
      board = benchmarkBoard(width: width)
    } else if let chip = try SpecLoader.loadBuiltinBoard(named: "loihi1-single-chip") {
      board = chip
    } else {
      print("error: no built-in board loihi1-single-chip")
      exit(1)
    }
    map = try NetworkCompiler(board: board).compile(network).0
  } catch {
    print("error: \(error)")
    exit(1)
  }
  let placeSeconds = seconds(since: start)
  var times: [Double] = []
  var events: Int64 = 0
  var activity: [Double] = []
  for sample in 0...samples {
    var options = EmulatorOptions(threads: threads)
    if let parallelThreshold { options.parallelWorkThreshold = parallelThreshold }
    if let minimumSlice { options.minimumSliceSize = max(1, minimumSlice) }
    guard let emulator = try? ChipEmulator(coreMap: map, options: options) else {
      print("error: invalid core map")
      exit(1)
    }
    let runSteps = sample == 0 ? min(steps, 100) : steps  // sample 0 is a short warm-up
    start = DispatchTime.now().uptimeNanoseconds
    emulator.run(steps: runSteps)
    let t = seconds(since: start)
    if sample > 0 {
      times.append(t)
      events = emulator.activity.reduce(0) { $0 + $1.synapticOps }
      activity = zip(RunOutputWriter.spikesPerLayer(emulator), map.layers).map {
        Double($0) / Double($1.size * steps)
      }
    }
  }
  times.sort()
  let best = times[0]
  let median = times[times.count / 2]
  let activityText: String
  if width > 0 {
    activityText = zip(map.layers, activity).map { "\($0.name) \(String(format: "%.3f", $1))" }.joined(separator: ", ")
  } else {
    let mean = zip(map.layers, activity).reduce(0.0) { $0 + Double($1.0.size) * $1.1 } / Double(map.layers.reduce(0) { $0 + $1.size })
    let synapses = map.cores.reduce(0) { $0 + $1.synapseCount }
    activityText = "\(String(format: "%.4f", mean)) (all neurons); \(map.cores.count) cores, \(synapses) synapses"
  }
  print("\(name): build \(String(format: "%.2f", buildSeconds)) s, place \(String(format: "%.2f", placeSeconds)) s; activity per step: \(activityText)")
  print(
    "\(name): \(events) synaptic events in \(steps) steps; run min \(String(format: "%.3f", best)) s, median \(String(format: "%.3f", median)) s; \(String(format: "%.1f", Double(steps) / median)) steps/s; events/s: \(String(format: "%.4g", Double(events) / median)) (best \(String(format: "%.4g", Double(events) / best)))")
}

// The mapper on 1 M compartments and 100 M synapses (dense, then convolutional), placed on
// Pohoiki Springs.
let compileBenchmarks: [(String, Bool, () -> Network)] = [
  ("compile-1m", runCompileBenchmark, { MapperBenchmarkNetwork.make() }),
  ("compile-conv-1m", runConvolutionCompileBenchmark, { ConvolutionBenchmarkNetwork.make() }),
]
for (label, run, make) in compileBenchmarks where run {
  var start = DispatchTime.now().uptimeNanoseconds
  let network = make()
  let buildSeconds = seconds(since: start)
  let pohoiki = BoardSpec(
    name: "Pohoiki Springs", chip: ChipSpec(
      name: "Loihi 1", coresPerChip: 128,
      core: CoreLimits(compartments: 1024, inputAxons: 4096, outputAxons: 4096, synapseWords: 16384, synapseWordBits: 64, synapsesPerChunk: 64, chunkHeaderBits: 10),
      mesh: ChipMesh(coresPerTile: 4, tilesX: 4, tilesY: 8)),
    chipCount: 768, chipsX: 64)
  var times: [Double] = []
  var summary = ""
  for _ in 0..<samples {
    start = DispatchTime.now().uptimeNanoseconds
    do {
      let (map, report) = try NetworkCompiler(board: pohoiki).compile(network)
      times.append(seconds(since: start))
      let synapses = map.cores.reduce(0) { $0 + $1.synapseCount }
      summary = "\(map.cores.count) cores on \(Set(map.cores.map(\.chip)).count) chips, \(synapses) synapses stored, lower bound \(report.lowerBound) cores, packing \(report.packing) (first fit \(report.firstFitCores))"
    } catch {
      print("error: \(error)")
      exit(1)
    }
  }
  times.sort()
  print("\(label): network built in \(String(format: "%.2f", buildSeconds)) s; \(summary)")
  print("\(label): compile min \(String(format: "%.2f", times[0])) s, median \(String(format: "%.2f", times[times.count / 2])) s")
}

// A system of N full chips on Pohoiki Springs: compile time, memory, steps/s.
if runSystemBenchmark {
  let chips = systemChips ?? 8
  func memory() -> String {
    // Resident and peak resident memory of this process, from the kernel.
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "?" }
    func field(_ key: String) -> String {
      guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return "?" }
      // "VmRSS:\t   1234 kB" (the padding shrinks as the number grows; a tab always stays)
      return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().prefix(2).joined(separator: " ")
    }
    return "\(field("VmRSS:")) (peak \(field("VmHWM:")))"
  }
  var start = DispatchTime.now().uptimeNanoseconds
  let network = FullChipNetwork.make(
    activity: systemActivity, chips: chips, groups: systemGroups, distinctWeights: 64, connected: systemConnected)
  let groupsText = systemGroups.map { "\($0) groups of 100 neurons" } ?? "\(chips) chips"
  print("system: \(groupsText), \(Int(systemConnected * 100)) % of groups connected, network built in \(String(format: "%.2f", seconds(since: start))) s; memory \(memory())")
  do {
    guard let board = try SpecLoader.loadBuiltinBoard(named: "pohoiki-springs") else {
      print("error: no built-in board pohoiki-springs")
      exit(1)
    }
    start = DispatchTime.now().uptimeNanoseconds
    let map = try NetworkCompiler(board: board).compile(network).0
    let compileSeconds = seconds(since: start)
    let compartments = map.cores.reduce(0) { $0 + $1.compartmentCount }
    let synapses = map.cores.reduce(0) { $0 + $1.synapseCount }
    print(
      "system: compiled in \(String(format: "%.2f", compileSeconds)) s: \(map.cores.count) cores on \(Set(map.cores.map(\.chip)).count) chips, \(compartments) compartments, \(synapses) synapses; memory \(memory())"
    )
    var options = EmulatorOptions(threads: threads, recordsSpikeLogs: false)
    if let parallelThreshold { options.parallelWorkThreshold = parallelThreshold }
    start = DispatchTime.now().uptimeNanoseconds
    let emulator = try ChipEmulator(coreMap: map, options: options)
    print("system: emulator built in \(String(format: "%.2f", seconds(since: start))) s; memory \(memory())")
    start = DispatchTime.now().uptimeNanoseconds
    emulator.run(steps: steps)
    let runSeconds = seconds(since: start)
    let events = emulator.activity.reduce(Int64(0)) { $0 + $1.synapticOps }
    let spikes = emulator.activity.reduce(Int64(0)) { $0 + $1.spikes }
    let messages = emulator.activity.reduce(Int64(0)) { $0 + $1.spikeMessages }
    let interChip = emulator.activity.reduce(Int64(0)) { $0 + $1.interChipMessages }
    print(
      "system: per step \(spikes / Int64(max(steps, 1))) spikes, \(messages / Int64(max(steps, 1))) spike messages, \(interChip / Int64(max(steps, 1))) of them between chips"
    )
    print(
      "system: \(steps) steps in \(String(format: "%.3f", runSeconds)) s (\(String(format: "%.1f", Double(steps) / runSeconds)) steps/s), activity \(String(format: "%.4f", Double(spikes) / Double(compartments * steps))), \(String(format: "%.4g", Double(events) / runSeconds)) events/s; memory \(memory())"
    )
  } catch {
    print("error: \(error)")
    exit(1)
  }
}

// Data sets through the chip: the shipped converted digits models.
if runEvaluateBenchmark {
  let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
  let data = root.appendingPathComponent("examples/digits/data")
  do {
    let board = try SpecLoader.loadBoard(from: root.appendingPathComponent("hardware-specs/boards/loihi1-single-chip.json"))
    for model in ["mlp", "cnn"] {
      let network = try NetworkLoader.load(from: root.appendingPathComponent("examples/digits/\(model)/network.json"))
      let dataset = try Dataset.load(
        inputs: data.appendingPathComponent("test_images.npy"), labels: data.appendingPathComponent("test_labels.npy"), for: network)
      let settings: [(String, EvaluationOptions)] = [
        ("fresh, 1 thread", EvaluationOptions(stepsPerSample: 50, readout: .current, threads: 1)),
        ("fresh, 2 threads", EvaluationOptions(stepsPerSample: 50, readout: .current, threads: threads ?? 2)),
        ("continuous", EvaluationOptions(stepsPerSample: 50, presentation: .continuous, readout: .current, threads: 1)),
      ]
      for (label, options) in settings {
        var rates: [Double] = []
        var accuracy = 0.0
        for _ in 0...samples {
          let result = try Evaluator.evaluate(network: network, board: board, data: dataset, options: options)
          rates.append(result.samplesPerSecond)
          accuracy = result.accuracy ?? 0
        }
        rates.removeFirst()  // warm-up
        rates.sort()
        print(
          "evaluate-digits \(model), \(label): \(dataset.count) samples × 50 steps, accuracy \(String(format: "%.2f", 100 * accuracy)) %; samples/s median \(String(format: "%.0f", rates[rates.count / 2])), best \(String(format: "%.0f", rates.last ?? 0))")
      }
    }
  } catch {
    print("error: \(error)")
    exit(1)
  }
}
