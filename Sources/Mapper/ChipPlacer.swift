/// Assigns cores to chips so that little spike traffic crosses between chips.
///
/// Greedy and deterministic: each chip is seeded with the lowest-numbered unplaced core,
/// then grown by repeatedly adding the unplaced core with the most estimated traffic
/// (output-axon routes, both directions) to the cores already on the chip; ties and
/// traffic-free choices go to the lowest core number. With `traffic` given as adjacency
/// lists this runs in O(E log N) using a max-heap with lazy updates.
struct ChipPlacer {
  let coresPerChip: Int

  /// For each core, its chip and its index on that chip.
  func place(coreCount: Int, traffic: [[(core: Int, weight: Int)]]) -> [(chip: Int, index: Int)] {
    var result = [(chip: Int, index: Int)](repeating: (-1, -1), count: coreCount)
    var affinity = [Int](repeating: 0, count: coreCount)
    var nextUnplaced = 0
    var chip = 0
    var placed = 0
    while placed < coreCount {
      var heap = MaxHeap()
      var onChip = 0
      // Cores touched while growing this chip, so their affinity can be reset afterwards.
      var touched: [Int] = []
      while onChip < coresPerChip && placed < coreCount {
        var pick: Int? = nil
        while let top = heap.pop() {
          if result[top.core].chip < 0 && affinity[top.core] == top.weight {
            pick = top.core
            break
          }
        }
        if pick == nil {
          while result[nextUnplaced].chip >= 0 { nextUnplaced += 1 }
          pick = nextUnplaced
        }
        let core = pick!
        result[core] = (chip, onChip)
        onChip += 1
        placed += 1
        for edge in traffic[core] where result[edge.core].chip < 0 {
          if affinity[edge.core] == 0 { touched.append(edge.core) }
          affinity[edge.core] += edge.weight
          heap.push(core: edge.core, weight: affinity[edge.core])
        }
      }
      for c in touched { affinity[c] = 0 }
      chip += 1
    }
    return result
  }
}

/// A binary max-heap of (weight, core), ordered by weight then by lower core number.
struct MaxHeap {
  private var items: [(weight: Int, core: Int)] = []

  private static func above(_ a: (weight: Int, core: Int), _ b: (weight: Int, core: Int)) -> Bool {
    a.weight != b.weight ? a.weight > b.weight : a.core < b.core
  }

  mutating func push(core: Int, weight: Int) {
    items.append((weight, core))
    var i = items.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      if !Self.above(items[i], items[parent]) { break }
      items.swapAt(i, parent)
      i = parent
    }
  }

  mutating func pop() -> (core: Int, weight: Int)? {
    guard let top = items.first else { return nil }
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var i = 0
      while true {
        let l = 2 * i + 1
        let r = l + 1
        var best = i
        if l < items.count && Self.above(items[l], items[best]) { best = l }
        if r < items.count && Self.above(items[r], items[best]) { best = r }
        if best == i { break }
        items.swapAt(i, best)
        i = best
      }
    }
    return (top.core, top.weight)
  }
}
