#!/usr/bin/env python3
"""The engine's sgemm against PyTorch's (MKL) in lockstep, batch by batch.

Both libraries stay loaded in their processes, pinned to one CPU: the engine in
`engine/examples/sgemm_server.rs`, PyTorch here (torch.mm into a preallocated output,
one thread). Every round times one batch (~2 ms) of each, the side going first
alternating per round, so a slow spell of a shared host falls on both halves of a
round. Prints, per shape, both sides' median and best GFLOPS and the median of the
per-round ratios (engine speed / PyTorch speed) with a 95 % distribution-free
interval and the range, plus the load average before and after.

usage: scripts/bench_matmul_torch.py [ROUNDS] [--shapes 512,1024] [--cpu N]
needs: cargo (builds the sgemm_server example), python3 with torch
The engine uses the tuning in force (SMALLMIND_SGEMM_TUNING, printed first).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse(spec):
    """`n`, `MxNxK` or either with `:tn`-style transposes -> (m, n, k, ta, tb)."""
    dims, _, ops = spec.partition(":")
    ops = ops or "nn"
    d = [int(x) for x in dims.split("x")]
    m, n, k = (d[0], d[0], d[0]) if len(d) == 1 else d
    if len(ops) != 2 or any(c not in "nt" for c in ops):
        raise ValueError(f"bad transposes in {spec!r}")
    return m, n, k, ops[0] == "t", ops[1] == "t"


def median_interval(d, conf=0.95):
    """Median of d with the order-statistic interval of the binomial sign test."""
    from math import comb
    d = sorted(d)
    n = len(d)
    k, acc = 0, 0.0
    while k < n and acc + comb(n, k) / 2 ** n <= (1 - conf) / 2:
        acc += comb(n, k) / 2 ** n
        k += 1
    lo = d[k - 1] if k > 0 else float("nan")
    hi = d[n - k] if k > 0 else float("nan")
    return statistics.median(d), (lo, hi)


def torch_batch(spec, seed):
    """A function running `calls` products of `spec` with PyTorch, returning ns."""
    import torch
    m, n, k, ta, tb = parse(spec)
    g = torch.Generator().manual_seed(seed)
    # Stored as the engine stores them: A (k, m) when transposed, B (n, k) when transposed.
    a = torch.randn((k, m) if ta else (m, k), generator=g)
    b = torch.randn((n, k) if tb else (k, n), generator=g)
    a, b = (a.t() if ta else a), (b.t() if tb else b)
    c = torch.empty(m, n)

    def run(calls):
        t0 = time.perf_counter_ns()
        for _ in range(calls):
            torch.mm(a, b, out=c)
        return time.perf_counter_ns() - t0

    run(3)
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rounds", nargs="?", type=int, default=31)
    ap.add_argument("--shapes", default="128,256,512,1024")
    ap.add_argument("--cpu", type=int, default=1)
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("ROUNDS must be at least 1")
    shapes = args.shapes.split(",")
    try:
        for s in shapes:
            parse(s)
    except ValueError as e:
        ap.error(f"--shapes: {e}")
    import torch
    torch.set_num_threads(1)
    os.sched_setaffinity(0, {args.cpu})
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "smallmind", "--example", "sgemm_server"],
                   cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "examples", "sgemm_server")
    eng = subprocess.Popen(["taskset", "-c", str(args.cpu), exe, *shapes], cwd=ROOT, text=True,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           env={**os.environ, "SMALLMIND_THREADS": "1"})
    if eng.stdout.readline().strip() != "ready":
        sys.exit("the engine's sgemm server did not start")

    def engine(i, calls):
        eng.stdin.write(f"{i} {calls}\n")
        eng.stdin.flush()
        return int(eng.stdout.readline())

    print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, {args.rounds} rounds, CPU {args.cpu}, "
          f"load {os.getloadavg()[0]:.2f}; PyTorch {torch.__version__} "
          f"(MKL {torch.backends.mkl.is_available()}, {torch.get_num_threads()} thread)")
    for i, spec in enumerate(shapes):
        m, n, k, _, _ = parse(spec)
        flops = 2.0 * m * n * k
        calls = max(1, int(2e8 / flops))
        theirs = torch_batch(spec, 7 + i)
        engine(i, calls)
        es, ts = [], []
        for r in range(args.rounds):
            if r % 2 == 0:
                es.append(engine(i, calls) / calls)
                ts.append(theirs(calls) / calls)
            else:
                ts.append(theirs(calls) / calls)
                es.append(engine(i, calls) / calls)
        ratios = [t / e for e, t in zip(es, ts)]
        med, (lo, hi) = median_interval(ratios)
        gf = lambda ns: flops / ns
        print(f"- {spec}: engine {gf(statistics.median(es)):.1f} GFLOPS median (best {gf(min(es)):.1f}), "
              f"PyTorch {gf(statistics.median(ts)):.1f} (best {gf(min(ts)):.1f}); per-round engine / PyTorch: "
              f"median **{med:.3f}x**, 95 % interval [{lo:.3f}, {hi:.3f}], range {min(ratios):.2f}-{max(ratios):.2f}")
    eng.stdin.close()
    eng.wait()
    print(f"load {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
