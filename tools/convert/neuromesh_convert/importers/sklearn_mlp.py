"""scikit-learn ``MLPClassifier`` → ``ir.Model``.

``coefs_[k]`` is ``[in, out]`` (x @ W); the network format's transforms are ``[out, in]``,
so every matrix is transposed. Hidden activation must be ``relu``; the output activation
(softmax, or logistic for two classes) is dropped: the readout keeps the logits, whose
argmax is the class. A two-class model has one logit z (class 1 when z > 0); it becomes two
outputs [0, z] so the argmax still decides.
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ..errors import Refusals


def import_mlp(clf, name: str = "sklearn-mlp") -> ir.Model:
    refusals = Refusals()
    kind = type(clf).__name__
    if kind != "MLPClassifier":
        refusals.add(f"model ({kind})", "is not an MLPClassifier", "train a sklearn.neural_network.MLPClassifier (regressors have no class readout)")
        refusals.raise_if_any()
    if not hasattr(clf, "coefs_"):
        refusals.add(f"model ({kind})", "is not fitted", "call fit() first")
        refusals.raise_if_any()
    if clf.activation != "relu":
        refusals.add(f"model ({kind})", f"hidden activation '{clf.activation}' has no spiking equivalent here", "retrain with activation='relu'")
    refusals.raise_if_any()
    ops = []
    n_layers = len(clf.coefs_)
    for k, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        w = np.asarray(w, dtype=np.float64).T  # [out, in]
        b = np.asarray(b, dtype=np.float64)
        last = k == n_layers - 1
        if last and w.shape[0] == 1:
            w = np.concatenate([np.zeros_like(w), w])
            b = np.concatenate([np.zeros_like(b), b])
        ops.append(ir.Dense(name=f"dense{k + 1}" if not last else "dense_out", weight=w, bias=b))
        if not last:
            ops.append(ir.Neurons(name=f"relu{k + 1}", kind="relu"))
        else:
            ops.append(ir.Readout(name="readout", kind="linear"))
    notes = [f"dropped the output activation '{clf.out_activation_}' (argmax of the logits is the class)"]
    return ir.Model(input_shape=(int(clf.coefs_[0].shape[0]),), ops=ops, name=name, source="scikit-learn MLPClassifier", notes=notes)
