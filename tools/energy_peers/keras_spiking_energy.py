"""KerasSpiking's ModelEnergy on the keyword spotter, side by side with Neuromesh's estimate.

    bash tools/energy_peers/setup.sh
    tools/energy_peers/.venv/bin/python tools/energy_peers/keras_spiking_energy.py \
        [--neuromesh-energy out/energy.json]

The network is examples/keyword-spotter/ (shapes, dt, encoding and weights read from its
network.json, w1.npy, w2.npy and frames.npy): 390 MFCC values, on/off-encoded at 1 kHz, into
256 -> 256 spiking neurons, 10 steps per inference (Blouw et al. 2019).

How ModelEnergy (keras_spiking/model_energy.py, 0.3.0) counts, per layer:
  * connections: Dense = kernel size (in x out) per output position; SpikingActivation 0.
  * neurons: SpikingActivation = its size; Dense without activation 0. Input layer: nothing.
  * rate: mean |input| of the layer over batch, time and units, from model.predict on
    example_data (a spike of KerasSpiking is 1/dt high, so this is events per second).
  * spiking device: synop energy = E_synop x connections x rate x dt x steps;
    neuron energy = E_neuron x neurons x steps (every neuron, every step, firing or not).
  * non-spiking device (cpu, gpu): rate = 1/dt and steps = 1: one ANN pass per inference.
  Nothing else: no spike routing, no host I/O, no management or static power.

Input layer: Dense 390 -> 256 (w1 as in network.json), fed one signed spike per value per
step (+1/dt for the "on" unit, -1/dt for "off"; ModelEnergy takes |x|, so the rate is 1 kHz).
On Loihi the input is 780 axons ([W, -W]) of which 390 spike each step, each reaching 256
synapses: 99,840 synops per step. Dense 780 -> 256 at 500 Hz per axon gives the same synops
on "loihi" but would double the MACs ModelEnergy charges "cpu"/"gpu", which is not the ANN.

Rates: the input's 1 kHz is measured by ModelEnergy from the encoded frames (exact by
construction). l1's rate is set to 0.09 spikes per neuron per step, the activity of the
Neuromesh emulator (LoihiLIF) on this network: KerasSpiking's SpikingActivation is a
non-leaky integrate-and-fire on a rate function, not Loihi's LIF, so its own measurement
would be of another neuron. It is set in `ModelEnergy.layer_rates`, the dict ModelEnergy
fills from example_data and layer_energy reads. l2's 0.08 enters nothing: ModelEnergy prices
a spike where it arrives (the next layer's synops), and nothing reads l2.
"""
import argparse
import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras_spiking  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EXAMPLE = REPO / "examples" / "keyword-spotter"
LOIHI_SPEC = REPO / "hardware-specs" / "loihi1.json"

STEPS_PER_INFERENCE = 10  # Blouw et al. 2019
L1_SPIKES_PER_STEP = 0.09  # per neuron; docs/energy-model.md (Neuromesh emulator activity)
L2_SPIKES_PER_STEP = 0.08
# Per inference, from docs/energy-model.md ("Checked against silicon: the keyword spotter").
NEUROMESH_DOC = {"per_op": 25.3e-6, "dynamic": 372e-6, "total": 520e-6}
SILICON = {"dynamic": 272e-6, "total": 372e-6}  # Blouw et al. 2019, Wolf Mountain rails
# The sources ModelEnergy cites for its constants (comments in its `devices` table).
KS_SOURCES = {
    "loihi": "Davies et al. 2018, IEEE Micro 38(1) (23.6 pJ and 81 pJ are its Table 2 figures)",
    "cpu": "Degnan, Marr, Hasler 2015, IEEE TVLSI 24(1) (Intel i7-4960X, 1 MAC per op)",
    "gpu": "Degnan, Marr, Hasler 2015, IEEE TVLSI 24(1) (Nvidia GTX Titan Black)",
}


def fmt(joules):
    for unit, scale in (("J", 1), ("mJ", 1e-3), ("µJ", 1e-6), ("nJ", 1e-9)):
        if abs(joules) >= scale:
            return f"{joules / scale:.3g} {unit}"
    return f"{joules / 1e-12:.3g} pJ"


def on_off_spikes(values, dt):
    """One spike per value per step: +1/dt from the "on" unit, -1/dt from the "off" unit.

    "on" fires at (1 + x)/2 per step (an accumulator, as Neuromesh's host encoder), "off"
    in the other steps, i.e. at (1 - x)/2: NengoLoihi's on/off rates at rate x dt = 1.
    """
    acc = np.zeros(values.shape[1])
    out = np.empty(values.shape, np.float32)
    for t, x in enumerate(np.clip(values, -1, 1)):
        acc += (1 + x) / 2
        on = acc >= 1
        acc[on] -= 1
        out[t] = np.where(on, 1.0, -1.0) / dt
    return out


def build(net):
    """The keyword spotter in Keras, with the example's weights (Dense kernels are in x out)."""
    (inp,), (c1, c2) = net["inputs"], net["connections"]
    w1, w2 = (np.load(EXAMPLE / c["weights"]) for c in (c1, c2))
    l1, l2 = net["layers"]
    assert w1.shape == (l1["size"], inp["size"]) and w2.shape == (l2["size"], l1["size"])
    x_in = tf.keras.Input((None, inp["size"]), name=inp["name"])
    syn1 = tf.keras.layers.Dense(l1["size"], use_bias=False, name="mfcc_to_l1")
    syn2 = tf.keras.layers.Dense(l2["size"], use_bias=False, name="l1_to_l2")
    h = keras_spiking.SpikingActivation("relu", dt=net["dt"], name="l1")(syn1(x_in))
    out = keras_spiking.SpikingActivation("relu", dt=net["dt"], name="l2")(syn2(h))
    syn1.set_weights([w1.T])
    syn2.set_weights([w2.T])
    return tf.keras.Model(x_in, out), syn1, syn2


def neuromesh_figures(path):
    """Per-inference per-op, dynamic and total energy (J), and a label for where they are from."""
    if path is None:
        return NEUROMESH_DOC, "docs/energy-model.md", None
    e = json.loads(Path(path).read_text())
    per_inf = e.get("per_inference")
    if per_inf:
        keys = {"per_op": "per_op_joules", "dynamic": "dynamic_joules", "total": "total_joules"}
        return {k: per_inf[v] for k, v in keys.items()}, f"{path} (per_inference)", e
    steps = e.get("steps_per_inference") or STEPS_PER_INFERENCE
    step = e["energy_per_step_joules"]
    figures = {k: step[k] * steps for k in ("per_op", "dynamic", "total")}
    return figures, f"{path} (energy_per_step_joules x {steps})", e


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neuromesh-energy", metavar="PATH",
                        help="energy.json written by `neuromesh run`/`evaluate` on the keyword spotter")
    args = parser.parse_args()
    tf.keras.utils.disable_interactive_logging()  # ModelEnergy's predict progress bar

    net = json.loads((EXAMPLE / "network.json").read_text())
    dt, (inp,) = net["dt"], net["inputs"]
    assert inp["encoding"] == {"kind": "on_off", "rate": 1000} and dt == 1e-3, inp["encoding"]
    frames = np.load(EXAMPLE / inp["values"])  # [steps, 390]
    spikes = on_off_spikes(frames, dt).reshape(-1, STEPS_PER_INFERENCE, inp["size"])

    model, syn1, syn2 = build(net)
    energy = keras_spiking.ModelEnergy(model, example_data=spikes)
    input_rate = energy.layer_rates[syn1]
    energy.layer_rates[syn2] = L1_SPIKES_PER_STEP / dt  # see the docstring

    print(f"KerasSpiking {keras_spiking.__version__} ModelEnergy (TensorFlow {tf.__version__}) on "
          f"examples/keyword-spotter: {inp['size']} on/off-encoded values -> "
          + " -> ".join(str(layer["size"]) for layer in net["layers"])
          + f", dt = {dt * 1e3:g} ms, {STEPS_PER_INFERENCE} steps per inference\n")
    print("Rates ModelEnergy uses (input rate of each layer that has connections):")
    print(f"  mfcc -> l1: {input_rate:g} Hz = {input_rate * dt:g} spike per value per step "
          f"(measured by ModelEnergy from the encoded frames.npy, {len(spikes)} inferences)")
    print(f"  l1 -> l2:   {L1_SPIKES_PER_STEP / dt:g} Hz = {L1_SPIKES_PER_STEP} spikes per neuron "
          "per step (set: the Neuromesh emulator's l1 activity)")
    print(f"  l2:         {L2_SPIKES_PER_STEP / dt:g} Hz = {L2_SPIKES_PER_STEP} (enters nothing: "
          "no layer reads l2's spikes)\n")
    energy.summary(columns=("name", "params", "connections", "neurons", "synop_energy loihi",
                            "neuron_energy loihi", "energy loihi"),
                   timesteps_per_inference=STEPS_PER_INFERENCE, dt=dt, line_length=120,
                   print_warnings=False)

    results = print_devices(energy, model, dt)
    nm, nm_source, nm_file = neuromesh_figures(args.neuromesh_energy)
    print_side_by_side(results["loihi"], nm, nm_source, nm_file)
    print_what_counts(energy.devices["loihi"], nm_file, args.neuromesh_energy)


def print_devices(energy, model, dt):
    """ModelEnergy's estimate on loihi, cpu and gpu; returns J per inference by device."""
    print("\n| device | E per synop | E per neuron update | synops per step | neuron updates per step "
          "| energy per step | per inference |")
    print("|---|---|---|---|---|---|---|")
    stats = [energy.layer_stats[layer] for layer in model.layers]
    neurons = sum(s["neurons"] for s in stats)
    results = {}
    for device in ("loihi", "cpu", "gpu"):
        d = energy.devices[device]
        per_inf = energy.total_energy(device, timesteps_per_inference=STEPS_PER_INFERENCE, dt=dt)
        results[device] = per_inf
        if d["spiking"]:
            synops = sum(energy.layer_stats[layer]["connections"] * energy.layer_rates[layer] * dt
                         for layer in model.layers)
            step = fmt(energy.total_energy(device, timesteps_per_inference=1, dt=dt))
            row = f"{synops:,.0f} | {neurons} | {step} | {fmt(per_inf)}"
        else:
            macs = sum(s["connections"] for s in stats)
            row = (f"{macs:,} MACs per inference | {neurons} per inference | — | "
                   f"{fmt(per_inf)} (one ANN pass)")
        print(f"| {device} | {fmt(d['energy_per_synop'])} | {fmt(d['energy_per_neuron'])} | {row} |")
    print("\nConstants cited in ModelEnergy's source: "
          + "; ".join(f"{k}: {v}" for k, v in KS_SOURCES.items()))
    return results


def print_side_by_side(ks, nm, nm_source, nm_file):
    print(f"\nPer inference ({STEPS_PER_INFERENCE} steps). Neuromesh: {nm_source}; "
          "silicon: Blouw et al. 2019 (measured).\n")
    print("| per inference | KerasSpiking `loihi` | Neuromesh | measured silicon | KerasSpiking / Neuromesh "
          "| KerasSpiking / silicon |")
    print("|---|---|---|---|---|---|")
    print(f"| per-op terms (Table-2 style) | {fmt(ks)} | {fmt(nm['per_op'])} | — | "
          f"{ks / nm['per_op']:.2f} | — |")
    print(f"| dynamic (per-op + management) | {fmt(ks)} (no such term) | {fmt(nm['dynamic'])} | "
          f"{fmt(SILICON['dynamic'])} | {ks / nm['dynamic']:.3f} | {ks / SILICON['dynamic']:.3f} |")
    print(f"| total (+ static) | {fmt(ks)} (no such term) | {fmt(nm['total'])} | "
          f"{fmt(SILICON['total'])} | {ks / nm['total']:.3f} | {ks / SILICON['total']:.3f} |")
    if nm_file:
        c, steps = nm_file["counts"], nm_file["steps"]
        print(f"\nNeuromesh counts per step ({steps} steps): " + ", ".join(
            f"{k} {c[k] / steps:,.1f}" for k in
            ("synaptic_ops", "active_updates", "inactive_updates", "spikes", "spike_messages",
             "host_messages")))


def print_what_counts(loihi, nm_file, nm_path):
    """The terms each tool prices on Loihi, with the figures it uses."""
    spec, spec_source = (nm_file or {}).get("priced_with"), f"{nm_path} priced_with"
    if not spec:
        spec, spec_source = json.loads(LOIHI_SPEC.read_text())["energy"], "hardware-specs/loihi1.json"
    pj = lambda key: f"{spec[key]['pJ']:g} pJ"  # noqa: E731
    mw = lambda key: f"{spec[key]['mW']:g} mW"  # noqa: E731
    print("\nWhat each counts (loihi). KerasSpiking: keras_spiking/model_energy.py `devices`; "
          f"Neuromesh: {spec_source} (Davies 2018 Table 2, Blouw 2019).\n")
    print("| term | KerasSpiking `loihi` | Neuromesh |")
    print("|---|---|---|")
    print(f"| synaptic op | {fmt(loihi['energy_per_synop'])} = (23.6 + 3.5) pJ x connections x "
          f"mean input rate x dt | {pj('synaptic_op')} per synapse reached by a delivered spike |")
    print(f"| neuron update | {fmt(loihi['energy_per_neuron'])}, every neuron every step | "
          f"{pj('active_update')} active / {pj('inactive_update')} idle compartment update |")
    print(f"| spikes and mesh | — | {pj('spike_within_tile')} per message, {pj('hop_east_west')} / "
          f"{pj('hop_north_south')} per E-W / N-S tile hop, {pj('chip_crossing')} per chip crossing |")
    print(f"| host (input) messages | — (input spikes are free) | {pj('host_spike')} each, "
          f"{spec['host_spike']['ns']:g} ns each in the step time |")
    print(f"| management (embedded x86) | — | {mw('management_power')} per chip in use x chip time |")
    print(f"| static | — | {mw('static_power_per_chip')} per chip in use x chip time |")
    print("\n(23.6 + 3.5) pJ: 23.6 pJ is Table 2's energy per synaptic spike op; ModelEnergy's source "
          "does not say what the 3.5 is (Table 2's 3.5 is the 3.5 ns time per synaptic op).")


if __name__ == "__main__":
    main()
