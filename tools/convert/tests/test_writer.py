"""The writer: format, float32 files, atomic replacement, on/off refusal."""
import json

import numpy as np
import pytest

from neuromesh_convert import ir, writer
from neuromesh_convert.errors import ConversionError


def mlp():
    rng = np.random.default_rng(0)
    return ir.Model(input_shape=(4,), ops=[
        ir.Dense("dense1", rng.normal(size=(3, 4)), rng.normal(size=3)), ir.Neurons("relu1", "relu"),
        ir.Dense("dense2", rng.normal(size=(2, 3)), np.zeros(2)), ir.Readout("readout")])


def test_document_and_files(tmp_path):
    path = writer.write_network(mlp(), tmp_path / "net", writer.ConvertOptions(scales={"relu1": 100.0, "readout": 50.0}),
                                sample=np.array([0.1, 0.2, 0.3, 0.4]))
    doc = json.loads(path.read_text())
    assert doc["version"] == 2 and doc["dt"] == 0.001
    assert doc["inputs"][0] == {"name": "input", "kind": "real", "size": 4, "values": "sample.npy", "encoding": {"kind": "spiking", "rate": 1000}}
    hidden, out = doc["layers"]
    assert hidden["neuron"]["gain"] == 100 and hidden["neuron"]["amplitude"] == pytest.approx(0.01)
    assert hidden["neuron"]["bias"] == "dense1_bias.npy"
    assert out["name"] == "out" and out["neuron"]["bias"] == 0 and out["neuron"]["gain"] == 50
    assert doc["probes"] == [{"layer": "out", "kind": "spikes"}]
    for c in doc["connections"]:
        w = np.load(tmp_path / "net" / c["weights"])
        assert w.dtype == np.float32
    np.testing.assert_allclose(np.load(tmp_path / "net" / "dense1_bias.npy"), 100 * mlp().ops[0].bias, rtol=1e-6)
    assert np.load(tmp_path / "net" / "sample.npy").shape == (4,)


def test_atomic_replacement(tmp_path):
    out = tmp_path / "net"
    writer.write_network(mlp(), out, writer.ConvertOptions(), extras={"stale.npy": np.zeros(1)})
    writer.write_network(mlp(), out, writer.ConvertOptions())
    assert not (out / "stale.npy").exists()  # replaced as a whole
    assert [p.name for p in tmp_path.iterdir()] == ["net"]  # no temporary directories left
    foreign = tmp_path / "other"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        writer.write_network(mlp(), foreign, writer.ConvertOptions())
    assert (foreign / "notes.txt").exists()


def test_on_off_conv_refused():
    m = ir.Model(input_shape=(1, 4, 4), ops=[ir.Conv2d("conv1", np.ones((2, 1, 3, 3))), ir.Neurons("relu1", "relu"),
                                             ir.Flatten("flat"), ir.Dense("fc", np.ones((2, 8))), ir.Readout("readout")])
    with pytest.raises(ConversionError) as e:
        writer.plan(m, writer.ConvertOptions(encoding="on_off"))
    assert str(e.value) == "'conv1' (Conv2d): reads an on/off-encoded input through a convolution or stage; on/off pairs carry only dense connections; fix: use --encoding spiking (values in [0, 1])"


def test_two_affine_in_a_row_refused():
    m = ir.Model(input_shape=(4,), ops=[ir.Dense("a", np.ones((3, 4))), ir.Dense("b", np.ones((2, 3)))])
    with pytest.raises(ConversionError, match="'b' \\(Dense\\): follows 'a' with no neurons in between"):
        writer.plan(m, writer.ConvertOptions())
