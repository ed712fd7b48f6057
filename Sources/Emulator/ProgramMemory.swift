import CoreMapModel
import EmulatorKernels
import LoihiArithmetic

/// The read-only part of a core map — compartment parameters, synapse lists, routes, host
/// spike schedules — laid out once in memory of its own and shared by every copy of an
/// emulator.
///
/// The hot loops read it through plain pointers (``CoreMemory``, ``InputMemory``): no
/// reference counting, no exclusivity checks, and no shared counters that worker threads
/// running different copies would fight over (retaining one array from two threads makes
/// its reference count bounce between the cores' caches). Nothing here is written after
/// `init`, which is what makes sharing it across threads safe.
final class ProgramMemory: @unchecked Sendable {
  let cores: [CoreMemory]
  let inputs: [InputMemory]
  private var allocations: [UnsafeMutableRawPointer] = []
  /// The core map's weight buffers, read in place (``SynapseWeights/sharedStorage()``): kept
  /// alive here, and never changed while they are (a change to the map copies them).
  private let sharedWeights: [AnyObject]

  init(_ map: CoreMap) {
    var allocations: [UnsafeMutableRawPointer] = []
    var sharedWeights: [AnyObject] = []
    func copy<T>(_ values: [T]) -> UnsafePointer<T> {
      let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(values.count, 1))
      _ = buffer.initialize(from: values)
      allocations.append(UnsafeMutableRawPointer(buffer.baseAddress!))
      return UnsafePointer(buffer.baseAddress!)
    }
    let board = map.board
    // Where every core is (read per route below; indexing `map.cores` would copy a whole
    // program per route).
    let chipOf = map.cores.map(\.chip)
    let meshXOf = map.cores.map(\.meshX)
    let meshYOf = map.cores.map(\.meshY)
    cores = map.cores.enumerated().map { index, p in
      // Per compartment, its routes by distance (summed once here, added per spike), kept
      // as an index into the core's table of distinct values: compartments of one layer
      // slice route alike, so the table is short and each compartment costs 4 bytes, not 36.
      let n = p.compartmentCount
      var table: [RouteDistance] = []
      var tableIndex: [RouteDistance: UInt32] = [:]
      var distanceIndex = [UInt32](repeating: 0, count: n)
      for c in 0..<n {
        var distance = RouteDistance()
        for r in Int(p.routeStart[c])..<Int(p.routeStart[c + 1]) {
          let d = Int(p.routes[r].core)
          let (chip, x, y) = (chipOf[d], meshXOf[d], meshYOf[d])
          if d == index {
            distance.sameCore += 1
          } else if chip == p.chip && x == p.meshX && y == p.meshY {
            distance.sameTile += 1
          }
          distance.eastWest += Int32(abs(x - p.meshX))
          distance.northSouth += Int32(abs(y - p.meshY))
          distance.farthestEastWest = max(distance.farthestEastWest, Int32(abs(x - p.meshX)))
          distance.farthestNorthSouth = max(distance.farthestNorthSouth, Int32(abs(y - p.meshY)))
          if chip != p.chip {
            distance.interChip += 1
            let (ax, ay) = (p.chip % board.chipsX, p.chip / board.chipsX)
            let (bx, by) = (chip % board.chipsX, chip / board.chipsX)
            distance.chipCrossings += Int32(abs(ax - bx) + abs(ay - by))
            distance.farthestCrossings = max(distance.farthestCrossings, Int32(abs(ax - bx) + abs(ay - by)))
          }
        }
        if let k = tableIndex[distance] {
          distanceIndex[c] = k
        } else {
          distanceIndex[c] = UInt32(table.count)
          tableIndex[distance] = UInt32(table.count)
          table.append(distance)
        }
      }
      let (kernelSegmentStart, kernelSegments) = Self.kernelSegments(p)
      let (weightsOwner, weights) = p.weights.sharedStorage()
      // Sparse targets in 16 bits where every compartment index fits (the map is validated:
      // every target is a compartment of the core).
      let narrowTargets = p.compartmentCount <= 1 << 16
      sharedWeights.append(weightsOwner)
      // One profile for the whole core: four registers instead of four arrays.
      func same(_ values: [Int32]) -> Bool { values.allSatisfy { $0 == values.first } }
      let uniform = same(p.decayU) && same(p.decayV) && same(p.threshold) && same(p.refractoryDelay)
      let profile = nm_profile(
        current_factor: FixedPoint.currentDecayFactor(decayU: p.decayU.first ?? 0),
        voltage_factor: FixedPoint.voltageDecayFactor(decayV: p.decayV.first ?? 0), threshold: p.threshold.first ?? 0,
        refractory_delay: p.refractoryDelay.first ?? 0)
      return CoreMemory(
        chip: p.chip, compartmentCount: p.compartmentCount, vmin: p.vmin, vmax: p.vmax,
        currentFactor: uniform ? nil : copy(p.decayU.map(FixedPoint.currentDecayFactor(decayU:))),
        voltageFactor: uniform ? nil : copy(p.decayV.map(FixedPoint.voltageDecayFactor(decayV:))),
        threshold: uniform ? nil : copy(p.threshold), bias: copy(p.bias),
        refractoryDelay: uniform ? nil : copy(p.refractoryDelay), profile: profile,
        axonSegmentStart: copy(kernelSegmentStart), segments: copy(kernelSegments), weights: weights,
        sparseTargets: narrowTargets ? nil : copy(p.sparseTargets),
        sparseTargets16: narrowTargets ? copy(p.sparseTargets.map { UInt16(truncatingIfNeeded: $0) }) : nil, routeStart: copy(p.routeStart), routes: copy(p.routes),
        routeDistanceIndex: copy(distanceIndex), routeDistances: copy(table),
        meanSynapsesPerAxon: p.synapseCount / max(p.inputAxonCount, 1))
    }
    inputs = map.inputs.map { i in
      InputMemory(
        size: i.size, routeStart: copy(i.routeStart), routes: copy(i.routes), eventSteps: copy(i.eventSteps),
        eventSources: copy(i.eventSources), eventCount: i.eventSources.count)
    }
    self.allocations = allocations
    self.sharedWeights = sharedWeights
  }

  deinit {
    for p in allocations { p.deallocate() }
  }

  /// A core's synapse lists as the delivery kernel reads them (``nm_segment``: the shift in
  /// the count's top four bits), with lists of 2^28 synapses or more cut in pieces (adds
  /// commute, so the pieces deliver the same sums), and one empty segment past the last.
  static func kernelSegments(_ p: CoreProgram) -> (start: [Int32], segments: [nm_segment]) {
    let limit = 1 << 28 - 1
    var start: [Int32] = [0]
    var out: [nm_segment] = []
    start.reserveCapacity(p.axonSegmentStart.count)
    out.reserveCapacity(p.segments.count)
    for a in 0..<p.inputAxonCount {
      for s in p.segments[Int(p.axonSegmentStart[a])..<Int(p.axonSegmentStart[a + 1])] {
        var done = 0
        let count = max(Int(s.count), 0)
        repeat {
          let n = min(count - done, limit)
          let shift = UInt32(UInt32(bitPattern: s.shift) & 15) << 28  // as `&<<` on Int16 takes it
          out.append(
            nm_segment(
              first: s.isDense ? s.firstCompartment &+ Int32(done) : s.firstCompartment, count_shift: UInt32(n) | shift,
              weight_offset: s.weightOffset &+ Int32(done), target_offset: s.isDense ? -1 : s.targetOffset &+ Int32(done)))
          done += n
        } while done < count
      }
      start.append(Int32(out.count))
    }
    // One empty segment past the end, not in any axon's range: the delivery kernel reads the
    // segment at an upcoming axon's start to prefetch its lists, and an axon without lists
    // (or a core without any) starts at the end.
    out.append(nm_segment(first: 0, count_shift: 0, weight_offset: 0, target_offset: -1))
    return (start, out)
  }
}

/// One core's program, as pointers into ``ProgramMemory`` (valid while it lives).
struct CoreMemory {
  let chip: Int
  let compartmentCount: Int
  let vmin: Int32
  let vmax: Int32
  /// `4095 − decay_u` and `4096 − decay_v`, threshold and refractory delay per compartment;
  /// all four nil when every compartment of the core has the same (then `profile` holds them).
  let currentFactor: UnsafePointer<Int32>?
  let voltageFactor: UnsafePointer<Int32>?
  let threshold: UnsafePointer<Int32>?
  let bias: UnsafePointer<Int32>
  let refractoryDelay: UnsafePointer<Int32>?
  /// The core's one profile, when the arrays above are nil.
  let profile: nm_profile
  /// Synapse lists per input axon, in the delivery kernel's form (``kernelSegments(_:)``).
  let axonSegmentStart: UnsafePointer<Int32>
  let segments: UnsafePointer<nm_segment>
  let weights: UnsafePointer<Int8>
  /// Targets of sparse segments, in 16 bits when the core has at most 65,536 compartments
  /// (then `sparseTargets` is nil), else in 32.
  let sparseTargets: UnsafePointer<Int32>?
  let sparseTargets16: UnsafePointer<UInt16>?
  let routeStart: UnsafePointer<Int32>
  let routes: UnsafePointer<AxonRoute>
  /// Per compartment: its routes by distance, `routeDistances[routeDistanceIndex[c]]`.
  let routeDistanceIndex: UnsafePointer<UInt32>
  let routeDistances: UnsafePointer<RouteDistance>
  /// Average synapses per input axon, to estimate a step's work from the inbox size.
  let meanSynapsesPerAxon: Int
}

/// One host input's routes and spike schedule, as pointers into ``ProgramMemory``.
struct InputMemory {
  let size: Int
  let routeStart: UnsafePointer<Int32>
  let routes: UnsafePointer<AxonRoute>
  /// Event `e` is source `eventSources[e]` spiking in step `eventSteps[e]` (ascending).
  let eventSteps: UnsafePointer<Int32>
  let eventSources: UnsafePointer<Int32>
  let eventCount: Int
}

/// One compartment's output routes by distance: how many go to its own core, to another
/// core of its tile, to another chip; and the tile hops and chip crossings they add up to.
struct RouteDistance: Hashable {
  var sameCore: Int32 = 0
  var sameTile: Int32 = 0
  var eastWest: Int32 = 0
  var northSouth: Int32 = 0
  var interChip: Int32 = 0
  var chipCrossings: Int32 = 0
  /// The largest east–west and north–south hop counts and chip crossings of any one route
  /// (each taken separately): the farthest a spike of this compartment travels.
  var farthestEastWest: Int32 = 0
  var farthestNorthSouth: Int32 = 0
  var farthestCrossings: Int32 = 0
  /// Whether the compartment has any route at all.
  var hasRoutes: Bool { sameCore > 0 || sameTile > 0 || farthestEastWest > 0 || farthestNorthSouth > 0 || interChip > 0 }
}
