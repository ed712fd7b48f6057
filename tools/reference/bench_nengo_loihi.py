#!/usr/bin/env python3
"""Time NengoLoihi's chip emulator on a Neuromesh network directory.

    python bench_nengo_loihi.py NETWORK_DIR --steps 1000 [--repeat 3] [--json]

The network is loaded and built with ``neuromesh_nengo_loihi`` (build excluded
from the timing). Only the loop of ``emu.step()`` calls is timed; nothing is read
from the emulator inside it.

Synaptic events count, for every spike that is *delivered* within the run, the
fan-out of its source neuron: the number of synapses on that neuron's outgoing lists,
summed over all connections from its input or layer. For a dense connection that is the
target layer's size (every weight is a synapse, zeros included); for a conv2d connection
it is the length of the neuron's sparse list, i.e. the targets its kernel reaches with a
nonzero Wgt (fewer at the borders), read from the built NengoLoihi ``Synapse``s
themselves. This is how Neuromesh counts ``synaptic_events``.
A spike at step t is delivered in step t + 1, so spikes at steps 1 .. steps-1
count and a spike at the last step does not. Input spikes come from the network
file; layer spikes are taken per neuron after the timed run from the emulator's own
per-compartment ``spike_count`` minus the last step's ``spiked`` (the emulator
maintains ``spike_count`` every step anyway, so this adds no work to the timed
loop). ``--check`` repeats the run untimed, recording spikes step by step, and
asserts both counts agree, neuron by neuron.

The last line of the plain output is ``events/s: <float>``; ``--json`` prints one
JSON object instead.
"""

import argparse
import collections
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import neuromesh_nengo_loihi as nnl  # noqa: E402


def fan_outs(built):
    """Source name -> int64 array [size]: synapses reached by one spike of each neuron.

    Read from the built model: for every connection, the length of each input axon's
    weight list (axon i = source neuron i), summed over the connections from a source.
    """
    sizes = built.network.sizes()
    out = {}
    for conn, synapse in built.synapses:
        fan = out.setdefault(conn["from"], np.zeros(sizes[conn["from"]], dtype=np.int64))
        fan += np.array([w.shape[1] for w in synapse.weights], dtype=np.int64)
    return out


def input_spikes_per_neuron(net, steps):
    """Input name -> int64 array [size]: spikes at steps 1 .. steps-1 (delivered)."""
    out = {}
    for inp in net.inputs:
        n = np.zeros(inp["size"], dtype=np.int64)
        for t, idx in inp["spikes"].items():
            if 1 <= t <= steps - 1:
                np.add.at(n, np.asarray(idx, dtype=np.intp), 1)
        out[inp["name"]] = n
    return out


def events(spikes_per_neuron, fan):
    """Synaptic events: sum over sources of (delivered spikes per neuron) . (fan-out)."""
    return sum(int(np.dot(n, fan[name])) for name, n in spikes_per_neuron.items() if name in fan)


def timed_run(net, steps, seed, indices="shared"):
    built = nnl.build_model(net)
    # NengoLoihi adds each spike's weights with numpy fancy indexing
    # (`qb[0, base + indices] += weights`). The index arrays are the peer's to choose,
    # the network is the same either way:
    #  - int32 (what `Synapse._set_weights_indices` makes) is converted to the
    #    platform's intp on every spike;
    #  - intp skips that conversion (5-10 % faster here);
    #  - shared hands every axon of a dense synapse the same intp array (its rows are
    #    all 0 .. n-1), so the indices stay in cache: another 10-15 %. The default:
    #    the peer at its best.
    #  A conv2d synapse's lists differ from axon to axon, so it gets intp under "shared".
    if indices in ("intp", "shared"):
        for _, synapse in built.synapses:
            rows = [np.asarray(i, dtype=np.intp) for i in synapse.indices]
            if indices == "shared" and all(np.array_equal(r, rows[0]) for r in rows):
                rows = [rows[0]] * len(rows)
            synapse.indices = rows
    fan = fan_outs(built)
    emu = nnl.make_emulator(built, seed=seed)
    step = emu.step
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow warnings (strict = False)
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        wall = time.perf_counter() - t0
    comp = emu.compartment
    delivered = {}
    for name, block in built.blocks.items():
        sl = emu.block_info.slices[block]
        # spikes at steps 1 .. steps-1 = all spikes minus those of the last step
        delivered[name] = (comp.spike_count[sl].astype(np.int64)
                           - comp.spiked[sl].astype(np.int64))
    emu.close()
    return wall, delivered, fan


def checked_counts(net, steps, seed):
    """Untimed second run recording spikes after every step: name -> spikes per neuron."""
    res = nnl.run_network(net, steps, seed=seed)
    return {name: d["spikes"][: steps - 1].sum(axis=0, dtype=np.int64)
            for name, d in res.layers.items()}


def same_counts(a, b):
    """Two name -> per-neuron count maps hold the same names and counts."""
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Benchmark NengoLoihi's emulator on a network.")
    ap.add_argument("network", help="network directory (with network.json) or JSON file")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=1, help="timed runs; the fastest is reported")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", action="store_true",
                    help="also count layer spikes in a separate, per-step recorded run")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--indices", choices=("shared", "intp", "int32"), default="shared",
                    help="synapse index arrays handed to the emulator (shared: its fastest)")
    args = ap.parse_args(argv)
    if args.steps < 1 or args.repeat < 1:
        ap.error("--steps and --repeat must be >= 1")

    t_load = time.perf_counter()
    net = nnl.load_network(args.network)
    load_s = time.perf_counter() - t_load

    walls = []
    delivered = None
    for _ in range(args.repeat):
        wall, d, fan = timed_run(net, args.steps, args.seed, args.indices)
        walls.append(wall)
        assert delivered is None or same_counts(d, delivered), "runs differ"
        delivered = d
    wall = min(walls)

    if args.check:
        recorded = checked_counts(net, args.steps, args.seed)
        assert same_counts(recorded, delivered), (
            {k: int(v.sum()) for k, v in recorded.items()},
            {k: int(v.sum()) for k, v in delivered.items()})

    inputs = input_spikes_per_neuron(net, args.steps)
    in_spikes = sum(int(n.sum()) for n in inputs.values())
    in_events = events(inputs, fan)
    layer_spikes = sum(int(n.sum()) for n in delivered.values())
    layer_events = events(delivered, fan)
    total_events = in_events + layer_events
    n_neurons = sum(l["size"] for l in net.layers)
    n_synapses = sum(int(f.sum()) for f in fan.values())

    report = collections.OrderedDict([
        ("network", os.path.abspath(args.network)),
        ("reference", "nengo-loihi EmulatorInterface"),
        ("indices", args.indices),
        ("steps", args.steps),
        ("neurons", n_neurons),
        ("synapses", n_synapses),
        ("wall_seconds", wall),
        ("wall_seconds_all", walls),
        ("steps_per_second", args.steps / wall if wall > 0 else float("inf")),
        ("input_spikes_delivered", in_spikes),
        ("layer_spikes_delivered", layer_spikes),
        ("layer_spikes_delivered_by_layer", {k: int(v.sum()) for k, v in delivered.items()}),
        ("synaptic_events", total_events),
        ("events_per_second", total_events / wall if wall > 0 else float("inf")),
        ("load_seconds", load_s),
    ])
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print("network:        %s" % report["network"])
    print("neurons:        %d   synapses: %d" % (n_neurons, n_synapses))
    print("steps:          %d" % args.steps)
    print("wall seconds:   %.6f%s" % (wall, "  (fastest of %d)" % len(walls) if len(walls) > 1 else ""))
    print("steps/s:        %.3f" % report["steps_per_second"])
    print("spikes delivered: input %d, layers %d" % (in_spikes, layer_spikes))
    print("synaptic events: %d" % total_events)
    print("events/s: %.3f" % report["events_per_second"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
