#!/usr/bin/env bash
# What the engine's per-op instrumentation costs when it is OFF (issue 5: < 1 % on
# model/small), measured with and without it compiled in:
#   - instructions per operation under callgrind (deterministic: the exact difference);
#   - wall time, ROUNDS interleaved default-mode runs of each build (A B A B …), with
#     the median of each build's per-run medians.
# The "without" build compiles the instrumentation out with
# RUSTFLAGS="--cfg smallmind_no_instrumentation" into its own target directory.
#
# Knobs (environment): WORKLOADS='model/small model/medium train/gpt_small' ROUNDS=5
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
WORKLOADS=${WORKLOADS:-model/small model/medium train/gpt_small}
ROUNDS=${ROUNDS:-5}
export NO_COLOR=1

cargo build --release --quiet -p smprof
RUSTFLAGS="--cfg smallmind_no_instrumentation" CARGO_TARGET_DIR=target/no-instrumentation \
  cargo build --release --quiet -p smprof
with=target/release/smprof
without=target/no-instrumentation/release/smprof
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median_of() { # FILE WORKLOAD METRIC → the metric's median
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
w = next((w for w in doc["workloads"] if w["name"] == sys.argv[2]), None)
if w is None or sys.argv[3] not in w["metrics"]:
    sys.exit(f"{sys.argv[1]}: no {sys.argv[3]} for workload {sys.argv[2]}")
print(w["metrics"][sys.argv[3]]["summary"]["median"])
PY
}

echo "| workload | instructions/op with | without | cost | wall median with | without | cost |"
echo "|---|---|---|---|---|---|---|"
for w in $WORKLOADS; do
  suite=code; case $w in train/*|matmul_backward/*) suite=alloc ;; esac
  "$with" run --suite "$suite" --filter "$w" --metric instructions --samples 1 --no-save --out "$out/iw.json" > /dev/null
  "$without" run --suite "$suite" --filter "$w" --metric instructions --samples 1 --no-save --out "$out/io.json" > /dev/null
  iw=$(median_of "$out/iw.json" "$w" instructions)
  io=$(median_of "$out/io.json" "$w" instructions)
  tw=(); to=()
  for r in $(seq 1 "$ROUNDS"); do
    "$with" run --suite "$suite" --filter "$w" --no-save --out "$out/tw.json" > /dev/null 2>&1
    tw+=("$(median_of "$out/tw.json" "$w" time_ns)")
    "$without" run --suite "$suite" --filter "$w" --no-save --out "$out/to.json" > /dev/null 2>&1
    to+=("$(median_of "$out/to.json" "$w" time_ns)")
  done
  python3 - "$w" "$iw" "$io" "${tw[*]}" "${to[*]}" <<'PY'
import statistics, sys
w, iw, io = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
tw = [float(x) for x in sys.argv[4].split()]
to = [float(x) for x in sys.argv[5].split()]
mw, mo = statistics.median(tw), statistics.median(to)
print(f"| {w} | {iw:,.0f} | {io:,.0f} | {100 * (iw / io - 1):+.3f} % | "
      f"{mw / 1e6:,.3f} ms | {mo / 1e6:,.3f} ms | {100 * (mw / mo - 1):+.2f} % |")
PY
done
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); rounds: $ROUNDS interleaved runs of each build"
