#!/usr/bin/env bash
# Create tools/reference/.venv (git-ignored) with the pinned NengoLoihi reference.
# Idempotent: reuses an existing venv and only installs what is missing or differs.
#
#   bash tools/reference/setup.sh
#   tools/reference/.venv/bin/python tools/reference/generate_fixtures.py
#
# Set PYTHON to choose the interpreter (default: python3; NengoLoihi 1.1.0 with
# numpy 1.26.4 needs Python 3.9 - 3.12).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    "$python" -m venv "$venv"
fi

"$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$here/requirements.txt"

"$venv/bin/python" - <<'PY'
import importlib.metadata as md
want = {"nengo-loihi": "1.1.0", "nengo": "3.2.0", "numpy": "1.26.4", "scipy": "1.13.1"}
have = {p: md.version(p) for p in want}
bad = {p: v for p, v in have.items() if v != want[p]}
if bad:
    raise SystemExit("version mismatch: %s (want %s)" % (bad, want))
print("reference ready: " + " ".join("%s==%s" % kv for kv in have.items()))
PY
