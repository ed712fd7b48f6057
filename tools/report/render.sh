#!/usr/bin/env bash
# Renders a run's HTML report (`neuromesh report`) to a PNG with headless Chromium, and
# checks the picture it made. With no arguments it remakes the README's picture,
# docs/images/report.png, from the multi-chip example (100 steps on Nahuku 8).
#
#   bash tools/report/render.sh                       # docs/images/report.png
#   bash tools/report/render.sh RUN_DIR OUT.png [WIDTH HEIGHT]
#
# Needs Debian's chromium package (apt-get install chromium); nothing is downloaded.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
    echo "render.sh: needs headless Chromium: apt-get install chromium (Debian's package)" >&2
    exit 1
fi

cd "$root"
swift build -c release --product neuromesh >/dev/null
neuromesh="$root/.build/release/neuromesh"

if [ $# -eq 0 ]; then
    scratch="$(mktemp -d)"
    "$neuromesh" run examples/multi-chip/network.json --board nahuku-8 --steps 100 --out "$scratch/multi-chip" >/dev/null
    cd "$scratch"  # so that the page names the run folder as 'multi-chip'
    run="multi-chip"
    out="$root/docs/images/report.png"
    width=1240
    height=1900
else
    run="$1"
    out="${2:?give the PNG to write}"
    width="${3:-1240}"
    height="${4:-2400}"
fi

page="$(mktemp -d)/report.html"
"$neuromesh" report "$run" -o "$page" >/dev/null
mkdir -p "$(dirname "$out")"
log="$(mktemp)"
if ! "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size="$width,$height" --screenshot="$out.partial.png" "file://$page" >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
fi

# The check: a PNG of the asked size, and not blank (a blank page compresses to a few KB).
python3 - "$out.partial.png" "$width" "$height" <<'PY'
import struct, sys
path, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (width, height), f"{path}: {w}x{h}, not {width}x{height}"
assert len(data) > 50_000, f"{path}: only {len(data)} bytes; the page looks blank"
PY
mv "$out.partial.png" "$out"
echo "wrote $out (${width}x${height}) from $run"
