#!/usr/bin/env python3
"""The GPT-2 training step, engine against PyTorch, in alternating pairs.

A shared host drifts by ±30 % over minutes, so the engine's criterion figure and
PyTorch's taken at different times do not make a ratio. This script runs PAIRS
times, back to back: the engine's `train_step` criterion group, then
../shared/anchors/bench_gpt2.py (PyTorch, 1 thread), and prints per pair the two
medians and their ratio (PyTorch ÷ engine: above 1, the engine is faster), then
the best ÷ best and the median of the per-pair ratios, per model.

usage: scripts/bench_train_pairs.py [PAIRS] [--anchors DIR]
needs: cargo, python3 with torch (the anchors' script)
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = {"small": "small_32x64", "medium": "medium_8x256"}
UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def engine_medians():
    """Criterion's median (the middle of `time: [lo mid hi]`) per model, in seconds."""
    out = subprocess.run(
        ["cargo", "bench", "-q", "-p", "smallmind", "--bench", "model", "--",
         "--warm-up-time", "1", "--measurement-time", "3", "--sample-size", "10", "train_step"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    found = {}
    for model, case in CASES.items():
        m = re.search(re.escape(f"model/train_step/{case}") +
                      r"\s+time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", out)
        if not m:
            sys.exit(f"no criterion line for {case} in:\n{out}")
        found[model] = float(m.group(1)) * UNITS[m.group(2)]
    return found


def torch_medians(anchors):
    """bench_gpt2.py's median training step per model, in seconds."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as f:
        path = f.name
    env = dict(os.environ, ANCHOR_RESULTS=path, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    subprocess.run([sys.executable, "bench_gpt2.py", "1"], cwd=anchors, env=env,
                   capture_output=True, text=True, check=True)
    found = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r.get("group") == "gpt2_train":
                found[r["model"]] = r["median_s"]
    os.unlink(path)
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pairs", type=int, nargs="?", default=6)
    ap.add_argument("--anchors", default=os.path.join(ROOT, "..", "shared", "anchors"))
    args = ap.parse_args()
    rows = []
    for i in range(args.pairs):
        load = open("/proc/loadavg").read().split()[0]
        e = engine_medians()
        t = torch_medians(args.anchors)
        stamp = time.strftime("%H:%M:%S", time.gmtime())
        rows.append((stamp, load, e, t))
        print(f"pair {i + 1}/{args.pairs} {stamp} UTC load {load}: " + ", ".join(
            f"{m} {e[m] * 1e3:.1f} ms vs {t[m] * 1e3:.1f} ms ({t[m] / e[m]:.2f}x)" for m in CASES),
            file=sys.stderr)
    print("| pair | UTC | load | " + " | ".join(
        f"{m}: engine | {m}: PyTorch | {m}: ratio" for m in CASES) + " |")
    print("|---|---|---|" + "---|---|---|" * len(CASES))
    for i, (stamp, load, e, t) in enumerate(rows):
        print(f"| {i + 1} | {stamp} | {load} | " + " | ".join(
            f"{e[m] * 1e3:.1f} ms | {t[m] * 1e3:.1f} ms | {t[m] / e[m]:.2f}×" for m in CASES) + " |")
    print()
    for m in CASES:
        best_e = min(r[2][m] for r in rows)
        best_t = min(r[3][m] for r in rows)
        ratios = [r[3][m] / r[2][m] for r in rows]
        tokens = {"small": 32 * 64, "medium": 8 * 256}[m]
        print(f"- {m}: best {best_e * 1e3:.1f} ms ({tokens / best_e:,.0f} tok/s) against PyTorch's best "
              f"{best_t * 1e3:.1f} ms ({tokens / best_t:,.0f} tok/s): **{best_t / best_e:.2f}×**; "
              f"median of per-pair ratios **{statistics.median(ratios):.2f}×** "
              f"(range {min(ratios):.2f}–{max(ratios):.2f}×)")


if __name__ == "__main__":
    main()
