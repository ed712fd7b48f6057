"""Train the digits examples, convert them with neuromesh_convert and predict their spiking
accuracy with the numpy reference simulator. Deterministic (fixed seeds, CPU, one thread).

    bash tools/convert/setup.sh
    tools/convert/.venv/bin/python tools/digits/train_digits.py

Writes examples/digits/ (see examples/digits/README.md): data/, mlp/, cnn/, imported/{nir,
torch,keras}/ and results.json. About 3 minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "convert"))

from neuromesh_convert import ir, scaling, simulate  # noqa: E402
from neuromesh_convert.convert import convert  # noqa: E402

OUT = ROOT / "examples" / "digits"
STEPS = 50
SEED = 0
# Candidate conversions, compared on training images (never the test set).
RATES = [300, 400, 600, 800, 1000]
TAUS = [0.0, 0.001, 0.002, 0.003]
PERCENTILE = 99.9
CALIBRATION_SAMPLES = 300  # training images, each shifted by one pixel four ways for the sweep
CNN_ARCH = "Conv2d(1, 16, 3, padding=1), ReLU(), AvgPool2d(2), Conv2d(16, 32, 3), ReLU(), Flatten(), Linear(128, 10)"


def seed_everything(seed=SEED):
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def load_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # 0..16 → [0, 1]
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)


# ---------------------------------------------------------------------------------------
# Models.


def train_mlp(x_train, y_train):
    """ReLU MLP 64-64-10; L2 strength chosen by 5-fold cross-validation on the training set."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neural_network import MLPClassifier

    def make(alpha):
        return MLPClassifier(hidden_layer_sizes=(64,), activation="relu", solver="adam", alpha=alpha,
                             max_iter=2000, random_state=SEED)

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    cv = {a: float(cross_val_score(make(a), x_train, y_train, cv=folds).mean()) for a in (1e-4, 1e-3, 1e-2, 1e-1, 1.0)}
    alpha = max(cv, key=lambda a: (cv[a], a))
    return make(alpha).fit(x_train, y_train), {"alpha": alpha, "cv_accuracy": cv}


def torch_cnn():
    from neuromesh_convert.importers.torch_seq import parse_arch

    return parse_arch(CNN_ARCH)


def train_torch_cnn(x_train, y_train, epochs=60):
    import torch

    seed_everything()
    model = torch_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    xt = torch.tensor(x_train.reshape(-1, 1, 8, 8))
    yt = torch.tensor(y_train)
    g = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()
    return model, {"optimizer": "Adam", "lr": 3e-3, "weight_decay": 1e-4, "epochs": epochs, "batch": 32}


def train_keras_cnn(x_train, y_train, epochs=60):
    import keras

    seed_everything()
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.AveragePooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    ], name="digits_cnn_keras")
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train.reshape(-1, 8, 8, 1), y_train, epochs=epochs, batch_size=32, shuffle=True, verbose=0)
    return model, {"optimizer": "Adam", "lr": 3e-3, "epochs": epochs, "batch": 32}


# ---------------------------------------------------------------------------------------
# Choosing the conversion with the simulator.


def shifted(x):
    """Each 8×8 image moved by one pixel up, down, left and right (zeros shifted in): harder,
    lower-margin images than the training set itself, on which the ANN is nearly always sure,
    so SNN/ANN disagreements show up. Used only to choose the conversion."""
    im = x.reshape(-1, 8, 8)
    out = []
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        s = np.zeros_like(im)
        s[:, max(dy, 0):8 + min(dy, 0), max(dx, 0):8 + min(dx, 0)] = im[:, max(-dy, 0):8 + min(-dy, 0), max(-dx, 0):8 + min(-dx, 0)]
        out.append(s.reshape(len(im), -1))
    return np.concatenate(out)


def score(net_dir, model, x):
    """(disagreements of the current readout with the ANN's argmax, relative error of the
    mean output current against the ANN logits after the best common factor)."""
    net = simulate.Network(net_dir)
    res = simulate.simulate(net, x, steps=STEPS)
    logits = ir.forward(model, x)
    j = res.mean_current["out"] / net.layers["out"]["gain"]
    k = float((j * logits).sum() / (logits * logits).sum())
    err = float(np.sqrt(np.mean((j / k - logits) ** 2)) / logits.std())
    return int(np.sum(res.predict("current") != logits.argmax(1))), err


def sweep(model, x_sweep, x_calibration, encodings=("spiking",), taus=None, tmp=None):
    """Converts every candidate (max rate, tau_s, encoding) with scales from
    ``x_calibration`` and simulates it on ``x_sweep`` (shifted training images); the best has
    the fewest disagreements with the ANN, then the lowest output error."""
    rows = []
    for enc in encodings:
        for tau_s in (TAUS if taus is None else taus):
            for rate in RATES:
                d = Path(tmp) / f"sweep-{enc}-{tau_s}-{rate}"
                convert(model, d, x_calibration, max_rate=rate, percentile=PERCENTILE, tau_s=tau_s, encoding=enc)
                disagreements, err = score(d, model, x_sweep)
                rows.append({"encoding": enc, "tau_s": tau_s, "max_rate": rate, "sweep_disagreements": disagreements,
                             "sweep_samples": int(len(x_sweep)), "sweep_output_error": round(err, 4)})
    best = min(rows, key=lambda r: (r["sweep_disagreements"], r["sweep_output_error"]))
    return rows, best


def evaluate(net_dir, x_test, y_test, ann_logits):
    net = simulate.Network(net_dir)
    res = simulate.simulate(net, x_test, steps=STEPS)
    resq = simulate.simulate(net, x_test, steps=STEPS, quantize_weights=True)
    ann_pred = ann_logits.argmax(1)
    return {
        "steps": STEPS,
        "presentation": "fresh",
        "accuracy_current": float(np.mean(res.predict("current") == y_test)),
        "accuracy_spikes": float(np.mean(res.predict("spikes") == y_test)),
        "agreement_with_ann_current": float(np.mean(res.predict("current") == ann_pred)),
        "accuracy_current_7bit_weights": float(np.mean(resq.predict("current") == y_test)),
        "mean_output_spikes_per_sample": float(res.counts["out"].sum(1).mean()),
        "mean_hidden_spikes_per_neuron": {k: float(v.mean()) for k, v in res.counts.items() if k != "out"},
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--quick", action="store_true", help="fewer epochs and candidates (smoke test)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    t0 = time.time()
    global RATES, TAUS
    epochs = 60
    if args.quick:
        RATES, TAUS, epochs = [600], [0.0, 0.002], 5

    import torch
    import nir

    from neuromesh_convert.importers.keras_model import import_keras, to_network_layout
    from neuromesh_convert.importers.nir_graph import export_nir, import_nir
    from neuromesh_convert.importers.sklearn_mlp import import_mlp
    from neuromesh_convert.importers.torch_seq import import_sequential, import_state_dict

    x_train, x_test, y_train, y_test = load_data()
    x_sweep = shifted(x_train[:CALIBRATION_SAMPLES])
    (out / "data").mkdir(parents=True, exist_ok=True)
    np.save(out / "data" / "test_images.npy", x_test.astype(np.float32))
    np.save(out / "data" / "test_labels.npy", y_test.astype(np.int64))
    np.save(out / "data" / "train_images.npy", x_train.astype(np.float32))
    np.save(out / "data" / "train_labels.npy", y_train.astype(np.int64))
    results = {"steps": STEPS, "presentation": "fresh", "note": "accuracy_* under 'simulator' are predictions of the numpy reference simulator of the real-valued model (tools/convert/neuromesh_convert/simulate.py), not chip figures",
               "test_samples": int(len(y_test)), "networks": {}}
    tmp = tempfile.mkdtemp(prefix="digits-")

    def record(key, model, net_dir, ann_logits, training, best, rows):
        acc = float(np.mean(ann_logits.argmax(1) == y_test))
        sim = evaluate(net_dir, x_test, y_test, ann_logits)
        results["networks"][key] = {"ann_test_accuracy": acc, "simulator": sim, "conversion": best, "training": training,
                                    "sweep_on_shifted_training_images": rows}
        print(f"{key:16s} ANN {acc:.4f}  simulator T={STEPS} fresh: current {sim['accuracy_current']:.4f}  spikes {sim['accuracy_spikes']:.4f}"
              f"  (agreement {sim['agreement_with_ann_current']:.4f}; 7-bit weights {sim['accuracy_current_7bit_weights']:.4f})  "
              f"[rate {best['max_rate']}, tau_s {best['tau_s']}, {best['encoding']}]", flush=True)

    # --- scikit-learn MLP -------------------------------------------------------------
    clf, info = train_mlp(x_train, y_train)
    mlp = import_mlp(clf, name="digits MLP 64-64-10 (scikit-learn)")
    ann = ir.forward(mlp, x_test).astype(np.float32)
    assert np.array_equal(ann.argmax(1), clf.predict(x_test)), "IR forward disagrees with scikit-learn"
    rows, best = sweep(mlp, x_sweep, x_train, encodings=("spiking", "on_off"), tmp=tmp)
    extras = {"ann_logits.npy": ann}
    for k, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        extras[f"model/coefs_{k}.npy"] = np.asarray(w, dtype=np.float32)
        extras[f"model/intercepts_{k}.npy"] = np.asarray(b, dtype=np.float32)
    convert(mlp, out / "mlp", x_train, max_rate=best["max_rate"], percentile=PERCENTILE, tau_s=best["tau_s"],
            encoding=best["encoding"], sample=x_test[0], extras=extras, name=mlp.name)
    record("mlp", mlp, out / "mlp", ann, info, best, rows)

    # --- PyTorch CNN ------------------------------------------------------------------
    net, info = train_torch_cnn(x_train, y_train, epochs)
    cnn = import_sequential(net, (1, 8, 8), name="digits CNN (PyTorch)")
    with torch.no_grad():
        ann_t = net(torch.tensor(x_test.reshape(-1, 1, 8, 8))).numpy()
    ann = ir.forward(cnn, x_test).astype(np.float32)
    assert np.allclose(ann, ann_t, atol=1e-4), "IR forward disagrees with PyTorch"
    rows, best = sweep(cnn, x_sweep, x_train, tmp=tmp)
    state_path = Path(tmp) / "cnn_state_dict.pt"
    torch.save(net.state_dict(), state_path)
    info["arch"] = CNN_ARCH
    common = dict(max_rate=best["max_rate"], percentile=PERCENTILE, tau_s=best["tau_s"], encoding=best["encoding"], sample=x_test[0])
    convert(cnn, out / "cnn", x_train, extras={"ann_logits.npy": ann, "model/cnn_state_dict.pt": state_path}, name=cnn.name, **common)
    record("cnn", cnn, out / "cnn", ann, info, best, rows)

    # The torch importer from the saved state_dict and the architecture spec (the CLI path).
    via_sd = import_state_dict(state_path, CNN_ARCH, (1, 8, 8), name="digits CNN (PyTorch state_dict)")
    convert(via_sd, out / "imported" / "torch", x_train, extras={"ann_logits.npy": ir.forward(via_sd, x_test).astype(np.float32)},
            name=via_sd.name, **common)
    record("imported/torch", via_sd, out / "imported" / "torch", ir.forward(via_sd, x_test), info, best, rows)

    # NIR: the PyTorch CNN with IF neurons (r = s, threshold 1) and an LI readout. NIR's IF has
    # no synaptic filter: use the best candidate with tau_s = 0.
    best_if = min((r for r in rows if r["tau_s"] == 0), key=lambda r: (r["sweep_disagreements"], r["sweep_output_error"]))
    scales = scaling.choose_scales(cnn, x_train, max_rate=best_if["max_rate"], percentile=PERCENTILE)
    graph = export_nir(cnn, scales, readout="li", readout_tau=0.001)
    nir_path = Path(tmp) / "model.nir"
    nir.write(str(nir_path), graph)
    from_nir = import_nir(str(nir_path), name="digits CNN (NIR, IF neurons)")
    ann_nir = ir.forward(from_nir, x_test).astype(np.float32)  # the rate model: s_out × the CNN's logits
    convert(from_nir, out / "imported" / "nir", None, sample=x_test[0], encoding=best["encoding"],
            extras={"ann_logits.npy": ann, "model.nir": nir_path}, name=from_nir.name)
    assert np.array_equal(ann_nir.argmax(1), ann.argmax(1))
    record("imported/nir", from_nir, out / "imported" / "nir", ann, {"from": "cnn", "export": "IF(r = s, v_threshold = 1), weights / s_prev, LI(tau = 1 ms, r = s_out)"},
           dict(best_if, readout="LI tau 1 ms"), [])

    # --- Keras CNN --------------------------------------------------------------------
    km, info = train_keras_cnn(x_train, y_train, epochs)
    keras_ir = import_keras(km, name="digits CNN (Keras)")
    ann_k = km.predict(x_test.reshape(-1, 8, 8, 1), verbose=0)
    xk_train = to_network_layout(x_train.reshape(-1, 8, 8, 1), km)
    ann = ir.forward(keras_ir, to_network_layout(x_test.reshape(-1, 8, 8, 1), km)).astype(np.float32)
    assert np.allclose(ann, ann_k, atol=1e-4), "IR forward disagrees with Keras"
    keras_path = Path(tmp) / "model.keras"
    km.save(keras_path)
    rows, best = sweep(keras_ir, to_network_layout(x_sweep.reshape(-1, 8, 8, 1), km), xk_train, tmp=tmp)
    convert(keras_ir, out / "imported" / "keras", xk_train, max_rate=best["max_rate"], percentile=PERCENTILE, tau_s=best["tau_s"],
            encoding=best["encoding"], sample=x_test[0], extras={"ann_logits.npy": ann, "model.keras": keras_path}, name=keras_ir.name)
    record("imported/keras", keras_ir, out / "imported" / "keras", ann, info, best, rows)

    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out / 'results.json'} ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
