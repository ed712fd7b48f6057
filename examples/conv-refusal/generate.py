"""Regenerate this example's data files (optional; they are committed). Needs numpy.

    python3 examples/conv-refusal/generate.py
"""
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
rng = np.random.default_rng(5)
y, x = np.mgrid[0:16, 0:16]
np.save(HERE / "image.npy", np.clip(np.exp(-((x - 8) ** 2 + (y - 8) ** 2) / 20), 0, 1).reshape(-1))
np.save(HERE / "kernel.npy", rng.normal(0, 0.4, size=(4, 1, 3, 3)))
