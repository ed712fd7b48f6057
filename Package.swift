// swift-tools-version:6.0
// Neuromesh: compile spiking neural networks onto Loihi-style neuro-cores and emulate
// them bit-exactly. No package dependencies: Foundation, Dispatch, XCTest and Swift
// Testing only.

import PackageDescription

let package = Package(
  name: "Neuromesh",
  products: [
    .executable(name: "neuromesh", targets: ["neuromesh"]),
    .executable(name: "neuromesh-bench", targets: ["neuromesh-bench"]),
    .library(name: "NeuromeshKit", targets: ["NeuromeshCLI"]),
  ],
  targets: [
    // MARK: - Libraries

    // Bit-exact integer primitives of a Loihi neuro-core (wrap, decay, weight rounding).
    .target(name: "LoihiArithmetic"),
    // The user-facing network description: inputs, layers, connections, probes, validation.
    .target(name: "NetworkModel", dependencies: ["LoihiArithmetic"]),
    // Chip and board specifications: per-core limits, loaded from hardware-specs/.
    .target(name: "HardwareSpec"),
    // The compiled, integer-only program: cores, compartments, synapse lists, axon routes.
    .target(name: "CoreMapModel", dependencies: ["HardwareSpec", "LoihiArithmetic"]),
    // Network + hardware spec -> core map (quantization, placement, routing).
    .target(
      name: "Mapper",
      dependencies: ["NetworkModel", "HardwareSpec", "CoreMapModel", "LoihiArithmetic"]),
    // The emulator's hot loops in C (dense-row accumulation, compartment update), built
    // for AVX-512, AVX2 and the portable baseline and picked at load time.
    .target(name: "EmulatorKernels"),
    // Executes a core map step by step in the chip's integer arithmetic.
    .target(name: "Emulator", dependencies: ["CoreMapModel", "LoihiArithmetic", "EmulatorKernels"]),
    // Files: JSON, .npy, CSV readers; network/spec loaders; spike-log and probe writers.
    .target(
      name: "NeuroIO",
      dependencies: ["NetworkModel", "HardwareSpec", "CoreMapModel", "Emulator", "Energy", "Training"]),
    // Energy and time of a run, priced with the chip spec's published figures.
    .target(name: "Energy", dependencies: ["CoreMapModel", "Emulator", "HardwareSpec"]),
    // Training networks for the chip: the chip's rates forward, a smooth derivative
    // backward, minibatch Adam, deterministic for a seed.
    .target(name: "Training", dependencies: ["Mapper", "NetworkModel", "LoihiArithmetic"]),
    // A run's output directory drawn as one self-contained HTML page of SVG plots.
    .target(name: "Report", dependencies: ["NeuroIO", "Training"]),
    // Data sets through the emulated chip: fresh or continuous presentation, batched
    // copies of one core map, readouts, accuracy.
    .target(
      name: "Evaluation",
      dependencies: ["Mapper", "Emulator", "Energy", "NeuroIO", "NetworkModel", "HardwareSpec", "CoreMapModel"]),
    // The command-line interface as a library: argument parsing, commands, exit codes.
    .target(
      name: "NeuromeshCLI",
      dependencies: ["NeuroIO", "Mapper", "Emulator", "Energy", "Evaluation", "Report", "Training", "NetworkModel", "HardwareSpec"]),

    // MARK: - Executables

    .executableTarget(name: "neuromesh", dependencies: ["NeuromeshCLI"]),
    .executableTarget(
      name: "neuromesh-bench",
      dependencies: ["NeuroIO", "Mapper", "Emulator", "Evaluation", "NetworkModel", "HardwareSpec", "CoreMapModel", "LoihiArithmetic"]),

    // MARK: - Tests

    .testTarget(
      name: "LoihiArithmeticTests", dependencies: ["LoihiArithmetic", "NeuroIO"],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "NeuroIOTests", dependencies: ["NeuroIO", "NetworkModel", "HardwareSpec"]),
    .testTarget(
      name: "EmulatorTests",
      dependencies: [
        "Emulator", "EmulatorKernels", "Mapper", "NeuroIO", "NetworkModel", "HardwareSpec", "CoreMapModel",
        "LoihiArithmetic",
      ],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "NeuromeshCLITests", dependencies: ["NeuromeshCLI", "NeuroIO", "Report", "Training"]),
    .testTarget(name: "EnergyTests", dependencies: ["Energy", "Emulator", "Mapper", "NetworkModel", "HardwareSpec", "CoreMapModel", "NeuroIO"]),
    .testTarget(
      name: "TrainingTests",
      dependencies: ["Training", "NeuroIO", "Evaluation", "Emulator", "Mapper", "NetworkModel", "HardwareSpec", "LoihiArithmetic"]),
    .testTarget(
      name: "EvaluationTests",
      dependencies: ["Evaluation", "Emulator", "Mapper", "NeuroIO", "NetworkModel", "HardwareSpec", "CoreMapModel"]),
  ]
)
