#!/usr/bin/env python3
"""Time NengoLoihi's chip emulator on a Neuromesh network directory.

    python bench_nengo_loihi.py NETWORK_DIR --steps 1000 [--repeat 3] [--json]

The network is loaded and built with ``neuromesh_nengo_loihi`` (build excluded
from the timing). Only the loop of ``emu.step()`` calls is timed; nothing is read
from the emulator inside it.

Synaptic events count, for every spike that is *delivered* within the run, the
fan-out of its source: the number of synapses on the source's outgoing rows,
i.e. the sum of ``to.size`` over all (dense) connections from that input or layer.
A spike at step t is delivered in step t + 1, so spikes at steps 1 .. steps-1
count and a spike at the last step does not. Input spikes come from the network
file; layer spikes are taken after the timed run from the emulator's own
per-compartment ``spike_count`` minus the last step's ``spiked`` (the emulator
maintains ``spike_count`` every step anyway, so this adds no work to the timed
loop). ``--check`` repeats the run untimed, recording spikes step by step, and
asserts both counts agree.

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


def fan_outs(net):
    """Source name -> number of synapses per spike (sum of target sizes)."""
    sizes = net.sizes()
    out = collections.Counter()
    for conn in net.connections:
        out[conn["from"]] += sizes[conn["to"]]
    return out


def input_events(net, steps, fan):
    spikes = 0
    events = 0
    for inp in net.inputs:
        n = sum(len(idx) for t, idx in inp["spikes"].items() if 1 <= t <= steps - 1)
        spikes += n
        events += n * fan[inp["name"]]
    return spikes, events


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
    if indices in ("intp", "shared"):
        for _, synapse in built.synapses:
            rows = [np.asarray(i, dtype=np.intp) for i in synapse.indices]
            if indices == "shared" and all(np.array_equal(r, rows[0]) for r in rows):
                rows = [rows[0]] * len(rows)
            synapse.indices = rows
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
        delivered[name] = int(comp.spike_count[sl].sum() - comp.spiked[sl].sum())
    emu.close()
    return wall, delivered


def checked_counts(net, steps, seed):
    """Untimed second run recording spikes after every step."""
    res = nnl.run_network(net, steps, seed=seed)
    return {name: int(d["spikes"][: steps - 1].sum()) for name, d in res.layers.items()}


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
    fan = fan_outs(net)

    walls = []
    delivered = None
    for _ in range(args.repeat):
        wall, d = timed_run(net, args.steps, args.seed, args.indices)
        walls.append(wall)
        assert delivered is None or d == delivered, "runs differ"
        delivered = d
    wall = min(walls)

    if args.check:
        recorded = checked_counts(net, args.steps, args.seed)
        assert recorded == delivered, (recorded, delivered)

    in_spikes, in_events = input_events(net, args.steps, fan)
    layer_spikes = sum(delivered.values())
    layer_events = sum(n * fan[name] for name, n in delivered.items())
    events = in_events + layer_events
    n_neurons = sum(l["size"] for l in net.layers)
    n_synapses = sum(c["weights"].size for c in net.connections)

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
        ("layer_spikes_delivered_by_layer", delivered),
        ("synaptic_events", events),
        ("events_per_second", events / wall if wall > 0 else float("inf")),
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
    print("synaptic events: %d" % events)
    print("events/s: %.3f" % report["events_per_second"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
