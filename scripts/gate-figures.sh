#!/usr/bin/env bash
# Produce the gate figures of docs/PERFORMANCE.md (## Gate) on this machine:
#   1. A/A false alarms, wall time: AA_RUNS gate runs, each comparing two fresh
#      --quick runs of the same commit (confirmation on, as in CI);
#   2. A/A, instructions: two instruction-count runs of the code suite — counts
#      identical, gate passes; the time of one whole-suite instructions run;
#   3. detection, instructions: SMALLMIND_INJECT_SLOWDOWN_PCT=10 on matmul/* against
#      a normal run, DETECT_INSTR_RUNS times;
#   4. detection, wall time: the same slowdown, DETECT_RUNS gate runs on matmul/*.
#
# Knobs (environment): AA_RUNS=20 DETECT_RUNS=20 DETECT_INSTR_RUNS=3
#   AA_FILTER='' (whole code suite) DETECT_FILTER='matmul/*' INSTR_SAMPLES=1 SLOWDOWN_PCT=10
#   SKIP='' (space-separated figure numbers to skip)
#   DETECT_MODE='--quick' (run mode of the wall-time detection pairs; '' = default mode)
#   SMPROF_BIN='' (a prebuilt release smprof of this commit; default: cargo build --release)
# Writes the table to stdout and reports/gate-figures-<time>/figures.md, with the
# per-run gate outputs beside it (the printed decision in NAME.txt, the gate's
# --out-dir in NAME/: the re-measured alternation-*.json and confirm-*.json).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
AA_RUNS=${AA_RUNS:-20}
DETECT_RUNS=${DETECT_RUNS:-20}
DETECT_INSTR_RUNS=${DETECT_INSTR_RUNS:-3}
AA_FILTER=${AA_FILTER:-}
DETECT_FILTER=${DETECT_FILTER:-matmul/*}
INSTR_SAMPLES=${INSTR_SAMPLES:-1}
SLOWDOWN_PCT=${SLOWDOWN_PCT:-10}
SKIP=${SKIP:-}
DETECT_MODE=${DETECT_MODE---quick}

if [ -n "${SMPROF_BIN:-}" ]; then
  bin=$(realpath "$SMPROF_BIN")
else
  cargo build --release --quiet -p smprof
  bin=$PWD/target/release/smprof
fi
out="reports/gate-figures-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
export NO_COLOR=1
skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
run() { # run FILE FILTER [extra run args…]
  local file=$1 filter=$2; shift 2
  local fa=(); [ -n "$filter" ] && fa=(--filter "$filter")
  "$bin" run --suite code "${fa[@]}" --no-save --format json --out "$file" "$@" > /dev/null
}
gate() { # gate BASE CUR LOG → prints the exit code; the gate's outputs go to LOG's name minus .txt
  set +e; "$bin" gate --baseline "$1" --current "$2" --out-dir "${3%.txt}" > "$3" 2>&1; local c=$?; set -e; echo "$c"
}
rows=()

if ! skip 1; then
  # Results of a dirty tree are keyed apart (COMMIT-dirty) and the gate only
  # measures both "builds" in alternation for a clean commit: refuse rather than
  # produce an A/A figure of the stored-runs path alone.
  if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    echo "gate-figures.sh: the A/A figure needs a clean work tree (commit or stash first)" >&2
    exit 2
  fi
  fails=0; errors=0
  for i in $(seq 1 "$AA_RUNS"); do
    run "$out/aa-$i-a.json" "$AA_FILTER" --quick
    run "$out/aa-$i-b.json" "$AA_FILTER" --quick
    c=$(gate "$out/aa-$i-a.json" "$out/aa-$i-b.json" "$out/aa-$i.txt")
    case $c in 0) ;; 1) fails=$((fails + 1)) ;; *) errors=$((errors + 1)) ;; esac
    echo "A/A wall time $i/$AA_RUNS: exit $c" >&2
  done
  rows+=("| A/A wall time (--quick, ${AA_FILTER:-whole code suite}) | $AA_RUNS gate runs | $fails failed, $errors errors |")
fi

if ! skip 2; then
  s=$(date +%s.%N)
  run "$out/instr-a.json" "" --metric instructions --samples "$INSTR_SAMPLES"
  e=$(date +%s.%N)
  run "$out/instr-b.json" "" --metric instructions --samples "$INSTR_SAMPLES"
  same=$(python3 - "$out/instr-a.json" "$out/instr-b.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ca = {w["name"]: w["metrics"]["instructions"]["summary"]["median"] for w in a["workloads"]}
cb = {w["name"]: w["metrics"]["instructions"]["summary"]["median"] for w in b["workloads"]}
diff = [n for n in ca if ca[n] != cb.get(n)]
print(f"{len(ca) - len(diff)}/{len(ca)} identical" + (f" (differ: {', '.join(diff)})" if diff else ""))
PY
)
  c=$(gate "$out/instr-a.json" "$out/instr-b.json" "$out/instr-aa.txt")
  secs=$(python3 -c "print(f'{$e - $s:.0f}')")
  rows+=("| A/A instructions (whole code suite, warm-up + $INSTR_SAMPLES counted op(s) each) | 2 runs | counts: $same; gate exit $c |")
  rows+=("| instructions mode, whole code suite | 1 run | ${secs} s |")
fi

if ! skip 3; then
  caught=0
  run "$out/det-instr-base.json" "$DETECT_FILTER" --metric instructions --samples "$INSTR_SAMPLES"
  for i in $(seq 1 "$DETECT_INSTR_RUNS"); do
    SMALLMIND_INJECT_SLOWDOWN_PCT=$SLOWDOWN_PCT run "$out/det-instr-$i.json" "$DETECT_FILTER" --metric instructions --samples "$INSTR_SAMPLES"
    c=$(gate "$out/det-instr-base.json" "$out/det-instr-$i.json" "$out/det-instr-$i.txt")
    [ "$c" = 1 ] && caught=$((caught + 1))
    echo "detection instructions $i/$DETECT_INSTR_RUNS: exit $c" >&2
  done
  rows+=("| ${SLOWDOWN_PCT} % matmul slowdown, instructions ($DETECT_FILTER) | $DETECT_INSTR_RUNS gate runs | caught $caught/$DETECT_INSTR_RUNS |")
fi

if ! skip 4; then
  caught=0
  # The slowdown is an environment knob of one binary; these two wrappers stand
  # for the baseline's build and the slowed build.
  base_exe="$out/smprof-base"; slow_exe="$out/smprof-slow"
  printf '#!/bin/sh\nunset SMALLMIND_INJECT_SLOWDOWN_PCT\nexec "%s" "$@"\n' "$bin" > "$base_exe"
  printf '#!/bin/sh\nexport SMALLMIND_INJECT_SLOWDOWN_PCT=%s\nexec "%s" "$@"\n' "$SLOWDOWN_PCT" "$bin" > "$slow_exe"
  chmod +x "$base_exe" "$slow_exe"
  for i in $(seq 1 "$DETECT_RUNS"); do
    run "$out/det-$i-base.json" "$DETECT_FILTER" $DETECT_MODE
    SMALLMIND_INJECT_SLOWDOWN_PCT=$SLOWDOWN_PCT run "$out/det-$i-slow.json" "$DETECT_FILTER" $DETECT_MODE
    # Both "binaries" are at hand, as in CI: the gate measures both in alternation
    # (and confirms the same way), the baseline side without the slowdown and the
    # current side with it.
    set +e
    "$bin" gate --baseline "$out/det-$i-base.json" --current "$out/det-$i-slow.json" \
      --baseline-exe "$base_exe" --current-exe "$slow_exe" --out-dir "$out/det-$i" > "$out/det-$i.txt" 2>&1
    c=$?
    set -e
    [ "$c" = 1 ] && caught=$((caught + 1))
    echo "detection wall time $i/$DETECT_RUNS: exit $c" >&2
  done
  rows+=("| ${SLOWDOWN_PCT} % matmul slowdown, wall time (${DETECT_MODE:-default mode}, $DETECT_FILTER) | $DETECT_RUNS gate runs | caught $caught/$DETECT_RUNS |")
fi

{
  echo "Gate figures, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo
  echo "| figure | runs | result |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$out/figures.md"
