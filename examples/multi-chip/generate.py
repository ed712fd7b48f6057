"""Regenerate this example's data files (optional; they are committed). Needs numpy.

    python3 examples/multi-chip/generate.py

An event-camera-sized input (2 x 64 x 64 spike trains) through three 3x3 convolutions of
16 channels: about 173,000 neurons, more than one Loihi 1 chip holds.
"""
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
rng = np.random.default_rng(7)

# Sparse events: a moving bar plus noise, 40 steps.
rows = ["step,neuron"]
for t in range(1, 41):
    x0 = (3 * t) % 64
    events = set()
    for y in range(64):
        for polarity, x in ((0, x0), (1, (x0 + 2) % 64)):
            events.add((polarity * 64 + y) * 64 + x)
    events.update(int(n) for n in rng.choice(2 * 64 * 64, size=60, replace=False))
    rows.extend(f"{t},{n}" for n in sorted(events))
(HERE / "events.csv").write_text("\n".join(rows) + "\n")

np.save(HERE / "k1.npy", rng.integers(-40, 120, size=(16, 2, 3, 3)).astype(np.int16))
np.save(HERE / "k2.npy", rng.integers(-30, 60, size=(16, 16, 3, 3)).astype(np.int16))
np.save(HERE / "k3.npy", rng.integers(-30, 60, size=(16, 16, 3, 3)).astype(np.int16))
