"""pytest configuration: the tests need the pinned venv (bash tools/convert/setup.sh) and
are never run by `swift test`. Run them with

    tools/convert/.venv/bin/python -m pytest tools/convert/tests
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest  # noqa: E402

for module in ("numpy", "torch", "keras", "nir", "sklearn", "h5py"):
    try:
        __import__(module)
    except ImportError:  # pragma: no cover - only outside the venv
        pytest.skip(f"{module} is not installed: run bash tools/convert/setup.sh and use tools/convert/.venv/bin/python",
                    allow_module_level=True)
