"""NIR importer and exporter: round trip, sum pooling, neuron unit mapping, refusals."""
import json
import math

import nir
import numpy as np
import pytest
import torch

from neuromesh_convert import ir, scaling, simulate, writer
from neuromesh_convert.errors import ConversionError
from neuromesh_convert.importers.nir_graph import export_nir, import_nir
from neuromesh_convert.importers.torch_seq import import_sequential, parse_arch

ARCH = "Conv2d(1, 4, 3, padding=1), ReLU(), AvgPool2d(2), Conv2d(4, 6, 3), ReLU(), Flatten(), Linear(24, 10)"


def relu_model():
    torch.manual_seed(0)
    return import_sequential(parse_arch(ARCH).eval(), (1, 8, 8))


def test_round_trip_through_a_nir_file(tmp_path):
    m = relu_model()
    x = np.random.default_rng(0).random((40, 64))
    scales = scaling.choose_scales(m, x, max_rate=400)
    nir.write(str(tmp_path / "m.nir"), export_nir(m, scales, readout="integrator"))
    back = import_nir(str(tmp_path / "m.nir"))
    assert [type(op).__name__ for op in back.ops] == [type(op).__name__ for op in m.ops]
    # The rate model of the graph is the ANN times the readout's R = s_out.
    np.testing.assert_allclose(ir.forward(back, x), ir.forward(m, x) * scales["readout"], rtol=1e-4, atol=1e-3)
    writer.write_network(m, tmp_path / "direct", writer.ConvertOptions(scales=scales), sample=x[0])
    writer.write_network(back, tmp_path / "nir", writer.ConvertOptions(), sample=x[0])
    r1 = simulate.simulate(tmp_path / "direct", x, steps=50)
    r2 = simulate.simulate(tmp_path / "nir", x, steps=50)
    for layer in ("conv1", "conv2", "out"):
        assert np.array_equal(r1.counts[layer], r2.counts[layer])
    np.testing.assert_allclose(r1.mean_current["out"], r2.mean_current["out"], rtol=1e-5, atol=1e-3)


def test_sum_pool_factor_folds_into_the_next_weights(tmp_path):
    rng = np.random.default_rng(2)
    w1 = rng.normal(size=(2, 1, 3, 3)).astype(np.float32)
    w2 = rng.normal(size=(3, 8)).astype(np.float32)
    g = nir.NIRGraph.from_list(
        nir.Input(input_type={"input": np.array([1, 4, 4])}),
        nir.Conv2d(input_shape=(4, 4), weight=w1, stride=1, padding=1, dilation=1, groups=1, bias=np.zeros(2, np.float32)),
        nir.IF(r=np.full((2, 4, 4), 50.0, np.float32), v_threshold=np.ones((2, 4, 4), np.float32)),
        nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        nir.Flatten(input_type={"input": np.array([2, 2, 2])}, start_dim=0),
        nir.Affine(weight=w2, bias=np.zeros(3, np.float32)),
        nir.I(r=np.ones(3, np.float32)),
    )
    m = import_nir(g)
    assert isinstance(m.ops[2], ir.SumPool2d)
    x = rng.random((5, 16))
    # Sum pooling by hand.
    h = np.maximum(ir.conv2d_nchw(x.reshape(5, 1, 4, 4), w1.astype(np.float64), (1, 1), (1, 1)) * 50, 0)
    pooled = h.reshape(5, 2, 2, 2, 2, 2).sum(axis=(3, 5)).reshape(5, -1)
    np.testing.assert_allclose(ir.forward(m, x), pooled @ w2.T.astype(np.float64), rtol=1e-6)
    writer.write_network(m, tmp_path, writer.ConvertOptions())
    doc = json.loads((tmp_path / "network.json").read_text())
    stage = doc["layers"][1]
    assert stage["kind"] == "avgpool2d" and stage["kernel"] == [2, 2]
    np.testing.assert_allclose(np.load(tmp_path / "out_weights.npy"), w2 * 4)


def lif_graph(**overrides):
    n = 3
    params = dict(tau=np.full(n, 0.02), r=np.full(n, 2.0), v_leak=np.zeros(n), v_threshold=np.full(n, 0.5), v_reset=np.zeros(n))
    params.update(overrides)
    return nir.NIRGraph.from_list(
        nir.Input(input_type={"input": np.array([4])}),
        nir.Affine(weight=np.ones((n, 4)), bias=np.full(n, 0.1)),
        nir.LIF(**params),
        nir.Affine(weight=np.ones((2, n)), bias=np.zeros(2)),
        nir.LI(tau=np.full(2, 0.005), r=np.ones(2), v_leak=np.full(2, 0.25)),
    )


def test_lif_units(tmp_path):
    m = import_nir(lif_graph(v_leak=np.full(3, 0.2)))
    writer.write_network(m, tmp_path, writer.ConvertOptions())
    layers = json.loads((tmp_path / "network.json").read_text())["layers"]
    lif, out = layers[0]["neuron"], layers[1]["neuron"]
    assert lif["model"] == "LoihiLIF" and lif["tau_rc"] == pytest.approx(0.02) and lif["tau_ref"] == 0
    assert lif["gain"] == pytest.approx(2.0 / 0.5)  # fed by the encoded input: no impulse correction
    assert lif["bias"] == pytest.approx((2.0 * 0.1 + 0.2) / 0.5)
    # The LI readout is fed by spikes; its current is NIR's v: gain R, bias R·b + v_leak, tau_s = tau.
    assert out["tau_s"] == pytest.approx(0.005) and out["gain"] == 1 and out["bias"] == pytest.approx(0.25)


def test_impulse_correction_for_spiking_sources(tmp_path):
    g = nir.NIRGraph.from_list(
        nir.Input(input_type={"input": np.array([2])}),
        nir.Affine(weight=np.ones((2, 2)), bias=np.zeros(2)),
        nir.IF(r=np.ones(2), v_threshold=np.ones(2)),
        nir.Affine(weight=np.ones((2, 2)), bias=np.zeros(2)),
        nir.LIF(tau=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2)),
    )
    writer.write_network(import_nir(g), tmp_path, writer.ConvertOptions())
    out = json.loads((tmp_path / "network.json").read_text())["layers"][1]["neuron"]
    assert out["gain"] == pytest.approx((0.001 / 0.01) / (1 - math.exp(-0.1)))


def test_discrete_time_graph():
    # snnTorch-style: beta = 0.9 at a step of 1e-4 s → tau = dt/(1 − beta) = 1e-3 s, R = tau/dt = 10.
    m = import_nir(lif_graph(tau=np.full(3, 1e-3), r=np.full(3, 10.0)), dt_graph=1e-4)
    lif = m.ops[1]
    assert math.exp(-0.001 / lif.params["tau"]) == pytest.approx(0.9)
    assert lif.params["amplitude"] == pytest.approx(0.001)


def test_refusals_in_one_pass():
    g = lif_graph(v_reset=np.full(3, 0.1), tau=np.array([0.02, 0.02, 0.03]))
    with pytest.raises(ConversionError) as e:
        import_nir(g)
    assert str(e.value).splitlines() == [
        "node 'lif' (LIF): v_reset = 0.1 ≠ 0; the chip resets the voltage to 0; fix: re-export with v_reset = 0 (subtracting v_reset from v_threshold and, for LIF, from v_leak gives the same dynamics relative to the reset)",
        "node 'lif' (LIF): tau varies across neurons (0.02 ... 0.03 s); the chip's decay is one per layer; fix: give the layer one tau",
    ]


def test_unsupported_node_and_branch_refused():
    g = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([2])}),
               "a": nir.Affine(weight=np.ones((2, 2)), bias=np.zeros(2)),
               "d": nir.Delay(delay=np.ones(2)),
               "b": nir.Affine(weight=np.ones((2, 2)), bias=np.zeros(2)),
               "output": nir.Output(output_type={"output": np.array([2])})},
        edges=[("input", "a"), ("a", "d"), ("a", "b"), ("d", "output"), ("b", "output")],
        type_check=False)
    with pytest.raises(ConversionError) as e:
        import_nir(g)
    lines = str(e.value).splitlines()
    assert lines[0] == "node 'd' (Delay): has no Neuromesh equivalent; fix: remove the delay: every Neuromesh connection has one step of delay"
    assert lines[1] == "node 'a' (Affine): has 2 outgoing edges (d, b); Neuromesh converts chains only; fix: convert one path of the graph at a time, or merge the branches"
    assert lines[2].startswith("node 'output' (Output): has 2 incoming edges")
