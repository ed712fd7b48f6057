#!/usr/bin/env python3
"""Run a Neuromesh network directory on NengoLoihi's chip emulator.

This is optional reference tooling (see README.md in this folder). It reads one
of our network descriptions (``network.json`` plus the ``.npy``/``.csv`` files
beside it, format version 1, or 2 in chip integers, see ``docs/network-format.md``;
channels-first ``shape`` and ``conv2d`` connections included), builds the
equivalent *block-level* NengoLoihi model directly in the chip's integers
(``LoihiBlock``/``Synapse``/``Axon``/``SpikeInput``; no Nengo network, no
``discretize_model``), and steps ``nengo_loihi.emulator.EmulatorInterface``.

After every ``emu.step()`` it copies ``emu.compartment.spiked``, ``.voltage`` and
``.current`` for each layer's block. That is the state NengoLoihi's own probes
record (``ProbeState.update`` reads the same arrays at the end of ``step``).

NengoLoihi is used as a library only; nothing of it is copied here.

Library use::

    from neuromesh_nengo_loihi import run_network
    result = run_network("path/to/network_dir", steps=100)
    result.layers["hidden"]["spikes"]   # int8  [steps, size]
    result.layers["hidden"]["voltage"]  # int32 [steps, size]
    result.layers["hidden"]["current"]  # int32 [steps, size]

Command line::

    python neuromesh_nengo_loihi.py NETWORK_DIR --steps N
"""

import argparse
import collections
import csv
import json
import os
import sys
import warnings

import numpy as np

# NengoLoihi (and Nengo) are imported lazily inside functions that need them so
# that the loader can be used (e.g. by generate_fixtures.py for validation)
# without paying the import cost; they are always present in the pinned venv.

# Versions 1 and 2 are read, in the chip-integer subset both share (what
# `neuromesh-bench --export` and NetworkWriter write as version 2), plus version 2's
# channels-first "shape" and "conv2d" connections: a version-2 file with real-valued
# layers, real inputs or stages is refused by the key checks below.
FORMAT_VERSION = 2
MAX_POPULATION = 2 ** 24

WEIGHT_BITS_ALLOWED = (1, 2, 3, 4, 5, 6, 8)
VMAX_ALLOWED = tuple(2 ** (9 + 2 * f) - 1 for f in range(8))
VMIN_ALLOWED = tuple(-(2 ** e - 1) for e in range(24))

NEURON_DEFAULTS = {
    "decay_u": 4095,
    "decay_v": 0,
    "bias_mant": 0,
    "bias_exp": 0,
    "refract_delay": 1,
    "vmin": 0,
    "vmax": 8388607,
}
NEURON_MODELS = ("LoihiLIF", "LoihiSpikingRectifiedLinear")
NPY_DTYPES = ("|i1", "<i2", "<i4", "<f4", "<f8")


class NetworkError(ValueError):
    """A network description that does not follow docs/network-format.md."""


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


class Network:
    """A loaded network: plain Python/numpy data, all files resolved.

    Attributes
    ----------
    name : str
    inputs : list of dict(name, size, shape, spikes) where ``spikes`` maps step -> sorted
        list of source indices spiking at that step; ``shape`` is the channels-first
        shape as a tuple, or None when only a size is given.
    layers : list of dict(name, size, shape, model, decay_u, decay_v, vth_mant,
        bias_mant (int64 array [size]), bias_exp, refract_delay, vmin, vmax)
    connections : list of dict(from, to, kind, weight_exp, weight_bits, ...):
        ``kind == "dense"``: ``weights`` (int64 [to.size, from.size]);
        ``kind == "conv2d"``: ``kernel`` (int64 [out_channels, in_channels, kh, kw]),
        ``stride`` and ``padding`` (pairs (h, w)), ``from_shape`` and ``to_shape``
        (channels-first triples).
    """

    def __init__(self, name, inputs, layers, connections, path):
        self.name = name
        self.inputs = inputs
        self.layers = layers
        self.connections = connections
        self.path = path

    def sizes(self):
        d = {i["name"]: i["size"] for i in self.inputs}
        d.update({l["name"]: l["size"] for l in self.layers})
        return d


def _err(path, where, msg):
    raise NetworkError("%s: %s: %s" % (path, where, msg))


def _check_keys(path, where, obj, allowed, required=()):
    if not isinstance(obj, dict):
        _err(path, where, "expected an object")
    for k in obj:
        if k not in allowed:
            _err(path, where, "unknown key %r" % (k,))
    for k in required:
        if k not in obj:
            _err(path, where, "missing required key %r" % (k,))


def _int(path, where, value, lo=None, hi=None):
    if isinstance(value, bool) or not isinstance(value, int):
        _err(path, where, "expected an integer, got %r" % (value,))
    if lo is not None and value < lo or hi is not None and value > hi:
        _err(path, where, "%d is out of range %s...%s" % (value, lo, hi))
    return value


def _load_npy(json_path, where, rel):
    full = os.path.join(os.path.dirname(json_path), rel)
    arr = np.load(full, allow_pickle=False)
    if arr.dtype.str not in NPY_DTYPES:
        _err(json_path, where, "%s: unsupported dtype %s" % (rel, arr.dtype.str))
    if not arr.flags.c_contiguous and arr.ndim > 1:
        _err(json_path, where, "%s: not C order" % rel)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            _err(json_path, where, "%s: float array holds non-integral values" % rel)
    return arr.astype(np.int64)


def _int_array(json_path, where, value, shape):
    if isinstance(value, str):
        arr = _load_npy(json_path, where, value)
    else:
        try:
            arr = np.array(value, dtype=np.int64)
        except (TypeError, ValueError):
            _err(json_path, where, "expected integers")
        raw = np.array(value, dtype=object).ravel()
        if any(isinstance(v, bool) or not isinstance(v, int) for v in raw):
            _err(json_path, where, "expected integers")
    if arr.shape != tuple(shape):
        _err(json_path, where, "shape %s, expected %s" % (arr.shape, tuple(shape)))
    return arr


def _int_field(json_path, where, value, size, lo, hi):
    """One integer for every neuron, or one per neuron (array or .npy path)."""
    if isinstance(value, int) and not isinstance(value, bool):
        arr = np.full(size, _int(json_path, where, value, lo, hi), dtype=np.int64)
    else:
        arr = _int_array(json_path, where, value, (size,)).astype(np.int64)
    if np.any(arr < lo) or np.any(arr > hi):
        _err(json_path, where, "out of range %d...%d" % (lo, hi))
    return arr


def _size_and_shape(json_path, where, obj):
    """An input's or layer's ``size``, ``shape`` or both (which must agree).

    Returns ``(size, shape)``; ``shape`` is a tuple of positive integers or None.
    """
    shape = None
    if "shape" in obj:
        value = obj["shape"]
        if not isinstance(value, list) or not value:
            _err(json_path, where + ".shape", "expected a non-empty list of positive sizes, "
                 "e.g. [channels, height, width]")
        shape = tuple(_int(json_path, "%s.shape[%d]" % (where, k), v, 1)
                      for k, v in enumerate(value))
        if int(np.prod(shape, dtype=object)) > MAX_POPULATION:
            _err(json_path, where + ".shape", "shape %s holds more than %d (2^24) neurons"
                 % (list(shape), MAX_POPULATION))
    if "size" not in obj:
        if shape is None:
            _err(json_path, where, "missing required key 'size' (or 'shape')")
        return int(np.prod(shape, dtype=object)), shape
    size = _int(json_path, where + ".size", obj["size"], 1)
    if shape is not None and int(np.prod(shape, dtype=object)) != size:
        _err(json_path, where + ".shape", "shape %s holds %d neurons but size is %d"
             % (list(shape), int(np.prod(shape, dtype=object)), size))
    return size, shape


def _pair(json_path, where, value, lo):
    """``[h, w]`` or one integer (used for both), each at least ``lo``."""
    if isinstance(value, list):
        if len(value) != 2:
            _err(json_path, where, "expected [h, w] or one integer")
        return tuple(_int(json_path, "%s[%d]" % (where, k), v, lo) for k, v in enumerate(value))
    v = _int(json_path, where, value, lo)
    return (v, v)


def _conv_padding(json_path, where, value, kernel_shape, stride):
    """A conv2d ``padding``: ``[h, w]``, one integer, ``"valid"`` or ``"same"``.

    ``"same"`` is the symmetric padding ``(k - 1) / 2`` that keeps height and width,
    defined (as in Neuromesh) at stride 1 with odd kernels only.
    """
    if isinstance(value, str):
        if value == "valid":
            return (0, 0)
        if value == "same":
            if stride != (1, 1):
                _err(json_path, where, '"same" padding is defined for stride 1 only; '
                     "give the padding [h, w] explicitly")
            kh, kw = kernel_shape[2], kernel_shape[3]
            if kh % 2 == 0 or kw % 2 == 0:
                _err(json_path, where, '"same" padding of an even kernel (%dx%d) pads one side '
                     "more than the other; give the padding [h, w] explicitly" % (kh, kw))
            return ((kh - 1) // 2, (kw - 1) // 2)
        _err(json_path, where, 'unknown padding %r (use [h, w], one integer, "same" or "valid")'
             % value)
    return _pair(json_path, where, value, 0)


def conv_output_shape(in_shape, kernel_shape, stride, padding):
    """Channels-first output shape of a conv2d, or None if the kernel does not fit.

    ``in_shape`` = (C, H, W), ``kernel_shape`` = (O, C, kh, kw): the output is
    ``(O, (H + 2 pad_h - kh) // stride_h + 1, (W + 2 pad_w - kw) // stride_w + 1)``.
    """
    if len(in_shape) != 3 or in_shape[0] != kernel_shape[1]:
        return None
    c, h, w = in_shape
    o, _, kh, kw = kernel_shape
    if h + 2 * padding[0] < kh or w + 2 * padding[1] < kw:
        return None
    return (o, (h + 2 * padding[0] - kh) // stride[0] + 1, (w + 2 * padding[1] - kw) // stride[1] + 1)


def _load_conv(json_path, w, obj, version, shapes):
    """The conv2d-specific part of connection ``w``: kernel, stride, padding, shapes.

    The kernel is ``[out_channels, in_channels, kh, kw]`` (nested arrays or a 4-D
    ``.npy``) of integer Wgt values; the source must have a channels-first shape
    ``[in_channels, H, W]`` and the target exactly the convolution's output shape.
    """
    if version < 2:
        _err(json_path, w + ".kind", "conv2d connections need format version 2")
    where = w + ".weights"
    value = obj["weights"]
    if isinstance(value, str):
        kernel = _load_npy(json_path, where, value)
    else:
        try:
            kernel = np.array(value, dtype=np.int64)
        except (TypeError, ValueError):
            _err(json_path, where, "expected a rectangular [out_channels, in_channels, kh, kw] "
                 "kernel of integers")
        raw = np.array(value, dtype=object).ravel()
        if any(isinstance(v, bool) or not isinstance(v, int) for v in raw):
            _err(json_path, where, "expected integers")
    if kernel.ndim != 4 or 0 in kernel.shape:
        _err(json_path, where, "kernel has shape %s but a conv2d kernel is "
             "[out_channels, in_channels, kh, kw]" % (list(kernel.shape),))
    if np.any(kernel < -256) or np.any(kernel > 255):
        _err(json_path, where, "weights out of range -256...255")
    kshape = tuple(int(d) for d in kernel.shape)
    stride = _pair(json_path, w + ".stride", obj.get("stride", 1), 1)
    padding = _conv_padding(json_path, w + ".padding", obj.get("padding", 0), kshape, stride)

    src, dst = shapes[obj["from"]], shapes[obj["to"]]
    if src is None or len(src) != 3:
        _err(json_path, w + ".from", "a conv2d source needs a channels-first \"shape\" "
             "[channels, height, width]; %r has %s" % (obj["from"], list(src) if src else "only a size"))
    out = conv_output_shape(src, kshape, stride, padding)
    if out is None:
        hint = ""
        if kshape[2] == src[0] and kshape[1] != src[0]:
            hint = " (it looks like Keras' layout [kh, kw, in_channels, out_channels]: " \
                   "transpose it with kernel.transpose(3, 2, 0, 1))"
        _err(json_path, where, "a kernel %s cannot convolve %r of shape %s (it needs [%d, height, "
             "width] with room for the kernel)%s" % (list(kshape), obj["from"], list(src), kshape[1], hint))
    if dst is None or tuple(dst) != out:
        _err(json_path, w + ".to", "the convolution of %r %s gives shape %s but %r has shape %s"
             % (obj["from"], list(src), list(out), obj["to"], list(dst) if dst else "only a size"))
    return dict(kernel=kernel, stride=stride, padding=padding, from_shape=tuple(src), to_shape=out)


def conv_synapses(conn):
    """The sparse synapse lists of a conv2d connection, one list per source neuron.

    For every source neuron (c, y, x) (channels-first index ``(c * H + y) * W + x``),
    the targets (o, y', x') its kernel reaches — ``y' * stride_h = y + pad_h - ky``
    with ``0 <= y' < H'`` (likewise for x) — in ascending target index, with the kernel's
    Wgt value ``kernel[o, c, ky, kx]``. Zero Wgt values are left out, as Neuromesh's
    mapper leaves them out of a convolution's synapse lists (a zero weight adds nothing,
    and leaving it out keeps the synapse and event counts the same as Neuromesh's).

    Returns ``(counts, targets, wgt)``: ``counts`` (int64 [n_sources]) synapses per
    source; ``targets`` (intp) and ``wgt`` (int64) all lists concatenated in source
    order, so source i's list is ``[offsets[i], offsets[i + 1])`` with
    ``offsets = concatenate([[0], cumsum(counts)])``.
    """
    kernel = conn["kernel"]
    o_n, c_n, kh, kw = kernel.shape
    _, h, w = conn["from_shape"]
    _, oh, ow = conn["to_shape"]
    sy, sx = conn["stride"]
    py, px = conn["padding"]

    # Per axis: for each source coordinate and kernel offset, the output coordinate
    # it reaches (-1 if none). Kernel offsets run high to low so that, per output
    # channel, targets ascend.
    def reach(n_in, n_out, k, s, p):
        pos = np.arange(n_in)[:, None] + p - np.arange(k)[::-1][None, :]  # [n_in, k]
        ok = (pos >= 0) & (pos % s == 0) & (pos // s < n_out)
        return np.where(ok, pos // s, -1), np.arange(k)[::-1]

    ty, ky = reach(h, oh, kh, sy, py)  # [h, kh]
    tx, kx = reach(w, ow, kw, sx, px)  # [w, kw]
    # Target index for (o, y, x, kyi, kxi): [o, h, w, kh, kw] -> arranged per source.
    tgt = (np.arange(o_n)[:, None, None, None, None] * oh + ty[None, :, None, :, None]) * ow \
        + tx[None, None, :, None, :]
    valid = (ty[None, :, None, :, None] >= 0) & (tx[None, None, :, None, :] >= 0)
    valid = np.broadcast_to(valid, tgt.shape)
    # per source (y, x): the list over (o, kyi, kxi)
    tgt = tgt.transpose(1, 2, 0, 3, 4).reshape(h * w, o_n * kh * kw)
    valid = valid.transpose(1, 2, 0, 3, 4).reshape(h * w, o_n * kh * kw)

    counts, targets, wgt = [], [], []
    for c in range(c_n):
        # kernel[o, c, ky[kyi], kx[kxi]] in the (o, kyi, kxi) order of the lists
        kc = kernel[:, c][:, ky][:, :, kx].reshape(1, o_n * kh * kw)
        keep = valid & (kc != 0)
        counts.append(keep.sum(axis=1))
        targets.append(tgt[keep])      # row-major: source by source, in list order
        wgt.append(np.broadcast_to(kc, keep.shape)[keep])
    return (np.concatenate(counts).astype(np.int64),
            np.concatenate(targets).astype(np.intp),
            np.concatenate(wgt).astype(np.int64))


def _read_spike_file(json_path, where, rel, size):
    full = os.path.join(os.path.dirname(json_path), rel)
    times = [[] for _ in range(size)]
    with open(full, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != ["step", "neuron"]:
            _err(json_path, where, "%s: header must be 'step,neuron'" % rel)
        for lineno, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != 2:
                _err(json_path, where, "%s:%d: expected 2 columns" % (rel, lineno))
            step, neuron = int(row[0]), int(row[1])
            if not 0 <= neuron < size:
                _err(json_path, where, "%s:%d: neuron %d out of range" % (rel, lineno, neuron))
            times[neuron].append(step)
    return times


def load_network(path):
    """Load a network directory (or a network JSON file) into a `Network`."""
    json_path = os.path.join(path, "network.json") if os.path.isdir(path) else path
    with open(json_path) as f:
        doc = json.load(f)

    _check_keys(json_path, "$", doc,
                ("version", "name", "inputs", "layers", "connections", "probes"),
                required=("version", "layers"))
    version = _int(json_path, "version", doc["version"])
    if version > FORMAT_VERSION or version < 1:
        _err(json_path, "version", "%d not supported (highest is %d)" % (version, FORMAT_VERSION))

    names = set()

    def claim(where, name):
        if not isinstance(name, str) or not name:
            _err(json_path, where, "name must be a non-empty string")
        if name in names:
            _err(json_path, where, "duplicate name %r" % name)
        names.add(name)

    inputs = []
    for i, obj in enumerate(doc.get("inputs", [])):
        w = "inputs[%d]" % i
        _check_keys(json_path, w, obj, ("name", "kind", "size", "shape", "spike_times", "spike_file"),
                    required=("name", "kind"))
        claim(w + ".name", obj["name"])
        if obj["kind"] != "spike_train":
            _err(json_path, w + ".kind", "unknown kind %r" % (obj["kind"],))
        size, shape = _size_and_shape(json_path, w, obj)
        if ("spike_times" in obj) == ("spike_file" in obj):
            _err(json_path, w, "exactly one of spike_times / spike_file is required")
        if "spike_times" in obj:
            times = obj["spike_times"]
            if not isinstance(times, list) or len(times) != size:
                _err(json_path, w + ".spike_times", "expected %d arrays" % size)
            times = [[_int(json_path, "%s.spike_times[%d]" % (w, n), t, 1) for t in ts]
                     for n, ts in enumerate(times)]
        else:
            times = _read_spike_file(json_path, w + ".spike_file", obj["spike_file"], size)
        by_step = collections.defaultdict(list)
        for n, ts in enumerate(times):
            if len(set(ts)) != len(ts):
                _err(json_path, w, "source %d spikes twice in one step" % n)
            for t in ts:
                if t < 1:
                    _err(json_path, w, "source %d: step %d < 1" % (n, t))
                by_step[t].append(n)
        spikes = {t: sorted(ns) for t, ns in sorted(by_step.items())}
        inputs.append(dict(name=obj["name"], size=size, shape=shape, spikes=spikes))

    layers = []
    if not isinstance(doc["layers"], list) or not doc["layers"]:
        _err(json_path, "layers", "at least one layer is required")
    for i, obj in enumerate(doc["layers"]):
        w = "layers[%d]" % i
        _check_keys(json_path, w, obj, ("name", "kind", "size", "shape", "neuron"),
                    required=("name", "neuron"))
        claim(w + ".name", obj["name"])
        if obj.get("kind", "neurons") != "neurons":
            _err(json_path, w + ".kind", "layer kind %r is not supported here (only neuron "
                 "layers; stages are folded by Neuromesh's mapper)" % (obj["kind"],))
        size, shape = _size_and_shape(json_path, w, obj)
        nw = w + ".neuron"
        neuron = obj["neuron"]
        _check_keys(json_path, nw, neuron, ("model",) + tuple(NEURON_DEFAULTS) + ("vth_mant",),
                    required=("model", "vth_mant"))
        if neuron["model"] not in NEURON_MODELS:
            _err(json_path, nw + ".model", "unknown model %r" % (neuron["model"],))
        p = dict(NEURON_DEFAULTS)
        p.update({k: v for k, v in neuron.items() if k != "model"})
        layer = dict(name=obj["name"], size=size, shape=shape, model=neuron["model"])
        # decay_u, decay_v, vth_mant and refract_delay: one integer, or one per neuron
        # (an array or a .npy path); kept as int64 arrays of `size` values.
        layer["decay_u"] = _int_field(json_path, nw + ".decay_u", p["decay_u"], size, 0, 4095)
        layer["decay_v"] = _int_field(json_path, nw + ".decay_v", p["decay_v"], size, 0, 4095)
        if neuron["model"] == "LoihiSpikingRectifiedLinear" and np.any(layer["decay_v"] != 0):
            _err(json_path, nw + ".decay_v", "must be 0 for LoihiSpikingRectifiedLinear")
        layer["vth_mant"] = _int_field(json_path, nw + ".vth_mant", p["vth_mant"], size, 1, 2 ** 17 - 1)
        bias = p["bias_mant"]
        if isinstance(bias, int) and not isinstance(bias, bool):
            bias = np.full(size, bias, dtype=np.int64)
        else:
            bias = _int_array(json_path, nw + ".bias_mant", bias, (size,))
        if np.any(bias < -4096) or np.any(bias > 4095):
            _err(json_path, nw + ".bias_mant", "out of range -4096...4095")
        layer["bias_mant"] = bias
        layer["bias_exp"] = _int(json_path, nw + ".bias_exp", p["bias_exp"], 0, 7)
        layer["refract_delay"] = _int_field(json_path, nw + ".refract_delay", p["refract_delay"], size, 0, 63)
        layer["vmin"] = _int(json_path, nw + ".vmin", p["vmin"])
        if layer["vmin"] not in VMIN_ALLOWED:
            _err(json_path, nw + ".vmin", "%d is not -(2^e - 1), e = 0...23" % layer["vmin"])
        layer["vmax"] = _int(json_path, nw + ".vmax", p["vmax"])
        if layer["vmax"] not in VMAX_ALLOWED:
            _err(json_path, nw + ".vmax", "%d is not 2^(9+2f) - 1, f = 0...7" % layer["vmax"])
        layers.append(layer)

    sizes = {x["name"]: x["size"] for x in inputs + layers}
    shapes = {x["name"]: x["shape"] for x in inputs + layers}
    layer_names = {l["name"] for l in layers}
    connections = []
    for i, obj in enumerate(doc.get("connections", [])):
        w = "connections[%d]" % i
        _check_keys(json_path, w, obj, ("from", "to", "kind", "weights", "weight_exp", "weight_bits",
                                        "stride", "padding"),
                    required=("from", "to", "weights"))
        if obj["from"] not in sizes:
            _err(json_path, w + ".from", "unknown input or layer %r" % (obj["from"],))
        if obj["to"] not in layer_names:
            _err(json_path, w + ".to", "unknown layer %r" % (obj["to"],))
        kind = obj.get("kind", "dense")
        if kind not in ("dense", "conv2d"):
            _err(json_path, w + ".kind", 'unknown connection kind %r (use "dense" or "conv2d")' % (kind,))
        weight_exp = _int(json_path, w + ".weight_exp", obj.get("weight_exp", 0), -8, 7)
        weight_bits = _int(json_path, w + ".weight_bits", obj.get("weight_bits", 8))
        if weight_bits not in WEIGHT_BITS_ALLOWED:
            _err(json_path, w + ".weight_bits", "%d not in %s" % (weight_bits, WEIGHT_BITS_ALLOWED))
        conn = {"from": obj["from"], "to": obj["to"], "kind": kind,
                "weight_exp": weight_exp, "weight_bits": weight_bits}
        if kind == "dense":
            for key in ("stride", "padding"):
                if key in obj:
                    _err(json_path, "%s.%s" % (w, key), "%r belongs to conv2d connections" % key)
            shape = (sizes[obj["to"]], sizes[obj["from"]])
            weights = _int_array(json_path, w + ".weights", obj["weights"], shape)
            if np.any(weights < -256) or np.any(weights > 255):
                _err(json_path, w + ".weights", "weights out of range -256...255")
            conn["weights"] = weights
        else:
            conn.update(_load_conv(json_path, w, obj, version, shapes))
        connections.append(conn)

    # probes are only validated; the reference always records every layer in full
    for i, obj in enumerate(doc.get("probes", [])):
        w = "probes[%d]" % i
        _check_keys(json_path, w, obj, ("name", "layer", "kind", "neurons"), required=("layer", "kind"))
        if obj["layer"] not in layer_names:
            _err(json_path, w + ".layer", "unknown layer %r" % (obj["layer"],))
        if obj["kind"] not in ("spikes", "voltage", "current"):
            _err(json_path, w + ".kind", "unknown kind %r" % (obj["kind"],))

    return Network(doc.get("name", ""), inputs, layers, connections, json_path)


# --------------------------------------------------------------------------
# Translation to NengoLoihi blocks
# --------------------------------------------------------------------------


def stored_weights(weights, weight_exp, weight_bits):
    """NengoLoihi's stored integer weights for our Wgt matrix [to, from].

    Returns an int32 array [from, to] (rows = input axons = source neurons):
    the amount one spike of source i adds to the synaptic input (q) of target j.
    """
    from nengo_loihi.block import SynapseConfig
    from nengo_loihi.builder.discretize import discretize_weights

    cfg = SynapseConfig(weight_exp=weight_exp,
                        weight_bits=SynapseConfig.WEIGHT_BITS_MAP.index(weight_bits),
                        fanout_type=1, compression=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Lost %d extra bits in weight rounding"
        # check_result (stored // 2**(6 + weight_exp) within -256..255) holds for every
        # Wgt in -256..255, every weight_bits and every weight_exp -8..7 (checked
        # exhaustively), so it is left on, including for -8, which only NengoLoihi's
        # validator (not called here) rejects.
        return discretize_weights(cfg, np.asarray(weights, dtype=np.float64).T,
                                  dtype=np.int32, check_result=True)


def _set_int(array, values):
    """Fill a float32 NengoLoihi parameter array with int32 values, in place.

    Same technique as ``discretize.array_to_int``: the array's dtype is switched
    to int32 (same itemsize), so the object held by the Compartment changes type.
    """
    assert array.dtype == np.float32
    values = np.asarray(values)
    assert np.all(values == np.round(values))
    array.dtype = np.int32
    array[:] = values.astype(np.int32)


class BuiltModel:
    """The NengoLoihi objects built for one network."""

    def __init__(self, network, model, blocks, spike_inputs, synapses):
        self.network = network
        self.model = model            # nengo_loihi.builder.Model
        self.blocks = blocks          # layer name -> LoihiBlock
        self.spike_inputs = spike_inputs  # input name -> SpikeInput
        self.synapses = synapses      # list of (connection dict, Synapse)


def _set_conv_weights(synapse, conn):
    """Give ``synapse`` a conv2d connection's sparse per-axon lists.

    One list per input axon (= source neuron), built by `conv_synapses`: target
    compartment indices and the stored integer weights, i.e. `stored_weights` applied to
    each Wgt value (the discretization is element-wise, so this is exactly the dense
    path's rounding). NengoLoihi's ``Synapse._set_weights_indices`` takes the lists
    (rows of shape (1, n) per axon; ``set_weights`` does the same for a scipy sparse
    matrix, with float weights). The lists are views of one contiguous array each.
    """
    from nengo_loihi.block import SynapseConfig

    counts, targets, wgt = conv_synapses(conn)
    stored = np.ascontiguousarray(
        stored_weights(wgt[None, :], conn["weight_exp"], conn["weight_bits"])[:, 0])
    offsets = np.concatenate([[0], np.cumsum(counts)])
    cut = offsets[1:-1]
    synapse._set_weights_indices(np.split(stored, cut), indices=np.split(targets, cut),
                                 weight_dtype=np.int32, compression=3)
    # _set_weights_indices sets a default format (7 weight bits); give ours
    synapse.format(
        weight_exp=conn["weight_exp"],
        weight_bits=SynapseConfig.WEIGHT_BITS_MAP.index(conn["weight_bits"]),
    )
    assert all(w.shape[1] == n for w, n in zip(synapse.weights, counts))


def build_model(network):
    """Build the NengoLoihi block-level model for a loaded `Network`."""
    from nengo_loihi.block import Axon, LoihiBlock, Synapse, SynapseConfig
    from nengo_loihi.builder import Model
    from nengo_loihi.inputs import SpikeInput

    model = Model(dt=0.001, label=network.name or None)

    blocks = collections.OrderedDict()
    for layer in network.layers:
        n = layer["size"]
        block = LoihiBlock(n, label=layer["name"])
        comp = block.compartment
        _set_int(comp.decay_u, np.broadcast_to(layer["decay_u"], (n,)))
        _set_int(comp.decay_v, np.broadcast_to(layer["decay_v"], (n,)))
        _set_int(comp.vth, np.broadcast_to(layer["vth_mant"] * 2 ** 6, (n,)))
        _set_int(comp.bias, layer["bias_mant"] * 2 ** layer["bias_exp"])
        comp.refract_delay[:] = layer["refract_delay"]  # already int32
        comp.vmin = int(layer["vmin"])
        comp.vmax = int(layer["vmax"])
        comp.scale_u = False
        comp.scale_v = False
        comp.enable_noise[:] = False
        comp.noise_exp = 0
        comp.noise_offset = 0
        comp.noise_at_membrane = 0
        model.add_block(block)
        blocks[layer["name"]] = block

    spike_inputs = collections.OrderedDict()
    for inp in network.inputs:
        si = SpikeInput(inp["size"], label=inp["name"])
        for t, idxs in inp["spikes"].items():
            si.add_spikes(t, np.array(idxs, dtype=np.int64))
        model.add_input(si)
        spike_inputs[inp["name"]] = si

    sources = dict(blocks)
    sources.update(spike_inputs)
    sizes = network.sizes()

    synapses = []
    for k, conn in enumerate(network.connections):
        n_from = sizes[conn["from"]]
        target = blocks[conn["to"]]
        label = "%s->%s#%d" % (conn["from"], conn["to"], k)
        synapse = Synapse(n_from, label=label)
        if conn["kind"] == "conv2d":
            _set_conv_weights(synapse, conn)
        else:
            # Dense rows, one per input axon (= source neuron). set_weights gives
            # compression=3 (dense), fanout_type=1 (mixed sign); the weights are
            # replaced with the stored integers just below.
            synapse.set_weights(np.zeros((n_from, target.n_neurons), dtype=np.float32))
            synapse.format(
                weight_exp=conn["weight_exp"],
                weight_bits=SynapseConfig.WEIGHT_BITS_MAP.index(conn["weight_bits"]),
            )
            # One C-contiguous int32 array; its rows are the per-axon weight rows.
            # (stored_weights works on the transpose of our [to, from] matrix, so its rows
            # are strided views, one cache line per weight: the same numbers, read 2-3x
            # slower by the emulator's per-spike `qb[0, base + indices] += weights`.)
            w_int = np.ascontiguousarray(
                stored_weights(conn["weights"], conn["weight_exp"], conn["weight_bits"]))
            synapse._set_weights_indices(list(w_int), weight_dtype=np.int32, compression=3)
            # _set_weights_indices resets the format's weight_bits; restore ours
            synapse.format(
                weight_exp=conn["weight_exp"],
                weight_bits=SynapseConfig.WEIGHT_BITS_MAP.index(conn["weight_bits"]),
            )
        cfg = synapse.synapse_cfg
        assert cfg.compression == 3 and cfg.fanout_type == 1
        assert cfg.real_weight_bits == conn["weight_bits"] and cfg.weight_exp == conn["weight_exp"]
        assert all(w.dtype == np.int32 and w.flags.c_contiguous for w in synapse.weights)
        target.add_synapse(synapse)

        axon = Axon(n_from, label=label)
        axon.target = synapse
        axon.set_compartment_axon_map(np.arange(n_from, dtype=np.int32))
        sources[conn["from"]].add_axon(axon)
        synapses.append((conn, synapse))

    return BuiltModel(network, model, blocks, spike_inputs, synapses)


def make_emulator(built, seed=0):
    from nengo_loihi.emulator import EmulatorInterface

    assert EmulatorInterface.strict is False  # overflow -> warning, not error
    with warnings.catch_warnings():
        # CompartmentState fills its int32 arrays with NaN before overwriting
        # them ("invalid value encountered in cast"); harmless.
        warnings.simplefilter("ignore", RuntimeWarning)
        return EmulatorInterface(built.model, seed=seed)


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------


class RunResult:
    """Per-layer state after every step, plus the emulator's overflow warnings.

    ``layers[name]`` = {"spikes": int8 [steps, n], "voltage": int32 [steps, n],
    "current": int32 [steps, n]}; row k is the state at the end of step k + 1.
    ``warnings`` maps each warning message (e.g. "Overflow in q0") to the
    number of steps in which it was raised.
    """

    def __init__(self, layers, warning_counts):
        self.layers = layers
        self.warnings = warning_counts


def run_built(built, steps, seed=0):
    emu = make_emulator(built, seed=seed)
    slices = {name: emu.block_info.slices[block] for name, block in built.blocks.items()}
    out = collections.OrderedDict()
    for name, block in built.blocks.items():
        n = block.n_neurons
        out[name] = {
            "spikes": np.zeros((steps, n), dtype=np.int8),
            "voltage": np.zeros((steps, n), dtype=np.int32),
            "current": np.zeros((steps, n), dtype=np.int32),
        }
    counts = collections.Counter()
    comp = emu.compartment
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(steps):
            emu.step()
            for name, sl in slices.items():
                out[name]["spikes"][k] = comp.spiked[sl]
                out[name]["voltage"][k] = comp.voltage[sl]
                out[name]["current"][k] = comp.current[sl]
            for msg in {str(w.message) for w in caught}:
                counts[msg] += 1
            del caught[:]
    emu.close()
    return RunResult(out, dict(counts))


def run_network(path_or_network, steps, seed=0):
    """Load (if given a path), build and run a network; returns a `RunResult`."""
    net = path_or_network
    if not isinstance(net, Network):
        net = load_network(net)
    return run_built(build_model(net), steps, seed=seed)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("network", help="network directory (with network.json) or JSON file")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", metavar="DIR",
                    help="also write <layer>.spikes/voltage/current.npy into DIR")
    args = ap.parse_args(argv)

    result = run_network(args.network, args.steps, seed=args.seed)
    width = max(len(n) for n in result.layers)
    for name, d in result.layers.items():
        s = d["spikes"]
        print("%-*s  size %5d  spikes %7d" % (width, name, s.shape[1], int(s.sum())))
    for msg, n in sorted(result.warnings.items()):
        print("warning: %s (in %d steps)" % (msg, n))
    if args.save:
        os.makedirs(args.save, exist_ok=True)
        for name, d in result.layers.items():
            for key, arr in d.items():
                np.save(os.path.join(args.save, "%s.%s.npy" % (name, key)), arr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
