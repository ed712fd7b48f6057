// The spike CSV reader, with and without a source count to check against.
import Foundation
import NeuroIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let url = FuzzScratch.file("fuzz.csv", data, size)
  _ = try? SpikeCSV.read(at: url, displayPath: "fuzz.csv", sources: 3)
  _ = try? SpikeCSV.read(at: url, displayPath: "fuzz.csv")
  return 0
}
