/// One compartment's update in phase 2 of a step (docs/emulator-semantics.md, "One
/// timestep"): the one definition of the chip's neuron dynamics. The emulator's core loop
/// calls it for every compartment, and training's spiking forward pass calls the same
/// function, so the two cannot drift apart.
public enum CompartmentDynamics {
  /// Advances one compartment by one step and returns whether it spiked.
  ///
  /// - Parameters:
  ///   - u: the current, 24-bit signed; decayed, given `input`, wrapped and stored.
  ///   - v: the voltage; decayed, given `u + bias` (wrapped), clamped to `vmin ... vmax`,
  ///     held at 0 while refractory, reset to 0 on a spike.
  ///   - refractory: steps the voltage is still held; set to `refractoryDelay` on a spike,
  ///     then counted down.
  ///   - input: this step's synaptic input in current units (`64 · wrap16(Σ units)`).
  ///   - currentFactor: `4095 − decay_u`; `voltageFactor`: `4096 − decay_v`.
  ///   - threshold: `vth_mant << 6`; the spike test is strict (`v > threshold`).
  @inline(__always)
  public static func step(
    current u: inout Int32, voltage v: inout Int32, refractory: inout Int32, input: Int32, currentFactor: Int32, voltageFactor: Int32,
    bias: Int32, threshold: Int32, refractoryDelay: Int32, vmin: Int32, vmax: Int32
  ) -> Bool {
    advance(
      current: &u, voltage: &v, refractory: &refractory, input: input, currentFactor: currentFactor, voltageFactor: voltageFactor,
      bias: bias, threshold: threshold, refractoryDelay: refractoryDelay, vmin: vmin, vmax: vmax
    ).spiked
  }

  /// ``step(current:voltage:refractory:input:currentFactor:voltageFactor:bias:threshold:refractoryDelay:vmin:vmax:)``,
  /// also returning the voltage the step integrated to before the refractory hold and the
  /// reset (what a surrogate gradient is taken at).
  @inline(__always)
  public static func advance(
    current u: inout Int32, voltage v: inout Int32, refractory: inout Int32, input: Int32, currentFactor: Int32, voltageFactor: Int32,
    bias: Int32, threshold: Int32, refractoryDelay: Int32, vmin: Int32, vmax: Int32
  ) -> (spiked: Bool, integrated: Int32) {
    // Current: decay toward zero, add the input, wrap to 24 bits (stored).
    let uNew = FixedPoint.wrap(FixedPoint.decay(u, by: currentFactor) &+ input, signedBits: ChipFields.currentBits)
    u = uNew
    // Voltage input: current plus bias, wrapped to 24 bits (not stored).
    let u2 = FixedPoint.wrap(uNew &+ bias, signedBits: ChipFields.currentBits)
    // Voltage: decay toward zero, integrate, saturate at [vmin, vmax].
    let integrated = min(max(FixedPoint.decay(v, by: voltageFactor) &+ u2, vmin), vmax)
    var vNew = integrated
    // Refractory: the voltage is held at 0.
    var r = refractory
    if r > 0 { vNew = 0 }
    // Threshold (strict) and hard reset to 0.
    let spiked = vNew > threshold
    if spiked {
      vNew = 0
      r = refractoryDelay
    }
    refractory = r > 0 ? r &- 1 : 0
    v = vNew
    return (spiked, integrated)
  }
}

/// One unit of the host's spiking encoder in one step: it adds its increment (rate·dt in
/// units of 2⁻²⁴) and spikes when the sum reaches 2²⁴, keeping the rest — the one definition,
/// run by the emulator and by training.
public enum EncoderDynamics {
  /// The accumulator threshold: 2^24.
  public static let threshold: Int32 = 1 << 24

  /// Advances one encoder unit; returns whether it spiked.
  @inline(__always)
  public static func step(accumulator: inout Int32, increment: Int32) -> Bool {
    var v = accumulator &+ increment
    let spiked = v >= threshold
    if spiked { v -= threshold }
    accumulator = v
    return spiked
  }
}
