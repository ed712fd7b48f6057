"""PyTorch ``nn.Sequential`` (or its state_dict plus a small architecture spec) → ``ir.Model``.

Supported modules: ``Linear``, ``Conv2d`` (zeros padding, no dilation or groups; padding
``'same'`` for odd kernels with stride 1, ``'valid'`` or integers), ``AvgPool2d`` (no
padding), ``Flatten``, ``ReLU``; ``Dropout``/``Identity`` are skipped (inference), a final
``Softmax``/``LogSoftmax`` is dropped (argmax of the logits is the class). PyTorch is
channels-first, like Neuromesh, so weights are used as they are.

The architecture spec is a comma-separated list of ``torch.nn`` constructor calls with
literal arguments, e.g. ``"Conv2d(1, 8, 3, padding=1), ReLU(), AvgPool2d(2), Flatten(),
Linear(128, 10)"``; it is parsed (never evaluated) and must match the state_dict's keys
(``"0.weight"``, …).
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from ..errors import Refusals

SKIPPED = ("Dropout", "Dropout1d", "Dropout2d", "Identity")
FINAL_DROPPED = ("Softmax", "LogSoftmax")


def parse_arch(spec: str):
    """``"Conv2d(1, 8, 3), ReLU()"`` → ``nn.Sequential``; only ``torch.nn`` module names and
    literal arguments are accepted."""
    import torch.nn as nn

    try:
        tree = ast.parse(f"[{spec}]", mode="eval")
    except SyntaxError as e:
        raise ValueError(f"architecture spec: {e.msg} near column {e.offset}") from None
    modules = []
    for node in tree.body.elts:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            raise ValueError(f"architecture spec: '{ast.unparse(node)}' is not a call like Linear(64, 10)")
        cls = getattr(nn, node.func.id, None)
        if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
            raise ValueError(f"architecture spec: '{node.func.id}' is not a torch.nn module")
        try:
            args = [ast.literal_eval(a) for a in node.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        except ValueError:
            raise ValueError(f"architecture spec: '{ast.unparse(node)}': arguments must be literals") from None
        modules.append(cls(*args, **kwargs))
    return nn.Sequential(*modules)


def import_state_dict(state_dict, arch: str, input_shape, name: str = "torch-model") -> ir.Model:
    """A state_dict (or the path of a ``torch.save``d one) and an architecture spec."""
    import torch

    if isinstance(state_dict, (str, bytes)) or hasattr(state_dict, "__fspath__"):
        state_dict = torch.load(state_dict, map_location="cpu", weights_only=True)
    seq = parse_arch(arch)
    seq.load_state_dict(state_dict, strict=True)
    return import_sequential(seq, input_shape, name=name)


def _walk(module, prefix=""):
    import torch.nn as nn

    for key, child in module.named_children():
        path = f"{prefix}{key}"
        if isinstance(child, nn.Sequential):
            yield from _walk(child, path + ".")
        else:
            yield path, child


def _same_padding(kernel, stride, subject, refusals):
    kh, kw = kernel
    if stride != (1, 1) or kh % 2 == 0 or kw % 2 == 0:
        refusals.add(subject, f"padding 'same' with kernel {kernel} and stride {stride} pads asymmetrically, and a Neuromesh conv2d pads both sides equally",
                     "use an odd kernel with stride 1, or give explicit symmetric padding (padding=k//2) and retrain")
        return (0, 0)
    return (kh // 2, kw // 2)


def import_sequential(seq, input_shape, name: str = "torch-model") -> ir.Model:
    """Converts an ``nn.Sequential`` (nested Sequentials are flattened)."""
    import torch.nn as nn

    refusals = Refusals()
    items = list(_walk(seq))
    ops = []
    counters = {}
    nonneg = False  # is the current value known to be ≥ 0 (after ReLU, pooling, flatten)?

    def new_name(kind):
        counters[kind] = counters.get(kind, 0) + 1
        return f"{kind}{counters[kind]}"

    def arr(t):
        return None if t is None else t.detach().cpu().double().numpy()

    notes = []
    for index, (path, m) in enumerate(items):
        kind = type(m).__name__
        subject = f"layer '{path}' ({kind})"
        is_last = all(type(mm).__name__ in SKIPPED + FINAL_DROPPED for _, mm in items[index + 1:])
        if isinstance(m, nn.Linear):
            ops.append(ir.Dense(name=new_name("dense"), weight=arr(m.weight), bias=arr(m.bias)))
            nonneg = False
        elif isinstance(m, nn.Conv2d):
            stride = ir.pair(m.stride)
            if m.groups != 1:
                refusals.add(subject, f"groups={m.groups}: grouped convolutions are not supported", "use groups=1")
            if ir.pair(m.dilation) != (1, 1):
                refusals.add(subject, f"dilation={m.dilation} is not supported", "use dilation=1")
            if m.padding_mode != "zeros":
                refusals.add(subject, f"padding_mode='{m.padding_mode}': Neuromesh pads with zeros only", "use padding_mode='zeros'")
            if isinstance(m.padding, str):
                padding = (0, 0) if m.padding == "valid" else _same_padding(ir.pair(m.kernel_size), stride, subject, refusals)
            else:
                padding = ir.pair(m.padding)
            ops.append(ir.Conv2d(name=new_name("conv"), weight=arr(m.weight), bias=arr(m.bias), stride=stride, padding=padding))
            nonneg = False
        elif isinstance(m, nn.AvgPool2d):
            if ir.pair(m.padding) != (0, 0):
                refusals.add(subject, f"padding={m.padding}: pooling stages have no padding", "use padding=0")
            if m.ceil_mode:
                refusals.add(subject, "ceil_mode=True makes partial windows", "use ceil_mode=False")
            kernel = ir.pair(m.kernel_size)
            stride = ir.pair(m.stride) if m.stride is not None else kernel
            if m.divisor_override:
                # sum / divisor = average × (kh·kw / divisor)
                ops.append(ir.SumPool2d(name=new_name("pool"), kernel=kernel, stride=stride))
                notes.append(f"{path}: divisor_override={m.divisor_override} folded as a sum pool")
                if m.divisor_override != 1:
                    refusals.add(subject, f"divisor_override={m.divisor_override} other than 1 is not supported", "use the default divisor (an average) or 1 (a sum)")
            else:
                ops.append(ir.AvgPool2d(name=new_name("pool"), kernel=kernel, stride=stride))
        elif isinstance(m, (nn.MaxPool2d, nn.AdaptiveMaxPool2d)):
            k = getattr(m, "kernel_size", 2)
            refusals.add(subject, "a neuro-core adds weighted spikes and cannot take a maximum",
                         f"replace it with nn.AvgPool2d(kernel_size={k}) and retrain (or fine-tune) the model")
        elif isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                refusals.add(subject, f"start_dim={m.start_dim}, end_dim={m.end_dim} flattens only part of the value", "use nn.Flatten() (start_dim=1, end_dim=-1)")
            ops.append(ir.Flatten(name=new_name("flatten")))
        elif isinstance(m, nn.ReLU):
            if ops and isinstance(ops[-1], ir.AFFINE):
                ops.append(ir.Neurons(name=new_name("relu"), kind="relu"))
                nonneg = True
            elif nonneg:
                notes.append(f"{path}: ReLU of a value that is already ≥ 0 dropped")
            else:
                refusals.add(subject, "a ReLU that does not follow a Linear or Conv2d layer", "apply the ReLU right after a weight layer")
        elif kind in SKIPPED:
            notes.append(f"{path}: {kind} skipped (inference)")
        elif kind in FINAL_DROPPED and is_last:
            notes.append(f"{path}: final {kind} dropped (the readout keeps the logits)")
        elif kind.startswith("BatchNorm"):
            refusals.add(subject, "batch normalisation is not a layer on the chip", "fold it into the preceding Linear/Conv2d (torch.nn.utils.fusion.fuse_conv_bn_eval) before converting")
        elif kind.startswith("Max"):
            refusals.add(subject, "a neuro-core adds weighted spikes and cannot take a maximum", "replace it with average pooling and retrain")
        else:
            refusals.add(subject, "has no Neuromesh equivalent", "use Linear, Conv2d, AvgPool2d, Flatten and ReLU only")
    if ops and isinstance(ops[-1], ir.AFFINE):
        ops.append(ir.Readout(name="readout", kind="linear"))
    refusals.raise_if_any()
    model = ir.Model(input_shape=tuple(int(v) for v in input_shape), ops=ops, name=name, source="PyTorch nn.Sequential", notes=notes)
    return model
