/// A small seedable random generator (SplitMix64, Steele et al. 2014).
///
/// The standard library's generator cannot be seeded; tests, benchmark networks and
/// examples use this one so they are identical on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// Creates a generator; equal seeds give equal sequences.
  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// True with probability `p`.
  public mutating func chance(_ p: Double) -> Bool { nextUnit() < p }

  /// A uniform value in [0, 1) with 53 random bits.
  public mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }

  /// A uniform integer in 0 ..< n (n > 0; modulo, so very slightly uneven for huge n).
  public mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
}
