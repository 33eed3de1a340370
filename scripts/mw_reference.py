#!/usr/bin/env python3
"""Reference p-values for smprof's Mann-Whitney U test and normal tail.

Prints the cases pasted into profiler/tests/stats_rank_reference.rs:
scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
(tie correction and continuity correction, scipy's defaults) and
scipy.stats.norm.sf. Run: python3 scripts/mw_reference.py
"""
import scipy
from scipy.stats import mannwhitneyu, norm

CASES = {
    "disjoint_5_5": ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]),
    "interleaved": ([1.0, 2.5, 3.0, 4.0, 7.0], [2.0, 5.0, 6.0, 8.0, 9.0, 9.0]),
    "heavy_ties": ([1, 1, 2, 2, 2, 3, 3, 4], [2, 2, 3, 3, 4, 4, 4, 5, 5]),
    "timings_30": (
        [1.00 + 0.013 * ((i * 7) % 11) for i in range(30)],
        [1.04 + 0.013 * ((i * 5) % 13) for i in range(30)],
    ),
    "unequal_3_40": ([10.0, 11.0, 12.5], [float(9 + (i % 9)) for i in range(40)]),
    "far_apart_30": (
        [1.0 + 0.001 * i for i in range(30)],
        [5.0 + 0.001 * i for i in range(30)],
    ),
    "identical_values": ([3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0]),
    "single_each": ([1.0], [2.0]),
}

print(f"# scipy {scipy.__version__}")
for name, (x, y) in CASES.items():
    r = mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    print(f"{name}: U1={r.statistic!r} p={r.pvalue!r}")
for z in [0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 10.0, 20.0, 37.0]:
    print(f"norm.sf({z}) = {norm.sf(z)!r}")
