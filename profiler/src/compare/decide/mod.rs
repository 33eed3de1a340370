//! The decision on each metric of each workload present on both sides.
//!
//! - Sampled metrics: Mann–Whitney U on the per-operation samples, then
//!   Benjamini–Hochberg across every test of the comparison. A regression or
//!   improvement needs q < α **and** |change of medians| > threshold; anything
//!   else is `stable`, whatever its size.
//! - The two sides of one alternating measurement (`settings.pairing`) are
//!   compared round by round instead ([`super::paired`]): the exact signed-rank
//!   test on per-round ratios of process medians, the change their
//!   Hodges–Lehmann estimate; same BH control and rule.
//! - Derived metrics share the decision of the metric they are computed from.
//! - Deterministic metrics: any change beyond the tolerance is real.
//! - Multimodal on either side (pooled test only: in a paired comparison each
//!   process counts once, as its median, so levels between processes are the
//!   noise the test models): a regression (improvement) when every current mode
//!   is worse (better) than every baseline mode beyond the threshold, else
//!   `unstable`. Multimodality is a property of the samples, never a pardon.

use super::model::{Basis, ThresholdSource, Verdict, VerdictKind};
use super::paired;
use super::severity::severity;
use super::threshold::{Floors, Tolerance, timing_threshold, tolerance};
use crate::config::Config;
use crate::result::{Better, Metric, MetricKind, RunResult, WorkloadResult};
use crate::stats::{bh, hierarchical, mann_whitney};

mod rule;
use rule::decide_sampled;
#[cfg(test)]
use rule::modes_apart;

/// Verdicts and the workloads found on one side only.
#[derive(Debug)]
pub struct Decided {
    pub verdicts: Vec<Verdict>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// The relative change expressed as a change of *time*: positive is worse.
/// For lower-is-better metrics it is the change itself; for higher-is-better
/// ones it is baseline/current − 1 (a throughput that halves is +100 %).
pub fn effect(change: f64, better: Better) -> f64 {
    match better {
        Better::Lower => change,
        Better::Higher => {
            let ratio = 1.0 + change;
            if ratio <= 0.0 {
                f64::MAX
            } else {
                1.0 / ratio - 1.0
            }
        }
    }
}

/// The rule for sampled metrics: significant after FDR control and beyond the threshold.
pub fn is_significant_change(q: f64, change: f64, threshold: f64, alpha: f64) -> bool {
    q < alpha && change.abs() > threshold
}

/// Relative change of `current` against `baseline`, `(current − baseline) / |baseline|`:
/// its sign is the direction the value moved whatever the baseline's sign (so
/// `effect` reads it against the metric's `better`). For a positive baseline it is
/// `current / baseline − 1`. A zero baseline gives 0 when both are zero and ±1
/// (shown as "new") otherwise, so JSON stays finite.
pub fn relative_change(baseline: f64, current: f64) -> f64 {
    if baseline == 0.0 {
        if current == 0.0 {
            0.0
        } else {
            current.signum()
        }
    } else {
        (current - baseline) / baseline.abs()
    }
}

/// A sampled metric awaiting its q-value.
struct Pending {
    index: usize,
    p: Option<f64>,
    /// Decided round by round (no modality rule).
    paired: bool,
}

/// Decide every metric of every workload on both sides.
pub fn decide_all(
    baseline: &RunResult,
    current: &RunResult,
    config: &Config,
    floors: Option<&Floors>,
) -> Decided {
    let mut verdicts: Vec<Verdict> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let removed = baseline
        .workloads
        .iter()
        .filter(|w| current.workload(&w.name).is_none())
        .map(|w| w.name.clone())
        .collect();
    let added = current
        .workloads
        .iter()
        .filter(|w| baseline.workload(&w.name).is_none())
        .map(|w| w.name.clone())
        .collect();

    let is_paired = paired::is_paired(baseline, current);
    let by_sample = paired::pairs_samples(baseline, current);
    // Each kind of comparison takes the floor calibrated on its own kind.
    let floors = floors.and_then(|f| f.for_kind(is_paired));
    // Pass 1: medians, intervals and raw p-values of sampled metrics; tolerance
    // decisions of deterministic ones. Derived metrics are filled in pass 3.
    for bw in &baseline.workloads {
        let Some(cw) = current.workload(&bw.name) else {
            continue;
        };
        let critical = config.is_critical(&bw.name);
        for name in metric_order(bw, cw) {
            let (bm, cm) = (&bw.metrics[&name], &cw.metrics[&name]);
            let sampled = match bm.kind {
                MetricKind::Sampled => true,
                // A derived metric whose source is missing is tested on its own.
                MetricKind::Derived => !source_present(bw, cw, bm),
                MetricKind::Deterministic => false,
            };
            let pair = (sampled && is_paired)
                .then(|| paired::paired_change(bm, cm, by_sample))
                .flatten();
            // A paired test brings its own change and interval: no bootstrap.
            let mut v = base_verdict(bw, &name, bm, cm, pair.is_none());
            if sampled {
                let (t, src) = timing_threshold(config, floors, &bw.name, &name);
                v.threshold = t;
                v.threshold_source = src;
                v.kind = MetricKind::Sampled;
                v.derived_from = None;
                let p = match (&pair, &bm.samples, &cm.samples) {
                    (Some(pc), _, _) => {
                        v.basis = Basis::Paired;
                        v.change = pc.change;
                        v.ci95 = pc.ci95;
                        Some(pc.p_value)
                    }
                    (None, Some(x), Some(y)) => {
                        mann_whitney::mann_whitney_u(x, y).map(|r| r.p_value)
                    }
                    _ => None,
                };
                v.p_value = p;
                pending.push(Pending {
                    index: verdicts.len(),
                    p,
                    paired: pair.is_some(),
                });
            } else if bm.kind == MetricKind::Deterministic {
                let class = Tolerance::of(&name, bm);
                let (t, src) = match config.threshold_override_pct(&bw.name, &name) {
                    Some(pct) => (pct / 100.0, ThresholdSource::Config),
                    None => tolerance(config, class),
                };
                v.threshold = t;
                v.threshold_source = src;
                v.verdict = if v.change.abs() > t {
                    if effect(v.change, v.better) > 0.0 {
                        VerdictKind::Regression
                    } else {
                        VerdictKind::Improvement
                    }
                } else {
                    VerdictKind::Stable
                };
                v.severity = severity(
                    v.verdict,
                    effect(v.change, v.better),
                    &config.severity,
                    critical,
                );
            }
            verdicts.push(v);
        }
    }

    // Pass 2: Benjamini–Hochberg across every test, then the decision rule.
    let ps: Vec<f64> = pending.iter().map(|t| t.p.unwrap_or(f64::NAN)).collect();
    let qs = bh::q_values(&ps);
    for (t, q) in pending.iter().zip(qs) {
        let v = &mut verdicts[t.index];
        let q = if q.is_nan() { None } else { Some(q) };
        v.q_value = q;
        let critical = config.is_critical(&v.workload);
        decide_sampled(
            v,
            (!t.paired).then_some((baseline, current)),
            config.alpha,
            &config.severity,
            critical,
        );
    }

    // Pass 3: derived metrics share their source's decision.
    for i in 0..verdicts.len() {
        if verdicts[i].kind != MetricKind::Derived {
            continue;
        }
        let src_name = verdicts[i].derived_from.clone().unwrap_or_default();
        let Some(src) = verdicts
            .iter()
            .find(|s| s.workload == verdicts[i].workload && s.metric == src_name)
            .cloned()
        else {
            continue;
        };
        let v = &mut verdicts[i];
        v.p_value = src.p_value;
        v.q_value = src.q_value;
        v.verdict = src.verdict;
        v.severity = src.severity;
        v.threshold = src.threshold;
        v.threshold_source = src.threshold_source;
        v.borderline = src.borderline;
        if src.verdict == VerdictKind::Unstable {
            v.modes = src.modes.clone();
        }
    }
    Decided {
        verdicts,
        added,
        removed,
    }
}

/// Metrics on both sides: `time_ns` first, then sampled, derived and
/// deterministic ones, each alphabetically.
fn metric_order(b: &WorkloadResult, c: &WorkloadResult) -> Vec<String> {
    let rank = |name: &str, m: &Metric| -> u8 {
        if name == "time_ns" {
            0
        } else {
            match m.kind {
                MetricKind::Sampled => 1,
                MetricKind::Derived => 2,
                MetricKind::Deterministic => 3,
            }
        }
    };
    let mut names: Vec<(u8, &String)> = b
        .metrics
        .iter()
        .filter(|(n, _)| c.metrics.contains_key(*n))
        .map(|(n, m)| (rank(n, m), n))
        .collect();
    names.sort();
    names.into_iter().map(|(_, n)| n.clone()).collect()
}

fn source_present(b: &WorkloadResult, c: &WorkloadResult, m: &Metric) -> bool {
    m.derived_from.as_ref().is_some_and(|s| {
        b.metrics
            .get(s)
            .is_some_and(|x| x.kind == MetricKind::Sampled)
            && c.metrics
                .get(s)
                .is_some_and(|x| x.kind == MetricKind::Sampled)
    })
}

/// A verdict with medians, change and (with `bootstrap_ci`) the hierarchical
/// bootstrap interval filled in, decision pending.
fn base_verdict(
    w: &WorkloadResult,
    name: &str,
    bm: &Metric,
    cm: &Metric,
    bootstrap_ci: bool,
) -> Verdict {
    let change = relative_change(bm.value(), cm.value());
    let ci95 = match (&bm.samples, &cm.samples) {
        (Some(x), Some(y)) if bootstrap_ci && bm.kind != MetricKind::Deterministic => {
            hierarchical::ratio_of_medians_ci(
                hierarchical::Grouped {
                    values: x,
                    process: bm.process.as_deref(),
                },
                hierarchical::Grouped {
                    values: y,
                    process: cm.process.as_deref(),
                },
                hierarchical::DEFAULT_REPLICATES,
                hierarchical::seed_for(&format!("{}/{name}", w.name)),
            )
            .map(|[lo, hi]| [lo - 1.0, hi - 1.0])
        }
        _ => None,
    };
    let n_of = |m: &Metric| match (&m.kind, &m.samples) {
        (MetricKind::Deterministic, _) | (_, None) => 1,
        (_, Some(s)) => s.len() as u32,
    };
    Verdict {
        workload: w.name.clone(),
        group: w.group.clone(),
        suite: w.suite.clone(),
        metric: name.to_string(),
        unit: cm.unit.clone(),
        better: cm.better,
        baseline: bm.value(),
        current: cm.value(),
        change,
        ci95,
        p_value: None,
        q_value: None,
        verdict: VerdictKind::Stable,
        severity: None,
        threshold: 0.0,
        threshold_source: ThresholdSource::Default,
        modes: None,
        waiver: None,
        borderline: false,
        kind: bm.kind,
        derived_from: bm.derived_from.clone(),
        n: [n_of(bm), n_of(cm)],
        basis: if bm.kind == MetricKind::Deterministic {
            Basis::Deterministic
        } else {
            Basis::Stored
        },
    }
}

#[cfg(test)]
mod tests;
