// The chip and board loader. The first byte picks which file the rest is: even, the board
// (its chip file is the base Loihi 1); odd, the chip (under the base board). A spec that
// loads is then used to place the base network.
import Foundation
import Mapper
import NeuroIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpec(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  let asChip = data[0] & 1 == 1
  let folder = FuzzScratch.folder
  let url: URL
  if asChip {
    _ = FuzzScratch.file("fuzz-chip.json", data + 1, size - 1)
    let board = #"{"kind": "board", "version": 1, "name": "fuzz", "chip": "fuzz-chip.json", "chips": 2}"#
    url = folder.appendingPathComponent("fuzz-board.json")
    _ = FileManager.default.createFile(atPath: url.path, contents: Data(board.utf8))
  } else {
    url = FuzzScratch.file("fuzz-board.json", data + 1, size - 1)
  }
  guard let board = try? SpecLoader.loadBoard(from: url),
    let network = try? NetworkLoader.load(from: folder.appendingPathComponent("net.json"))
  else { return 0 }
  _ = try? NetworkCompiler(board: board).compile(network)
  return 0
}
