import Foundation

/// The weight mantissas of one core's synapses, one byte each as the chip's synapse memory
/// holds them: an `[Int8]`-like value whose storage the emulator reads in place.
///
/// A core map is the largest thing a big system keeps in memory, and its weights the largest
/// part of it (a byte per synapse: 2.5 GB for 2.5 G synapses). The emulator needs them behind
/// a stable pointer; with an `Array` it had to copy them. This type is copy-on-write like an
/// array, and ``sharedStorage()`` hands out its buffer together with the object that owns it:
/// as long as the owner is retained, the buffer stays valid and unchanged, because any later
/// mutation of a `SynapseWeights` value then finds its storage shared and copies it first.
public struct SynapseWeights: RandomAccessCollection, MutableCollection, ExpressibleByArrayLiteral, Equatable,
  Sendable
{
  /// The bytes, their count and capacity. Mutated only while uniquely referenced.
  final class Storage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Int8>
    var count: Int
    let capacity: Int

    init(capacity: Int) {
      self.capacity = Swift.max(capacity, 1)
      base = .allocate(capacity: self.capacity)
      count = 0
    }

    func copy(capacity: Int) -> Storage {
      let other = Storage(capacity: Swift.max(capacity, count))
      other.base.initialize(from: base, count: count)
      other.count = count
      return other
    }

    deinit { base.deallocate() }
  }

  private var storage: Storage

  /// No weights.
  public init() { storage = Storage(capacity: 0) }

  /// The weights of `values`, in order.
  public init<S: Sequence>(_ values: S) where S.Element == Int8 {
    storage = Storage(capacity: values.underestimatedCount)
    append(contentsOf: values)
  }

  public init(arrayLiteral elements: Int8...) { self.init(elements) }

  public var startIndex: Int { 0 }
  public var endIndex: Int { storage.count }

  public subscript(position: Int) -> Int8 {
    get {
      precondition(position >= 0 && position < storage.count, "weight index out of range")
      return storage.base[position]
    }
    set {
      precondition(position >= 0 && position < storage.count, "weight index out of range")
      makeUnique(capacity: storage.capacity)
      storage.base[position] = newValue
    }
  }

  /// Room for `minimumCapacity` weights without reallocating.
  public mutating func reserveCapacity(_ minimumCapacity: Int) {
    if minimumCapacity > storage.capacity || !isKnownUniquelyReferenced(&storage) {
      makeUnique(capacity: Swift.max(minimumCapacity, storage.capacity), force: true)
    }
  }

  /// Appends one weight (amortised constant time).
  public mutating func append(_ weight: Int8) {
    if storage.count == storage.capacity {
      makeUnique(capacity: storage.capacity * 2, force: true)
    } else {
      makeUnique(capacity: storage.capacity)
    }
    storage.base[storage.count] = weight
    storage.count += 1
  }

  /// Appends `values`, in order (contiguous ones in one copy).
  public mutating func append<S: Sequence>(contentsOf values: S) where S.Element == Int8 {
    let copied: Bool? = values.withContiguousStorageIfAvailable { buffer in
      reserveCapacity(storage.count + buffer.count)
      guard let source = buffer.baseAddress else { return true }
      (storage.base + storage.count).initialize(from: source, count: buffer.count)
      storage.count += buffer.count
      return true
    }
    if copied == true { return }
    reserveCapacity(storage.count + values.underestimatedCount)
    for v in values { append(v) }
  }

  /// The buffer of the weights and the object that keeps it alive: valid and unchanged for
  /// as long as `owner` is retained, whatever happens to this value afterwards.
  public func sharedStorage() -> (owner: AnyObject, weights: UnsafePointer<Int8>) {
    (storage, UnsafePointer(storage.base))
  }

  public static func == (a: SynapseWeights, b: SynapseWeights) -> Bool {
    a.count == b.count && (a.storage === b.storage || memcmp(a.storage.base, b.storage.base, a.count) == 0)
  }

  /// Gives this value storage of its own (copying the weights) if it shares it, or if
  /// `force`d (to grow it).
  private mutating func makeUnique(capacity: Int, force: Bool = false) {
    if force || !isKnownUniquelyReferenced(&storage) { storage = storage.copy(capacity: capacity) }
  }
}
