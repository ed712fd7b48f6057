#!/usr/bin/env bash
# Create tools/convert/.venv (git-ignored) with the pinned converter toolchain.
# Idempotent: reuses an existing venv and only installs what is missing or differs.
#
#   bash tools/convert/setup.sh
#   cd tools/convert && .venv/bin/python -m neuromesh_convert --help
#   tools/convert/.venv/bin/python -m pytest tools/convert/tests
#   tools/convert/.venv/bin/python tools/digits/train_digits.py
#
# PYTHON chooses the interpreter (default python3; the pins need Python 3.11).
# torch: requirements.txt pins the CPU-only build torch==2.13.0+cpu. pip finds it through its
# find-links / extra index settings (on this project's machines pip.conf names a local wheel
# directory that holds it). When it cannot be found, this script installs PyPI's
# torch==2.13.0 instead, with its CUDA dependencies (several GB, but it runs on a CPU).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
pip=(--disable-pip-version-check --quiet)

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    "$python" -m venv "$venv"
fi

if "$venv/bin/python" -m pip install "${pip[@]}" -r "$here/requirements.txt" 2>"$venv/pip-error.txt"; then
    rm -f "$venv/pip-error.txt"
elif grep -q "torch==2.13.0+cpu" "$venv/pip-error.txt"; then
    echo "no torch==2.13.0+cpu wheel found; installing PyPI's torch==2.13.0 (CUDA build, several GB)" >&2
    sed 's/^torch==2.13.0+cpu$/torch==2.13.0/' "$here/requirements.txt" >"$venv/requirements-pypi-torch.txt"
    "$venv/bin/python" -m pip install "${pip[@]}" -r "$venv/requirements-pypi-torch.txt"
    rm -f "$venv/pip-error.txt"
else
    cat "$venv/pip-error.txt" >&2
    exit 1
fi

KERAS_BACKEND=torch "$venv/bin/python" - <<'PY'
import importlib.metadata as md
want = {"numpy": "2.4.6", "scikit-learn": "1.9.1", "keras": "3.15.1", "nir": "1.0.8", "h5py": "3.16.0", "pytest": "9.2.0"}
have = {p: md.version(p) for p in want}
bad = {p: v for p, v in have.items() if v != want[p]}
torch_version = md.version("torch")
if not torch_version.startswith("2.13.0"):
    bad["torch"] = torch_version
if bad:
    raise SystemExit("version mismatch: %s (want %s, torch 2.13.0)" % (bad, want))
import keras, nir, sklearn, torch  # noqa: F401  (the imports must work on a CPU)
assert keras.backend.backend() == "torch"
print("convert tools ready: " + " ".join("%s==%s" % kv for kv in have.items()) + " torch==" + torch_version)
PY
