import EmulatorKernels

/// The instruction sets the emulator's C kernels (Sources/EmulatorKernels) are built for.
/// Every set computes the same bits; they differ only in speed.
public enum KernelInstructionSet: String, CaseIterable, Sendable {
  case avx512
  case avx2
  case portable

  /// The sets this CPU can run, fastest first (`portable` is always there).
  public static var available: [KernelInstructionSet] {
    withUnsafeTemporaryAllocation(of: UnsafePointer<nm_kernels>?.self, capacity: 8) { buffer in
      let n = Int(nm_kernel_sets(buffer.baseAddress, 8))
      return buffer.prefix(n).compactMap { $0.flatMap { KernelInstructionSet(rawValue: String(cString: $0.pointee.isa)) } }
    }
  }

  /// The kernels for `set`, or the fastest this CPU runs when `set` is nil or unavailable.
  static func kernels(_ set: KernelInstructionSet?) -> UnsafePointer<nm_kernels> {
    if let set, let k = nm_kernels_named(set.rawValue) { return k }
    // The portable set always exists, so the best one does too.
    return nm_kernels_named(nil)!
  }
}
