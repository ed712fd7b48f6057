"""NIR graph (``nir.NIRGraph`` or a ``.nir`` file) → ``ir.Model``, and ``ir.Model`` → NIR.

Nodes: ``Input``, ``Output``, ``Affine``, ``Linear``, ``Conv2d``, ``AvgPool2d``,
``SumPool2d``, ``Flatten``, ``IF``, ``LIF``, ``CubaLIF``, ``LI`` and ``I`` (the integrator)
as the readout; ``Identity`` is skipped. The graph must be a chain from one Input to one
Output.

Units. NIR is continuous-time: time constants in seconds, spikes are unit impulses (Dirac
deltas of area 1), and

* IF:      dv/dt = R·I;                    spike when v > v_threshold, then v = v_reset
* LIF:     τ·dv/dt = (v_leak − v) + R·I;   same threshold and reset
* CubaLIF: τ_syn·dI/dt = −I + w_in·S;  τ_mem·dv/dt = (v_leak − v) + R·I
* LI:      τ·dv/dt = (v_leak − v) + R·I (no spikes);  I: dv/dt = R·I

Neuromesh's real model normalises the voltage by the threshold (v/v_threshold, threshold 1,
reset 0) and takes its input current J in the same units, so:

* IF → LoihiSpikingRectifiedLinear: gain = R/v_th, bias = R·b/v_th (b: the Affine/Conv
  bias), amplitude 1. Exact up to time discretisation: an impulse adds R·w/v_th to v at once
  in both; the rate for constant input is quantised to whole steps and v never goes below 0
  (the chip's vmin) where NIR's IF can go negative.
* LIF → LoihiLIF: tau_rc = τ, tau_ref = 0, gain = R/v_th, bias = (R·b + v_leak)/v_th — a
  leak voltage is a constant current in these equations, so it is exact as a bias. For a
  layer fed by spikes the gain also carries (dt/τ)/(1 − e^(−dt/τ)) (≈ 1 + dt/2τ): a
  Neuromesh spike is a one-step current pulse that the voltage filter sees through
  (1 − e^(−dt/τ)), and this factor makes its voltage step equal NIR's R·w/(τ·v_th).
  Approximated: spike times are whole steps, one step of delay per connection, at most one
  spike per step, the voltage floor (min_voltage, default −1: −v_th).
* CubaLIF → LoihiLIF with tau_s = τ_syn, gain = R·w_in/v_th (× (dt/τ_syn)/(1 − e^(−dt/τ_syn))
  for spiking sources), bias = (R·w_in·b + v_leak)/v_th. Approximated as LIF, and the bias
  acts at once where NIR's passes through the synapse (same steady state).
* LI → the output layer, read by its current: tau_s = τ, gain = R, bias = R·b + v_leak (its
  current J = u + bias is NIR's v). I → the same with tau_s = 0 (the mean current is the
  integrator's slope).

Refused: v_reset ≠ 0 (the chip resets to 0), per-neuron τ (one decay per layer), τ ≤ 0,
v_threshold ≤ 0, dilation, groups, pooling padding, and the node types above not listed.

Graphs exported from a discrete-time simulator (snnTorch and others write τ = dt/(1 − β)
and treat a spike as a one-step pulse of height 1) take ``dt_graph``: time constants are
read in steps of ``dt_graph`` (τ → −dt/ln(1 − dt_graph/τ), which reproduces the decay β
per step exactly), spikes have area ``dt_graph`` (amplitude = dt in Neuromesh's time), an
IF's R is multiplied by dt_graph/dt, and no impulse correction is applied.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .. import ir
from ..errors import Refusals

SUPPORTED = ("Input", "Output", "Affine", "Linear", "Conv2d", "AvgPool2d", "SumPool2d", "Flatten",
             "IF", "LIF", "CubaLIF", "LI", "I", "Identity")
FIXES = {
    "Scale": "multiply the scale into the preceding Affine/Linear weights",
    "Delay": "remove the delay: every Neuromesh connection has one step of delay",
    "Threshold": "use IF or LIF neurons",
    "Conv1d": "express it as a Conv2d over a [C, 1, W] input",
    "CubaLI": "use an LI readout (one time constant)",
    "NIRGraph": "flatten the subgraph into the main graph",
}


def _arr(v, dtype=np.float64):
    return None if v is None else np.asarray(v, dtype=dtype)


def _chain(graph, refusals):
    """Node names from the Input to the Output, or None (refusals added)."""
    nodes = graph.nodes
    succ, pred = {}, {}
    for a, b in graph.edges:
        succ.setdefault(a, []).append(b)
        pred.setdefault(b, []).append(a)
    inputs = [n for n, node in nodes.items() if type(node).__name__ == "Input"]
    outputs = [n for n, node in nodes.items() if type(node).__name__ == "Output"]
    ok = True
    if len(inputs) != 1:
        refusals.add("graph", f"has {len(inputs)} Input nodes", "give the graph exactly one Input")
        ok = False
    if len(outputs) != 1:
        refusals.add("graph", f"has {len(outputs)} Output nodes", "give the graph exactly one Output")
        ok = False
    for n in nodes:
        if len(succ.get(n, [])) > 1:
            refusals.add(f"node '{n}' ({type(nodes[n]).__name__})", f"has {len(succ[n])} outgoing edges ({', '.join(succ[n])}); Neuromesh converts chains only",
                         "convert one path of the graph at a time, or merge the branches")
            ok = False
        if len(pred.get(n, [])) > 1:
            refusals.add(f"node '{n}' ({type(nodes[n]).__name__})", f"has {len(pred[n])} incoming edges ({', '.join(pred[n])}): recurrence or merging branches",
                         "convert a feed-forward chain (recurrent connections are not imported)")
            ok = False
    for a, b in graph.edges:
        for x in (a, b):
            if x not in nodes:
                refusals.add(f"edge ({a} → {b})", f"names '{x}', which is not a node of the graph (a subgraph port?)", "flatten subgraphs into the main graph")
                ok = False
    if not ok:
        return None
    order, seen = [inputs[0]], {inputs[0]}
    while succ.get(order[-1]):
        nxt = succ[order[-1]][0]
        if nxt in seen:
            refusals.add(f"node '{nxt}'", "is part of a cycle", "convert a feed-forward chain")
            return None
        order.append(nxt)
        seen.add(nxt)
    if order[-1] != outputs[0]:
        refusals.add(f"node '{order[-1]}'", "the chain from the Input ends here, not at the Output", "connect every node from the Input to the Output")
        return None
    missing = [n for n in nodes if n not in seen]
    if missing:
        refusals.add("graph", f"nodes {missing} are not on the path from the Input to the Output", "remove them")
        return None
    return order


def _uniform_time_constant(values, node, what, refusals):
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size == 0 or not np.all(v > 0):
        refusals.add(node, f"{what} must be > 0 (found {v.min() if v.size else 'none'})", f"give a positive {what} in seconds")
        return 1.0
    if not np.allclose(v, v[0], rtol=1e-6, atol=0):
        refusals.add(node, f"{what} varies across neurons ({v.min():g} ... {v.max():g} s); the chip's decay is one per layer", f"give the layer one {what}")
    return float(v[0])


def import_nir(graph, name: str | None = None, dt: float = 0.001, dt_graph: float | None = None) -> ir.Model:
    """Converts a ``nir.NIRGraph`` or the path of a ``.nir`` file (see the module docstring).

    ``dt``: the Neuromesh network's step (s); ``dt_graph``: the step of the discrete-time
    simulator the graph was exported from, if any.
    """
    import nir

    if isinstance(graph, (str, Path)):
        name = name or Path(graph).stem
        graph = nir.read(str(graph))
    name = name or "nir-model"
    refusals = Refusals()
    for n, node in graph.nodes.items():
        kind = type(node).__name__
        if kind not in SUPPORTED:
            refusals.add(f"node '{n}' ({kind})", "has no Neuromesh equivalent", FIXES.get(kind, "use Affine/Linear, Conv2d, AvgPool2d/SumPool2d, Flatten, IF/LIF/CubaLIF and an LI or I readout"))
    order = _chain(graph, refusals)
    if order is None:
        refusals.raise_if_any()
    discrete = dt_graph is not None

    def tau_ours(tau, node, what):
        if not discrete:
            return tau
        if tau <= dt_graph:
            refusals.add(node, f"{what} = {tau:g} s is not longer than the graph's step {dt_graph:g} s", "check dt_graph")
            return dt
        return -dt / math.log(1 - dt_graph / tau)

    inp = graph.nodes[order[0]]
    in_type = inp.input_type.get("input") if isinstance(inp.input_type, dict) else None
    shape = tuple(int(v) for v in np.asarray(in_type).reshape(-1)) if in_type is not None else ()
    if not shape:
        refusals.add(f"node '{order[0]}' (Input)", "has no shape", "give the Input node an input_type shape, e.g. [1, 28, 28]")
        refusals.raise_if_any()
    input_shape = shape
    ops = []
    notes = []
    amplitude = 1.0 if not discrete else dt
    spiking_source = False  # does the current value come from spiking neurons?
    names = order[1:-1]
    for k, n in enumerate(names):
        node = graph.nodes[n]
        kind = type(node).__name__
        subject = f"node '{n}' ({kind})"
        last_neurons = all(type(graph.nodes[m]).__name__ in ("Identity",) for m in names[k + 1:])
        if kind == "Identity":
            continue
        if kind in ("Affine", "Linear"):
            w = _arr(node.weight)
            b = _arr(node.bias) if kind == "Affine" else None
            if w.ndim != 2:
                refusals.add(subject, f"weight has shape {list(w.shape)}", "give a [out, in] matrix")
                continue
            if int(np.prod(shape)) != w.shape[1]:
                refusals.add(subject, f"has {w.shape[1]} inputs but reads {int(np.prod(shape))} values (shape {list(shape)})", "check the graph's shapes")
            ops.append(ir.Dense(name=n, weight=w, bias=b))
            shape = (w.shape[0],)
        elif kind == "Conv2d":
            w = _arr(node.weight)
            b = _arr(node.bias)
            stride = ir.pair(node.stride)
            if ir.pair(node.dilation) != (1, 1):
                refusals.add(subject, f"dilation {tuple(ir.pair(node.dilation))} is not supported", "use dilation 1")
            if int(node.groups) != 1:
                refusals.add(subject, f"groups = {node.groups}: grouped convolutions are not supported", "use groups = 1")
            kh, kw = w.shape[2:]
            if isinstance(node.padding, str):
                if node.padding == "same":
                    if stride != (1, 1) or kh % 2 == 0 or kw % 2 == 0:
                        refusals.add(subject, f"padding 'same' with kernel {(kh, kw)} and stride {stride} pads asymmetrically", "use an odd kernel with stride 1, or explicit symmetric padding")
                    padding = (kh // 2, kw // 2)
                else:
                    padding = (0, 0)
            else:
                padding = ir.pair(node.padding)
            if b is not None:
                b = np.broadcast_to(b.reshape(-1), (w.shape[0],)).copy() if b.size in (1, w.shape[0]) else b
            op = ir.Conv2d(name=n, weight=w, bias=b, stride=stride, padding=padding)
            if len(shape) == 3:
                shape = ir.conv_output_shape(shape, op)
            else:
                refusals.add(subject, f"reads a value of shape {list(shape)}, not [C, H, W]", "check the graph's shapes")
            ops.append(op)
        elif kind in ("AvgPool2d", "SumPool2d"):
            kernel = ir.pair(node.kernel_size)
            stride = ir.pair(node.stride) if node.stride is not None else kernel
            if ir.pair(node.padding if node.padding is not None else 0) != (0, 0):
                refusals.add(subject, f"padding {tuple(ir.pair(node.padding))}: pooling stages have no padding", "use padding 0")
            cls = ir.AvgPool2d if kind == "AvgPool2d" else ir.SumPool2d
            ops.append(cls(name=n, kernel=kernel, stride=stride))
            if len(shape) == 3:
                shape = ir.pool_output_shape(shape, kernel, stride)
        elif kind == "Flatten":
            ops.append(ir.Flatten(name=n))
            if int(getattr(node, "start_dim", 0)) not in (0, 1):
                notes.append(f"{n}: start_dim {node.start_dim} read as a full flatten")
            shape = (int(np.prod(shape)),)
        elif kind in ("IF", "LIF", "CubaLIF"):
            if not ops or not isinstance(ops[-1], ir.AFFINE):
                refusals.add(subject, "neurons that do not follow an Affine, Linear or Conv2d node", "put a weight node before every neuron node")
            vth = _arr(node.v_threshold).reshape(-1)
            r = _arr(node.r).reshape(-1)
            reset = _arr(getattr(node, "v_reset", None))
            if reset is not None and np.any(reset != 0):
                refusals.add(subject, f"v_reset = {float(np.max(np.abs(reset))):g} ≠ 0; the chip resets the voltage to 0",
                             "re-export with v_reset = 0 (subtracting v_reset from v_threshold and, for LIF, from v_leak gives the same dynamics relative to the reset)")
            if np.any(vth <= 0):
                refusals.add(subject, "v_threshold ≤ 0", "give positive thresholds")
            params = {"v_threshold": vth, "amplitude": amplitude, "impulse_correction": spiking_source and not discrete}
            if kind == "IF":
                params["r"] = r * (dt_graph / dt if discrete else 1.0)
                ops.append(ir.Neurons(name=n, kind="if", params=params))
            else:
                params["r"] = r
                params["v_leak"] = _arr(node.v_leak).reshape(-1)
                if kind == "LIF":
                    params["tau"] = tau_ours(_uniform_time_constant(node.tau, subject, "tau", refusals), subject, "tau")
                else:
                    params["tau"] = tau_ours(_uniform_time_constant(node.tau_mem, subject, "tau_mem", refusals), subject, "tau_mem")
                    params["tau_syn"] = tau_ours(_uniform_time_constant(node.tau_syn, subject, "tau_syn", refusals), subject, "tau_syn")
                    params["w_in"] = _arr(node.w_in).reshape(-1)
                ops.append(ir.Neurons(name=n, kind="lif", params=params))
            spiking_source = True
        elif kind in ("LI", "I"):
            if not last_neurons:
                refusals.add(subject, "a non-spiking node that feeds further nodes", "use LI or I only as the readout before the Output")
            if not ops or not isinstance(ops[-1], ir.AFFINE):
                refusals.add(subject, "a readout that does not follow an Affine, Linear or Conv2d node", "put a weight node before the readout")
            params = {"r": _arr(node.r).reshape(-1)}
            if kind == "LI":
                params["v_leak"] = _arr(node.v_leak).reshape(-1)
                params["tau"] = tau_ours(_uniform_time_constant(node.tau, subject, "tau", refusals), subject, "tau")
                ops.append(ir.Readout(name=n, kind="li", params=params))
            else:
                if discrete:
                    params["r"] = params["r"] * (dt_graph / dt)
                ops.append(ir.Readout(name=n, kind="integrator", params=params))
    refusals.raise_if_any()
    return ir.Model(input_shape=input_shape, ops=ops, name=name, source="NIR", notes=notes)


def export_nir(model: ir.Model, scales: dict, readout: str = "li", readout_tau: float = 0.001):
    """A rate-coded ``ir.Model`` (ReLU neurons, linear readout) as a NIR graph with spiking IF
    neurons: each ReLU layer with scale s becomes IF(r = s, v_threshold = 1), firing at s·a
    spikes/s, and the weights after it are divided by s (a NIR spike is a unit impulse), so
    the graph computes the ANN's function in its firing rates. The readout becomes LI
    (``readout="li"``, time constant ``readout_tau``) or I (``"integrator"``), with R = s_out.
    """
    import nir

    nodes = {"input": nir.Input(input_type={"input": np.array(model.input_shape)})}
    edges = []
    prev = "input"
    shape = tuple(model.input_shape)
    s_prev = 1.0

    def add(name, node):
        nonlocal prev
        nodes[name] = node
        edges.append((prev, name))
        prev = name

    for i, op in enumerate(model.ops):
        if isinstance(op, ir.Dense):
            w = op.weight / s_prev
            b = op.bias if op.bias is not None else np.zeros(op.weight.shape[0])
            add(op.name, nir.Affine(weight=w.astype(np.float32), bias=b.astype(np.float32)))
            shape = (op.weight.shape[0],)
        elif isinstance(op, ir.Conv2d):
            w = op.weight / s_prev
            b = op.bias if op.bias is not None else np.zeros(op.weight.shape[0])
            add(op.name, nir.Conv2d(input_shape=tuple(int(v) for v in shape[1:]), weight=w.astype(np.float32), stride=tuple(op.stride),
                                   padding=tuple(int(v) for v in op.padding), dilation=(1, 1), groups=1, bias=b.astype(np.float32)))
            shape = ir.conv_output_shape(shape, op)
        elif isinstance(op, (ir.AvgPool2d, ir.SumPool2d)):
            kernel = ir.pair(op.kernel)
            stride = ir.pair(op.stride) if op.stride is not None else kernel
            cls = nir.AvgPool2d if isinstance(op, ir.AvgPool2d) else nir.SumPool2d
            add(op.name, cls(kernel_size=np.array(kernel), stride=np.array(stride), padding=np.array([0, 0])))
            shape = ir.pool_output_shape(shape, kernel, stride)
        elif isinstance(op, ir.Flatten):
            add(op.name, nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0, end_dim=-1))
            shape = (int(np.prod(shape)),)
        elif isinstance(op, ir.Neurons):
            if op.kind != "relu":
                raise ValueError(f"export_nir exports ReLU models; '{op.name}' is {op.kind}")
            s = float(scales[op.name])
            full = tuple(int(v) for v in shape)
            add(op.name, nir.IF(r=np.full(full, s, dtype=np.float32), v_threshold=np.ones(full, dtype=np.float32),
                                v_reset=np.zeros(full, dtype=np.float32)))
            s_prev = s
        elif isinstance(op, ir.Readout):
            s = float(scales.get(op.name, 1.0))
            full = tuple(int(v) for v in shape)
            if readout == "li":
                node = nir.LI(tau=np.full(full, readout_tau, dtype=np.float32), r=np.full(full, s, dtype=np.float32),
                              v_leak=np.zeros(full, dtype=np.float32))
            else:
                node = nir.I(r=np.full(full, s, dtype=np.float32))
            add(op.name, node)
    nodes["output"] = nir.Output(output_type={"output": np.array(shape)})
    edges.append((prev, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges)
