"""Scale (from calibration data) and write a model: the step every importer shares."""
from __future__ import annotations

from typing import Optional

import numpy as np

from . import ir, scaling, writer


def needs_scales(model: ir.Model) -> bool:
    """Does the model have rate-coded ReLU layers or a linear readout (scaled from data)?"""
    return any((isinstance(op, ir.Neurons) and op.kind == "relu") or (isinstance(op, ir.Readout) and op.kind == "linear")
               for op in model.ops)


def convert(model: ir.Model, out_dir, calibration: Optional[np.ndarray] = None, *, max_rate: float = 600.0,
            percentile: float = 99.9, output_max_rate: Optional[float] = None, scales: Optional[dict] = None,
            sample: Optional[np.ndarray] = None, extras: Optional[dict] = None, **options) -> dict:
    """Chooses scales (unless given), writes ``out_dir`` and returns the conversion record
    (also saved as conversion.json). ``options``: fields of ``writer.ConvertOptions``."""
    stats = {}
    if scales is None:
        scales = {}
        if needs_scales(model):
            if calibration is None:
                raise ValueError("this model has ReLU layers: give calibration data (--calibration X.npy) to choose their firing rates")
            calibration = np.asarray(calibration, dtype=np.float64).reshape(len(calibration), -1)
            scales = scaling.choose_scales(model, calibration, max_rate=max_rate, percentile=percentile,
                                           output_max_rate=output_max_rate)
            stats = scaling.activation_statistics(model, calibration, percentile)
    opts = writer.ConvertOptions(scales=scales, **options)
    if sample is None and calibration is not None:
        sample = np.asarray(calibration)[0]
    record = {
        "source": model.source,
        "model": model.name,
        "input_shape": list(model.input_shape),
        "notes": list(model.notes),
        "options": {k: v for k, v in opts.__dict__.items() if k != "scales"},
        "scaling": {"rule": "s = max_rate / percentile(positive activations)", "max_rate": max_rate,
                    "output_max_rate": output_max_rate if output_max_rate is not None else max_rate,
                    "percentile": percentile} if stats else None,
        "scales": {k: float(v) for k, v in scales.items()},
        "activations": {k: {"percentile": p, "max": mx, "active_fraction": f} for k, (p, mx, f) in stats.items()},
    }
    writer.write_network(model, out_dir, opts, sample=sample, extras=extras, conversion=record)
    return record
