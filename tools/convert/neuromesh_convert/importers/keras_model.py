"""Keras 3 model (Sequential or a functional chain; any backend — the tools use
KERAS_BACKEND=torch) → ``ir.Model``.

Supported layers: ``InputLayer``, ``Dense``, ``Conv2D``, ``AveragePooling2D``, ``Flatten``,
``ReLU``, ``Activation`` (relu/linear), ``Dropout`` (skipped); activations ``relu`` and
``linear`` inside Dense/Conv2D (``softmax`` on the last layer is dropped: the readout keeps
the logits).

Layout: Keras is channels-last by default (NHWC), Neuromesh channels-first (CHW).
* Conv2D kernels ``[kh, kw, in, out]`` become ``[out, in, kh, kw]``.
* A ``Flatten`` of channels-last data orders values (h, w, c); Neuromesh's flatten orders
  (c, h, w). The Dense kernel after it, ``[h·w·c, out]``, is permuted so that row
  (c, h, w) of the converted matrix is Keras's row (h, w, c) — without this, the converted
  network silently computes something else.
* The network's input is channels-first: give it ``x.transpose(0, 3, 1, 2)`` of NHWC data
  (``to_network_layout``).
* padding ``"same"`` maps to symmetric padding k//2 only for odd kernels with stride 1
  (otherwise Keras pads one more on the bottom/right, which a Neuromesh conv2d cannot);
  ``"valid"`` is no padding.
"""
from __future__ import annotations

import os

import numpy as np

from .. import ir
from ..errors import Refusals

SKIPPED = ("InputLayer", "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout")


def load(path):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return keras.saving.load_model(path, compile=False)


def _activation_name(layer):
    act = getattr(layer, "activation", None)
    if act is None:
        return "linear"
    return getattr(act, "__name__", str(act))


def to_network_layout(x: np.ndarray, model) -> np.ndarray:
    """NHWC (Keras) batch → ``[N, C·H·W]`` channels-first rows for the network input."""
    shape = tuple(model.input_shape[1:])
    x = np.asarray(x).reshape((-1,) + shape)
    if len(shape) == 3 and _input_channels_last(model):
        x = x.transpose(0, 3, 1, 2)
    return x.reshape(x.shape[0], -1)


def _input_channels_last(model) -> bool:
    for layer in _layers(model):
        fmt = getattr(layer, "data_format", None)
        if fmt is not None:
            return fmt == "channels_last"
    return True


def _output_shape(layer):
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return None
    return tuple(int(v) for v in shape[1:]) if shape is not None else None


def _layers(model):
    layers = list(model.layers)
    return [l for l in layers if type(l).__name__ != "InputLayer"]


def import_keras(model, name: str = "keras-model") -> ir.Model:
    """Converts a loaded Keras model, or a path to a ``.keras`` file."""
    if isinstance(model, (str, os.PathLike)):
        model = load(model)
    refusals = Refusals()
    in_shape = tuple(int(v) for v in model.input_shape[1:])
    channels_last = _input_channels_last(model)
    if len(in_shape) == 3:
        h, w, c = in_shape if channels_last else (in_shape[1], in_shape[2], in_shape[0])
        shape = (c, h, w)  # channels-first
        layout = "channels_last" if channels_last else "channels_first"
    elif len(in_shape) == 1:
        shape = in_shape
        layout = "flat"
    else:
        refusals.add(f"model '{model.name}'", f"input shape {list(in_shape)} is neither [features] nor an image [H, W, C]", "use a 1-D or 3-D (image) input")
        refusals.raise_if_any()
    input_shape = shape
    ops = []
    notes = []
    counters = {}
    pending_perm = None  # (C, H, W) when the last op flattened channels-last data
    nonneg = False

    def new_name(kind):
        counters[kind] = counters.get(kind, 0) + 1
        return f"{kind}{counters[kind]}"

    layers = _layers(model)
    for index, layer in enumerate(layers):
        kind = type(layer).__name__
        subject = f"layer '{layer.name}' ({kind})"
        is_last = all(type(l).__name__ in SKIPPED for l in layers[index + 1:])
        weights = [np.asarray(v, dtype=np.float64) for v in layer.get_weights()]
        fmt = getattr(layer, "data_format", None)
        if fmt is not None and kind in ("Conv2D", "AveragePooling2D", "Flatten", "MaxPooling2D") and len(shape) == 3:
            if (fmt == "channels_last") != (layout == "channels_last"):
                refusals.add(subject, f"data_format '{fmt}' differs from the model's '{layout}'", "use one data_format throughout the model")

        def activation(act_name):
            nonlocal nonneg
            if act_name == "relu":
                ops.append(ir.Neurons(name=new_name("relu"), kind="relu"))
                nonneg = True
            elif act_name == "linear":
                nonneg = False
            elif act_name == "softmax" and is_last:
                notes.append(f"{layer.name}: final softmax dropped (the readout keeps the logits)")
                nonneg = False
            else:
                refusals.add(subject, f"activation '{act_name}' has no spiking equivalent here", "use activation='relu' (or 'linear' / a final 'softmax')")

        if kind == "Dense":
            if len(shape) != 1:
                refusals.add(subject, f"acts on the last axis of a {len(shape)}-D value (shape {list(shape)} channels-first)", "put a Flatten before it")
                shape = (int(layer.units),)
                continue
            kernel = weights[0]  # [in, out]
            bias = weights[1] if layer.use_bias else None
            if pending_perm is not None and int(np.prod(pending_perm)) == kernel.shape[0]:
                c, hh, ww = pending_perm
                # Keras rows are (h, w, c); Neuromesh's flatten gives (c, h, w).
                wt = kernel.reshape(hh, ww, c, -1).transpose(3, 2, 0, 1).reshape(kernel.shape[1], -1)
                notes.append(f"{layer.name}: Dense kernel rows permuted from Keras's (h, w, c) flatten order to (c, h, w)")
            else:
                wt = kernel.T
            pending_perm = None
            ops.append(ir.Dense(name=new_name("dense"), weight=np.ascontiguousarray(wt), bias=bias))
            shape = (wt.shape[0],)
            activation(_activation_name(layer))
        elif kind == "Conv2D":
            kernel = weights[0]  # [kh, kw, in, out]
            bias = weights[1] if layer.use_bias else None
            stride = ir.pair(layer.strides)
            if ir.pair(layer.dilation_rate) != (1, 1):
                refusals.add(subject, f"dilation_rate={tuple(layer.dilation_rate)} is not supported", "use dilation_rate=1")
            if getattr(layer, "groups", 1) != 1:
                refusals.add(subject, f"groups={layer.groups}: grouped convolutions are not supported", "use groups=1")
            kh, kw = kernel.shape[:2]
            if layer.padding == "same":
                if stride != (1, 1) or kh % 2 == 0 or kw % 2 == 0:
                    refusals.add(subject, f"padding 'same' with kernel {(kh, kw)} and strides {stride} pads asymmetrically (one more row/column at the bottom/right), and a Neuromesh conv2d pads both sides equally",
                                 "use an odd kernel with strides 1, or padding='valid' (with a ZeroPadding2D you control) and retrain")
                padding = (kh // 2, kw // 2)
            else:
                padding = (0, 0)
            wt = np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))
            op = ir.Conv2d(name=new_name("conv"), weight=wt, bias=bias, stride=stride, padding=padding)
            if len(shape) == 3:
                shape = ir.conv_output_shape(shape, op)
            ops.append(op)
            pending_perm = None
            activation(_activation_name(layer))
        elif kind == "AveragePooling2D":
            kernel = ir.pair(layer.pool_size)
            stride = ir.pair(layer.strides) if layer.strides is not None else kernel
            if layer.padding != "valid":
                refusals.add(subject, f"padding '{layer.padding}': pooling stages have no padding", "use padding='valid'")
            ops.append(ir.AvgPool2d(name=new_name("pool"), kernel=kernel, stride=stride))
            if len(shape) == 3:
                shape = ir.pool_output_shape(shape, kernel, stride)
        elif kind in ("MaxPooling2D", "GlobalMaxPooling2D"):
            k = getattr(layer, "pool_size", (2, 2))
            refusals.add(subject, "a neuro-core adds weighted spikes and cannot take a maximum",
                         f"replace it with AveragePooling2D(pool_size={tuple(k)}) and retrain (or fine-tune) the model")
        elif kind == "Flatten":
            if len(shape) == 3 and layout == "channels_last" and shape[0] > 1:
                pending_perm = shape
            ops.append(ir.Flatten(name=new_name("flatten")))
            shape = (int(np.prod(shape)),)
        elif kind == "ReLU":
            if (layer.max_value is not None) or float(layer.negative_slope) != 0 or float(layer.threshold) != 0:
                refusals.add(subject, "a ReLU with max_value, negative_slope or threshold", "use a plain ReLU")
            elif ops and isinstance(ops[-1], ir.AFFINE):
                ops.append(ir.Neurons(name=new_name("relu"), kind="relu"))
                nonneg = True
            elif nonneg:
                notes.append(f"{layer.name}: ReLU of a value that is already ≥ 0 dropped")
            else:
                refusals.add(subject, "a ReLU that does not follow a Dense or Conv2D layer", "apply the ReLU right after a weight layer")
        elif kind == "Activation":
            act_name = _activation_name(layer)
            if act_name == "relu" and not (ops and isinstance(ops[-1], ir.AFFINE)):
                if nonneg:
                    notes.append(f"{layer.name}: ReLU of a value that is already ≥ 0 dropped")
                else:
                    refusals.add(subject, "a ReLU that does not follow a Dense or Conv2D layer", "apply the ReLU right after a weight layer")
            else:
                activation(act_name)
        elif kind in SKIPPED:
            notes.append(f"{layer.name}: {kind} skipped (inference)")
        elif kind == "BatchNormalization":
            refusals.add(subject, "batch normalisation is not a layer on the chip", "fold it into the preceding Dense/Conv2D weights before converting")
        else:
            refusals.add(subject, "has no Neuromesh equivalent", "use Dense, Conv2D, AveragePooling2D, Flatten and ReLU only")
        # Follow Keras's own output shape (also past refused layers, so every refusal is found).
        ks = _output_shape(layer)
        if ks is not None:
            if len(ks) == 3:
                ks = (ks[2], ks[0], ks[1]) if layout == "channels_last" else ks
            shape = ks
    if ops and isinstance(ops[-1], ir.AFFINE):
        ops.append(ir.Readout(name="readout", kind="linear"))
    refusals.raise_if_any()
    if layout == "channels_last" and input_shape[0] > 0:
        notes.append("input is channels-first [C, H, W]: feed x.transpose(0, 3, 1, 2) of NHWC data")
    return ir.Model(input_shape=tuple(int(v) for v in input_shape), ops=ops, name=name, source="Keras", notes=notes)
