"""The neutral intermediate representation every importer produces.

A model is an input shape (channels-first, like PyTorch: ``(C, H, W)`` or ``(N,)``) and a
chain of operations. Affine operations (``Dense``, ``Conv2d``) are each followed by the
neurons that read them (``Neurons`` or ``Readout``); pooling and flatten sit between layers.
The writer (``writer.py``) turns the chain into network.json layers, stages and connections.

``forward`` is the model's ANN (rate) forward pass in numpy, channels-first: importers'
tests compare it with the source framework, and ``scaling.py`` measures activations with it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass
class Dense:
    """``y = weight @ x + bias``; weight ``[out, in]`` (PyTorch ``Linear.weight`` layout)."""

    name: str
    weight: np.ndarray
    bias: Optional[np.ndarray] = None


@dataclass
class Conv2d:
    """2-D convolution, channels-first; weight ``[out, in, kh, kw]``, bias ``[out]``."""

    name: str
    weight: np.ndarray
    bias: Optional[np.ndarray] = None
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)


@dataclass
class AvgPool2d:
    """Average over ``kernel`` windows moved by ``stride`` (no padding)."""

    name: str
    kernel: tuple
    stride: Optional[tuple] = None


@dataclass
class SumPool2d:
    """Sum over windows: an average pool times the window size."""

    name: str
    kernel: tuple
    stride: Optional[tuple] = None


@dataclass
class Flatten:
    """Channels-first data flattened to one dimension, order (C, H, W)."""

    name: str


@dataclass
class Neurons:
    """Spiking neurons reading the preceding affine operation.

    kind:
      ``"relu"`` — an ANN ReLU, to be turned into rate-coded LoihiSpikingRectifiedLinear
      neurons with a scale chosen from calibration data;
      ``"if"`` — integrate-and-fire with given parameters (NIR ``IF``): rate r·I/v_threshold;
      ``"lif"`` — leaky integrate-and-fire (NIR ``LIF``/``CubaLIF``).

    ``params`` holds per-neuron arrays (flattened channels-first) for ``if``/``lif``:
    ``r``, ``v_threshold``, ``v_leak``; for ``lif`` also ``tau`` (membrane) and, from
    ``CubaLIF``, ``tau_syn`` and ``w_in``.
    """

    name: str
    kind: str
    params: dict = field(default_factory=dict)


@dataclass
class Readout:
    """A non-spiking output read by its current: ``linear`` (ANN logits), ``li`` (NIR ``LI``:
    tau·dv/dt = (v_leak − v) + r·I) or ``integrator`` (NIR ``Integrator``/``I``: dv/dt = r·I).
    ``params``: per-neuron arrays ``r``, ``v_leak`` and for ``li`` ``tau``."""

    name: str
    kind: str = "linear"
    params: dict = field(default_factory=dict)


@dataclass
class Model:
    """A chain of operations after an input of ``input_shape`` (channels-first)."""

    input_shape: tuple
    ops: list
    name: str = "converted"
    source: str = ""
    # Notes the importer made (what was dropped, approximated or reinterpreted).
    notes: list = field(default_factory=list)

    @property
    def input_size(self) -> int:
        return int(np.prod(self.input_shape))


AFFINE = (Dense, Conv2d)
STAGES = (AvgPool2d, SumPool2d, Flatten)
NEURONS = (Neurons, Readout)


# ---------------------------------------------------------------------------------------
# Shapes and the numpy forward pass.


def pair(x) -> tuple:
    """``2`` → ``(2, 2)``; ``[2, 3]`` → ``(2, 3)``."""
    if np.isscalar(x):
        return (int(x), int(x))
    t = tuple(int(v) for v in np.asarray(x).reshape(-1))
    if len(t) == 1:
        return (t[0], t[0])
    if len(t) != 2:
        raise ValueError(f"expected one or two integers, got {x!r}")
    return t


def conv_output_shape(shape, op: Conv2d) -> tuple:
    c, h, w = shape
    o, i, kh, kw = op.weight.shape
    sh, sw = op.stride
    ph, pw = op.padding
    return (o, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)


def pool_output_shape(shape, kernel, stride) -> tuple:
    c, h, w = shape
    kh, kw = kernel
    sh, sw = stride or kernel
    return (c, (h - kh) // sh + 1, (w - kw) // sw + 1)


def conv2d_nchw(x: np.ndarray, weight: np.ndarray, stride=(1, 1), padding=(0, 0)) -> np.ndarray:
    """Cross-correlation like ``torch.nn.functional.conv2d``: x ``[N, C, H, W]``, weight
    ``[O, C, kh, kw]`` → ``[N, O, H', W']``."""
    ph, pw = padding
    sh, sw = stride
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kh, kw = weight.shape[2:]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    win = win[:, :, ::sh, ::sw]  # [N, C, H', W', kh, kw]
    out = np.tensordot(win, weight, axes=([1, 4, 5], [1, 2, 3]))  # [N, H', W', O]
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def avgpool_nchw(x: np.ndarray, kernel, stride=None) -> np.ndarray:
    kh, kw = kernel
    sh, sw = stride or kernel
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    return win.mean(axis=(4, 5))


def forward(model: Model, x: np.ndarray, record: bool = False):
    """The ANN forward pass of ``model`` on a batch ``x`` (``[N, *input_shape]`` or ``[N,
    input_size]``), channels-first. Spiking neurons act as their rate approximation, ReLU
    (for ``if``/``lif`` this is only a stand-in used for range statistics). A readout is the
    identity on its input current r·I + v_leak.

    Returns the output ``[N, out]`` — or, with ``record``, a list of ``(op, value)`` pairs,
    one per operation (value after the operation, batch first).
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    h = x.reshape((n,) + tuple(model.input_shape))
    trace = []
    for op in model.ops:
        if isinstance(op, Dense):
            h = h.reshape(n, -1) @ op.weight.T
            if op.bias is not None:
                h = h + op.bias
        elif isinstance(op, Conv2d):
            h = conv2d_nchw(h, op.weight, op.stride, op.padding)
            if op.bias is not None:
                h = h + op.bias[None, :, None, None]
        elif isinstance(op, AvgPool2d):
            h = avgpool_nchw(h, op.kernel, op.stride)
        elif isinstance(op, SumPool2d):
            h = avgpool_nchw(h, op.kernel, op.stride) * (op.kernel[0] * op.kernel[1])
        elif isinstance(op, Flatten):
            h = h.reshape(n, -1)
        elif isinstance(op, Neurons):
            if op.kind == "relu":
                h = np.maximum(h, 0)
            else:
                flat = h.reshape(n, -1)
                r = op.params.get("r", 1.0)
                vth = op.params.get("v_threshold", 1.0)
                leak = op.params.get("v_leak", 0.0)
                w_in = op.params.get("w_in", 1.0)
                h = np.maximum((flat * r * w_in + leak) / vth, 0).reshape(h.shape)
        elif isinstance(op, Readout):
            flat = h.reshape(n, -1)
            h = (flat * op.params.get("r", 1.0) + op.params.get("v_leak", 0.0)).reshape(h.shape)
        else:  # pragma: no cover - importers only build the types above
            raise TypeError(f"unknown operation {op!r}")
        if record:
            trace.append((op, h))
    if record:
        return trace
    return h.reshape(n, -1)
