"""Choosing each converted layer's scale s from calibration data.

A ReLU layer with activations a becomes rate-coded neurons firing at s·a spikes/s (gain s,
bias s·b, amplitude 1/s). The rule: measure a on the calibration set with the ANN forward
pass, take the ``percentile``-th percentile of the layer's positive activations (over all
neurons and samples), and pick s so that this activation fires at ``max_rate``:

    s = max_rate / percentile(a[a > 0], percentile)

The same rule, with ``output_max_rate``, scales a linear readout (its positive logits);
with the current readout it only sets the output's units (J = s_out · logit) and its
spike count range.

Why a percentile and not the maximum: one outlier would otherwise set the scale for the
whole layer and leave typical activations with few spikes; the few activations above the
percentile fire faster than ``max_rate`` (up to 1/dt).
"""
from __future__ import annotations

import numpy as np

from . import ir


def activation_statistics(model: ir.Model, x: np.ndarray, percentile: float = 99.9) -> dict:
    """{op name: (percentile of positive activations, max, fraction active)} for every
    ``relu`` neuron op and linear readout."""
    stats = {}
    for op, value in ir.forward(model, x, record=True):
        if (isinstance(op, ir.Neurons) and op.kind == "relu") or (isinstance(op, ir.Readout) and op.kind == "linear"):
            v = value.reshape(-1)
            pos = v[v > 0]
            p = float(np.percentile(pos, percentile)) if pos.size else 0.0
            stats[op.name] = (p, float(v.max(initial=0.0)), float(pos.size / max(v.size, 1)))
    return stats


def readout_ops(model: ir.Model) -> list:
    """The name of the linear readout (the last affine op with no neurons after it), if any."""
    names = []
    ops = model.ops
    for i, op in enumerate(ops):
        if isinstance(op, ir.AFFINE) and (i + 1 == len(ops) or not isinstance(ops[i + 1], ir.NEURONS)):
            names.append(op.name + "_readout")
        if isinstance(op, ir.Readout) and op.kind == "linear":
            names.append(op.name)
    return names


def choose_scales(model: ir.Model, x: np.ndarray, max_rate: float = 250.0, percentile: float = 99.9,
                  output_max_rate: float | None = None) -> dict:
    """Scales s per ``relu`` neuron op and per linear readout (see the module docstring)."""
    if output_max_rate is None:
        output_max_rate = max_rate
    stats = activation_statistics(model, x, percentile)
    # A readout implied by a trailing affine op has no op of its own: measure the output.
    implied = [n for n in readout_ops(model) if n not in stats]
    if implied:
        out = ir.forward(model, x).reshape(-1)
        pos = out[out > 0]
        p = float(np.percentile(pos, percentile)) if pos.size else 0.0
        for n in implied:
            stats[n] = (p, float(out.max(initial=0.0)), float(pos.size / max(out.size, 1)))
    scales = {}
    readouts = set(readout_ops(model))
    for name, (p, _, _) in stats.items():
        rate = output_max_rate if name in readouts else max_rate
        scales[name] = rate / p if p > 0 else 1.0
    return scales
