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

use super::model::{Basis, ModesPair, ThresholdSource, Verdict, VerdictKind};
use super::paired;
use super::severity::severity;
use super::threshold::{Floors, Tolerance, timing_threshold, tolerance};
use crate::config::Config;
use crate::result::{Better, Metric, MetricKind, RunResult, WorkloadResult};
use crate::stats::{bh, hierarchical, mann_whitney};

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

/// Apply the rule to a sampled metric whose q-value is known. `sides` are the
/// results whose modes make a pooled comparison `unstable`; `None` for a
/// paired one.
fn decide_sampled(
    v: &mut Verdict,
    sides: Option<(&RunResult, &RunResult)>,
    alpha: f64,
    bands: &crate::config::SeverityBands,
    critical: bool,
) {
    if let Some((baseline, current)) = sides {
        let modes_of = |r: &RunResult| {
            r.workload(&v.workload)
                .and_then(|w| w.metrics.get(&v.metric))
                .filter(|m| m.is_unstable())
                .and_then(|m| m.modes.clone())
        };
        let (mb, mc) = (modes_of(baseline), modes_of(current));
        if mb.is_some() || mc.is_some() {
            let centers = |modes: &Option<Vec<crate::result::Mode>>, side: &str| -> Vec<f64> {
                match modes {
                    Some(ms) => ms.iter().map(|m| m.center).collect(),
                    // A unimodal side is one mode at its median.
                    None if side == "baseline" => vec![v.baseline],
                    None => vec![v.current],
                }
            };
            let shift = modes_apart(
                &centers(&mb, "baseline"),
                &centers(&mc, "current"),
                v.better,
                v.threshold,
            );
            v.modes = Some(ModesPair {
                baseline: mb,
                current: mc,
            });
            v.verdict = match shift {
                Some(kind) => {
                    v.severity = severity(kind, effect(v.change, v.better), bands, critical);
                    // Decided by separation, not by the test: the size may move on a re-run.
                    v.borderline = true;
                    kind
                }
                None => VerdictKind::Unstable,
            };
            return;
        }
    }
    let Some(q) = v.q_value else {
        return; // nothing to test: stable by default
    };
    let size = v.change.abs();
    let t = v.threshold;
    if is_significant_change(q, v.change, t, alpha) {
        let e = effect(v.change, v.better);
        v.verdict = if e > 0.0 {
            VerdictKind::Regression
        } else {
            VerdictKind::Improvement
        };
        v.severity = severity(v.verdict, e, bands, critical);
        // Decided, but a re-run could flip it: just past the threshold or the α
        // line, or the between-process interval reaches back inside the threshold
        // (the processes disagree about the size of the change).
        let ci_inside = v.ci95.is_some_and(|[lo, hi]| lo < t && hi > -t);
        v.borderline = size < 1.25 * t || q > alpha / 10.0 || ci_inside;
    } else {
        // Stable, but close to becoming a change.
        v.borderline = (q < alpha && size >= 0.75 * t) || (size > t && q < 5.0 * alpha);
    }
}

/// Whether every current mode lies beyond the threshold on one side of every
/// baseline mode: `Regression` when all are worse, `Improvement` when all are
/// better, `None` when the modes overlap or sit within the threshold.
pub fn modes_apart(
    baseline: &[f64],
    current: &[f64],
    better: Better,
    threshold: f64,
) -> Option<VerdictKind> {
    let usable = |xs: &[f64]| !xs.is_empty() && xs.iter().all(|x| x.is_finite() && *x > 0.0);
    if !usable(baseline) || !usable(current) {
        return None;
    }
    let (bmin, bmax) = min_max(baseline);
    let (cmin, cmax) = min_max(current);
    let (up, down) = (cmin / bmax - 1.0 > threshold, 1.0 - cmax / bmin > threshold);
    let higher_is_worse = better == Better::Lower;
    match (up, down) {
        (true, _) if higher_is_worse => Some(VerdictKind::Regression),
        (true, _) => Some(VerdictKind::Improvement),
        (_, true) if higher_is_worse => Some(VerdictKind::Improvement),
        (_, true) => Some(VerdictKind::Regression),
        _ => None,
    }
}

fn min_max(xs: &[f64]) -> (f64, f64) {
    xs.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_wholly_beyond_the_threshold_decide() {
        // gelu/1k: 340 ns → modes at 17.9 µs and 28.7 µs: a regression, not a pardon.
        assert_eq!(
            modes_apart(&[340.0], &[17_900.0, 28_700.0], Better::Lower, 0.05),
            Some(VerdictKind::Regression)
        );
        // Both re-measured modes above the baseline (218.7 µs): still a regression.
        assert_eq!(
            modes_apart(&[218.7], &[267.6, 418.2], Better::Lower, 0.05),
            Some(VerdictKind::Regression)
        );
        // Overlapping modes: unstable.
        assert_eq!(
            modes_apart(&[100.0, 140.0], &[104.0, 150.0], Better::Lower, 0.05),
            None
        );
        // Beyond, but only by less than the threshold: unstable.
        assert_eq!(
            modes_apart(&[100.0], &[103.0, 104.0], Better::Lower, 0.05),
            None
        );
        // Faster in every mode: an improvement; throughput reverses the sense.
        assert_eq!(
            modes_apart(&[100.0, 120.0], &[50.0, 60.0], Better::Lower, 0.05),
            Some(VerdictKind::Improvement)
        );
        assert_eq!(
            modes_apart(&[100.0, 120.0], &[50.0, 60.0], Better::Higher, 0.05),
            Some(VerdictKind::Regression)
        );
        assert_eq!(modes_apart(&[], &[1.0], Better::Lower, 0.05), None);
        assert_eq!(modes_apart(&[f64::NAN], &[1.0], Better::Lower, 0.05), None);
    }

    #[test]
    fn effect_is_time_like() {
        assert_eq!(effect(0.5, Better::Lower), 0.5);
        assert!((effect(-0.5, Better::Higher) - 1.0).abs() < 1e-12);
        assert!((effect(1.0, Better::Higher) + 0.5).abs() < 1e-12);
        assert_eq!(effect(-1.0, Better::Higher), f64::MAX);
    }

    #[test]
    fn both_conditions_are_needed() {
        assert!(is_significant_change(0.001, 0.10, 0.05, 0.01));
        assert!(!is_significant_change(0.02, 0.50, 0.05, 0.01));
        assert!(!is_significant_change(1e-9, 0.03, 0.05, 0.01));
        assert!(is_significant_change(1e-9, -0.06, 0.05, 0.01));
    }

    /// A one-workload result whose `time_ns` samples come from the given processes.
    fn result(per_process: &[&[f64]]) -> RunResult {
        result_paired(per_process, None)
    }

    /// The same, as one side of the alternating measurement `pairing`.
    fn result_paired(per_process: &[&[f64]], pairing: Option<&str>) -> RunResult {
        result_lockstep(per_process, pairing, false)
    }

    /// The same, its samples taken in lockstep with the other side's if `by_sample`.
    fn result_lockstep(
        per_process: &[&[f64]],
        pairing: Option<&str>,
        by_sample: bool,
    ) -> RunResult {
        let samples: Vec<f64> = per_process.iter().flat_map(|p| p.iter().copied()).collect();
        let process: Vec<u32> = per_process
            .iter()
            .enumerate()
            .flat_map(|(i, p)| std::iter::repeat_n(i as u32, p.len()))
            .collect();
        let mut sorted = samples.clone();
        let median = hierarchical::median_in_place(&mut sorted);
        let json = serde_json::json!({
            "schema_version": 1,
            "tool": {"name": "smprof", "version": "0"},
            "created_at": "2026-01-01T00:00:00Z",
            "commit": null,
            "env": {"cpu_model": "x", "logical_cores": 2, "simd_tier": "avx2", "threads": 1,
                    "os": "linux", "kernel": "6", "rustc": "1.95", "profile": "release",
                    "fingerprint": "f"},
            "settings": {"mode": "default", "processes": per_process.len(),
                         "samples_per_process": per_process[0].len(), "suites": ["code"],
                         "filter": null, "metric_mode": "time", "pairing": pairing,
                         "paired_samples": by_sample},
            "durations_s": {},
            "workloads": [{"name": "gelu/10k", "suite": "code", "group": "gelu", "metrics": {
                "time_ns": {"unit": "ns", "better": "lower", "kind": "sampled",
                    "samples": samples, "process": process,
                    "summary": {"n": 12, "median": median, "mean": median, "stddev": 0.0,
                        "min": median, "max": median, "mad": 0.0, "ci95": [median, median],
                        "outliers": 0}}}}]
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn processes_that_disagree_make_a_decision_borderline() {
        let steady: &[f64] = &[100.0, 101.0, 99.0, 100.5];
        let base = result(&[steady, steady, steady]);
        // One process unchanged, two 20 % faster: the rank test pools them and
        // is sure; resampling processes is not.
        let fast: &[f64] = &[80.0, 80.5, 79.0, 81.0];
        let cur = result(&[steady, fast, fast]);
        let d = decide_all(&base, &cur, &Config::default(), None);
        let v = &d.verdicts[0];
        assert_eq!(v.verdict, VerdictKind::Improvement);
        let [lo, hi] = v.ci95.unwrap();
        assert!(lo < -0.05 && hi > -0.05, "{:?}", v.ci95);
        assert!(v.borderline);
        // All three processes agree: a clear decision.
        let cur = result(&[fast, fast, fast]);
        let v = &decide_all(&base, &cur, &Config::default(), None).verdicts[0];
        assert_eq!((v.verdict, v.borderline), (VerdictKind::Improvement, false));
    }

    /// Processes of `levels`, six samples each around the level.
    fn levels(levels: &[f64]) -> Vec<Vec<f64>> {
        levels
            .iter()
            .map(|&l| vec![l * 0.995, l, l * 1.004, l * 0.998, l * 1.002, l * 1.007])
            .collect()
    }

    fn slices(v: &[Vec<f64>]) -> Vec<&[f64]> {
        v.iter().map(|p| p.as_slice()).collect()
    }

    #[test]
    fn paired_rounds_do_not_mistake_process_levels_for_a_change() {
        // Two levels drawn per process, 1 of 6 slow on one side and 4 of 6 on the
        // other: pooled samples read as a significant +30 %, the rounds disagree.
        let b = levels(&[100.0, 100.0, 100.0, 100.0, 130.0, 100.0]);
        let c = levels(&[130.0, 100.0, 130.0, 130.0, 100.0, 130.0]);
        let pooled = decide_all(
            &result(&slices(&b)),
            &result(&slices(&c)),
            &Config::default(),
            None,
        );
        assert_eq!(
            pooled.verdicts[0].verdict,
            VerdictKind::Regression,
            "{:?}",
            pooled.verdicts[0]
        );
        let paired = decide_all(
            &result_paired(&slices(&b), Some("r1")),
            &result_paired(&slices(&c), Some("r1")),
            &Config::default(),
            None,
        );
        let v = &paired.verdicts[0];
        assert_eq!(v.verdict, VerdictKind::Stable, "{v:?}");
        assert!(v.p_value.unwrap() > 0.1);
        // Results of different measurements are not paired.
        let unpaired = decide_all(
            &result_paired(&slices(&b), Some("r1")),
            &result_paired(&slices(&c), Some("r2")),
            &Config::default(),
            None,
        );
        assert_eq!(unpaired.verdicts[0].verdict, VerdictKind::Regression);
    }

    #[test]
    fn paired_rounds_find_a_change_that_levels_hide() {
        // Each round draws one level for both builds (a slow spell of the host);
        // the current build is 10 % slower in every round.
        let l = [
            100.0, 140.0, 100.0, 150.0, 100.0, 100.0, 160.0, 100.0, 145.0, 100.0,
        ];
        let b = levels(&l);
        let c = levels(&l.iter().map(|x| x * 1.10).collect::<Vec<_>>());
        let v = &decide_all(
            &result_paired(&slices(&b), Some("r")),
            &result_paired(&slices(&c), Some("r")),
            &Config::default(),
            None,
        )
        .verdicts[0];
        assert_eq!(v.verdict, VerdictKind::Regression, "{v:?}");
        assert!((v.change - 0.10).abs() < 1e-9);
        assert!((v.p_value.unwrap() - 2.0 / 1024.0).abs() < 1e-12);
        let [lo, hi] = v.ci95.unwrap();
        assert!(lo <= 0.1 + 1e-9 && 0.1 - 1e-9 <= hi, "{:?}", v.ci95);
    }

    #[test]
    fn lockstep_rounds_compare_sample_pairs() {
        // In every round two of three sample pairs say +10 %; the third pair's
        // baseline half ran in a spell. Sample pairs give +10 %; the process
        // medians (200 → 150) would give −25 %.
        let b = vec![vec![100.0, 200.0, 300.0]; 10];
        let c = vec![vec![110.0, 220.0, 150.0]; 10];
        let decide = |by_sample| {
            decide_all(
                &result_lockstep(&slices(&b), Some("r"), by_sample),
                &result_lockstep(&slices(&c), Some("r"), by_sample),
                &Config::default(),
                None,
            )
            .verdicts[0]
                .clone()
        };
        let v = decide(true);
        assert_eq!(v.verdict, VerdictKind::Regression, "{v:?}");
        assert!((v.change - 0.10).abs() < 1e-9, "{v:?}");
        let v = decide(false);
        assert_eq!(v.verdict, VerdictKind::Improvement, "{v:?}");
        assert!((v.change + 0.25).abs() < 1e-9, "{v:?}");
    }

    #[test]
    fn zero_baselines_stay_finite() {
        assert_eq!(relative_change(0.0, 0.0), 0.0);
        assert_eq!(relative_change(0.0, 5.0), 1.0);
        assert_eq!(relative_change(0.0, -5.0), -1.0);
        assert_eq!(relative_change(4.0, 5.0), 0.25);
        assert_eq!(relative_change(4.0, 0.0), -1.0);
    }

    #[test]
    fn the_sign_is_the_direction_the_value_moved() {
        // Negative baselines: down is negative, up is positive.
        assert!((relative_change(-0.007, -0.010) + 3.0 / 7.0).abs() < 1e-12);
        assert!((relative_change(-0.010, -0.007) - 0.3).abs() < 1e-12);
        assert!((relative_change(-4.0, -2.0) - 0.5).abs() < 1e-12);
        // Mixed signs.
        assert!((relative_change(-2.0, 2.0) - 2.0).abs() < 1e-12);
        assert!((relative_change(2.0, -2.0) + 2.0).abs() < 1e-12);
        // Positive baselines as before.
        assert!((relative_change(2.0, 3.0) - 0.5).abs() < 1e-12);
        assert!((relative_change(2.0, 1.0) + 0.5).abs() < 1e-12);
    }

    /// A one-workload result with one deterministic metric of the given direction.
    fn deterministic(value: f64, better: &str) -> RunResult {
        let json = serde_json::json!({
            "schema_version": 1,
            "tool": {"name": "smprof", "version": "0"},
            "created_at": "2026-01-01T00:00:00Z",
            "commit": null,
            "env": {"cpu_model": "x", "logical_cores": 2, "simd_tier": "avx2", "threads": 1,
                    "os": "linux", "kernel": "6", "rustc": "1.95", "profile": "release",
                    "fingerprint": "f"},
            "settings": {"mode": "default", "processes": 1, "samples_per_process": 1,
                         "suites": ["alloc"], "filter": null, "metric_mode": "time"},
            "durations_s": {},
            "workloads": [{"name": "train/mlp", "suite": "alloc", "group": "train", "metrics": {
                "pool_reduction_unpooled": {"unit": "ratio", "better": better,
                    "kind": "deterministic",
                    "summary": {"n": 1, "median": value, "mean": value, "stddev": 0.0,
                        "min": value, "max": value, "mad": 0.0, "ci95": [value, value],
                        "outliers": 0}}}}]
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn negative_zero_and_mixed_sign_metrics_are_judged_by_their_direction() {
        let judge = |b: f64, c: f64, better: &str| {
            let d = decide_all(
                &deterministic(b, better),
                &deterministic(c, better),
                &Config::default(),
                None,
            );
            let v = d.verdicts[0].clone();
            (v.verdict, v.change)
        };
        // −0.7 % → −1.0 % of a higher-is-better ratio is worse: a regression.
        let (k, change) = judge(-0.007, -0.010, "higher");
        assert_eq!(k, VerdictKind::Regression);
        assert!(change < 0.0, "{change}");
        // and the way back an improvement.
        assert_eq!(judge(-0.010, -0.007, "higher").0, VerdictKind::Improvement);
        // Lower is better: a negative value falling further is an improvement.
        assert_eq!(judge(-0.007, -0.010, "lower").0, VerdictKind::Improvement);
        // Crossing zero.
        assert_eq!(judge(-0.02, 0.03, "higher").0, VerdictKind::Improvement);
        assert_eq!(judge(0.03, -0.02, "higher").0, VerdictKind::Regression);
        assert_eq!(judge(-0.02, 0.03, "lower").0, VerdictKind::Regression);
        // From and to zero.
        assert_eq!(judge(0.0, -0.01, "higher").0, VerdictKind::Regression);
        assert_eq!(judge(0.0, 0.01, "higher").0, VerdictKind::Improvement);
        assert_eq!(judge(0.01, 0.0, "higher").0, VerdictKind::Regression);
        assert_eq!(judge(0.0, 0.0, "higher").0, VerdictKind::Stable);
        assert_eq!(judge(-0.5, -0.5, "higher").0, VerdictKind::Stable);
    }
}
