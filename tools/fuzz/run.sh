#!/usr/bin/env bash
# Builds the libFuzzer targets of Neuromesh's readers and runs each for a while.
#
#   tools/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]
#
# Targets: network, spec, coremap, npy, csv (default: all), each a Swift file here with
# LLVMFuzzerTestOneInput over one reader (see the file's comment). The library is built
# with `-sanitize=fuzzer,address` into .build-fuzz (git-ignored), the targets are linked
# with swiftc, and each is seeded with the shipped examples and the malformed-input corpus
# (Tests/MalformedInputs). A crash or a hang (> 10 s for one input) stops that target and
# leaves the input in .build-fuzz/findings/TARGET/; turn every one into a corpus case.
# Two targets run at a time (the machine has two cores). Needs no network access.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(network spec coremap npy csv)
JOBS=${FUZZ_JOBS:-2}
B=.build-fuzz/release
MODULES=(LoihiArithmetic NetworkModel HardwareSpec CoreMapModel Mapper Emulator Energy Training NeuroIO)

echo "== building the library with -sanitize=fuzzer,address (.build-fuzz)"
swift build -c release --target NeuroIO --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address >/dev/null
OBJECTS=()
for m in "${MODULES[@]}"; do OBJECTS+=("$B/$m.build/"*.o); done

seed() {  # seed TARGET DIR: the files a reader of this kind sees in the repository
  local target=$1 dir=$2
  mkdir -p "$dir"
  case $target in
    network) find examples Tests/MalformedInputs -name '*.json' ! -name '*.coremap.json' ! -name 'case.json' ! -name 'summary.json' ! -name 'training_log.json' -size -512k | grep -v -e hardware -e /chip.json -e board -e train ;;
    spec) find hardware-specs Tests/MalformedInputs -name '*.json' | grep -e hardware-specs -e chip.json -e board.json ;;
    coremap) find Tests/MalformedInputs -name '*.coremap.json' -size -512k ;;
    npy) find examples Tests/MalformedInputs -name '*.npy' -size -256k ;;
    csv) find examples Tests/MalformedInputs -name '*.csv' -size -256k ;;
  esac | while read -r f; do
    if [ "$target" = spec ]; then  # first byte: even = a board, odd = a chip
      case $f in *board*) { printf '\x00'; cat "$f"; } ;; *) { printf '\x01'; cat "$f"; } ;; esac > "$dir/$(echo "$f" | tr / _)"
    else
      cp "$f" "$dir/$(echo "$f" | tr / _)"
    fi
  done
}

run_target() {
  local target=$1
  local file
  file=tools/fuzz/Fuzz$(case $target in network) echo Network ;; spec) echo Spec ;; coremap) echo CoreMap ;; npy) echo NPY ;; csv) echo CSV ;; esac).swift
  local binary=$B/fuzz-$target
  swiftc -sanitize=fuzzer,address -parse-as-library -O -I "$B/Modules" tools/fuzz/Harness.swift "$file" "${OBJECTS[@]}" -o "$binary" 2>&1 | grep -v "Cannot export local symbol" || true
  local corpus=.build-fuzz/corpus/$target findings=.build-fuzz/findings/$target
  rm -rf "$corpus" && seed "$target" "$corpus"
  mkdir -p "$findings"
  local log=.build-fuzz/fuzz-$target.log
  # Short inputs mutate faster and reach the same checks; a core map needs room for its arrays.
  local max_len
  max_len=$(case $target in csv) echo 4096 ;; spec) echo 8192 ;; coremap) echo 131072 ;; *) echo 65536 ;; esac)
  echo "== $target: $(ls "$corpus" | wc -l) seeds, $SECONDS_PER_TARGET s"
  # Leak checking is off: a leak is not a crash, and Foundation's own caches read as leaks.
  NEUROMESH_FUZZ_BASE=Tests/MalformedInputs/base "$binary" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
    -rss_limit_mb=4096 -detect_leaks=0 -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1 || true
  local runs
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  local found
  found=$(ls "$findings" | wc -l)
  echo "== $target: $runs inputs in $SECONDS_PER_TARGET s, $found crash/hang/oom finding(s) (log $log)"
}

running=0
for t in "${TARGETS[@]}"; do
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
