"""Writes the keyword-spotter example of Blouw et al. 2019 (NICE, arXiv:1812.01739):
390 MFCC values -> 256 LIF -> 256 LIF on one Loihi 1 chip, on/off-encoded input, 10 steps
per inference. The trained weights are not public, so the weights here are random, scaled
so that both hidden layers fire at about 100 Hz (0.1 spikes per neuron per step), the
activity docs/energy-model.md assumes. Inputs: 30 frames of random values in [-1, 1], each
held for 10 steps. numpy only; deterministic.

    python examples/keyword-spotter/generate.py
"""
import json
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2019)
frames, steps_per_frame = 30, 10
values = rng.uniform(-1, 1, size=(frames, 390)).astype(np.float32)
rows = np.repeat(values, steps_per_frame, axis=0)  # [300, 390]: row t-1 applies at step t
np.save(os.path.join(here, "frames.npy"), rows)
# Zero-mean weights, small against the bias: J = bias + W x varies by about +-0.4 around
# J = 2.76, where a LIF neuron (tau_rc 20 ms, tau_ref 1 ms) fires at about 100 Hz.
w1 = (rng.standard_normal((256, 390)) * 0.02).astype(np.float32)
w2 = (rng.standard_normal((256, 256)) * 0.5).astype(np.float32)
np.save(os.path.join(here, "w1.npy"), w1)
np.save(os.path.join(here, "w2.npy"), w2)
lif = {"model": "LoihiLIF", "tau_rc": 0.02, "tau_ref": 0.001, "tau_s": 0.005, "amplitude": 0.005}
network = {
    "version": 2,
    "name": "keyword spotter (Blouw et al. 2019 shape, random weights)",
    "dt": 0.001,
    "inputs": [{"name": "mfcc", "kind": "real", "size": 390, "values": "frames.npy",
                "encoding": {"kind": "on_off", "rate": 1000}}],
    "layers": [
        {"name": "l1", "size": 256, "neuron": dict(lif, gain=1, bias=2.76)},
        {"name": "l2", "size": 256, "neuron": dict(lif, gain=1, bias=2.3)},
    ],
    "connections": [
        {"from": "mfcc", "to": "l1", "weights": "w1.npy"},
        {"from": "l1", "to": "l2", "weights": "w2.npy"},
    ],
    "probes": [{"layer": "l2", "kind": "spikes"}],
}
with open(os.path.join(here, "network.json"), "w") as f:
    json.dump(network, f, indent=2)
    f.write("\n")
