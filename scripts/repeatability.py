#!/usr/bin/env python3
"""Repeatability of two `smprof run` results of the same commit (issue 5's figure).

For each workload present in both: is the second run's median of time_ns inside the
first run's bootstrap 95 % interval of the median, and do the two intervals overlap?
Prints a markdown table and the two shares.

usage: scripts/repeatability.py FIRST.json SECOND.json
"""
import json
import sys


def metric(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    out = {}
    for w in doc["workloads"]:
        m = w["metrics"].get("time_ns")
        if m:
            out[w["name"]] = (m["summary"]["median"], m["summary"]["ci95"], bool(m.get("modes")))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    c, d = metric(sys.argv[1]), metric(sys.argv[2])
    names = [n for n in c if n in d]
    if not names:
        sys.exit("no workload with time_ns in both results")
    inside = overlap = 0
    print("| workload | median 1 | median 2 | change | run 1's 95 % CI | 2 inside 1's CI | CIs overlap |")
    print("|---|---|---|---|---|---|---|")
    for n in names:
        (m1, (lo1, hi1), _), (m2, (lo2, hi2), _) = c[n], d[n]
        a = lo1 <= m2 <= hi1
        b = lo1 <= hi2 and lo2 <= hi1
        inside += a
        overlap += b
        print(f"| {n} | {m1:,.0f} ns | {m2:,.0f} ns | {100 * (m2 / m1 - 1):+.1f} % | "
              f"{100 * (lo1 / m1 - 1):+.1f} / {100 * (hi1 / m1 - 1):+.1f} % | {'yes' if a else 'no'} | {'yes' if b else 'no'} |")
    k = len(names)
    print(f"\nsecond median inside the first's interval: {inside}/{k} ({100 * inside / k:.0f} %); "
          f"intervals overlap: {overlap}/{k} ({100 * overlap / k:.0f} %)")


if __name__ == "__main__":
    main()
