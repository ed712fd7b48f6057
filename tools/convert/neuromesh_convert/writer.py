"""The one writer: a ``Model`` (ir.py) plus conversion choices → network.json (format
version 2) and float32 ``.npy`` files, written atomically.

Lowering rules (docs in tools/convert/README.md):

* every affine operation (``Dense``/``Conv2d``) and the neurons after it become one layer;
  the connection into it carries the affine weights unchanged (real ``[to, from]`` matrix,
  or a ``[out, in, kh, kw]`` kernel); ``SumPool2d`` becomes an ``avgpool2d`` stage and its
  window size multiplies the next affine weights;
* ``relu`` neurons (ANN ReLU) with scale s: ``LoihiSpikingRectifiedLinear``, gain = s,
  bias = s·b, amplitude = 1/s: the neuron fires at s·relu(W·x + b) spikes/s and the next
  layer sees the mean input W_next·a, as in the ANN;
* ``if`` neurons (NIR IF: dv/dt = r·I, threshold v_th): gain = r/v_th, bias = r·b/v_th,
  amplitude 1 (a NIR spike is a unit impulse);
* ``lif`` neurons (NIR LIF/CubaLIF): ``LoihiLIF`` with tau_rc = tau, tau_ref = 0,
  tau_s = tau_syn (CubaLIF) or 0, gain = r·w_in/v_th (times the impulse correction
  (dt/τ)/(1 − e^(−dt/τ)) when the source spikes), bias = (r·w_in·b + v_leak)/v_th;
* the readout (last layer, named ``out``): ``LoihiSpikingRectifiedLinear`` read by its
  current J = u + bias: ``linear`` (ANN logits, gain = bias factor = s_out), ``li``
  (tau_s = tau, gain r, bias r·b + v_leak), ``integrator`` (gain r, bias r·b).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from . import ir
from .errors import Refusals


@dataclass
class ConvertOptions:
    """The choices a conversion makes beyond the model itself."""

    dt: float = 0.001
    encoding: str = "spiking"  # "spiking" (values in [0, 1]) or "on_off" (dense first layer only)
    input_rate: float = 1000.0  # spikes/s of an encoder unit at full scale (≤ 1/dt)
    tau_s: float = 0.0  # synaptic filter of converted ReLU layers (s); 0 = none
    readout_tau_s: float = 0.0  # synaptic filter of a linear readout
    lif_min_voltage: float = -1.0  # LoihiLIF voltage floor, as a fraction of the threshold
    name: str = ""
    # Scales s per "relu" Neurons op name and per linear Readout op name (scaling.py).
    scales: dict = field(default_factory=dict)


OUTPUT_LAYER = "out"
INPUT_NAME = "input"


def _uniform(a: np.ndarray) -> Optional[float]:
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    if a.size and np.all(a == a[0]):
        return float(a[0])
    return None


def _per_neuron(value, size: int) -> np.ndarray:
    """A scalar or an array of ``size`` values (any shape, flattened channels-first)."""
    a = np.asarray(value, dtype=np.float64).reshape(-1)
    return np.broadcast_to(a if a.size > 1 else a.reshape(()), (size,)).copy()


def _bias_per_neuron(op, out_shape) -> np.ndarray:
    size = int(np.prod(out_shape))
    if op.bias is None:
        return np.zeros(size)
    if isinstance(op, ir.Conv2d):
        return np.broadcast_to(op.bias.reshape(-1, 1, 1), out_shape).reshape(-1).astype(np.float64)
    return op.bias.astype(np.float64).reshape(-1)


@dataclass
class LayerPlan:
    """One layer of the network to write (after lowering)."""

    name: str
    shape: tuple
    neuron: dict  # JSON neuron object; arrays as np.ndarray, written to .npy
    source: str  # input, layer or stage it reads
    weights: np.ndarray
    conv: Optional[ir.Conv2d] = None
    op_names: tuple = ()


@dataclass
class NetworkPlan:
    name: str
    dt: float
    input_shape: tuple
    encoding: str
    input_rate: float
    layers: list  # LayerPlan
    stages: list  # (after layer index, JSON stage object)
    entries: list  # ordered ("layer", LayerPlan) / ("stage", dict) for JSON order


def plan(model: ir.Model, options: ConvertOptions) -> NetworkPlan:
    """Lowers ``model`` to layers, stages and connections; refuses (all at once) what the
    network format cannot express."""
    refusals = Refusals()
    dt = options.dt
    if options.encoding not in ("spiking", "on_off"):
        refusals.add("option --encoding", f"unknown encoding '{options.encoding}'", "use spiking or on_off")
    if not (0 < options.input_rate <= 1 / dt + 1e-9):
        refusals.add("option --input-rate", f"{options.input_rate} spikes/s is not in (0, 1/dt = {1 / dt:g}]", f"use a rate of at most {1 / dt:g}")
    shape = tuple(int(v) for v in model.input_shape)
    source = INPUT_NAME
    source_spiking = False  # is the current source a spiking layer (vs the encoded input)?
    through_stage = False
    factor = 1.0
    entries = []
    layers = []
    stages = []
    ops = list(model.ops)
    i = 0
    n_affine = sum(isinstance(op, ir.AFFINE) for op in ops)
    seen_affine = 0
    while i < len(ops):
        op = ops[i]
        if isinstance(op, ir.STAGES):
            if isinstance(op, ir.Flatten):
                stage = {"name": op.name, "kind": "flatten", "input": source}
                shape = (int(np.prod(shape)),)
            else:
                if len(shape) != 3:
                    refusals.add(f"'{op.name}' ({type(op).__name__})", f"pools a {len(shape)}-D value of shape {list(shape)}", "pool channels-first [C, H, W] data only")
                    i += 1
                    continue
                kernel = ir.pair(op.kernel)
                stride = ir.pair(op.stride) if op.stride is not None else kernel
                stage = {"name": op.name, "kind": "avgpool2d", "input": source, "kernel": list(kernel), "stride": list(stride)}
                if isinstance(op, ir.SumPool2d):
                    factor *= kernel[0] * kernel[1]
                shape = ir.pool_output_shape(shape, kernel, stride)
            entries.append(("stage", stage))
            stages.append(stage)
            source = op.name
            through_stage = True
            i += 1
            continue
        if isinstance(op, ir.NEURONS):
            refusals.add(f"'{op.name}' ({type(op).__name__})", "neurons with no affine operation (Dense/Linear/Conv2d) before them", "put a weight layer before every neuron layer, or remove the extra neurons")
            i += 1
            continue
        # An affine op, and the neurons that read it (or none: a linear readout).
        seen_affine += 1
        nxt = ops[i + 1] if i + 1 < len(ops) else None
        if isinstance(nxt, ir.AFFINE):
            refusals.add(f"'{nxt.name}' ({type(nxt).__name__})", f"follows '{op.name}' with no neurons in between", "insert an activation (ReLU) between them, or multiply the two weight matrices into one")
        neurons = nxt if isinstance(nxt, ir.NEURONS) else ir.Readout(name=op.name + "_readout", kind="linear")
        last = seen_affine == n_affine
        if isinstance(neurons, ir.Readout) and not last:
            refusals.add(f"'{neurons.name}' (readout)", "a non-spiking readout that feeds further layers", "use a readout only as the last layer")
        if isinstance(op, ir.Conv2d):
            if len(shape) != 3 or shape[0] != op.weight.shape[1]:
                refusals.add(f"'{op.name}' (Conv2d)", f"expects {op.weight.shape[1]} input channels but reads shape {list(shape)}", "check the model's input shape (channels-first [C, H, W])")
                break
            out_shape = ir.conv_output_shape(shape, op)
            weights = op.weight.astype(np.float64) * factor
        else:
            size_in = int(np.prod(shape))
            if op.weight.shape[1] != size_in:
                refusals.add(f"'{op.name}' (Dense)", f"has {op.weight.shape[1]} inputs but reads {size_in} values (shape {list(shape)})", "check the model's input shape")
                break
            out_shape = (op.weight.shape[0],)
            weights = op.weight.astype(np.float64) * factor
        if source == INPUT_NAME and options.encoding == "on_off" and (isinstance(op, ir.Conv2d) or through_stage):
            refusals.add(f"'{op.name}' ({type(op).__name__})", "reads an on/off-encoded input through a convolution or stage; on/off pairs carry only dense connections", "use --encoding spiking (values in [0, 1])")
        factor = 1.0
        size = int(np.prod(out_shape))
        b = _bias_per_neuron(op, out_shape)
        neuron = _neuron(neurons, b, size, options, source_spiking, refusals)
        name = OUTPUT_LAYER if last else op.name
        layer = LayerPlan(name=name, shape=tuple(out_shape), neuron=neuron, source=source, weights=weights,
                          conv=op if isinstance(op, ir.Conv2d) else None, op_names=(op.name, neurons.name))
        layers.append(layer)
        entries.append(("layer", layer))
        source = name
        source_spiking = True
        through_stage = False
        shape = tuple(out_shape)
        i += 2 if isinstance(nxt, ir.NEURONS) else 1
    if not layers and not refusals:
        refusals.add(f"model '{model.name}'", "has no weight layer", "convert a model with at least one Dense/Linear/Conv2d layer")
    names = [INPUT_NAME] + [e[1].name for e in entries if e[0] == "layer"] + [e[1]["name"] for e in entries if e[0] == "stage"]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        refusals.add(f"model '{model.name}'", f"names {dup} are used twice (inputs, layers and stages share one namespace)", "rename the layers")
    refusals.raise_if_any()
    return NetworkPlan(name=options.name or model.name, dt=dt, input_shape=tuple(int(v) for v in model.input_shape),
                       encoding=options.encoding, input_rate=options.input_rate, layers=layers, stages=stages, entries=entries)


def _neuron(op, b: np.ndarray, size: int, options: ConvertOptions, source_spiking: bool, refusals: Refusals) -> dict:
    dt = options.dt
    rsl = "LoihiSpikingRectifiedLinear"
    if isinstance(op, ir.Readout):
        p = op.params
        if op.kind == "linear":
            s = float(options.scales.get(op.name, 1.0))
            return {"model": rsl, "gain": s, "bias": s * b, "amplitude": 1.0 / s, "tau_s": options.readout_tau_s}
        r = _per_neuron(p.get("r", 1.0), size)
        leak = _per_neuron(p.get("v_leak", 0.0), size)
        if op.kind == "li":
            tau = _per_neuron(p["tau"], size)
            if _uniform(tau) is None:
                refusals.add(f"node '{op.name}' (LI)", f"tau varies across neurons ({tau.min():g} ... {tau.max():g} s); the chip's current decay is one per layer", "give the readout one time constant")
                tau_s = float(tau.mean())
            else:
                tau_s = _uniform(tau)
            return {"model": rsl, "gain": r, "bias": r * b + leak, "amplitude": 1.0, "tau_s": tau_s}
        return {"model": rsl, "gain": r, "bias": r * b, "amplitude": 1.0, "tau_s": 0.0}
    if op.kind == "relu":
        s = float(options.scales.get(op.name, 1.0))
        return {"model": rsl, "gain": s, "bias": s * b, "amplitude": 1.0 / s, "tau_s": options.tau_s}
    p = op.params
    r = _per_neuron(p.get("r", 1.0), size)
    vth = _per_neuron(p.get("v_threshold", 1.0), size)
    amplitude = float(p.get("amplitude", 1.0))
    if op.kind == "if":
        return {"model": rsl, "gain": r / vth, "bias": r * b / vth, "amplitude": amplitude, "tau_s": 0.0}
    # LIF / CubaLIF
    tau = _per_neuron(p["tau"], size)
    w_in = _per_neuron(p.get("w_in", 1.0), size)
    leak = _per_neuron(p.get("v_leak", 0.0), size)
    tau_rc = _uniform(tau)
    if tau_rc is None:
        refusals.add(f"node '{op.name}' (LIF)", f"tau varies across neurons ({tau.min():g} ... {tau.max():g} s); the chip's voltage decay is one per layer", "give the layer one membrane time constant")
        tau_rc = float(tau.mean())
    gain = r * w_in / vth
    tau_s = 0.0
    if "tau_syn" in p:
        ts = _per_neuron(p["tau_syn"], size)
        if _uniform(ts) is None:
            refusals.add(f"node '{op.name}' (CubaLIF)", f"tau_syn varies across neurons ({ts.min():g} ... {ts.max():g} s); the chip's current decay is one per layer", "give the layer one synaptic time constant")
        tau_s = float(ts.mean())
    # A one-step current pulse reaches the voltage (or current) filter through (1 − e^(−dt/τ));
    # NIR's impulse through dt/τ: correct the gain of layers fed by unit-impulse spikes.
    if p.get("impulse_correction", source_spiking):
        tau = tau_s if tau_s > 0 else tau_rc
        gain = gain * (dt / tau) / -math.expm1(-dt / tau)
    return {"model": "LoihiLIF", "tau_rc": tau_rc, "tau_ref": 0.0, "tau_s": tau_s, "gain": gain,
            "bias": (r * w_in * b + leak) / vth, "amplitude": amplitude, "min_voltage": options.lif_min_voltage}


# ---------------------------------------------------------------------------------------
# Writing.


def _json_number(x: float):
    x = float(x)
    if x == int(x) and abs(x) < 1e15:
        return int(x)
    return x


def _format(doc: dict) -> str:
    """Top-level keys one per line; each input, layer, connection and probe on one line."""
    lines = ["{"]
    keys = list(doc)
    for k, key in enumerate(keys):
        value = doc[key]
        comma = "," if k < len(keys) - 1 else ""
        if isinstance(value, list):
            lines.append(f'  "{key}": [')
            for j, item in enumerate(value):
                lines.append("    " + json.dumps(item) + ("," if j < len(value) - 1 else ""))
            lines.append("  ]" + comma)
        else:
            lines.append(f'  "{key}": {json.dumps(value)}{comma}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def network_document(plan_: NetworkPlan, files: dict, sample_file: str = "sample.npy") -> dict:
    """The network.json object; ``files`` receives {file name: float32 array} to save."""
    shape = list(plan_.input_shape)
    inp = {"name": INPUT_NAME, "kind": "real"}
    if len(shape) == 1:
        inp["size"] = shape[0]
    else:
        inp["shape"] = shape
    inp["values"] = sample_file
    inp["encoding"] = {"kind": plan_.encoding, "rate": _json_number(plan_.input_rate)}
    layers_json = []
    connections = []
    for kind, entry in plan_.entries:
        if kind == "stage":
            layers_json.append(entry)
            continue
        layer = entry
        neuron = {}
        for key, value in layer.neuron.items():
            if isinstance(value, np.ndarray):
                u = _uniform(value)
                if u is not None:
                    neuron[key] = _json_number(u)
                else:
                    fname = f"{layer.name}_{key}.npy"
                    files[fname] = value.astype(np.float32)
                    neuron[key] = fname
            elif isinstance(value, str):
                neuron[key] = value
            else:
                neuron[key] = _json_number(value)
        lj = {"name": layer.name}
        if len(layer.shape) == 1:
            lj["size"] = int(layer.shape[0])
        else:
            lj["shape"] = [int(v) for v in layer.shape]
        lj["neuron"] = neuron
        layers_json.append(lj)
        wname = f"{layer.name}_weights.npy"
        files[wname] = layer.weights.astype(np.float32)
        conn = {"from": layer.source, "to": layer.name}
        if layer.conv is not None:
            conn["kind"] = "conv2d"
            conn["weights"] = wname
            conn["stride"] = [int(v) for v in layer.conv.stride]
            conn["padding"] = [int(v) for v in layer.conv.padding]
        else:
            conn["weights"] = wname
        connections.append(conn)
    return {
        "version": 2,
        "name": plan_.name,
        "dt": plan_.dt,
        "inputs": [inp],
        "layers": layers_json,
        "connections": connections,
        "probes": [{"layer": OUTPUT_LAYER, "kind": "spikes"}],
    }


def write_network(model: ir.Model, out_dir, options: ConvertOptions, sample: Optional[np.ndarray] = None,
                  extras: Optional[dict] = None, conversion: Optional[dict] = None) -> Path:
    """Writes network.json, the weight/parameter ``.npy`` files (float32), ``sample.npy``
    (one input, flattened) and ``extras`` ({relative path: ndarray | bytes | str path of a
    file to copy}) into ``out_dir``, atomically: everything goes into a temporary directory
    beside it, which then replaces ``out_dir`` as a whole (an existing ``out_dir`` must hold a
    network.json, i.e. be an earlier output, or be empty).

    ``conversion`` (any JSON-able dict) is saved as conversion.json: the choices made.
    """
    out_dir = Path(out_dir).resolve()
    p = plan(model, options)
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / "network.json").exists():
        raise FileExistsError(f"{out_dir} exists and holds files but no network.json; refusing to replace it (choose an empty or new directory)")
    files: dict = {}
    doc = network_document(p, files)
    if sample is None:
        sample = np.zeros(int(np.prod(p.input_shape)))
    sample = np.asarray(sample, dtype=np.float32).reshape(-1)
    if sample.size != int(np.prod(p.input_shape)):
        raise ValueError(f"sample has {sample.size} values but the input has {int(np.prod(p.input_shape))}")
    files["sample.npy"] = sample
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        (tmp / "network.json").write_text(_format(doc))
        for fname, arr in files.items():
            np.save(tmp / fname, np.ascontiguousarray(arr))
        if conversion is not None:
            (tmp / "conversion.json").write_text(json.dumps(conversion, indent=2, sort_keys=True) + "\n")
        for rel, value in (extras or {}).items():
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(value, np.ndarray):
                np.save(target, value)
            elif isinstance(value, (bytes, bytearray)):
                target.write_bytes(value)
            else:
                shutil.copyfile(value, target)
        os.chmod(tmp, 0o755)
        old = None
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.rmdir(old)
            os.rename(out_dir, old)
        os.rename(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir / "network.json"
