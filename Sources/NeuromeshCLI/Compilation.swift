import CoreMapModel
import Foundation
import HardwareSpec
import Mapper
import NetworkModel
import NeuroIO

/// Compiles `network`, naming `file` in every refusal (`FILE: JSON.PATH: …`); `meter`
/// shows each stage as it starts.
func compileNamingFile(_ network: Network, board: BoardSpec, file: URL, meter: StageMeter? = nil) throws(MappingError) -> (CoreMap, MappingReport) {
  do throws(MappingError) {
    var compiler = NetworkCompiler(board: board)
    if let meter { compiler.progress = { stage in meter.begin(stage.description) } }
    return try compiler.compile(network)
  } catch {
    throw withBoardHint(error).inFile(file.relativePath)
  }
}

/// A "needs N cores" refusal names the smallest built-in board with enough cores of the
/// same chip.
func withBoardHint(_ error: MappingError) -> MappingError {
  let hinted = error.all.map { e -> MappingError in
    guard let needed = e.coresNeeded else { return e }
    var e = e
    let boards = SpecLoader.builtinNames.compactMap { name in (try? SpecLoader.loadBuiltinBoard(named: name)).flatMap { $0 }.map { (name, $0) } }
    if let (name, board) = boards.filter({ $0.1.totalCores >= needed && $0.1.chip.name == "Loihi 1" }).min(by: { $0.1.totalCores < $1.1.totalCores }) {
      e.fix = "use a board with at least \(needed) cores, e.g. --board \(name) (\(board.chipCount) chips, \(board.totalCores) cores), or make the network smaller"
    }
    return e
  }
  var combined = hinted[0]
  combined.others = Array(hinted.dropFirst())
  return combined
}

/// A meter for loading and compiling a network (and, with `writing`, writing the result).
func compileMeter(enabled: Bool, writing: Bool = false) -> StageMeter {
  StageMeter(enabled: enabled, task: "compile", count: 1 + NetworkCompiler.CompileStage.allCases.count + (writing ? 1 : 0))
}
