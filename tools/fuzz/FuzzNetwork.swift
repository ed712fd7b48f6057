// The network loader: JSON syntax, decoding, validation, the .npy and CSV files it names;
// and, for a network small enough to map in a moment, the mapper.
import Foundation
import Mapper
import NetworkModel
import NeuroIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNetwork(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let url = FuzzScratch.file("net.json", data, size)
  guard let network = try? NetworkLoader.load(from: url) else { return 0 }
  let neurons = network.layers.reduce(0) { $0 + $1.size } + network.inputs.reduce(0) { $0 + $1.size }
  if neurons <= 20_000, let board = try? SpecLoader.loadBoard(from: FuzzScratch.folder.appendingPathComponent("board.json")) {
    _ = try? NetworkCompiler(board: board).compile(network)
  }
  return 0
}
