"""Command line: ``python -m neuromesh_convert COMMAND ...`` (run from tools/convert).

    sklearn  MODEL.joblib|.pkl       --calibration X.npy --out DIR
    torch    STATE_DICT.pt --arch "Conv2d(1, 8, 3, padding=1), ReLU(), ..." --input-shape 1,8,8 --calibration X.npy --out DIR
    keras    MODEL.keras             --calibration X.npy --out DIR      (X in the model's own layout, e.g. NHWC)
    nir      MODEL.nir               --out DIR [--dt-graph DT]
    simulate DIR --inputs X.npy [--labels Y.npy] [--steps 50] [--skip 0] [--quantize-weights]

Conversion options: --max-rate HZ (600), --percentile P (99.9), --output-max-rate HZ,
--tau-s S (0), --encoding spiking|on_off, --input-rate HZ (1000), --sample-index I (0).
Refusals are printed one per line (all of them) and the exit status is 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")


def _common(p):
    p.add_argument("--out", required=True, help="output directory (replaced as a whole)")
    p.add_argument("--calibration", help=".npy of inputs to measure activations (ReLU models)")
    p.add_argument("--max-rate", type=float, default=600.0, help="spikes/s at the percentile activation of each ReLU layer")
    p.add_argument("--percentile", type=float, default=99.9)
    p.add_argument("--output-max-rate", type=float, default=None, help="the same for the linear readout (default: --max-rate)")
    p.add_argument("--tau-s", type=float, default=0.0, help="synaptic time constant of converted ReLU layers (s)")
    p.add_argument("--encoding", choices=["spiking", "on_off"], default="spiking")
    p.add_argument("--input-rate", type=float, default=1000.0)
    p.add_argument("--dt", type=float, default=0.001)
    p.add_argument("--sample-index", type=int, default=0, help="calibration row written as sample.npy")
    p.add_argument("--name", default="")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m neuromesh_convert", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sklearn", help="scikit-learn MLPClassifier (joblib or pickle file)")
    p.add_argument("model")
    _common(p)
    p = sub.add_parser("torch", help="PyTorch nn.Sequential state_dict + architecture spec")
    p.add_argument("state_dict")
    p.add_argument("--arch", required=True)
    p.add_argument("--input-shape", required=True, help="channels-first, e.g. 1,28,28 or 784")
    _common(p)
    p = sub.add_parser("keras", help="Keras 3 .keras model")
    p.add_argument("model")
    _common(p)
    p = sub.add_parser("nir", help="NIR graph (.nir)")
    p.add_argument("graph")
    p.add_argument("--dt-graph", type=float, default=None, help="time step of the discrete-time simulator that exported the graph")
    _common(p)
    p = sub.add_parser("simulate", help="run a network.json in the numpy reference simulator")
    p.add_argument("network")
    p.add_argument("--inputs", required=True)
    p.add_argument("--labels")
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--skip", type=int, default=0)
    p.add_argument("--quantize-weights", action="store_true")
    p.add_argument("--reference-logits")
    args = ap.parse_args(argv)

    from .errors import ConversionError

    try:
        if args.command == "simulate":
            return _simulate(args)
        model, calibration = _load(args)
    except ConversionError as e:
        print("cannot convert:", file=sys.stderr)
        for r in e.refusals:
            print(f"error: {r}", file=sys.stderr)
        return 2
    from .convert import convert

    sample = calibration[args.sample_index] if calibration is not None else None
    try:
        record = convert(model, args.out, calibration, max_rate=args.max_rate, percentile=args.percentile,
                         output_max_rate=args.output_max_rate, sample=sample, dt=args.dt, encoding=args.encoding,
                         input_rate=args.input_rate, tau_s=args.tau_s, name=args.name or model.name)
    except ConversionError as e:
        print("cannot convert:", file=sys.stderr)
        for r in e.refusals:
            print(f"error: {r}", file=sys.stderr)
        return 2
    print(f"wrote {os.path.join(args.out, 'network.json')}")
    for note in model.notes:
        print(f"note: {note}")
    for k, v in record["scales"].items():
        print(f"scale {k}: s = {v:.6g}")
    return 0


def _load(args):
    calibration = np.load(args.calibration) if args.calibration else None
    if args.command == "sklearn":
        import joblib

        from .importers.sklearn_mlp import import_mlp

        model = import_mlp(joblib.load(args.model))
    elif args.command == "torch":
        from .importers.torch_seq import import_state_dict

        shape = tuple(int(v) for v in args.input_shape.split(","))
        model = import_state_dict(args.state_dict, args.arch, shape)
    elif args.command == "keras":
        from .importers.keras_model import import_keras, load, to_network_layout

        km = load(args.model)
        model = import_keras(km)
        if calibration is not None:
            calibration = to_network_layout(calibration, km)
    else:
        from .importers.nir_graph import import_nir

        model = import_nir(args.graph, dt=args.dt, dt_graph=args.dt_graph)
    if calibration is not None:
        calibration = np.asarray(calibration, dtype=np.float64).reshape(len(calibration), -1)
    return model, calibration


def _simulate(args) -> int:
    from .simulate import Network, simulate

    net = Network(args.network)
    x = np.load(args.inputs)
    result = simulate(net, x.reshape(len(x), -1), steps=args.steps, skip=args.skip, quantize_weights=args.quantize_weights)
    out = {"steps": args.steps, "skip": args.skip, "samples": int(len(x))}
    if args.labels:
        y = np.load(args.labels)
        for readout in ("current", "spikes"):
            out[f"accuracy_{readout}"] = float(np.mean(result.predict(readout) == y))
    if args.reference_logits:
        ref = np.load(args.reference_logits).argmax(1)
        out["agreement_current"] = float(np.mean(result.predict("current") == ref))
    out["mean_output_spikes"] = float(result.counts["out"].sum(1).mean())
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
