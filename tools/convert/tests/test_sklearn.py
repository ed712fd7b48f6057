"""scikit-learn MLPClassifier importer."""
import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from neuromesh_convert import ir
from neuromesh_convert.errors import ConversionError
from neuromesh_convert.importers.sklearn_mlp import import_mlp


def data(classes=3):
    rng = np.random.default_rng(0)
    x = rng.random((120, 6))
    y = (x[:, 0] * classes).astype(int)
    return x, y


def test_transposed_weights_and_logits():
    x, y = data()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(x, y)
    m = import_mlp(clf)
    assert m.ops[0].weight.shape == (8, 6)
    logits = np.maximum(x @ clf.coefs_[0] + clf.intercepts_[0], 0) @ clf.coefs_[1] + clf.intercepts_[1]
    np.testing.assert_allclose(ir.forward(m, x), logits, atol=1e-12)
    assert np.array_equal(ir.forward(m, x).argmax(1), clf.predict(x))


def test_binary_classifier_gets_two_outputs():
    x, y = data(2)
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=300, random_state=0).fit(x, y)
    out = ir.forward(import_mlp(clf), x)
    assert out.shape == (120, 2)
    assert np.array_equal(out.argmax(1), clf.predict(x))


def test_tanh_refused():
    x, y = data()
    clf = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", max_iter=50, random_state=0).fit(x, y)
    with pytest.raises(ConversionError) as e:
        import_mlp(clf)
    assert str(e.value) == "model (MLPClassifier): hidden activation 'tanh' has no spiking equivalent here; fix: retrain with activation='relu'"
