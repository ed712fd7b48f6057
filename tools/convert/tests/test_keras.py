"""Keras importer: layouts (NHWC → NCHW), padding, refusals."""
import numpy as np
import pytest

import keras

from neuromesh_convert import ir
from neuromesh_convert.errors import ConversionError
from neuromesh_convert.importers.keras_model import import_keras, to_network_layout


def cnn(channels=3, padding="same", kernel=3, strides=1, pool=True, maxpool=False):
    keras.utils.set_random_seed(0)
    layers = [keras.Input((6, 6, 2)), keras.layers.Conv2D(channels, kernel, strides=strides, padding=padding, activation="relu")]
    if pool:
        layers.append(keras.layers.MaxPooling2D(2) if maxpool else keras.layers.AveragePooling2D(2))
    layers += [keras.layers.Flatten(), keras.layers.Dense(5)]
    return keras.Sequential(layers)


def test_flatten_order_nhwc_to_nchw_matches_keras():
    model = cnn()
    x = np.random.default_rng(0).random((8, 6, 6, 2)).astype(np.float32)
    ref = model.predict(x, verbose=0)
    converted = import_keras(model)
    assert converted.input_shape == (2, 6, 6)
    out = ir.forward(converted, to_network_layout(x, model))
    np.testing.assert_allclose(out, ref, atol=1e-5)
    # Without the row permutation the Dense reads (h, w, c)-ordered rows as (c, h, w): wrong.
    dense = next(op for op in converted.ops if isinstance(op, ir.Dense))
    kernel = model.layers[-1].get_weights()[0]
    dense.weight = kernel.T.astype(np.float64)
    assert np.abs(ir.forward(converted, to_network_layout(x, model)) - ref).max() > 1e-2


def test_conv_kernel_layout():
    model = cnn(pool=False)
    conv = import_keras(model).ops[0]
    k = model.layers[0].get_weights()[0]  # [kh, kw, in, out]
    assert conv.weight.shape == (3, 2, 3, 3)
    assert conv.weight[1, 0, 2, 0] == pytest.approx(k[2, 0, 0, 1])
    assert conv.padding == (1, 1)


def test_valid_padding_and_saved_model(tmp_path):
    model = cnn(padding="valid", pool=False)
    path = tmp_path / "m.keras"
    model.save(path)
    converted = import_keras(str(path))
    assert converted.ops[0].padding == (0, 0)
    x = np.random.default_rng(1).random((4, 6, 6, 2)).astype(np.float32)
    np.testing.assert_allclose(ir.forward(converted, to_network_layout(x, model)), model.predict(x, verbose=0), atol=1e-5)


def test_same_padding_even_kernel_and_maxpool_refused_together():
    model = cnn(kernel=2, maxpool=True)
    with pytest.raises(ConversionError) as e:
        import_keras(model)
    conv_name, pool_name = model.layers[0].name, model.layers[1].name
    assert str(e.value).splitlines() == [
        f"layer '{conv_name}' (Conv2D): padding 'same' with kernel (2, 2) and strides (1, 1) pads asymmetrically (one more row/column at the bottom/right), and a Neuromesh conv2d pads both sides equally; fix: use an odd kernel with strides 1, or padding='valid' (with a ZeroPadding2D you control) and retrain",
        f"layer '{pool_name}' (MaxPooling2D): a neuro-core adds weighted spikes and cannot take a maximum; fix: replace it with AveragePooling2D(pool_size=(2, 2)) and retrain (or fine-tune) the model",
    ]


def test_same_padding_stride_two_refused():
    with pytest.raises(ConversionError, match="strides \\(2, 2\\) pads asymmetrically"):
        import_keras(cnn(strides=2, pool=False))


def test_unsupported_activation_refused():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(2, activation="softmax")])
    with pytest.raises(ConversionError) as e:
        import_keras(model)
    assert str(e.value) == f"layer '{model.layers[0].name}' (Dense): activation 'tanh' has no spiking equivalent here; fix: use activation='relu' (or 'linear' / a final 'softmax')"
