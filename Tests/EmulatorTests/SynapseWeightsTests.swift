import CoreMapModel
import Testing

/// The core map's weight storage: an array of bytes the emulator reads in place.
@Suite("Synapse weight storage")
struct SynapseWeightsTests {
  @Test("appends, subscripts and equality behave as an [Int8] does")
  func arrayBehaviour() {
    var w: SynapseWeights = [1, -2, 3]
    var reference: [Int8] = [1, -2, 3]
    for k in 0..<1000 {
      let v = Int8(truncatingIfNeeded: k &* 37)
      w.append(v)
      reference.append(v)
    }
    w.append(contentsOf: [Int8](repeating: 7, count: 5))
    reference.append(contentsOf: [Int8](repeating: 7, count: 5))
    w[10] = -128
    reference[10] = -128
    #expect(Array(w) == reference)
    #expect(w == SynapseWeights(reference))
    #expect(w != SynapseWeights(reference.dropLast()))
    #expect(SynapseWeights() == [])
  }

  @Test("a buffer handed out stays valid and unchanged while its owner lives, whatever the value does next")
  func sharedStorageIsCopiedOnWrite() {
    var w = SynapseWeights((0..<100).map { Int8($0) })
    let (owner, pointer) = w.sharedStorage()
    w[0] = 99  // shared now: this copies
    w.append(5)
    w.reserveCapacity(10_000)
    #expect(w[0] == 99 && w.count == 101)
    #expect((0..<100).allSatisfy { pointer[$0] == Int8($0) })
    var copy = w
    copy[1] = -1  // value semantics between copies too
    #expect(w[1] == 1 && copy[1] == -1)
    withExtendedLifetime(owner) {}
  }
}
