// The .npy reader, both ways a file is read: as integers (weights, per-neuron fields) and
// as reals (real-valued weights, inputs, data sets).
import Foundation
import NeuroIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let url = FuzzScratch.file("fuzz.npy", data, size)
  _ = try? NPYFile.readIntegers(at: url, displayPath: "fuzz.npy")
  _ = try? NPYFile.readReals(at: url, displayPath: "fuzz.npy")
  return 0
}
