"""Regenerate this example's data files (optional; the files are committed).

    python3 examples/quickstart/generate.py      # needs numpy only
"""
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
rng = np.random.default_rng(2026)

# 32 input sources, each spiking with its own rate (2 % ... 20 % of steps) for 200 steps.
rates = np.linspace(0.02, 0.20, 32)
rows = ["step,neuron"]
for t in range(1, 201):
    for n in np.nonzero(rng.random(32) < rates)[0]:
        rows.append(f"{t},{n}")
(HERE / "pixels.csv").write_text("\n".join(rows) + "\n")

# Chip weights (Wgt, -256...255), saved as int16 [to.size, from.size].
np.save(HERE / "w_pixels_hidden.npy", rng.integers(-40, 120, size=(64, 32)).astype(np.int16))
np.save(HERE / "w_hidden_inhib.npy", rng.integers(0, 100, size=(16, 64)).astype(np.int16))
np.save(HERE / "w_inhib_hidden.npy", -rng.integers(20, 90, size=(64, 16)).astype(np.int16))
np.save(HERE / "w_hidden_output.npy", rng.integers(-60, 160, size=(10, 64)).astype(np.int16))
