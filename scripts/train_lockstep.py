#!/usr/bin/env python3
"""The GPT-2 training step, engine against PyTorch, step by step in lockstep.

bench_train_pairs.py pairs whole criterion runs with whole PyTorch runs, ~15 s
apart; on a host whose speed changes in spells of seconds the two halves of a
pair often ran at different speeds. Here both stay loaded in their processes,
pinned to one CPU, and take one step each in turn (E P E P …, the side going
first alternating per pair of steps): a spell covers both halves of nearly
every pair. Prints, per model, the median of the per-pair ratios (PyTorch ÷
engine) with a 95 % distribution-free interval, and both sides' medians.

The PyTorch model is the anchors' own (bench_gpt2.py's classes, loaded without
running its benchmark loop).

usage: scripts/train_lockstep.py [PAIRS] [--models small,medium] [--cpu N] [--anchors DIR]
needs: cargo (builds the engine's train_step_server example), python3 with torch
"""
import argparse
import math
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = {"small": (32, 64), "medium": (8, 256)}


def anchor_classes(anchors):
    """bench_gpt2.py's definitions (everything before its benchmark loop)."""
    path = os.path.join(anchors, "bench_gpt2.py")
    src = open(path).read().split("\nfor name in which:")[0]
    sys.path.insert(0, anchors)
    argv, sys.argv = sys.argv, [path, "1"]
    ns = {"__name__": "anchor_bench_gpt2"}
    try:
        exec(compile(src, path, "exec"), ns)
    finally:
        sys.argv = argv
    return ns


def torch_stepper(ns, model):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = ns["CONFIGS"][model]
    m = ns["GPT"](**cfg)
    m.train()
    b, t = TRAIN[model]
    opt = torch.optim.AdamW(m.parameters(), lr=3e-4, weight_decay=0.01)
    x = torch.randint(0, 256, (b, t))
    y = torch.randint(0, 256, (b, t))

    def step():
        t0 = time.perf_counter_ns()
        logits = m(x)
        loss = F.cross_entropy(logits.view(-1, 256), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return time.perf_counter_ns() - t0

    for _ in range(3):
        step()
    return step


def median_interval(d, conf=0.95):
    """Median of d with the order-statistic interval of the binomial sign test."""
    d = sorted(d)
    n = len(d)
    from math import comb
    # largest k with P(Binom(n, 1/2) < k) <= (1 - conf) / 2
    k, acc = 0, 0.0
    while k < n and acc + comb(n, k) / 2 ** n <= (1 - conf) / 2:
        acc += comb(n, k) / 2 ** n
        k += 1
    return statistics.median(d), (d[k - 1] if k > 0 else float("nan"), d[n - k] if k > 0 else float("nan"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pairs", nargs="?", type=int, default=40)
    ap.add_argument("--models", default="small,medium")
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--anchors", default=os.path.join(ROOT, "..", "shared", "anchors"))
    args = ap.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "smallmind", "--example", "train_step_server"],
                   cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "examples", "train_step_server")
    ns = anchor_classes(os.path.abspath(args.anchors))
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, {args.pairs} step pairs per model, CPU {args.cpu}, "
          f"load {os.getloadavg()[0]:.2f}")
    for model in args.models.split(","):
        eng = subprocess.Popen(["taskset", "-c", str(args.cpu), exe, model], cwd=ROOT, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, "SMALLMIND_THREADS": "1"})
        if eng.stdout.readline().strip() != "ready":
            sys.exit(f"the engine's step server did not start for {model}")

        def engine_step():
            eng.stdin.write("step\n")
            eng.stdin.flush()
            return int(eng.stdout.readline())

        torch_step = torch_stepper(ns, model)
        es, ts = [], []
        for i in range(args.pairs):
            if i % 2 == 0:
                es.append(engine_step())
                ts.append(torch_step())
            else:
                ts.append(torch_step())
                es.append(engine_step())
        eng.stdin.close()
        eng.wait()
        ratios = [t / e for e, t in zip(es, ts)]
        med, (lo, hi) = median_interval(ratios)
        b, t = TRAIN[model]
        em, tm = statistics.median(es) / 1e6, statistics.median(ts) / 1e6
        print(f"- {model}: engine median {em:.1f} ms ({b * t / em * 1e3:,.0f} tok/s, best {min(es) / 1e6:.1f} ms), "
              f"PyTorch median {tm:.1f} ms ({b * t / tm * 1e3:,.0f} tok/s, best {min(ts) / 1e6:.1f} ms); "
              f"per-pair ratio PyTorch ÷ engine: median **{med:.2f}×**, 95 % interval [{lo:.2f}, {hi:.2f}], "
              f"range {min(ratios):.2f}–{max(ratios):.2f}")


if __name__ == "__main__":
    main()
