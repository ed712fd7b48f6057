import CoreMapModel
import LoihiArithmetic

/// The mutable state of one neuro-core and its per-step kernel.
///
/// Each instance is stepped by exactly one worker at a time: during the parallel phase a
/// worker owns the whole core; routing into ``inbox`` happens in the sequential phase.
/// That ownership discipline is why the class can be `@unchecked Sendable`.
final class CoreState: @unchecked Sendable {
  let program: CoreProgram
  /// Current multiplier per compartment: `4095 − decay_u`.
  let currentFactor: [Int32]
  /// Voltage multiplier per compartment: `4096 − decay_v`.
  let voltageFactor: [Int32]

  /// Dendritic accumulator in synaptic units (64 current units). Wrapping 16-bit adds are
  /// exactly the chip's 22-bit accumulator: `64 · wrap16(Σw) = wrap22(Σ 64·w)`.
  var input: [Int16]
  /// Current `u`, 24-bit signed.
  var current: [Int32]
  /// Voltage `v`, within [vmin, vmax].
  var voltage: [Int32]
  /// Refractory steps remaining.
  var refractoryCount: [Int32]
  /// 1 if the compartment spiked in the last step.
  var spiked: [UInt8]
  /// Compartments that spiked in the last step, ascending.
  var spikeList: [Int32] = []
  /// Input axons that received a spike to be delivered in the next step.
  var inbox: [Int32] = []

  var activity = CoreActivity()
  var spikeLog = CoreSpikeLog()
  let recordSpikes: Bool

  init(program: CoreProgram, recordSpikes: Bool) {
    self.program = program
    let n = program.compartmentCount
    currentFactor = program.decayU.map(FixedPoint.currentDecayFactor(decayU:))
    voltageFactor = program.decayV.map(FixedPoint.voltageDecayFactor(decayV:))
    input = [Int16](repeating: 0, count: n)
    current = [Int32](repeating: 0, count: n)
    voltage = [Int32](repeating: 0, count: n)
    refractoryCount = [Int32](repeating: 0, count: n)
    spiked = [UInt8](repeating: 0, count: n)
    self.recordSpikes = recordSpikes
  }

  /// Runs step `t` of this core: deliver the spikes waiting in the inbox, then update every
  /// compartment.
  func step(_ t: Int32) {
    deliverInbox()
    updateCompartments(t)
  }

  /// Phase 1: every spike in the inbox adds its synapse list's weights to the accumulator.
  private func deliverInbox() {
    if inbox.isEmpty { return }
    var ops: Int64 = 0
    program.axonSegmentStart.withUnsafeBufferPointer { segStart in
      program.segments.withUnsafeBufferPointer { segments in
        program.weights.withUnsafeBufferPointer { weights in
          program.sparseTargets.withUnsafeBufferPointer { targets in
            input.withUnsafeMutableBufferPointer { q in
              for axon in inbox {
                let a = Int(axon)
                for s in Int(segStart[a])..<Int(segStart[a + 1]) {
                  let seg = segments[s]
                  let count = Int(seg.count)
                  let w = weights.baseAddress! + Int(seg.weightOffset)
                  let shift = Int16(truncatingIfNeeded: seg.shift)
                  ops &+= Int64(count)
                  if seg.targetOffset < 0 {
                    let dst = q.baseAddress! + Int(seg.firstCompartment)
                    for k in 0..<count {
                      dst[k] &+= Int16(truncatingIfNeeded: w[k]) &<< shift
                    }
                  } else {
                    let idx = targets.baseAddress! + Int(seg.targetOffset)
                    for k in 0..<count {
                      q[Int(idx[k])] &+= Int16(truncatingIfNeeded: w[k]) &<< shift
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    activity.axonInputs &+= Int64(inbox.count)
    activity.synapticOps &+= ops
    inbox.removeAll(keepingCapacity: true)
  }

  /// Phase 2: the compartment update, in the chip's order (see docs/emulator-semantics.md).
  private func updateCompartments(_ t: Int32) {
    let n = program.compartmentCount
    let vmin = program.vmin
    let vmax = program.vmax
    spikeList.removeAll(keepingCapacity: true)
    input.withUnsafeMutableBufferPointer { q in
      current.withUnsafeMutableBufferPointer { u in
        voltage.withUnsafeMutableBufferPointer { v in
          refractoryCount.withUnsafeMutableBufferPointer { ref in
            spiked.withUnsafeMutableBufferPointer { fired in
              currentFactor.withUnsafeBufferPointer { uf in
                voltageFactor.withUnsafeBufferPointer { vf in
                  program.bias.withUnsafeBufferPointer { bias in
                    program.threshold.withUnsafeBufferPointer { vth in
                      program.refractoryDelay.withUnsafeBufferPointer { delay in
                        for c in 0..<n {
                          // Synaptic input this step (22-bit wrap via the 16-bit accumulator).
                          let q0 = Int32(q[c]) &<< ChipFields.weightToCurrentShift
                          q[c] = 0
                          // Current: decay, add input, wrap to 24 bits (stored).
                          let uNew = FixedPoint.wrap(
                            FixedPoint.decay(u[c], by: uf[c]) &+ q0, signedBits: ChipFields.currentBits)
                          u[c] = uNew
                          // Voltage input: current plus bias, wrapped to 24 bits (not stored).
                          let u2 = FixedPoint.wrap(uNew &+ bias[c], signedBits: ChipFields.currentBits)
                          // Voltage: decay, integrate, saturate.
                          var vNew = FixedPoint.decay(v[c], by: vf[c]) &+ u2
                          vNew = min(max(vNew, vmin), vmax)
                          // Refractory: voltage held at 0.
                          var r = ref[c]
                          if r > 0 { vNew = 0 }
                          // Threshold (strict) and hard reset.
                          if vNew > vth[c] {
                            vNew = 0
                            r = delay[c]
                            fired[c] = 1
                            spikeList.append(Int32(c))
                          } else {
                            fired[c] = 0
                          }
                          ref[c] = r > 0 ? r &- 1 : 0
                          v[c] = vNew
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    activity.compartmentUpdates &+= Int64(n)
    activity.spikes &+= Int64(spikeList.count)
    if recordSpikes && !spikeList.isEmpty {
      spikeLog.steps.append(contentsOf: repeatElement(t, count: spikeList.count))
      spikeLog.compartments.append(contentsOf: spikeList)
    }
  }
}
