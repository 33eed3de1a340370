#!/usr/bin/env python3
"""Turn the output of `cargo bench -p smallmind --bench matmul` into the markdown
tables of docs/PERFORMANCE.md (## Matrix product): engine GFLOPS and its ratio to
each peer measured in the same run.

usage: cargo bench -p smallmind --bench matmul 2>&1 | tee bench.txt
       python3 scripts/bench_peers_matmul.py bench.txt
"""
import re
import sys

UNIT_US = {"ps": 1e-6, "ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}
UNIT_GF = {"Gelem/s": 1.0, "Melem/s": 1e-3, "Kelem/s": 1e-6, "elem/s": 1e-9}

# criterion: "<id>\n   time:   [lo u mid u hi u]\n   thrpt:  [lo u mid u hi u]" (id may share the line)
PAT = re.compile(
    r"^(\S+)\s*\n?\s*time:\s+\[\S+ \S+ ([\d.]+) (\S+) \S+ \S+\]\s*\n\s*thrpt:\s+\[\S+ \S+ ([\d.]+) (\S+)",
    re.M,
)


def parse(text):
    out = {}
    for m in PAT.finditer(text):
        group, lib, threads, case = m.group(1).split("/")
        out[(group, case, f"{lib}/{threads}")] = (
            float(m.group(2)) * UNIT_US[m.group(3)],
            float(m.group(4)) * UNIT_GF[m.group(5)],
        )
    return out


def table(res, group, cases, threads):
    peers = sorted({k[2] for k in res if k[0] == group and not k[2].startswith("engine") and k[2].endswith(threads)})
    head = ["case", f"engine {threads} µs", f"engine {threads} GFLOPS"]
    for p in peers:
        head += [f"{p} GFLOPS", f"engine ÷ {p}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case in cases:
        eng = res.get((group, case, f"engine/{threads}"))
        if eng is None:
            continue
        row = [case, f"{eng[0]:,.1f}", f"{eng[1]:.1f}"]
        for p in peers:
            peer = res.get((group, case, p))
            row += [f"{peer[1]:.1f}", f"{eng[1] / peer[1]:.2f}×"] if peer else ["–", "–"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def scaling(res, group, cases):
    """Two threads over one, for the engine and for each peer measured both ways."""
    libs = sorted({k[2].rsplit("/", 1)[0] for k in res if k[0] == group and k[2].endswith("/t2")})
    libs.sort(key=lambda lib: lib != "engine")
    head = ["case"] + [f"{lib} 2-thread speed-up" for lib in libs]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case in cases:
        row = [case]
        for lib in libs:
            t1, t2 = res.get((group, case, f"{lib}/t1")), res.get((group, case, f"{lib}/t2"))
            row.append(f"{t1[0] / t2[0]:.2f}×" if t1 and t2 else "–")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main():
    res = parse(open(sys.argv[1], encoding="utf-8").read())
    groups = {}
    for g, case, _ in res:
        groups.setdefault(g, [])
        if case not in groups[g]:
            groups[g].append(case)
    for g, cases in groups.items():
        for t in ("t1", "t2"):
            print(f"\n**{g}, {t}**\n")
            print(table(res, g, cases, t))
        print(f"\n**{g}, scaling (time on 1 thread ÷ time on 2)**\n")
        print(scaling(res, g, cases))


if __name__ == "__main__":
    main()
