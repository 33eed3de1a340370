//! Root-cause findings, leading with environment differences, then the ops
//! that explain composite regressions (cross-checked against their kernel
//! benchmarks), size patterns within a kernel family, and time rising with
//! allocations.

use super::figures as fmt;
use super::{is_primary, kernel_prefix, ratio, time_verdicts};
use crate::compare::model::{Comparison, RootCause, Verdict, VerdictKind};
use crate::result::{MetricKind, RunResult};
use std::collections::BTreeMap;

/// Every finding, most likely cause first.
pub fn find(cmp: &Comparison, baseline: &RunResult, current: &RunResult) -> Vec<RootCause> {
    let mut out = Vec::new();
    let regressed = time_verdicts(cmp, VerdictKind::Regression);
    if let Some(env) = environment(cmp, &regressed) {
        out.push(env);
    }
    out.extend(ops(cmp, baseline, current));
    out.extend(size_patterns(cmp));
    out.extend(extra_copies(cmp, baseline, current));
    out
}

/// What an environment difference does to the figures.
fn env_effect(field: &str, b: &str, c: &str) -> String {
    match field {
        "simd_tier" => format!(
            "SIMD tier {b} → {c}: the engine ran different kernel bodies; every vectorised op (matmul, GELU, softmax, elementwise) and everything built on them changes speed"
        ),
        "threads" => format!(
            "engine threads {b} → {c}: parallel kernels (matmul) ran with a different number of workers"
        ),
        "rustc" => {
            format!("compiler {b} → {c}: code generation may differ (inlining, vectorisation)")
        }
        "profile" => format!("build profile {b} → {c}: optimisation level differs"),
        "cpu_model" => format!("CPU {b} → {c}: different hardware, figures are not comparable"),
        "logical_cores" => format!("logical cores {b} → {c}: a different machine or VM size"),
        _ => format!("{field}: {b} → {c}"),
    }
}

fn environment(cmp: &Comparison, regressed: &[&Verdict]) -> Option<RootCause> {
    if cmp.env_differences.is_empty() {
        return None;
    }
    let diffs: Vec<String> = cmp
        .env_differences
        .iter()
        .map(|d| format!("{} {} → {}", d.field, d.baseline, d.current))
        .collect();
    let mut evidence: Vec<String> = cmp
        .env_differences
        .iter()
        .map(|d| env_effect(&d.field, &d.baseline, &d.current))
        .collect();
    let timed = cmp
        .verdicts
        .iter()
        .filter(|v| is_primary(&v.metric))
        .count();
    if !regressed.is_empty() {
        let mut ratios: Vec<f64> = regressed.iter().map(|v| ratio(v)).collect();
        ratios.sort_by(f64::total_cmp);
        evidence.push(format!(
            "{} of {} workloads slower, median {} (range {}–{})",
            regressed.len(),
            timed,
            fmt::factor(ratios[ratios.len() / 2]),
            fmt::factor(ratios[0]),
            fmt::factor(ratios[ratios.len() - 1])
        ));
    }
    let same_commit = match (&cmp.baseline.commit, &cmp.current.commit) {
        (Some(b), Some(c)) => b.sha == c.sha,
        _ => false,
    };
    if same_commit {
        evidence.push(format!(
            "both sides measured the same commit ({}): the code did not change, so the environment is the cause",
            cmp.current.commit.as_ref().map(|c| c.short.as_str()).unwrap_or("")
        ));
    }
    Some(RootCause {
        title: format!("Environment differs: {}", diffs.join(", ")),
        kind: "environment".into(),
        workloads: regressed.iter().map(|v| v.workload.clone()).collect(),
        evidence,
    })
}

/// One op's contribution to one composite workload's slowdown.
struct Contribution {
    workload: String,
    share: f64,
    delta_total: f64,
    base_ns: f64,
    cur_ns: f64,
}

/// Ops explaining regressed composite workloads, cross-checked with kernels.
fn ops(cmp: &Comparison, baseline: &RunResult, current: &RunResult) -> Vec<RootCause> {
    let mut by_op: BTreeMap<String, Vec<Contribution>> = BTreeMap::new();
    for v in time_verdicts(cmp, VerdictKind::Regression) {
        let (Some(bw), Some(cw)) = (
            baseline.workload(&v.workload),
            current.workload(&v.workload),
        ) else {
            continue;
        };
        if bw.ops.is_empty() || cw.ops.is_empty() {
            continue;
        }
        let mut names: Vec<&String> = bw.ops.keys().chain(cw.ops.keys()).collect();
        names.sort();
        names.dedup();
        let t =
            |w: &crate::result::WorkloadResult, op: &str| w.ops.get(op).map_or(0.0, |f| f.time_ns);
        let deltas: Vec<(&String, f64)> = names
            .iter()
            .map(|op| (*op, t(cw, op) - t(bw, op)))
            .collect();
        let delta_total: f64 = deltas.iter().map(|d| d.1).sum();
        if delta_total <= 0.0 {
            continue;
        }
        let mut sorted = deltas.clone();
        sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
        // Ops carrying a quarter of the slowdown or more (at most three); else the largest.
        let mut explaining: Vec<&(&String, f64)> = sorted
            .iter()
            .filter(|d| d.1 / delta_total >= 0.25)
            .take(3)
            .collect();
        if explaining.is_empty() {
            explaining.push(&sorted[0]);
        }
        for (op, d) in explaining {
            by_op.entry((*op).clone()).or_default().push(Contribution {
                workload: v.workload.clone(),
                share: d / delta_total,
                delta_total,
                base_ns: t(bw, op),
                cur_ns: t(cw, op),
            });
        }
    }
    // Strongest explanation first: total time explained.
    let mut ranked: Vec<(String, Vec<Contribution>)> = by_op.into_iter().collect();
    ranked.sort_by(|a, b| {
        let s = |c: &[Contribution]| c.iter().map(|x| x.share * x.delta_total).sum::<f64>();
        s(&b.1).total_cmp(&s(&a.1))
    });
    let mut out = Vec::new();
    for (i, (op, contribs)) in ranked.into_iter().enumerate() {
        let mut evidence: Vec<String> = contribs
            .iter()
            .map(|c| {
                format!(
                    "{}: {op} accounts for {:.0} % of the {} slowdown per operation ({} → {})",
                    c.workload,
                    c.share * 100.0,
                    fmt::duration_ns(c.delta_total),
                    fmt::duration_ns(c.base_ns),
                    fmt::duration_ns(c.cur_ns)
                )
            })
            .collect();
        let mut workloads: Vec<String> = contribs.iter().map(|c| c.workload.clone()).collect();
        let kernel = kernel_prefix(&op).map(|prefix| {
            cmp.verdicts
                .iter()
                .filter(|v| is_primary(&v.metric) && v.workload.starts_with(prefix))
                .collect::<Vec<_>>()
        });
        let confirmed = match &kernel {
            Some(ks) if !ks.is_empty() => {
                let reg: Vec<&&Verdict> = ks
                    .iter()
                    .filter(|v| v.verdict == VerdictKind::Regression)
                    .collect();
                if reg.is_empty() {
                    evidence.push(format!(
                        "the {op} kernel benchmarks did not regress ({} measured): look at how the workloads call it (shapes, layout, extra work) rather than at the kernel",
                        ks.len()
                    ));
                    false
                } else {
                    let mut rs: Vec<f64> = reg.iter().map(|v| ratio(v)).collect();
                    rs.sort_by(f64::total_cmp);
                    let qmax = reg.iter().filter_map(|v| v.q_value).fold(0.0, f64::max);
                    evidence.push(format!(
                        "kernel benchmarks agree: {} of {} {op} workloads slower ({}), {}–{}, q ≤ {}",
                        reg.len(),
                        ks.len(),
                        reg.iter().map(|v| v.workload.as_str()).collect::<Vec<_>>().join(", "),
                        fmt::factor(rs[0]),
                        fmt::factor(rs[rs.len() - 1]),
                        fmt::p(Some(qmax))
                    ));
                    workloads.extend(reg.iter().map(|v| v.workload.clone()));
                    true
                }
            }
            _ => {
                evidence.push(format!(
                    "no kernel benchmark of {op} was compared to confirm it"
                ));
                false
            }
        };
        let title = match (i, confirmed) {
            (0, true) => format!("Primary issue: {op}"),
            (0, false) => format!("Primary issue: {op} (within the composite workloads)"),
            (_, true) => format!("Also: {op}"),
            (_, false) => format!("Also: {op} (within the composite workloads)"),
        };
        out.push(RootCause {
            title,
            kind: "op".into(),
            workloads,
            evidence,
        });
    }
    out
}

/// The size in a workload name (`matmul/512` → 512, `gelu/10k` → 10 000,
/// `matmul_backward/128x256x128` → product), if the name is a pure size.
pub fn size_of(name: &str) -> Option<f64> {
    let tail = name.rsplit('/').next()?;
    let mut product = 1.0;
    for part in tail.split('x') {
        let (num, mult) = match part.chars().last()? {
            'k' => (&part[..part.len() - 1], 1e3),
            'm' => (&part[..part.len() - 1], 1e6),
            _ => (part, 1.0),
        };
        product *= num.parse::<f64>().ok()? * mult;
    }
    Some(product)
}

/// Size patterns of each kernel family with at least one regression.
fn size_patterns(cmp: &Comparison) -> Vec<RootCause> {
    let mut groups: Vec<&str> = Vec::new();
    for v in &cmp.verdicts {
        if is_primary(&v.metric) && !groups.contains(&v.group.as_str()) {
            groups.push(&v.group);
        }
    }
    let mut out = Vec::new();
    for g in groups {
        let mut members: Vec<(f64, &Verdict)> = Vec::new();
        let mut pure = true;
        for v in cmp
            .verdicts
            .iter()
            .filter(|v| is_primary(&v.metric) && v.group == g)
        {
            match size_of(&v.workload) {
                Some(s) => members.push((s, v)),
                None => pure = false,
            }
        }
        if !pure || members.len() < 2 {
            continue;
        }
        members.sort_by(|a, b| a.0.total_cmp(&b.0));
        let reg: Vec<bool> = members
            .iter()
            .map(|(_, v)| v.verdict == VerdictKind::Regression)
            .collect();
        let k = reg.iter().filter(|&&r| r).count();
        if k == 0 {
            continue;
        }
        let n = members.len();
        let ratios: Vec<f64> = members.iter().map(|(_, v)| ratio(v)).collect();
        let listing: Vec<String> = members
            .iter()
            .map(|(_, v)| {
                format!(
                    "{}: {} → {} ({}, {})",
                    v.workload,
                    fmt::value(v.baseline, &v.unit),
                    fmt::value(v.current, &v.unit),
                    fmt::factor(ratio(v)),
                    v.verdict.as_str()
                )
            })
            .collect();
        let (lo, hi) = ratios
            .iter()
            .zip(&reg)
            .filter(|(_, r)| **r)
            .fold((f64::MAX, 0.0_f64), |(lo, hi), (x, _)| {
                (lo.min(*x), hi.max(*x))
            });
        let title = if k == n && hi / lo <= 1.5 {
            format!(
                "{g}: all {n} sizes slower by a similar ratio ({}–{}) → the kernel itself",
                fmt::factor(lo),
                fmt::factor(hi)
            )
        } else if k == n {
            format!(
                "{g}: all {n} sizes slower, unevenly ({}–{}) → the kernel, with a size-dependent part",
                fmt::factor(lo),
                fmt::factor(hi)
            )
        } else if reg[n - k..].iter().all(|&r| r) {
            format!(
                "{g}: only the {k} largest size{} slower → blocking or cache behaviour",
                if k == 1 { "" } else { "s" }
            )
        } else if reg[..k].iter().all(|&r| r) {
            format!(
                "{g}: only the {k} smallest size{} slower → per-call overhead (dispatch, allocation, setup)",
                if k == 1 { "" } else { "s" }
            )
        } else {
            format!("{g}: {k} of {n} sizes slower, no size pattern")
        };
        out.push(RootCause {
            title,
            kind: "size_pattern".into(),
            workloads: members
                .iter()
                .zip(&reg)
                .filter(|(_, r)| **r)
                .map(|((_, v), _)| v.workload.clone())
                .collect(),
            evidence: listing,
        });
    }
    out
}

/// Time and allocations up together: the workload copies more.
fn extra_copies(cmp: &Comparison, baseline: &RunResult, current: &RunResult) -> Vec<RootCause> {
    let mut out = Vec::new();
    for tv in time_verdicts(cmp, VerdictKind::Regression) {
        let allocs: Vec<&Verdict> = cmp
            .verdicts
            .iter()
            .filter(|v| {
                v.workload == tv.workload
                    && v.verdict == VerdictKind::Regression
                    && v.metric.contains("alloc")
                    && matches!(v.kind, MetricKind::Deterministic | MetricKind::Derived)
            })
            .collect();
        if allocs.is_empty() {
            continue;
        }
        let mut evidence = vec![format!(
            "time per operation {} → {} ({})",
            fmt::value(tv.baseline, &tv.unit),
            fmt::value(tv.current, &tv.unit),
            fmt::change(tv.baseline, tv.current, tv.change)
        )];
        evidence.extend(allocs.iter().map(|a| {
            format!(
                "{} {} → {} ({})",
                a.metric,
                fmt::value(a.baseline, &a.unit),
                fmt::value(a.current, &a.unit),
                fmt::change(a.baseline, a.current, a.change)
            )
        }));
        if let (Some(bw), Some(cw)) = (
            baseline.workload(&tv.workload),
            current.workload(&tv.workload),
        ) {
            let worst = cw
                .ops
                .iter()
                .map(|(op, f)| {
                    let b = bw.ops.get(op).map_or(0.0, |x| x.alloc_bytes);
                    (op, b, f.alloc_bytes)
                })
                .filter(|(_, b, c)| c > b)
                .max_by(|a, b| (a.2 - a.1).total_cmp(&(b.2 - b.1)));
            if let Some((op, b, c)) = worst {
                evidence.push(format!(
                    "{op} allocates {} → {} per operation",
                    fmt::bytes(b),
                    fmt::bytes(c)
                ));
            }
        }
        out.push(RootCause {
            title: format!(
                "{}: time and allocations up together → extra copies or lost buffer reuse",
                tv.workload
            ),
            kind: "extra_copies".into(),
            workloads: vec![tv.workload.clone()],
            evidence,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(size_of("matmul/512"), Some(512.0));
        assert_eq!(size_of("gelu/10k"), Some(10_000.0));
        assert_eq!(size_of("gelu/1m"), Some(1e6));
        assert_eq!(size_of("tensor/broadcast_100x100"), None);
        assert_eq!(
            size_of("matmul_backward/128x256x128"),
            Some(128.0 * 256.0 * 128.0)
        );
        assert_eq!(size_of("model/small"), None);
    }
}
