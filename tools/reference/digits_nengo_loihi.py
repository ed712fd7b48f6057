#!/usr/bin/env python3
"""Evaluate a Neuromesh version-2 dense network on NengoLoihi's emulator over a data set.

    python digits_nengo_loihi.py NETWORK.json --inputs X.npy [--labels Y.npy]
        [--steps-per-sample T] [--skip K] [--limit N] [--readout spikes|current|both]
        [--presentation fresh|continuous|both] [--fresh-methods new-sim,batched,reinit,reset]
        [--batch B] [--input node|encoder] [--decode-tau layer|nengo|SECONDS]
        [--repeat R] [--check-fresh K] [--no-lean-build] [--layer-counts] [--offset S]
        [--neuromesh BINARY [--neuromesh-board SPEC.json]] [--save DIR] [--json]

The network (``docs/network-format.md``, "Real-valued inputs" and "Real-valued layers
(version 2)") must have one real-valued input, real-valued ``LoihiSpikingRectifiedLinear``
or ``LoihiLIF`` layers and dense connections. It is built the way a NengoLoihi user builds
it, from Nengo objects, and run with ``nengo_loihi.Simulator(net, dt, target="sim")``
(NengoLoihi's own discretization and chip emulator):

* every layer is ``nengo.Ensemble(n, 1, neuron_type=LoihiSpikingRectifiedLinear(amplitude)
  or LoihiLIF(tau_rc, tau_ref, min_voltage, amplitude), gain=..., bias=...)``;
* every connection is ``nengo.Connection(pre.neurons, post.neurons, transform=W,
  synapse=Lowpass(tau_s of post) or None)``;
* the input, ``--input node`` (default): a ``nengo.Node`` connected to the first layer's
  ``.neurons`` with ``transform=W, synapse=None``. NengoLoihi then encodes the node's values
  itself (host-side on/off ``SpikingRectifiedLinear`` pairs at rate·(1 ± x)/2 with rate =
  1/dt, weights ``[W, -W]`` on chip), whatever encoding the network file names. It filters
  that connection on chip with ``Model.decode_tau`` (NengoLoihi's default 5 ms, not the
  target's ``tau_s``); ``--decode-tau layer`` (default) sets it to the target layer's
  ``tau_s`` (the network file's meaning), ``--decode-tau nengo`` keeps 5 ms.
  ``--input encoder``: the network file's own encoder, as an off-chip Nengo ensemble of
  ``SpikingRectifiedLinear`` units (amplitude 1/rate, zero initial voltage) whose spikes
  NengoLoihi sends to the chip unchanged; ``spiking`` = one unit per value at rate·x,
  ``on_off`` = on/off units at rate·(1 ± x)/2 with ``[W, -W]``. This is the closest
  counterpart of Neuromesh's host encoder.

Readouts, over the last T - K steps of every sample: ``spikes`` = the output layer's spike
counts (``nengo.Probe(out.neurons)``); ``current`` = its mean input current J = u + bias in
Nengo's units, from ``nengo.Probe(out.neurons, "input")`` (the chip's integer u, without
bias) divided by NengoLoihi's discretization scale of that layer
(``compartment.discretize_info["b_scale"]``) plus the chip's discretized bias - the
non-spiking readout ``neuromesh evaluate --readout current`` gives. The prediction is the
first neuron with the largest readout; a sample whose largest value is shared is a tie.

Presentations (each timed ``--repeat`` times; load average recorded with each timing):

* fresh, every sample from a zero state. NengoLoihi 1.1.0's ``Simulator.reset()`` raises
  ``NotImplementedError``, so a zero state needs a new ``Simulator`` (a full Nengo build and
  discretization). Methods: ``new-sim`` (one Simulator per sample), ``batched`` (one
  Simulator per B samples, holding B independent copies of the network - exactly the
  single-sample result per copy), ``reinit`` (one Simulator with B copies built once; between
  batches the host simulator is reset with Nengo's ``reset()``, the queued input spikes are
  dropped and a new ``EmulatorInterface`` is made from the already built model - NengoLoihi
  internals, not its public API), ``reset`` (tries ``sim.reset()`` and reports the error).
  ``--check-fresh K`` compares every method's readouts of the first K samples with
  brand-new single-sample Simulators built the plain way (they must be identical; the exit
  status is 1 otherwise). Builds are "lean" unless ``--no-lean-build``: Nengo's config
  default ``Ensemble.n_eval_points = 1`` while the Simulator builds, which skips sampling
  evaluation points for NengoLoihi's host-side on/off ensembles (never decoded from, so
  unused) - about 60 % of a build - and changes no result.
* continuous: one Simulator, all samples back to back through
  ``nengo.processes.PresentInput(images, presentation_time=T*dt)``, state carried over.

``--neuromesh BINARY`` runs ``BINARY evaluate`` on the same samples (same T, K, readout and
presentation) and compares its readouts with NengoLoihi's sample by sample.

Images/s exclude imports and one-time builds that later samples reuse (reinit, continuous:
reported separately) but include every build a fresh state needs (new-sim, batched).

NengoLoihi is used as a library only; none of its code is copied here.
"""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

NEURON_MODELS = ("LoihiLIF", "LoihiSpikingRectifiedLinear")
REAL_KEYS = (
    "model", "tau_rc", "tau_ref", "tau_s", "gain", "bias", "max_rates", "intercepts",
    "amplitude", "min_voltage",
)
INTEGER_KEYS = (
    "decay_u", "decay_v", "vth_mant", "bias_mant", "bias_exp", "refract_delay", "vmin", "vmax",
)
FRESH_METHODS = ("new-sim", "batched", "reinit", "reset")


class NetworkError(Exception):
    pass


# --------------------------------------------------------------------------- network file


def _array(value, base, where, size=None):
    """A number, a (nested) list or a .npy path (relative to the network file's folder)."""
    if isinstance(value, str):
        path = os.path.join(base, value)
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise NetworkError(f"{where}: cannot read {path}: {e}")
    else:
        arr = np.asarray(value)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise NetworkError(f"{where}: expected numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if size is not None:
        if arr.ndim == 0:
            arr = np.full(size, float(arr))
        elif arr.shape != (size,):
            raise NetworkError(f"{where}: expected one number or {size} numbers, got shape {arr.shape}")
    return arr


def _size(obj, where):
    size = obj.get("size")
    shape = obj.get("shape")
    if shape is not None:
        n = int(np.prod(shape))
        if size is not None and size != n:
            raise NetworkError(f"{where}: size {size} does not match shape {shape}")
        size = n
    if not isinstance(size, int) or size < 1:
        raise NetworkError(f"{where}: needs a positive size or shape")
    return size


def load_network(path):
    """Reads the subset of format version 2 this tool runs; refuses the rest by name."""
    base = os.path.dirname(os.path.abspath(path))
    with open(path) as f:
        doc = json.load(f)
    if doc.get("version") != 2:
        raise NetworkError(f"{path}: version {doc.get('version')!r}: this tool reads version 2 files")
    dt = float(doc.get("dt", 0.001))

    inputs = doc.get("inputs", [])
    real = [i for i in inputs if i.get("kind") == "real"]
    if len(real) != 1 or len(inputs) != 1:
        raise NetworkError(f"{path}: inputs: exactly one input of kind \"real\" is supported")
    inp = real[0]
    enc = inp.get("encoding", {}) or {}
    encoding = enc.get("kind", "on_off")
    if encoding not in ("on_off", "spiking"):
        raise NetworkError(f"{path}: inputs[0].encoding.kind: {encoding!r}")
    rate = float(enc.get("rate", 1.0 / dt))
    if not (0 < rate <= 1.0 / dt * (1 + 1e-12)):
        raise NetworkError(f"{path}: inputs[0].encoding.rate: {rate} is not in (0, 1/dt]")
    net = {
        "name": doc.get("name", os.path.basename(path)),
        "dt": dt,
        "input": {"name": inp["name"], "size": _size(inp, f"{path}: inputs[0]"),
                  "encoding": encoding, "rate": rate},
        "layers": [],
        "connections": [],
    }

    names = {inp["name"]}
    for k, layer in enumerate(doc["layers"]):
        where = f"{path}: layers[{k}]"
        if layer.get("kind", "neurons") != "neurons":
            raise NetworkError(f"{where}: kind {layer['kind']!r}: only neuron layers (dense networks) are supported")
        neuron = layer["neuron"]
        model = neuron.get("model")
        if model not in NEURON_MODELS:
            raise NetworkError(f"{where}.neuron.model: {model!r}")
        if any(key in neuron for key in INTEGER_KEYS):
            raise NetworkError(f"{where}.neuron: integer (chip) parameters: only real-valued layers are supported")
        unknown = set(neuron) - set(REAL_KEYS)
        if unknown:
            raise NetworkError(f"{where}.neuron: unknown keys {sorted(unknown)}")
        n = _size(layer, where)
        lif = model == "LoihiLIF"
        spec = {
            "name": layer["name"], "size": n, "model": model,
            "tau_rc": float(neuron.get("tau_rc", 0.02)),
            "tau_ref": float(neuron.get("tau_ref", 0.002 if lif else 0.0)),
            "tau_s": float(neuron.get("tau_s", 0.0)),
            "amplitude": float(neuron.get("amplitude", 1.0)),
            "min_voltage": float(neuron.get("min_voltage", 0.0)),
        }
        if not lif and spec["tau_ref"] != 0:
            raise NetworkError(f"{where}.neuron.tau_ref: LoihiSpikingRectifiedLinear has no refractory period in NengoLoihi")
        if ("max_rates" in neuron) != ("intercepts" in neuron):
            raise NetworkError(f"{where}.neuron: max_rates and intercepts go together")
        if "max_rates" in neuron:
            if "gain" in neuron or "bias" in neuron:
                raise NetworkError(f"{where}.neuron: give gain/bias or max_rates/intercepts, not both")
            spec["max_rates"] = _array(neuron["max_rates"], base, f"{where}.neuron.max_rates", n)
            spec["intercepts"] = _array(neuron["intercepts"], base, f"{where}.neuron.intercepts", n)
        else:
            spec["gain"] = _array(neuron.get("gain", 1.0), base, f"{where}.neuron.gain", n)
            spec["bias"] = _array(neuron.get("bias", 0.0), base, f"{where}.neuron.bias", n)
        if layer["name"] in names:
            raise NetworkError(f"{where}: duplicate name {layer['name']!r}")
        names.add(layer["name"])
        net["layers"].append(spec)

    sizes = {net["input"]["name"]: net["input"]["size"]}
    sizes.update({l["name"]: l["size"] for l in net["layers"]})
    layer_names = {l["name"] for l in net["layers"]}
    for k, conn in enumerate(doc.get("connections", [])):
        where = f"{path}: connections[{k}]"
        if conn.get("kind", "dense") != "dense":
            raise NetworkError(f"{where}: kind {conn['kind']!r}: only dense connections are supported")
        src, dst = conn["from"], conn["to"]
        if src not in sizes or dst not in layer_names:
            raise NetworkError(f"{where}: unknown from/to {src!r} -> {dst!r}")
        if "weight_exp" in conn or "weight_bits" in conn:
            raise NetworkError(f"{where}: weight_exp/weight_bits belong to integer layers")
        w = _array(conn["weights"], base, f"{where}.weights")
        if w.shape != (sizes[dst], sizes[src]):
            raise NetworkError(f"{where}.weights: shape {w.shape}, expected [{sizes[dst]}, {sizes[src]}]")
        net["connections"].append({"from": src, "to": dst, "weights": w})
    if not any(c["from"] == net["input"]["name"] for c in net["connections"]):
        raise NetworkError(f"{path}: nothing reads the input {net['input']['name']!r}")
    return net


def default_readout_layer(net):
    read = {c["from"] for c in net["connections"]}
    tails = [l["name"] for l in net["layers"] if l["name"] not in read]
    if len(tails) != 1:
        raise NetworkError(f"no single output layer (layers nothing reads from: {tails}); use --readout-layer")
    return tails[0]


def input_tau(net):
    """tau_s of the layers the input feeds (one value: NengoLoihi's decode_tau is global)."""
    taus = {l["tau_s"] for l in net["layers"]
            if any(c["from"] == net["input"]["name"] and c["to"] == l["name"] for c in net["connections"])}
    if len(taus) != 1:
        raise NetworkError(f"the layers fed by the input have different tau_s {sorted(taus)}; "
                           "NengoLoihi has one decode_tau")
    return taus.pop()


# --------------------------------------------------------------------------- Nengo network


def build(net, opts, values, copies):
    """A Nengo network with `copies` independent copies of `net`.

    `values(c)` gives copy c's input Node output (an array, a callable or a Process).
    Returns (network, [per-copy handles]) where handles hold the output probes.
    """
    import nengo
    import nengo_loihi
    from nengo.dists import Choice
    from nengo_loihi.neurons import LoihiLIF, LoihiSpikingRectifiedLinear

    dt = net["dt"]
    inp = net["input"]
    handles = []
    with nengo.Network(seed=0) as model:
        nengo_loihi.add_params(model)
        for c in range(copies):
            node = nengo.Node(values(c), size_out=inp["size"], label=f"{inp['name']}[{c}]")
            ens = {}
            for l in net["layers"]:
                if l["model"] == "LoihiLIF":
                    ntype = LoihiLIF(tau_rc=l["tau_rc"], tau_ref=l["tau_ref"],
                                     min_voltage=l["min_voltage"], amplitude=l["amplitude"])
                else:
                    ntype = LoihiSpikingRectifiedLinear(amplitude=l["amplitude"])
                tuning = ({"max_rates": l["max_rates"], "intercepts": l["intercepts"]}
                          if "max_rates" in l else {"gain": l["gain"], "bias": l["bias"]})
                ens[l["name"]] = nengo.Ensemble(l["size"], 1, neuron_type=ntype,
                                                label=f"{l['name']}[{c}]", **tuning)
            # the input as the chip sees it: (object, per-connection weight map)
            if opts.input == "node":
                source, widen = node, (lambda w: w)
            else:
                n, rate = inp["size"], inp["rate"]
                onoff = inp["encoding"] == "on_off"
                units = nengo.Ensemble(
                    2 * n if onoff else n, 1,
                    neuron_type=nengo.SpikingRectifiedLinear(
                        amplitude=1.0 / rate, initial_state={"voltage": Choice([0])}),
                    gain=np.ones(2 * n if onoff else n),
                    bias=np.full(2 * n, rate / 2) if onoff else np.zeros(n),
                    label=f"{inp['name']}-encoder[{c}]")
                model.config[units].on_chip = False
                if onoff:
                    clipped = nengo.Node(lambda t, x: np.clip(x, -1, 1), size_in=n)
                    nengo.Connection(node, clipped, synapse=None)
                    eye = np.eye(n) * (rate / 2)
                    nengo.Connection(clipped, units.neurons, transform=np.vstack([eye, -eye]), synapse=None)
                    widen = lambda w: np.hstack([w, -w])  # noqa: E731
                else:
                    clipped = nengo.Node(lambda t, x: np.clip(x, 0, 1), size_in=n)
                    nengo.Connection(node, clipped, synapse=None)
                    nengo.Connection(clipped, units.neurons, transform=rate, synapse=None)
                    widen = lambda w: w  # noqa: E731
                source = units.neurons
            for conn in net["connections"]:
                post = ens[conn["to"]]
                tau = next(l["tau_s"] for l in net["layers"] if l["name"] == conn["to"])
                if conn["from"] == inp["name"]:
                    syn = None if opts.input == "node" else (nengo.Lowpass(tau) if tau > 0 else None)
                    nengo.Connection(source, post.neurons, transform=widen(conn["weights"]), synapse=syn)
                else:
                    nengo.Connection(ens[conn["from"]].neurons, post.neurons, transform=conn["weights"],
                                     synapse=nengo.Lowpass(tau) if tau > 0 else None)
            out = ens[opts.readout_layer]
            h = {"out": out}
            if "spikes" in opts.kinds:
                h["spikes"] = nengo.Probe(out.neurons)
            if "current" in opts.kinds:
                h["current"] = nengo.Probe(out.neurons, "input")
            if opts.layer_counts:
                h["layers"] = {name: nengo.Probe(e.neurons) for name, e in ens.items()}
            handles.append(h)
    return model, handles


def make_sim(net, opts, model, lean=None):
    """``nengo_loihi.Simulator(model, dt, target="sim")`` with ``Model.decode_tau`` set.

    lean (default ``opts.lean_build``): build with Nengo's config default
    ``Ensemble.n_eval_points = 1``. The only ensembles that would use evaluation points are
    NengoLoihi's own host-side on/off ensembles (one per Node -> chip connection, 64-D here),
    whose spikes go to the chip undecoded, so the points are never used; sampling them is
    most of the build time. ``--check-fresh`` compares against builds without it.
    """
    import nengo
    import nengo_loihi

    builder_model = nengo_loihi.builder.Model(dt=net["dt"])
    builder_model.decode_tau = opts.decode_tau_value
    lean = opts.lean_build if lean is None else lean
    with contextlib.ExitStack() as stack:
        if lean:
            cfg = stack.enter_context(nengo.Config(nengo.Ensemble))
            cfg[nengo.Ensemble].n_eval_points = 1
        return nengo_loihi.Simulator(model, dt=net["dt"], target="sim", model=builder_model, seed=0)


def _blocks(sim, ens):
    blocks = sim.model.objs[ens.neurons]["in"]
    return blocks if isinstance(blocks, (list, tuple)) else [blocks]


def readouts(sim, net, opts, handles, samples, offset=0):
    """Per copy (or per sample window for continuous) readouts over the window [skip, T)."""
    T, K = opts.steps, opts.skip
    dt = net["dt"]
    res = {k: [] for k in opts.kinds}
    if opts.layer_counts:
        res["layers"] = {l["name"]: [] for l in net["layers"]}
    amps = {l["name"]: l["amplitude"] for l in net["layers"]}

    def windows(data):
        # data rows = steps 1, 2, ...; sample s owns rows offset + s*T .. offset + s*T + T - 1
        w = data[offset: offset + samples * T].reshape(samples, T, -1)
        return w[:, K:, :]

    for h in handles:
        if "spikes" in h:
            spk = windows(np.asarray(sim.data[h["spikes"]]))
            res["spikes"].append(np.rint(spk * dt / amps[opts.readout_layer]).sum(axis=1))
        if "current" in h:
            blocks = _blocks(sim, h["out"])
            b_scale = np.concatenate([np.broadcast_to(b.compartment.discretize_info["b_scale"], b.n_neurons)
                                      for b in blocks])
            bias = np.concatenate([b.compartment.bias for b in blocks]).astype(np.float64)
            u = windows(np.asarray(sim.data[h["current"]], dtype=np.float64))
            res["current"].append(((u + bias) / b_scale).mean(axis=1))
        if "layers" in h:
            for name, p in h["layers"].items():
                spk = windows(np.asarray(sim.data[p]))
                res["layers"][name].append(np.rint(spk * dt / amps[name]).sum(axis=1))
    out = {k: np.concatenate(v) for k, v in res.items() if k != "layers"}
    if opts.layer_counts:
        out["layers"] = {k: np.concatenate(v) for k, v in res["layers"].items()}
    return out


def _merge(parts, kinds, layer_counts):
    out = {k: np.concatenate([p[k] for p in parts]) for k in kinds}
    if layer_counts:
        out["layers"] = {k: np.concatenate([p["layers"][k] for p in parts]) for k in parts[0]["layers"]}
    return out


@contextlib.contextmanager
def quiet(counter):
    """NengoLoihi warns about overflow (strict = False), precompute, filters: count, keep going."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        where = f"{os.path.basename(os.path.dirname(w.filename))}/{os.path.basename(w.filename)}:{w.lineno}"
        msg = f"{str(w.message).splitlines()[0][:160] if str(w.message) else w.category.__name__} ({where})"
        counter[msg] = counter.get(msg, 0) + 1


# --------------------------------------------------------------------------- presentations


def fresh_new_sim(net, opts, X, warn, lean=None):
    parts = []
    for x in X:
        with quiet(warn):
            model, handles = build(net, opts, lambda c: x, 1)
            with make_sim(net, opts, model, lean) as sim:
                sim.run_steps(opts.steps)
                parts.append(readouts(sim, net, opts, handles, 1))
    return _merge(parts, opts.kinds, opts.layer_counts), {}


def fresh_batched(net, opts, X, warn):
    parts = []
    build_s = 0.0
    for start in range(0, len(X), opts.batch):
        xs = X[start: start + opts.batch]
        t0 = time.perf_counter()
        with quiet(warn):
            model, handles = build(net, opts, lambda c: xs[c], len(xs))
            sim = make_sim(net, opts, model)
        build_s += time.perf_counter() - t0
        with quiet(warn), sim:
            sim.run_steps(opts.steps)
            part = readouts(sim, net, opts, handles, 1)
        # copy c's readout is row c (one window per copy)
        parts.append(part)
    return _merge(parts, opts.kinds, opts.layer_counts), {"build_seconds": build_s}


def _reinit(sim):
    """A zero state in an already built Simulator, from NengoLoihi internals (not public API)."""
    from nengo_loihi.emulator import EmulatorInterface
    from nengo_loihi.simulator import StepRunner

    for s in ("host_pre", "host"):
        if s in sim.sims:
            sim.sims[s].reset()
    for spike_input in sim.model.inputs:
        for ti in [t for t in spike_input.spikes if t not in spike_input.permanent]:
            del spike_input.spikes[ti]
    old = sim.sims["emulator"]
    seed = old.seed
    old.close()
    sim.sims["emulator"] = EmulatorInterface(sim.model, seed=seed)
    sim._runner = StepRunner(sim.model, sim.sims, sim.precompute, sim.timers)
    sim.clear_probes()
    sim._n_steps = 0
    sim._time = 0.0


def fresh_reinit(net, opts, X, warn):
    B = min(opts.batch, len(X))
    buf = np.zeros((B, net["input"]["size"]))
    t0 = time.perf_counter()
    with quiet(warn):
        model, handles = build(net, opts, lambda c: (lambda t, c=c: buf[c]), B)
        sim = make_sim(net, opts, model)
    build_s = time.perf_counter() - t0
    parts = []
    t1 = time.perf_counter()
    with quiet(warn), sim:
        for start in range(0, len(X), B):
            xs = X[start: start + B]
            buf[:] = 0
            buf[: len(xs)] = xs
            if start > 0:
                _reinit(sim)
            sim.run_steps(opts.steps)
            part = readouts(sim, net, opts, handles, 1)
            parts.append({k: (v[: len(xs)] if k != "layers" else {n: a[: len(xs)] for n, a in v.items()})
                          for k, v in part.items()})
    return _merge(parts, opts.kinds, opts.layer_counts), {
        "build_seconds": build_s, "one_time_build": True, "run_seconds": time.perf_counter() - t1}


def fresh_reset(net, opts, X, warn):
    with quiet(warn):
        model, handles = build(net, opts, lambda c: X[0], 1)
        with make_sim(net, opts, model) as sim:
            sim.run_steps(opts.steps)
            try:
                sim.reset()
            except Exception as e:  # NengoLoihi 1.1.0: NotImplementedError
                return None, {"error": f"sim.reset() raised {type(e).__name__}{(': ' + str(e)) if str(e) else ''}"
                                       " (not implemented in this NengoLoihi version): not usable"}
    return None, {"error": "sim.reset() returned; not timed (add a method if it works)"}


def continuous(net, opts, X, warn):
    import nengo

    t0 = time.perf_counter()
    with quiet(warn):
        proc = nengo.processes.PresentInput(X, presentation_time=opts.steps * net["dt"])
        model, handles = build(net, opts, lambda c: proc, 1)
        sim = make_sim(net, opts, model)
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    with quiet(warn), sim:
        sim.run_steps(opts.steps * len(X))
        out = readouts(sim, net, opts, handles, len(X))
    return out, {"build_seconds": build_s, "one_time_build": True, "run_seconds": time.perf_counter() - t1}


# --------------------------------------------------------------------------- scoring


def score(values, labels):
    pred = np.argmax(values, axis=1)
    top = values.max(axis=1, keepdims=True)
    shared = (values == top).sum(axis=1) > 1
    s = {"predictions": pred, "ties": int(shared.sum())}
    if labels is not None:
        correct = pred == labels
        s["correct"] = int(correct.sum())
        s["accuracy"] = float(correct.mean())
        s["ties_including_label"] = int((shared & (values[np.arange(len(labels)), labels] == top[:, 0])).sum())
    return s


def same(a, b):
    """Readouts identical (spike counts exactly, currents to float rounding)."""
    return all(np.allclose(a[k], b[k], rtol=0, atol=1e-9) for k in a if k != "layers")


def run_neuromesh(binary, opts, presentation, kind):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [binary, "evaluate", opts.network, "--inputs", opts.inputs_for_neuromesh,
               "--steps-per-sample", str(opts.steps), "--skip", str(opts.skip),
               "--readout", kind, "--readout-layer", opts.readout_layer, "--presentation", presentation,
               "--out", tmp]
        if opts.labels:
            cmd += ["--labels", opts.labels]
        if opts.neuromesh_board:
            cmd += ["--board", opts.neuromesh_board]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            return {"error": proc.stderr.strip() or proc.stdout.strip(), "command": " ".join(cmd)}
        with open(os.path.join(tmp, "summary.json")) as f:
            summary = json.load(f)
        readout = np.load(os.path.join(tmp, "readout.npy"))
    return {"summary": summary, "readout": readout, "wall_seconds": wall, "command": " ".join(cmd)}


def compare(ours, theirs, kind):
    d = ours - theirs
    out = {
        "prediction_agreement": float((np.argmax(ours, 1) == np.argmax(theirs, 1)).mean()),
        "mean_abs_difference": float(np.abs(d).mean()),
        "mean_difference": float(d.mean()),
        "mean_abs_value_neuromesh": float(np.abs(theirs).mean()),
        "correlation": float(np.corrcoef(ours.ravel(), theirs.ravel())[0, 1]) if ours.std() > 0 and theirs.std() > 0 else None,
    }
    if kind == "spikes":
        out["identical_samples"] = float((d == 0).all(axis=1).mean())
        out["identical_counts"] = float((d == 0).mean())
        out["max_abs_difference"] = float(np.abs(d).max())
    return out


# --------------------------------------------------------------------------- main


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("network", help="network.json (format version 2, dense, real-valued)")
    p.add_argument("--inputs", required=True, help="samples .npy [N, ...input shape]")
    p.add_argument("--labels", help="integer labels .npy [N]")
    p.add_argument("--steps-per-sample", "-T", dest="steps", type=int, default=50)
    p.add_argument("--skip", type=int, default=0, help="leave steps 1..K of each sample out of the readout")
    p.add_argument("--limit", type=int, help="evaluate N samples (after the first --offset)")
    p.add_argument("--offset", type=int, default=0, help="start at sample OFFSET (default 0)")
    p.add_argument("--readout", choices=("spikes", "current", "both"), default="both")
    p.add_argument("--readout-layer", help="default: the one layer nothing reads from")
    p.add_argument("--presentation", choices=("fresh", "continuous", "both"), default="both")
    p.add_argument("--fresh-methods", default="batched,reinit,reset",
                   help=f"comma-separated, of {', '.join(FRESH_METHODS)} (default batched,reinit,reset)")
    p.add_argument("--batch", type=int, default=64, help="copies per Simulator for batched/reinit (default 64)")
    p.add_argument("--input", choices=("node", "encoder"), default="node",
                   help="node: nengo.Node, NengoLoihi's on/off encoding (default); encoder: the file's encoder")
    p.add_argument("--decode-tau", default="layer",
                   help="filter of the Node->chip connection: layer (the target's tau_s, default), "
                        "nengo (NengoLoihi's 0.005) or seconds")
    p.add_argument("--no-lean-build", dest="lean_build", action="store_false",
                   help="build without the n_eval_points = 1 config default (see make_sim)")
    p.add_argument("--layer-counts", action="store_true", help="also probe and save every layer's spike counts")
    p.add_argument("--repeat", type=int, default=2, help="time every configuration R times (default 2)")
    p.add_argument("--check-fresh", type=int, default=3,
                   help="compare the first K samples of every fresh method with new single-sample Simulators")
    p.add_argument("--neuromesh", help="a neuromesh binary: run `evaluate` on the same samples and compare")
    p.add_argument("--neuromesh-board", help="--board for the neuromesh binary (default: its own)")
    p.add_argument("--save", help="folder for readout .npy files and summary.json")
    p.add_argument("--json", action="store_true", help="print one JSON summary instead of text")
    opts = p.parse_args(argv)

    t_import = time.perf_counter()
    import nengo
    import nengo_loihi
    import_s = time.perf_counter() - t_import

    try:
        net = load_network(opts.network)
        opts.readout_layer = opts.readout_layer or default_readout_layer(net)
        if opts.readout_layer not in {l["name"] for l in net["layers"]}:
            raise NetworkError(f"--readout-layer {opts.readout_layer!r} is not a layer")
        if opts.input == "encoder":
            opts.decode_tau_value = 0.005  # unused: no Node -> chip connection
        elif opts.decode_tau == "layer":
            opts.decode_tau_value = input_tau(net)
        elif opts.decode_tau == "nengo":
            opts.decode_tau_value = 0.005
        else:
            opts.decode_tau_value = float(opts.decode_tau)
    except NetworkError as e:
        print(f"error: {e}", file=sys.stderr)
        return 65
    if not 0 <= opts.skip < opts.steps:
        p.error("--skip must be in 0 ..< --steps-per-sample")
    opts.kinds = ["spikes", "current"] if opts.readout == "both" else [opts.readout]
    methods = [m for m in opts.fresh_methods.split(",") if m]
    for m in methods:
        if m not in FRESH_METHODS:
            p.error(f"--fresh-methods: unknown method {m!r}")
    presentations = ["fresh", "continuous"] if opts.presentation == "both" else [opts.presentation]

    X_raw = np.load(opts.inputs, allow_pickle=False)
    X_all = X_raw.reshape(len(X_raw), -1).astype(np.float64)
    if X_all.shape[1] != net["input"]["size"]:
        print(f"error: {opts.inputs}: {X_all.shape[1]} values per sample, the input has {net['input']['size']}",
              file=sys.stderr)
        return 65
    end = len(X_all) if opts.limit is None else min(len(X_all), opts.offset + opts.limit)
    X = X_all[opts.offset: end]
    Y = None
    if opts.labels:
        Y = np.load(opts.labels).reshape(-1).astype(np.int64)[opts.offset: end]
    lo, hi = (0.0, 1.0) if net["input"]["encoding"] == "spiking" else (-1.0, 1.0)
    clipped = int(((X < lo) | (X > hi)).sum())

    # neuromesh evaluate has no --offset: give it the selected samples as files
    tmpdir = tempfile.mkdtemp(prefix="digits_nengo_loihi_")
    opts.inputs_for_neuromesh = os.path.join(tmpdir, "inputs.npy")
    np.save(opts.inputs_for_neuromesh, X_raw[opts.offset: end])
    if opts.labels:
        opts.labels = os.path.join(tmpdir, "labels.npy")
        np.save(opts.labels, Y.astype(np.int32))
    try:
        return _evaluate(opts, net, methods, presentations, X, Y, clipped, import_s)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _evaluate(opts, net, methods, presentations, X, Y, clipped, import_s):
    import nengo
    import nengo_loihi

    warn = {}
    report = {
        "format": "digits-nengo-loihi", "version": 1,
        "network": net["name"], "network_file": opts.network,
        "reference": {"nengo": nengo.__version__, "nengo_loihi": nengo_loihi.__version__,
                      "numpy": np.__version__, "target": "sim"},
        "samples": len(X), "offset": opts.offset, "steps_per_sample": opts.steps, "skip_steps": opts.skip,
        "readout_layer": opts.readout_layer, "readouts": opts.kinds,
        "input": {"mode": opts.input, "file_encoding": net["input"]["encoding"], "file_rate": net["input"]["rate"],
                  "nengo_encoding": ("on_off at rate 1/dt (NengoLoihi's node encoding)" if opts.input == "node"
                                     else f"{net['input']['encoding']} at rate {net['input']['rate']:g} (the file's)"),
                  "decode_tau": opts.decode_tau_value if opts.input == "node" else None,
                  "values_outside_encoder_range": clipped},
        "lean_build": opts.lean_build,
        "import_seconds": import_s,
        "cpus": os.cpu_count(),
        "presentations": {},
    }

    results = {}  # (presentation, method) -> readouts
    for pres in presentations:
        entries = {}
        for method in (methods if pres == "fresh" else ["continuous"]):
            fn = {"new-sim": fresh_new_sim, "batched": fresh_batched, "reinit": fresh_reinit,
                  "reset": fresh_reset, "continuous": continuous}[method]
            runs = []
            out = None
            for r in range(opts.repeat if method != "reset" else 1):
                load0 = os.getloadavg()[0]
                t0 = time.perf_counter()
                got, info = fn(net, opts, X, warn)
                wall = time.perf_counter() - t0
                if got is None:
                    runs.append(info)
                    break
                info = dict(info, seconds=wall, load_before=load0, load_after=os.getloadavg()[0])
                timed = wall - info["build_seconds"] if info.get("one_time_build") else wall
                info["images_per_second"] = len(X) / timed
                if info.get("one_time_build"):
                    info["images_per_second_with_build"] = len(X) / wall
                runs.append(info)
                if out is not None and not same(out, got):
                    info["differs_from_first_run"] = True
                out = got
            entry = {"runs": runs}
            if out is not None:
                results[(pres, method)] = out
                entry["images_per_second_best"] = max(r["images_per_second"] for r in runs)
                for k in opts.kinds:
                    entry[k] = {kk: vv for kk, vv in score(out[k], Y).items() if kk != "predictions"}
            entries[method] = entry
        report["presentations"][pres] = entries

    # fresh methods against brand-new single-sample Simulators
    fresh_done = [m for m in methods if ("fresh", m) in results]
    if "fresh" in presentations and opts.check_fresh > 0 and fresh_done:
        k = min(opts.check_fresh, len(X))
        # brand-new Simulators built the plain way (no lean build), one per sample
        ref, _ = fresh_new_sim(net, opts, X[:k], warn, lean=False)
        ref = {kk: v for kk, v in ref.items() if kk != "layers"}
        checks = {}
        for m in fresh_done:
            got = {kk: v[:k] for kk, v in results[("fresh", m)].items() if kk != "layers"}
            checks[m] = "identical" if same(ref, got) else "DIFFERENT"
        if ("continuous", "continuous") in results:
            got = {kk: v[:1] for kk, v in results[("continuous", "continuous")].items() if kk != "layers"}
            checks["continuous (first sample)"] = "identical" if same({kk: v[:1] for kk, v in ref.items()}, got) else "DIFFERENT"
        report["fresh_check"] = {"samples": k, "against": "a new nengo_loihi.Simulator per sample (plain build)",
                                 "results": checks}

    if opts.neuromesh:
        nm = {}
        for pres in presentations:
            method = "continuous" if pres == "continuous" else next(
                (m for m in ("batched", "reinit", "new-sim") if ("fresh", m) in results), None)
            if method is None:
                continue
            ours = results[(pres, method)]
            for kind in opts.kinds:
                got = run_neuromesh(opts.neuromesh, opts, pres, kind)
                key = f"{pres}/{kind}"
                if "error" in got:
                    nm[key] = got
                    continue
                s = got["summary"]
                nm[key] = {
                    "accuracy": s.get("accuracy"), "ties": s.get("ties"),
                    "samples_per_second": s.get("samples_per_second"), "seconds": s.get("seconds"),
                    "load": os.getloadavg()[0],
                    "against_nengo_loihi": compare(ours[kind], got["readout"], kind),
                    "command": got["command"],
                }
                if opts.save:
                    os.makedirs(opts.save, exist_ok=True)
                    np.save(os.path.join(opts.save, f"neuromesh_{pres}_{kind}.npy"), got["readout"])
        report["neuromesh"] = nm

    report["warnings"] = warn
    if opts.save:
        os.makedirs(opts.save, exist_ok=True)
        for (pres, method), out in results.items():
            for k, v in out.items():
                if k == "layers":
                    for name, a in v.items():
                        np.save(os.path.join(opts.save, f"{pres}_{method}_layer_{name}_spikes.npy"), a)
                else:
                    np.save(os.path.join(opts.save, f"{pres}_{method}_{k}.npy"), v)
        with open(os.path.join(opts.save, "summary.json"), "w") as f:
            json.dump(report, f, indent=1)

    if opts.json:
        print(json.dumps(report, indent=1))
    else:
        print_report(report)
    return 0 if all(v == "identical" for v in report.get("fresh_check", {}).get("results", {}).values()) else 1


def print_report(r):
    inp = r["input"]
    print(f"NengoLoihi {r['reference']['nengo_loihi']} (nengo {r['reference']['nengo']}), target 'sim': "
          f"'{r['network']}', {r['samples']} samples x {r['steps_per_sample']} steps, skip {r['skip_steps']}, "
          f"readout layer '{r['readout_layer']}'")
    print(f"input: --input {inp['mode']}: {inp['nengo_encoding']}; file says {inp['file_encoding']} at "
          f"{inp['file_rate']:g}/s" + (f"; decode_tau {inp['decode_tau']:g} s" if inp["decode_tau"] is not None else ""))
    if inp["values_outside_encoder_range"]:
        print(f"warning: {inp['values_outside_encoder_range']} input values outside the file encoder's range")
    print(f"imports {r['import_seconds']:.2f} s (excluded); {r['cpus']} CPUs; "
          + ("lean build (Ensemble.n_eval_points = 1 while building)" if r["lean_build"] else "plain build"))
    for pres, entries in r["presentations"].items():
        for method, e in entries.items():
            name = pres if pres == "continuous" else f"fresh/{method}"
            for i, run in enumerate(e["runs"]):
                if "error" in run:
                    print(f"{name}: {run['error']}")
                    continue
                extra = ""
                if run.get("one_time_build"):
                    extra = f" (one-time build {run['build_seconds']:.2f} s excluded; {run['images_per_second_with_build']:.2f}/s with it)"
                elif "build_seconds" in run:
                    extra = f" (of which build {run['build_seconds']:.2f} s)"
                print(f"{name} run {i + 1}: {r['samples']} samples in {run['seconds']:.2f} s: "
                      f"{run['images_per_second']:.2f} images/s{extra}; load {run['load_before']:.2f} -> {run['load_after']:.2f}"
                      + ("  [DIFFERS FROM RUN 1]" if run.get("differs_from_first_run") else ""))
            for k in r["readouts"]:
                if k in e:
                    s = e[k]
                    acc = f"accuracy {100 * s['accuracy']:.2f} % ({s['correct']}/{r['samples']}), " if "accuracy" in s else ""
                    inc = f", {s['ties_including_label']} including the label" if "ties_including_label" in s else ""
                    print(f"  {k:7s}: {acc}ties {s['ties']}{inc}")
    if "fresh_check" in r:
        fc = r["fresh_check"]
        print(f"fresh check, first {fc['samples']} samples against {fc['against']}: "
              + ", ".join(f"{m} {v}" for m, v in fc["results"].items()))
    for key, v in r.get("neuromesh", {}).items():
        if "error" in v:
            print(f"neuromesh {key}: error: {v['error']}")
            continue
        c = v["against_nengo_loihi"]
        acc = f"accuracy {100 * v['accuracy']:.2f} %, " if v.get("accuracy") is not None else ""
        line = (f"neuromesh {key}: {acc}ties {v['ties']}, "
                f"{v['samples_per_second']:.1f} samples/s (load {v['load']:.2f}); vs NengoLoihi: "
                f"predictions agree {100 * c['prediction_agreement']:.1f} %, mean |diff| {c['mean_abs_difference']:.3g} "
                f"(mean |value| {c['mean_abs_value_neuromesh']:.3g}), mean diff {c['mean_difference']:+.3g}")
        if c.get("correlation") is not None:
            line += f", r = {c['correlation']:.4f}"
        if "identical_samples" in c:
            line += f", identical count vectors {100 * c['identical_samples']:.1f} %, identical counts {100 * c['identical_counts']:.1f} %"
        print(line)
    if r["warnings"]:
        print("NengoLoihi warnings (counted): " + "; ".join(f"{n}x {m}" for m, n in r["warnings"].items()))


if __name__ == "__main__":
    sys.exit(main())
