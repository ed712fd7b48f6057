#!/usr/bin/env bash
# Neuromesh's emulator, NengoLoihi's emulator and the one-core C limit on the same dense
# networks, one after the other in one session (issue 11: a ratio counts only against the
# peer at its best, measured side by side).
#
#   tools/perf/side_by_side.sh [OUT_DIR]      (default /tmp/side-by-side)
#
# Needs: swift (release build of neuromesh-bench), tools/reference/.venv (setup.sh), a C
# compiler. Prints every tool's own summary line; docs/benchmarks.md records the results.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/side-by-side}
mkdir -p "$OUT"
swift build -c release --product neuromesh-bench >/dev/null
swift build -c release --product neuromesh >/dev/null
BENCH=.build/release/neuromesh-bench
PY=tools/reference/.venv/bin/python
# The exported input spike trains cover exactly the steps run (the bench makes them per run).
rm -rf "$OUT/nets"
$BENCH dense-1024 --export "$OUT/nets" --samples 1 --steps 1000 >/dev/null
$BENCH dense-4096 --export "$OUT/nets" --samples 1 --steps 200 >/dev/null
$BENCH chip-1pct chip-10pct --export "$OUT/nets" --samples 1 --steps 10 >/dev/null
for flags in "" "-march=native"; do
  cc -O3 $flags tools/perf/c_limit.c -o "$OUT/c_limit${flags:+_native}"
done
echo "== machine"; grep -m1 "model name" /proc/cpuinfo; uptime
for round in 1 2; do
  echo "== round $round"
  echo "-- C limit, one core (SSE2 baseline, then -march=native)"
  for w in "1024 1 10 20000" "1024 3 10 5000" "4096 3 10 200"; do
    "$OUT/c_limit" $w
    "$OUT/c_limit_native" $w
  done
  echo "-- Neuromesh, 2 threads and 1 thread"
  $BENCH dense-1024 --steps 1000 --samples 5 | grep "events/s"
  $BENCH dense-1024 --steps 1000 --samples 5 --threads 1 | grep "events/s"
  $BENCH dense-4096 --steps 200 --samples 3 | grep "events/s"
  $BENCH dense-4096 --steps 200 --samples 3 --threads 1 | grep "events/s"
  $BENCH chip-1pct --steps 1000 --samples 3 | grep "events/s"
  $BENCH chip-1pct --steps 1000 --samples 3 --threads 1 | grep "events/s"
  $BENCH chip-10pct --steps 200 --samples 3 | grep "events/s"
  $BENCH chip-10pct --steps 200 --samples 3 --threads 1 | grep "events/s"
  echo "-- NengoLoihi 1.1.0 emulator (shared intp indices: its fastest; then per-axon intp)"
  # Events must equal Neuromesh's (printed above): the same spikes reach the same synapses.
  $PY tools/reference/bench_nengo_loihi.py "$OUT/nets/dense-1024" --steps 1000 | tail -3 | tr '\n' ' '; echo
  $PY tools/reference/bench_nengo_loihi.py "$OUT/nets/dense-1024" --steps 1000 --indices intp | tail -1
  $PY tools/reference/bench_nengo_loihi.py "$OUT/nets/dense-4096" --steps 200 | tail -3 | tr '\n' ' '; echo
  $PY tools/reference/bench_nengo_loihi.py "$OUT/nets/chip-1pct" --steps 1000 | tail -3 | tr '\n' ' '; echo
  $PY tools/reference/bench_nengo_loihi.py "$OUT/nets/chip-10pct" --steps 200 | tail -3 | tr '\n' ' '; echo
  echo "-- the shipped multi-chip convolutional example, 40 steps on Nahuku 8: NengoLoihi, then Neuromesh on 2 and 1 threads"
  $PY tools/reference/bench_nengo_loihi.py examples/multi-chip --steps 40 | tail -3 | tr '\n' ' '; echo
  for t in 2 1; do
    .build/release/neuromesh run examples/multi-chip/network.json --board nahuku-8 --steps 40 --threads $t 2>&1 | grep -iE "synaptic|emulat" | tr '\n' ' '; echo
  done
done
