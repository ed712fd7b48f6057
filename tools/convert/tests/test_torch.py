"""PyTorch importer: Sequential and state_dict + architecture spec; refusals."""
import numpy as np
import pytest
import torch

from neuromesh_convert import ir
from neuromesh_convert.errors import ConversionError
from neuromesh_convert.importers.torch_seq import import_sequential, import_state_dict, parse_arch

ARCH = "Conv2d(1, 4, 3, padding=1), ReLU(), AvgPool2d(2), Conv2d(4, 6, 3), ReLU(), Flatten(), Linear(24, 10)"


def test_sequential_matches_torch():
    torch.manual_seed(0)
    seq = parse_arch(ARCH).eval()
    x = torch.rand(5, 1, 8, 8)
    converted = import_sequential(seq, (1, 8, 8))
    assert [type(op).__name__ for op in converted.ops] == ["Conv2d", "Neurons", "AvgPool2d", "Conv2d", "Neurons", "Flatten", "Dense", "Readout"]
    with torch.no_grad():
        ref = seq(x).numpy()
    np.testing.assert_allclose(ir.forward(converted, x.numpy().reshape(5, -1)), ref, atol=1e-5)


def test_state_dict_and_spec(tmp_path):
    torch.manual_seed(1)
    seq = parse_arch(ARCH)
    path = tmp_path / "sd.pt"
    torch.save(seq.state_dict(), path)
    converted = import_state_dict(str(path), ARCH, (1, 8, 8))
    x = torch.rand(3, 1, 8, 8)
    with torch.no_grad():
        np.testing.assert_allclose(ir.forward(converted, x.numpy().reshape(3, -1)), seq(x).numpy(), atol=1e-5)


def test_spec_is_parsed_not_evaluated():
    with pytest.raises(ValueError, match="'__import__' is not a torch.nn module"):
        parse_arch("__import__('os')")
    with pytest.raises(ValueError, match="arguments must be literals"):
        parse_arch("Linear(n, 2)")


def test_maxpool_and_sigmoid_refused_in_one_pass():
    seq = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                              torch.nn.Linear(18, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 2))
    with pytest.raises(ConversionError) as e:
        import_sequential(seq, (1, 8, 8))
    assert str(e.value).splitlines() == [
        "layer '2' (MaxPool2d): a neuro-core adds weighted spikes and cannot take a maximum; fix: replace it with nn.AvgPool2d(kernel_size=2) and retrain (or fine-tune) the model",
        "layer '5' (Sigmoid): has no Neuromesh equivalent; fix: use Linear, Conv2d, AvgPool2d, Flatten and ReLU only",
    ]


def test_same_padding_even_kernel_refused():
    seq = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 2, padding="same"), torch.nn.ReLU())
    with pytest.raises(ConversionError, match=r"layer '0' \(Conv2d\): padding 'same' with kernel \(2, 2\)"):
        import_sequential(seq, (1, 8, 8))
