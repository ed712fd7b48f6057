import Foundation

/// The `neuromesh` command line as a library: `Neuromesh.main(arguments:)` parses the
/// arguments, runs the command and returns its exit status and output, so the executable
/// is a thin wrapper and tests can call the same code in-process.
public enum Neuromesh {
  /// The tool's version.
  public static let version = "0.1.0"

  static let overview = """
    OVERVIEW: Compile spiking neural networks onto Loihi-style neuro-cores and emulate them
    bit-exactly: which core every neuron lives on, every spike it fires.

    USAGE: neuromesh <command> [options]

    COMMANDS:
      compile    Compile a network onto a board and write its core map.
      run        Emulate a network (or a compiled core map) step by step.
      evaluate   Present a data set to a network on the chip: accuracy, confusion, samples/s.
      inspect    Show a compiled core map: cores, chips, utilisation, traffic.
      train      Train a network for the chip (the chip's rates forward) into a network directory.
      report     Draw a run's output directory as one self-contained HTML page with plots.
      where      Where a neuron lives (chip, core, compartment, axons), or which neuron a compartment is.
      boards     List the built-in boards and chips (usable as --board NAME).

    Run 'neuromesh <command> --help' for a command's options.
    Exit status: 0 success, 1 failure, 64 bad usage, 65 invalid input file.
    """

  /// Runs the tool with `arguments` (without the program name).
  public static func main(arguments: [String]) -> (ExitStatus, CommandOutput) {
    var output = CommandOutput()
    guard let command = arguments.first else {
      output.error(overview)
      return (.usage, output)
    }
    let rest = Array(arguments.dropFirst())
    switch command {
    case "--help", "-h", "help":
      output.print(overview)
      return (.success, output)
    case "--version":
      output.print("neuromesh \(version)")
      return (.success, output)
    case "run":
      let status = RunCommand.execute(rest, output: &output)
      return (status, output)
    case "evaluate":
      let status = EvaluateCommand.execute(rest, output: &output)
      return (status, output)
    case "compile":
      let status = CompileCommand.execute(rest, output: &output)
      return (status, output)
    case "where":
      return (WhereCommand.execute(rest, output: &output), output)
    case "boards":
      return (BoardsCommand.execute(rest, output: &output), output)
    case "inspect":
      let status = InspectCommand.execute(rest, output: &output)
      return (status, output)
    case "train":
      return (TrainCommand.execute(rest, output: &output), output)
    case "report":
      return (ReportCommand.execute(rest, output: &output), output)
    default:
      output.error("error: unknown command '\(command)'")
      output.error("Run 'neuromesh --help' for the list of commands.")
      return (.usage, output)
    }
  }
}
