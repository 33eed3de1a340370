#!/usr/bin/env python3
"""Engine kernels vs NumPy and PyTorch on the same ops, measured in one run, as a markdown table.

Runs `cargo bench -p smallmind --bench kernels` (criterion; every SIMD tier),
then times NumPy (1 BLAS thread) and PyTorch (1 thread, no grad; the calls of
../shared/anchors/bench_ops.py) on the same workloads in this process, and
prints one table: engine medians per tier, each peer's median from this run
and its ratio to the engine's best tier, and PyTorch's anchor figure (from the
anchors' results.jsonl, measured on the anchor machine: labelled as such).
Machines are shared and noisy: compare ratios, and look at the load averages
printed with the table.

usage: scripts/bench_peers_ops.py [--quick] [--skip-engine] [--anchors FILE] [--out FILE]
  --quick        short criterion warm-up/measurement (development only)
  --skip-engine  reuse target/criterion from the last engine run
needs: cargo, python3 with numpy (pip install numpy; scipy optional, for GELU erf;
torch optional, for the same-run PyTorch column)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIERS = ["scalar", "avx2", "avx512"]

# (label, criterion group, criterion parameter, anchor case, target µs from issue 2 or None)
WORKLOADS = [
    ("GELU tanh 1K", "gelu_tanh", "1000", "gelu tanh n=1000", 0.3),
    ("GELU tanh 10K", "gelu_tanh", "10000", "gelu tanh n=10000", None),
    ("GELU tanh 100K", "gelu_tanh", "100000", "gelu tanh n=100000", None),
    ("GELU tanh 1M", "gelu_tanh", "1000000", "gelu tanh n=1000000", 250.0),
    ("GELU erf 1K", "gelu_erf", "1000", "gelu erf n=1000", None),
    ("GELU erf 10K", "gelu_erf", "10000", "gelu erf n=10000", None),
    ("GELU erf 100K", "gelu_erf", "100000", "gelu erf n=100000", None),
    ("GELU erf 1M", "gelu_erf", "1000000", "gelu erf n=1000000", 250.0),
    ("softmax 1×256", "softmax", "1x256", "softmax 1x256", 0.2),
    ("softmax 1×512", "softmax", "1x512", "softmax 1x512", None),
    ("softmax 1×1024", "softmax", "1x1024", "softmax 1x1024", None),
    ("softmax 1×2048", "softmax", "1x2048", "softmax 1x2048", 1.0),
    ("softmax 64×256", "softmax", "64x256", "softmax 64x256", None),
    ("softmax 64×512", "softmax", "64x512", "softmax 64x512", None),
    ("softmax 64×1024", "softmax", "64x1024", "softmax 64x1024", None),
    ("softmax 64×2048", "softmax", "64x2048", "softmax 64x2048", 40.0),
    ("add 10K (existing buffer)", "add", "10000", "add 10k (out=)", 0.6),
    ("mul 10K (existing buffer)", "mul", "10000", "mul 10k (alloc)", None),
    ("broadcast add 100×100 + 100", "broadcast_add", "100x100",
     "broadcast add 100x100 + 100 (out=)", 0.8),
]


def default_anchors():
    """The shared anchors next to the checkout (main) or two levels up (a worktree)."""
    for rel in (("..",), ("..", "..")):
        p = os.path.join(ROOT, *rel, "shared", "anchors", "results.jsonl")
        if os.path.exists(p):
            return os.path.normpath(p)
    return "/work/shared/anchors/results.jsonl"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def run_engine(quick):
    cmd = ["cargo", "bench", "-p", "smallmind", "--bench", "kernels", "--", "--noplot"]
    if quick:
        cmd += ["--warm-up-time", "0.3", "--measurement-time", "0.6"]
    print("+ " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=sys.stderr)
    return cmd


def criterion_dir():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "criterion")


def engine_median_us(group, tier, param):
    path = os.path.join(criterion_dir(), group, tier, param, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"] / 1e3
    except (OSError, KeyError, ValueError):
        return None


def time_us(fn, samples=11, target_s=0.02):
    """Median µs per call over `samples` samples, each looping ~target_s."""
    fn()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < target_s / 4:
        fn()
        n += 1
    iters = max(1, int(n * 4))
    meds = []
    for _ in range(samples):
        t = time.perf_counter()
        for _ in range(iters):
            fn()
        meds.append((time.perf_counter() - t) / iters)
    return statistics.median(meds) * 1e6


def time_ops(rand, gelu_tanh, gelu_erf, softmax, add_out, mul_out, empty_like):
    """One library's medians on every peer workload, keyed like the criterion ids.
    `gelu_erf` may be None (the library lacks erf): those workloads are skipped."""
    out = {}
    for n in (1000, 10000, 100000, 1000000):
        x = rand(n)
        out[("gelu_tanh", str(n))] = time_us(lambda: gelu_tanh(x))
        if gelu_erf is not None:
            out[("gelu_erf", str(n))] = time_us(lambda: gelu_erf(x))
    for rows in (1, 64):
        for cols in (256, 512, 1024, 2048):
            x = rand(rows, cols)
            out[("softmax", f"{rows}x{cols}")] = time_us(lambda: softmax(x))
    a, b = rand(10000), rand(10000)
    o = empty_like(a)
    out[("add", "10000")] = time_us(lambda: add_out(a, b, o))
    out[("mul", "10000")] = time_us(lambda: mul_out(a, b, o))
    m, v = rand(100, 100), rand(100)
    mo = empty_like(m)
    out[("broadcast_add", "100x100")] = time_us(lambda: add_out(m, v, mo))
    return out


def numpy_figures():
    import numpy as np

    try:
        import scipy.special as sps
        erf = sps.erf
    except ImportError:
        erf = None
    rng = np.random.default_rng(0)

    def rand(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    c0, c1 = np.float32(0.7978845608028654), np.float32(0.044715)

    def gelu_tanh(x):
        return 0.5 * x * (1.0 + np.tanh(c0 * (x + c1 * x * x * x)))

    def gelu_erf(x):
        return 0.5 * x * (1.0 + erf(x * np.float32(0.7071067811865476)))

    def softmax(x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    out = time_ops(rand, gelu_tanh, gelu_erf if erf is not None else None, softmax,
                   lambda a, b, o: np.add(a, b, out=o), lambda a, b, o: np.multiply(a, b, out=o),
                   np.empty_like)
    return out, f"numpy {np.__version__}" + ("" if erf else " (no scipy: GELU erf skipped)")


def torch_figures():
    """PyTorch on the same workloads, 1 thread, or ({}, None) when torch is missing."""
    try:
        import numpy as np
        import torch
        import torch.nn.functional as F
    except ImportError:
        return {}, None
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    rng = np.random.default_rng(0)

    def rand(*shape):
        return torch.from_numpy(rng.standard_normal(shape, dtype=np.float32))

    out = time_ops(rand, lambda x: F.gelu(x, approximate="tanh"), F.gelu,
                   lambda x: torch.softmax(x, dim=-1),
                   lambda a, b, o: torch.add(a, b, out=o), lambda a, b, o: torch.mul(a, b, out=o),
                   torch.empty_like)
    return out, f"torch {torch.__version__} ({torch.get_num_threads()} thread)"


def torch_anchors(path):
    anchors, version = {}, None
    try:
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                if r.get("lib") == "torch" and r.get("threads") == 1:
                    anchors[r["case"]] = r["median_s"] * 1e6
                    version = r.get("version")
    except OSError:
        pass
    return anchors, version


def fmt(us):
    if us is None:
        return "–"
    if us >= 100:
        return f"{us:,.0f} µs"
    if us >= 10:
        return f"{us:.1f} µs"
    return f"{us:.3g} µs"


def ratio(peer, ours):
    if peer is None or ours is None or ours <= 0:
        return "–"
    return f"{peer / ours:.2f}×"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-engine", action="store_true")
    ap.add_argument("--anchors", default=default_anchors(), help="PyTorch anchor results.jsonl")
    ap.add_argument("--out", help="also write the markdown here")
    args = ap.parse_args()

    load_before = loadavg()
    if not args.skip_engine:
        run_engine(args.quick)
    load_mid = loadavg()
    np_figs, np_version = numpy_figures()
    pt_figs, pt_version = torch_figures()
    load_after = loadavg()
    anchors, torch_version = torch_anchors(args.anchors)

    lines = [
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; load average before/after engine/after peers: "
        f"{load_before} / {load_mid} / {load_after}.",
        f"Peers in this run: {np_version}, 1 thread; {pt_version or 'PyTorch not installed'}. "
        f"PyTorch (anchor) = {torch_version or 'not found'}, 1 thread, from {os.path.basename(args.anchors)}, "
        "measured on the anchor machine.",
        "Ratios are peer time / engine best tier (> 1: the engine is faster); the issue's target "
        "as a ratio is PyTorch (anchor) ÷ target.",
        "",
        "| workload | scalar | avx2 | avx512 | NumPy | NumPy ÷ engine | PyTorch | PyTorch ÷ engine "
        "| PyTorch (anchor) | target | target as ratio to PyTorch |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, group, param, case, target in WORKLOADS:
        eng = {t: engine_median_us(group, t, param) for t in TIERS}
        present = [v for v in eng.values() if v is not None]
        best = min(present) if present else None
        npv = np_figs.get((group, param))
        ptv = pt_figs.get((group, param))
        tv = anchors.get(case)
        lines.append(
            f"| {label} | {fmt(eng['scalar'])} | {fmt(eng['avx2'])} | {fmt(eng['avx512'])} | {fmt(npv)} | "
            f"{ratio(npv, best)} | {fmt(ptv)} | {ratio(ptv, best)} | {fmt(tv)} | "
            f"{('≤ ' + fmt(target)) if target else ''} | {('≥ ' + ratio(tv, target)) if target else ''} |"
        )
    a2 = engine_median_us("gelu_tanh", "avx2", "1000000")
    a5 = engine_median_us("gelu_tanh", "avx512", "1000000")
    e2 = engine_median_us("gelu_erf", "avx2", "1000000")
    e5 = engine_median_us("gelu_erf", "avx512", "1000000")
    lines += ["", f"AVX-512 ÷ AVX2 speed-up on GELU 1M: tanh {ratio(a2, a5)}, erf {ratio(e2, e5)} (target ≥ 1.6×)."]
    cp = engine_median_us("memory_floor", "copy", "10000")
    add = [v for v in (engine_median_us("add", t, "10000") for t in TIERS) if v is not None]
    if cp is not None and add:
        lines += [f"Memory floor under add 10K: copying one input into the output (memcpy, 40 KB read "
                  f"and 40 KB written) {fmt(cp)}; add 10K itself (best tier) {fmt(min(add))}."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
