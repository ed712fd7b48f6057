#!/usr/bin/env bash
# Create tools/energy_peers/.venv (git-ignored) with the pinned KerasSpiking toolchain.
# Idempotent: reuses an existing venv and only installs what is missing or differs.
#
#   bash tools/energy_peers/setup.sh
#   tools/energy_peers/.venv/bin/python tools/energy_peers/keras_spiking_energy.py
#
# PYTHON chooses the interpreter (default python3; the pins need Python 3.11, for which
# tensorflow-cpu 2.15.1 has wheels). requirements.txt lists the whole environment, so it is
# installed with --no-deps (see its header: keras-spiking declares `tensorflow`, which
# tensorflow-cpu provides under another name).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    "$python" -m venv "$venv"
fi

"$venv/bin/python" -m pip install --disable-pip-version-check --quiet --no-deps -r "$here/requirements.txt"

TF_CPP_MIN_LOG_LEVEL=2 "$venv/bin/python" - "$here/requirements.txt" <<'PY'
import importlib.metadata as md
import sys
pins = dict(line.split("#")[0].strip().split("==") for line in open(sys.argv[1]) if "==" in line.split("#")[0])
bad = {}
for name, version in pins.items():
    try:
        have = md.version(name)
    except md.PackageNotFoundError:
        have = None
    if have != version:
        bad[name] = have
if bad:
    raise SystemExit("version mismatch (installed, want requirements.txt): %s" % bad)
import keras, keras_spiking, tensorflow as tf  # noqa: E401  (the imports must work on a CPU)
assert keras.__version__.startswith("2.") and tf.keras.Model is keras.Model, "keras-spiking 0.3.0 needs Keras 2 as tf.keras"
key = ("keras-spiking", "tensorflow-cpu", "keras", "numpy")
print("energy peers ready (%d pins): " % len(pins) + " ".join("%s==%s" % (p, pins[p]) for p in key))
PY
