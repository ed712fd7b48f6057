"""A numpy simulator of Neuromesh's real-valued model (network format version 2).

It runs a network.json in the real units of docs/quantization.md — not the chip's integers —
so it predicts what a converted network does before any quantization, and lets a converter
choose scales, rates and filters. Everything is vectorised over samples; every sample starts
from a fresh state (all voltages, currents and encoder accumulators 0) and runs ``steps``
steps. Supported: real inputs (``spiking`` and ``on_off`` encodings, constant or per-step
values), real-valued ``LoihiSpikingRectifiedLinear`` and ``LoihiLIF`` layers, ``avgpool2d``
and ``flatten`` stages, dense and ``conv2d`` connections.

The model, per step t = 1, 2, …:

* an encoder unit adds round(x·rate·dt·2^24) to its accumulator (x clipped to [0, 1], or
  (1 ± x)/2 for on/off pairs) and spikes when the accumulator reaches 2^24, keeping the
  remainder; its spikes have amplitude 1/rate;
* spikes emitted in step t reach their targets in step t + 1: a spike of a source with
  amplitude a through transform weight w into a neuron with gain g adds w·g·a/dt to its input;
* ``u ← e^(−dt/τs)·u + (1 − e^(−dt/τs))·input`` (u = input when τs = 0); J = u + bias;
* rectified linear: ``v ← max(v + J·dt, 0)``; LIF: ``v ← max(e^(−dt/τrc)·v + (1 − e^(−dt/τrc))·J,
  min_voltage)``, held at 0 for round(τref/dt) steps after a spike;
* a spike when v reaches 1 (the chip's threshold sits just below the scaled 1, so reaching it
  exactly spikes; a tolerance of 1e-9 absorbs float rounding), then v = 0 (hard reset).

``quantize_weights=True`` additionally rounds every layer's per-spike weights w·g·a/dt to 127
magnitude levels of the layer's largest (the 7 magnitude bits of an 8-bit chip weight), a
first estimate of the chip's weight precision.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from .ir import avgpool_nchw, conv2d_nchw, pool_output_shape

THRESHOLD_TOLERANCE = 1e-9
ENCODER_ONE = 1 << 24


def _size_shape(obj) -> tuple:
    if "shape" in obj:
        shape = tuple(int(v) for v in obj["shape"])
        return int(np.prod(shape)), shape
    return int(obj["size"]), (int(obj["size"]),)


def _pair(v, default):
    if v is None:
        return default
    if isinstance(v, (int, float)):
        return (int(v), int(v))
    return tuple(int(x) for x in v)


@dataclass
class _Conn:
    source: str
    target: str
    weights: np.ndarray  # dense [to, from] or kernel [O, C, kh, kw]
    conv: bool
    stride: tuple
    padding: tuple


class Network:
    """A loaded network.json (paths resolved against its directory)."""

    def __init__(self, path):
        path = Path(path)
        if path.is_dir():
            path = path / "network.json"
        self.path = path
        self.dir = path.parent
        doc = json.loads(path.read_text())
        if doc.get("version") != 2:
            raise ValueError(f"{path}: the simulator reads format version 2 only")
        self.doc = doc
        self.dt = float(doc.get("dt", 0.001))
        self.inputs = {}
        for inp in doc.get("inputs", []):
            if inp.get("kind") != "real":
                raise ValueError(f"{path}: input '{inp['name']}': only real-valued inputs are simulated")
            size, shape = _size_shape(inp)
            enc = inp.get("encoding", {})
            values = inp["values"]
            values = np.load(self.dir / values) if isinstance(values, str) else np.asarray(values, dtype=np.float64)
            self.inputs[inp["name"]] = dict(
                size=size, shape=shape, kind=enc.get("kind", "on_off"), rate=float(enc.get("rate", 1 / self.dt)),
                values=np.asarray(values, dtype=np.float64))
        self.layers = {}  # neuron layers, in order
        self.stages = {}
        self.order = []
        for layer in doc["layers"]:
            kind = layer.get("kind", "neurons")
            if kind == "neurons":
                size, shape = _size_shape(layer)
                self.layers[layer["name"]] = dict(size=size, shape=shape, **self._neuron(layer["name"], layer["neuron"], size))
                self.order.append(layer["name"])
            elif kind in ("avgpool2d", "flatten"):
                self.stages[layer["name"]] = dict(kind=kind, input=layer["input"], kernel=_pair(layer.get("kernel"), None),
                                                  stride=_pair(layer.get("stride"), None))
            else:
                raise ValueError(f"{path}: layer '{layer['name']}': stage kind '{kind}' is not simulated")
        self.shapes = {n: v["shape"] for n, v in self.inputs.items()}
        self.shapes.update({n: v["shape"] for n, v in self.layers.items()})
        for name in self.stages:
            self.shapes[name] = self._stage_shape(name)
        self.connections = []
        for c in doc.get("connections", []):
            w = c["weights"]
            w = np.load(self.dir / w) if isinstance(w, str) else np.asarray(w)
            conv = c.get("kind", "dense") == "conv2d"
            self.connections.append(_Conn(c["from"], c["to"], np.asarray(w, dtype=np.float64), conv,
                                          _pair(c.get("stride"), (1, 1)), _pair(c.get("padding"), (0, 0))))

    def _array(self, value, size):
        if isinstance(value, str):
            value = np.load(self.dir / value)
        return np.broadcast_to(np.asarray(value, dtype=np.float64).reshape(-1) if np.ndim(value) else float(value), (size,)).copy()

    def _neuron(self, name, n, size):
        model = n["model"]
        integer_keys = {"decay_u", "decay_v", "vth_mant", "bias_mant", "bias_exp", "refract_delay", "vmin", "vmax"}
        if integer_keys & set(n):
            raise ValueError(f"{self.path}: layer '{name}' has integer chip parameters; the simulator runs real-valued layers")
        if "max_rates" in n or "intercepts" in n:
            raise ValueError(f"{self.path}: layer '{name}': max_rates/intercepts are not simulated; give gain and bias")
        lif = model == "LoihiLIF"
        return dict(
            lif=lif,
            tau_rc=float(n.get("tau_rc", 0.02)),
            tau_ref=float(n.get("tau_ref", 0.002 if lif else 0.0)),
            tau_s=float(n.get("tau_s", 0.0)),
            gain=self._array(n.get("gain", 1.0), size),
            bias=self._array(n.get("bias", 0.0), size),
            amplitude=float(n.get("amplitude", 1.0)),
            min_voltage=float(n.get("min_voltage", 0.0)),
        )

    def _stage_shape(self, name):
        st = self.stages[name]
        shape = self.shapes.get(st["input"]) or self._stage_shape(st["input"])
        if st["kind"] == "flatten":
            return (int(np.prod(shape)),)
        return pool_output_shape(shape, st["kernel"], st["stride"] or st["kernel"])

    def amplitude(self, name) -> float:
        while name in self.stages:
            name = self.stages[name]["input"]
        if name in self.inputs:
            return 1.0 / self.inputs[name]["rate"]
        return self.layers[name]["amplitude"]


@dataclass
class Result:
    steps: int
    skip: int
    counts: dict  # layer → [N, size] spike counts over steps skip+1 .. steps
    mean_current: dict  # layer → [N, size] mean of J = u + bias over the same steps

    def predict(self, readout: str = "current", layer: str = "out") -> np.ndarray:
        values = self.counts[layer] if readout == "spikes" else self.mean_current[layer]
        return np.argmax(values, axis=1)


def simulate(net, x: Optional[np.ndarray] = None, steps: int = 50, skip: int = 0, layers=None,
             quantize_weights: bool = False, batch: int = 2048) -> Result:
    """Runs ``net`` (a ``Network`` or a path) for ``steps`` steps per sample, fresh state.

    ``x``: ``[N, size]`` (or ``[N, *shape]``) values for the (single) input; ``None`` runs the
    values in the file (one sample). ``[N, steps, size]`` gives per-step values (row t−1 at
    step t, the last row holding). Records spike counts and mean currents of ``layers``
    (default: every layer) over steps skip+1 … steps.
    """
    if not isinstance(net, Network):
        net = Network(net)
    if len(net.inputs) != 1:
        raise ValueError("the simulator drives networks with exactly one input")
    (in_name, inp), = net.inputs.items()
    if x is None:
        v = inp["values"]
        x = v.reshape(1, -1) if v.ndim == 1 else v.reshape(1, v.shape[0], -1)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim > 2 and x.shape[1:] == tuple(inp["shape"]):
        x = x.reshape(x.shape[0], -1)
    layers = list(net.order) if layers is None else list(layers)
    parts = [_simulate(net, in_name, inp, x[i:i + batch], steps, skip, layers, quantize_weights)
             for i in range(0, x.shape[0], batch)]
    return Result(steps, skip, {k: np.concatenate([p[0][k] for p in parts]) for k in layers},
                  {k: np.concatenate([p[1][k] for p in parts]) for k in layers})


def _quantized(net: Network, target: str) -> dict:
    """Per incoming connection of ``target``: weights rounded on the layer's 127-level grid."""
    layer = net.layers[target]
    incoming = [c for c in net.connections if c.target == target]
    g = layer["gain"]
    per_spike = []
    for c in incoming:
        scale = net.amplitude(c.source) / net.dt
        if c.conv:
            per_spike.append(np.abs(c.weights).max() * scale * np.abs(g).max())
        else:
            per_spike.append((np.abs(c.weights) * np.abs(g)[:, None]).max() * scale)
    w_max = max(per_spike) if per_spike else 0.0
    out = {}
    for c in incoming:
        scale = net.amplitude(c.source) / net.dt
        if w_max == 0:
            out[id(c)] = c.weights
            continue
        if c.conv:
            gm = np.abs(g).max()
            unit = w_max / 127 / (scale * gm)
            out[id(c)] = np.rint(c.weights / unit) * unit
        else:
            eff = c.weights * g[:, None] * scale
            q = np.rint(eff / (w_max / 127)) * (w_max / 127)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[id(c)] = np.where(g[:, None] != 0, q / (g[:, None] * scale), 0.0)
    return out


def _simulate(net, in_name, inp, x, steps, skip, record, quantize):
    n = x.shape[0]
    dt = net.dt
    size = inp["size"]
    per_step = x.ndim == 3
    rate = inp["rate"]
    pairs = inp["kind"] == "on_off"

    def increments(values):
        if pairs:
            c = np.clip(values, -1, 1)
            on = np.rint((1 + c) / 2 * rate * dt * ENCODER_ONE)
            off = np.rint((1 - c) / 2 * rate * dt * ENCODER_ONE)
            return np.concatenate([on, off], axis=1).astype(np.int64)
        return np.rint(np.clip(values, 0, 1) * rate * dt * ENCODER_ONE).astype(np.int64)

    inc_static = None if per_step else increments(x)
    acc = np.zeros((n, 2 * size if pairs else size), dtype=np.int64)
    weights = {}
    for c in net.connections:
        weights[id(c)] = c.weights
    if quantize:
        for name in net.order:
            weights.update(_quantized(net, name))
    state = {}
    for name, L in net.layers.items():
        state[name] = dict(u=np.zeros((n, L["size"])), v=np.zeros((n, L["size"])), ref=np.zeros((n, L["size"]), dtype=np.int64),
                           d_u=math.exp(-dt / L["tau_s"]) if L["tau_s"] > 0 else 0.0,
                           d_v=math.exp(-dt / L["tau_rc"]) if L["lif"] else 1.0,
                           ref_steps=int(round(L["tau_ref"] / dt)) if L["lif"] else 0)
    spikes = {in_name: np.zeros((n, size))}
    for name, L in net.layers.items():
        spikes[name] = np.zeros((n, L["size"]))
    counts = {k: np.zeros((n, net.layers[k]["size"])) for k in record}
    current = {k: np.zeros((n, net.layers[k]["size"])) for k in record}
    incoming = {name: [c for c in net.connections if c.target == name] for name in net.order}
    # Every connection, with the stages it reads through, is one linear map from its origin's
    # spikes to the target's input: build it as a matrix [origin size, target size] when that
    # is small enough (fast), else apply stages and convolutions step by step.
    operators = {id(c): _operator(net, c, weights[id(c)]) for c in net.connections}

    for t in range(1, steps + 1):
        new_spikes = {}
        for name in net.order:
            L = net.layers[name]
            S = state[name]
            total = np.zeros((n, L["size"]))
            for c in incoming[name]:
                a = net.amplitude(c.source) / dt
                origin, op = operators[id(c)]
                if op is not None:
                    total += (spikes[origin] @ op) * a
                    continue
                src = _apply(net, c.source, spikes[origin], n)
                w = weights[id(c)]
                if c.conv:
                    shape = net.shapes[c.source]
                    total += conv2d_nchw(src.reshape((n,) + tuple(shape)), w, c.stride, c.padding).reshape(n, -1) * a
                else:
                    total += (src @ w.T) * a
            total *= L["gain"]
            if S["d_u"]:
                S["u"] = S["d_u"] * S["u"] + (1 - S["d_u"]) * total
            else:
                S["u"] = total
            J = S["u"] + L["bias"]
            if L["lif"]:
                v = np.maximum(S["d_v"] * S["v"] + (1 - S["d_v"]) * J, L["min_voltage"])
                held = S["ref"] > 0
                v[held] = 0
                S["ref"][held] -= 1
            else:
                v = np.maximum(S["v"] + J * dt, 0)
            fired = v >= 1 - THRESHOLD_TOLERANCE
            v[fired] = 0
            if L["lif"] and S["ref_steps"]:
                S["ref"][fired] = S["ref_steps"]
            S["v"] = v
            new_spikes[name] = fired.astype(np.float64)
            if name in counts and t > skip:
                counts[name] += fired
                current[name] += J
        # The encoder's spikes of step t arrive in step t + 1.
        if per_step:
            inc = increments(x[:, min(t, x.shape[1]) - 1, :])
        else:
            inc = inc_static
        acc += inc
        fired_in = acc >= ENCODER_ONE
        acc[fired_in] -= ENCODER_ONE
        if pairs:
            s = fired_in.astype(np.float64)
            new_spikes[in_name] = s[:, :size] - s[:, size:]  # connections apply [W, −W]
        else:
            new_spikes[in_name] = fired_in.astype(np.float64)
        spikes = new_spikes
    kept = max(steps - skip, 1)
    return counts, {k: v / kept for k, v in current.items()}


OPERATOR_LIMIT = 1 << 24  # entries of a connection's dense operator matrix


def _apply(net, name, x, n):
    """Applies the stages from an origin up to ``name`` to origin values ``x``."""
    if name not in net.stages:
        return x
    st = net.stages[name]
    src = _apply(net, st["input"], x, n)
    if st["kind"] == "flatten":
        return src.reshape(n, -1)
    shape = net.shapes[st["input"]]
    return avgpool_nchw(src.reshape((n,) + tuple(shape)), st["kernel"], st["stride"] or st["kernel"]).reshape(n, -1)


def _operator(net, c, w):
    """(origin, matrix [origin size, target size]) for connection ``c``, or (origin, None)."""
    origin = c.source
    while origin in net.stages:
        origin = net.stages[origin]["input"]
    size_in = int(np.prod(net.shapes[origin]))
    size_out = net.layers[c.target]["size"]
    if c.source == origin and not c.conv:
        return origin, np.ascontiguousarray(w.T)
    if size_in * size_out > OPERATOR_LIMIT:
        return origin, None
    basis = np.eye(size_in)
    x = _apply(net, c.source, basis, size_in)
    if c.conv:
        shape = net.shapes[c.source]
        y = conv2d_nchw(x.reshape((size_in,) + tuple(shape)), w, c.stride, c.padding).reshape(size_in, -1)
    else:
        y = x @ w.T
    return origin, np.ascontiguousarray(y)


def accuracy(result: Result, labels: np.ndarray, readout: str = "current", layer: str = "out") -> float:
    return float(np.mean(result.predict(readout, layer) == np.asarray(labels)))
