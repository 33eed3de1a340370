#!/usr/bin/env bash
# The CI performance gate, locally: build BASE_REF in a temporary git worktree
# and the work tree as it is, count instructions on both (deterministic), then
# run the gate with the BASE's smprof and smprof.toml, as perf.yml does.
# The worktree and its build are removed afterwards, even on failure or Ctrl-C.
#
#   scripts/perf-gate.sh BASE_REF [--filter PATTERN] [--samples N] [--time]
#
#   --filter PATTERN  only these workloads (smprof run --filter), e.g. 'matmul/*'
#   --samples N       operations counted per workload (default 2)
#   --time            also measure wall time (--quick) and write the comparison report
#
# Environment: SMPROF_BASE_TARGET_DIR keeps the base build between runs (faster);
# by default it is built in the temporary directory and removed.
# Exit: the gate's code (0 pass, 1 gating regression, 2 error).
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage ;; esac
base_ref=$1; shift
filter=""; samples=2; with_time=0
while [ $# -gt 0 ]; do
  case "$1" in
    --filter) filter=$2; shift 2 ;;
    --samples) samples=$2; shift 2 ;;
    --time) with_time=1; shift ;;
    *) echo "perf-gate: unknown argument $1" >&2; usage ;;
  esac
done

root=$(git rev-parse --show-toplevel)
cd "$root"
base_sha=$(git rev-parse --verify "$base_ref^{commit}") || { echo "perf-gate: cannot resolve $base_ref" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smprof-perf-gate.XXXXXX")
base="$tmp/base"
cleanup() {
  git -C "$root" worktree remove --force "$base" >/dev/null 2>&1 || true
  git -C "$root" worktree prune >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== base $base_ref ($(git rev-parse --short "$base_sha")) in a temporary worktree"
git worktree add --detach --quiet "$base" "$base_sha"

echo "== build head and base (release)"
cargo build --release --quiet -p smprof
CARGO_TARGET_DIR="${SMPROF_BASE_TARGET_DIR:-$tmp/target}" \
  cargo build --release --quiet -p smprof --manifest-path "$base/Cargo.toml"
head_bin="$root/target/release/smprof"
base_bin="${SMPROF_BASE_TARGET_DIR:-$tmp/target}/release/smprof"

run_args=(--suite code --no-save)
[ -n "$filter" ] && run_args+=(--filter "$filter")

echo "== instruction counts (valgrind)"
(cd "$base" && "$base_bin" run "${run_args[@]}" --metric instructions --samples "$samples" --out "$tmp/base-instr.json" --format json > /dev/null)
"$head_bin" run "${run_args[@]}" --metric instructions --samples "$samples" --out "$tmp/head-instr.json" --format json > /dev/null

if [ "$with_time" = 1 ]; then
  echo "== wall time (--quick, report only)"
  (cd "$base" && "$base_bin" run "${run_args[@]}" --quick --out "$tmp/base-time.json" --format json > /dev/null)
  "$head_bin" run "${run_args[@]}" --quick --out "$tmp/head-time.json" --format json > /dev/null
  mkdir -p "$root/reports"
  out="$root/reports/perf-gate-$(git rev-parse --short "$base_sha")-vs-head"
  (cd "$base" && "$base_bin" compare --config smprof.toml --baseline "$tmp/base-time.json" \
      --current "$tmp/head-time.json" --out-dir "$out" --fail-on never) || true
  echo "wall-time report: $out"
fi

echo "== gate (base's smprof and smprof.toml)"
set +e
(cd "$base" && "$base_bin" gate --config smprof.toml --baseline "$tmp/base-instr.json" --current "$tmp/head-instr.json")
code=$?
set -e
exit "$code"
