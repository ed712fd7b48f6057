"""The numpy reference simulator against hand-computed cases of the documented model."""
import json

import numpy as np

from neuromesh_convert import simulate


def write(tmp_path, doc, arrays=None):
    for name, a in (arrays or {}).items():
        np.save(tmp_path / name, a)
    (tmp_path / "network.json").write_text(json.dumps(doc))
    return tmp_path


def base(layers, connections, size=2, encoding="spiking", rate=1000):
    return {"version": 2, "dt": 0.001,
            "inputs": [{"name": "x", "kind": "real", "size": size, "values": [0.0] * size,
                        "encoding": {"kind": encoding, "rate": rate}}],
            "layers": layers, "connections": connections}


def test_encoder_spikes_and_one_step_delay(tmp_path):
    # Identity weights, gain 1: the layer's current is the encoded spikes of the step before.
    doc = base([{"name": "out", "size": 2, "neuron": {"model": "LoihiSpikingRectifiedLinear"}}],
               [{"from": "x", "to": "out", "weights": [[1.0, 0.0], [0.0, 1.0]]}])
    net = simulate.Network(write(tmp_path, doc))
    res = simulate.simulate(net, np.array([[0.5, 1.0]]), steps=10)
    # x = 0.5 at 1000/s spikes at steps 2, 4, ..., 10 (delivered at 3, 5, ..., 11); x = 1 every step.
    # A spike of amplitude 1/rate through w = 1 adds w·a/dt = 1 to J for one step.
    assert np.allclose(res.mean_current["out"], [[4 / 10, 9 / 10]])


def test_rectified_linear_hard_reset_rate(tmp_path):
    # Constant J = 300/s: v grows by 0.3 per step; it reaches 1 at step 4 (1.2 > 1), resets to 0 and
    # loses the remainder: one spike per 4 steps, 250/s instead of 300/s.
    doc = base([{"name": "out", "size": 1, "neuron": {"model": "LoihiSpikingRectifiedLinear", "bias": 300}}], [], size=1)
    res = simulate.simulate(write(tmp_path, doc), np.zeros((1, 1)), steps=40)
    assert res.counts["out"][0, 0] == 10
    # J·dt = 0.25 reaches exactly 1 at step 4: the chip spikes there (threshold just below 1).
    doc["layers"][0]["neuron"]["bias"] = 250
    res = simulate.simulate(write(tmp_path, doc), np.zeros((1, 1)), steps=40)
    assert res.counts["out"][0, 0] == 10


def test_lif_rate_and_refractory(tmp_path):
    doc = base([{"name": "out", "size": 1, "neuron": {"model": "LoihiLIF", "tau_rc": 0.02, "tau_ref": 0.002, "bias": 2.0}}], [], size=1)
    res = simulate.simulate(write(tmp_path, doc), np.zeros((1, 1)), steps=1000)
    # Rate function 1/(τref + τrc·ln(1 + 1/(J − 1))) = 1/(0.002 + 0.02·ln 2) ≈ 63.1/s; steps round it down.
    period = 0.002 + 0.02 * np.log(2)
    assert 1 / (period + 0.002) <= res.counts["out"][0, 0] <= 1 / period


def test_conv_equals_dense_operator(tmp_path):
    rng = np.random.default_rng(1)
    k = rng.normal(size=(2, 1, 3, 3))
    x = rng.random((7, 16))
    conv = base([{"name": "out", "shape": [2, 4, 4], "neuron": {"model": "LoihiSpikingRectifiedLinear", "gain": 3.0}}],
                [{"from": "x", "to": "out", "kind": "conv2d", "weights": "k.npy", "padding": [1, 1]}], size=16)
    conv["inputs"][0]["shape"] = [1, 4, 4]
    del conv["inputs"][0]["size"]
    # The same map as a dense matrix.
    from neuromesh_convert.ir import conv2d_nchw
    dense_w = conv2d_nchw(np.eye(16).reshape(16, 1, 4, 4), k, (1, 1), (1, 1)).reshape(16, -1).T
    dense = base([{"name": "out", "size": 32, "neuron": {"model": "LoihiSpikingRectifiedLinear", "gain": 3.0}}],
                 [{"from": "x", "to": "out", "weights": "w.npy"}], size=16)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    r1 = simulate.simulate(write(tmp_path / "a", conv, {"k.npy": k}), x, steps=30)
    r2 = simulate.simulate(write(tmp_path / "b", dense, {"w.npy": dense_w}), x, steps=30)
    assert np.array_equal(r1.counts["out"], r2.counts["out"])
    # And the step-by-step path (no operator matrix) agrees too.
    old = simulate.OPERATOR_LIMIT
    simulate.OPERATOR_LIMIT = 0
    try:
        r3 = simulate.simulate(simulate.Network(tmp_path / "a"), x, steps=30)
    finally:
        simulate.OPERATOR_LIMIT = old
    assert np.array_equal(r1.counts["out"], r3.counts["out"])


def test_on_off_pairs_carry_the_difference(tmp_path):
    doc = base([{"name": "out", "size": 1, "neuron": {"model": "LoihiSpikingRectifiedLinear"}}],
               [{"from": "x", "to": "out", "weights": [[1.0]]}], size=1, encoding="on_off")
    res = simulate.simulate(write(tmp_path, doc), np.array([[-0.5]]), steps=100, skip=20)
    assert abs(res.mean_current["out"][0, 0] - (-0.5)) < 0.03
