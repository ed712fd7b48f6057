// The core-map reader, its checks against the board, and a few emulated steps of a map
// that passes them (the emulator trusts what the checks let through).
import CoreMapModel
import Emulator
import Foundation
import NeuroIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCoreMap(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let url = FuzzScratch.file("map.coremap.json", data, size)
  guard let map = try? CoreMapFile.read(from: url) else { return 0 }
  let compartments = map.cores.reduce(0) { $0 + $1.compartmentCount }
  if compartments <= 100_000, let emulator = try? ChipEmulator(coreMap: map, options: EmulatorOptions(threads: 1)) {
    emulator.run(steps: 4)
  }
  return 0
}
