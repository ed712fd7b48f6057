import HardwareSpec
import NeuroIO

/// `neuromesh boards`: the built-in boards and chips, usable as `--board NAME` anywhere.
enum BoardsCommand {
  static func execute(_ arguments: [String], output: inout CommandOutput) -> ExitStatus {
    if arguments == ["--help"] || arguments == ["-h"] {
      output.print("OVERVIEW: List the boards and chips built into neuromesh (the files of hardware-specs/).\n\nUSAGE: neuromesh boards")
      return .success
    }
    guard arguments.isEmpty else {
      output.error("error: 'neuromesh boards' takes no arguments, got \(arguments.joined(separator: " "))")
      return .usage
    }
    var rows = [["name", "board", "chip", "chips", "cores", "energy figures"]]
    for name in SpecLoader.builtinNames {
      guard let board = (try? SpecLoader.loadBuiltinBoard(named: name)).flatMap({ $0 }) else { continue }
      rows.append([name, board.name, board.chip.name, "\(board.chipCount)", "\(board.totalCores)", board.chip.energy == nil ? "no" : "yes"])
    }
    output.print(UtilisationTable.table(rows, leftAligned: [0, 1, 2, 5]))
    return .success
  }
}
