/// How good a placement is: the per-resource lower bound on the number of cores, and how
/// close the placement came to it. Per-core utilisation is ``CoreMapModel/CoreMap/usage()``.
public struct MappingReport: Sendable, Equatable {
  /// Cores the placement uses.
  public var coresUsed: Int
  /// Per resource (compartments, input axons, output axons, synapse words, compartment
  /// profiles, threshold profiles): the total the network needs with every layer whole,
  /// divided by one core's capacity and rounded up (summed over groups of layers with
  /// different vmin/vmax, which cannot share a core). Profiles count the distinct ones of
  /// the group: each must be in the table of at least one core.
  /// Synapse memory counts each source's synapses at the best words-per-synapse rate a
  /// chunk can reach (cutting a list can round to fewer words than keeping it whole).
  public var lowerBounds: [String: Int]
  /// Σ over vmin/vmax groups of the group's largest per-resource bound.
  public var registerGroupBound: Int
  /// How the slices were packed: "first fit" (equal slices, first core with room) or
  /// "fill" (convolutions cut to fill each other's room; used when it needs fewer cores).
  public var packing = "first fit"
  /// Cores the first-fit packing needed (equal to ``coresUsed`` when it was used).
  public var firstFitCores = 0
  /// How each layer given in real units was quantized (empty for integer networks).
  public var quantization: [LayerQuantization] = []
  /// Layers cut because their neurons use more distinct profiles than one core's tables
  /// hold, one sentence each (what they use, what a core holds, into how many slices).
  public var profileNotes: [String] = []
  /// Things that compile but are probably not what was meant (input values clipped by
  /// their encoder), one sentence each.
  public var warnings: [String] = []

  /// No placement can use fewer cores than this.
  public var lowerBound: Int { max(1, registerGroupBound, lowerBounds.values.max() ?? 1) }

  /// Cores used divided by the lower bound.
  public var coreRatio: Double { Double(coresUsed) / Double(lowerBound) }
}
