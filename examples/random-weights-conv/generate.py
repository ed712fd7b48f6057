"""Regenerate this example's data files (optional; they are committed). Needs numpy.

    python3 examples/random-weights-conv/generate.py

The weights are random (He-scaled, fixed seed), not trained: the example shows the shape of
the network and how it maps onto a board, not a classifier.
"""
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
rng = np.random.default_rng(12)

# A 28 x 28 "digit": a ring with a stroke, values in [0, 1].
y, x = np.mgrid[0:28, 0:28]
ring = np.exp(-((np.hypot(y - 14, x - 14) - 8) ** 2) / 4)
stroke = np.exp(-((x - 18 - (y - 14) * 0.3) ** 2) / 3) * (y > 6) * (y < 24)
image = np.clip(ring + stroke, 0, 1).astype(np.float64).reshape(1, 28, 28)
np.save(HERE / "digit.npy", image.reshape(-1))

np.save(HERE / "conv1.npy", rng.normal(0, np.sqrt(2 / 25), size=(12, 1, 5, 5)))
np.save(HERE / "conv2.npy", rng.normal(0, np.sqrt(2 / 300), size=(64, 12, 5, 5)))
np.save(HERE / "fc.npy", rng.normal(0, np.sqrt(2 / 1024), size=(10, 1024)))
