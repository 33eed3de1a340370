//! Confirmation: the wall-time verdicts of a screened comparison (two stored
//! runs) replaced by those of a lockstep measurement of both builds.

use crate::compare::model::{Basis, Comparison, ConfirmationState, Verdict, VerdictKind};
use crate::result::MetricKind;
use serde::Serialize;

/// A wall-time verdict: a sampled metric or one derived from it.
fn is_wall_time(v: &Verdict) -> bool {
    v.kind != MetricKind::Deterministic
}

/// The workloads of the verdicts `keep` selects, in order, once each.
fn workloads_of(cmp: &Comparison, keep: impl Fn(&Verdict) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in cmp.verdicts.iter().filter(|v| keep(v)) {
        if !out.contains(&v.workload) {
            out.push(v.workload.clone());
        }
    }
    out
}

/// The workloads whose stored wall-time verdicts a report would show as a
/// change or could not decide (regression, improvement, unstable, inconclusive,
/// or borderline stable): what the screen flags.
pub fn flagged(cmp: &Comparison) -> Vec<String> {
    workloads_of(cmp, |v| {
        is_wall_time(v)
            && v.basis == Basis::Stored
            && (v.verdict != VerdictKind::Stable || v.borderline)
    })
}

/// Every workload with a wall-time verdict from two stored runs: what a
/// confirmation measures in lockstep. Not only the [`flagged`] ones: the drift
/// between two stored runs (20–40 % on a shared machine) can as well hide a
/// change as invent one, so a `stable` screen verdict rules nothing out.
pub fn to_confirm(cmp: &Comparison) -> Vec<String> {
    workloads_of(cmp, |v| is_wall_time(v) && v.basis == Basis::Stored)
}

/// Every workload with a wall-time verdict, in order, once each.
pub fn wall_time_workloads(cmp: &Comparison) -> Vec<String> {
    workloads_of(cmp, is_wall_time)
}

/// Workload names for a message: comma-separated, or `none`.
pub fn listed(workloads: &[String]) -> String {
    if workloads.is_empty() {
        "none".to_string()
    } else {
        workloads.join(", ")
    }
}

/// Where the screen and the lockstep measurement disagreed about a change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disagreement {
    pub workload: String,
    pub metric: String,
    pub stored: VerdictKind,
    pub stored_change: f64,
    pub paired: VerdictKind,
    pub paired_change: f64,
}

impl Disagreement {
    /// One line for notes.
    pub fn describe(&self) -> String {
        format!(
            "{} {}: the stored runs say {} ({:+.1} %), both builds in lockstep {} ({:+.1} %); the lockstep measurement decides",
            self.workload,
            self.metric,
            self.stored.as_str(),
            self.stored_change * 100.0,
            self.paired.as_str(),
            self.paired_change * 100.0
        )
    }
}

/// Replace the wall-time verdicts of `screened` by those on the same workload
/// and metric in `paired` (a lockstep comparison). Verdicts `paired` lacks stay
/// as they were. Marks `screened` confirmed when every workload of
/// [`to_confirm`] was measured. Returns where the two disagreed.
/// Call [`crate::compare_workflow::refresh`] afterwards to explain the result again.
pub fn apply(screened: &mut Comparison, paired: &Comparison) -> Vec<Disagreement> {
    let needed = to_confirm(screened);
    let mut out = Vec::new();
    for v in screened.verdicts.iter_mut().filter(|v| is_wall_time(v)) {
        let Some(a) = paired
            .verdicts
            .iter()
            .find(|a| a.workload == v.workload && a.metric == v.metric)
        else {
            continue;
        };
        let changed = |k: VerdictKind| k != VerdictKind::Stable;
        if v.verdict != a.verdict && (changed(v.verdict) || changed(a.verdict)) {
            out.push(Disagreement {
                workload: v.workload.clone(),
                metric: v.metric.clone(),
                stored: v.verdict,
                stored_change: v.change,
                paired: a.verdict,
                paired_change: a.change,
            });
        }
        adopt(v, a);
    }
    let all_measured = needed
        .iter()
        .all(|w| paired.verdicts.iter().any(|a| &a.workload == w));
    screened.confirmation = if needed.is_empty() {
        ConfirmationState::NotNeeded
    } else if all_measured {
        ConfirmationState::Confirmed
    } else {
        ConfirmationState::Unconfirmed
    };
    out
}

/// Take `a`'s figures and decision, keeping `v`'s identity (workload, metric, group).
pub fn adopt(v: &mut Verdict, a: &Verdict) {
    v.baseline = a.baseline;
    v.current = a.current;
    v.change = a.change;
    v.ci95 = a.ci95;
    v.p_value = a.p_value;
    v.q_value = a.q_value;
    v.verdict = a.verdict;
    v.severity = a.severity;
    v.threshold = a.threshold;
    v.threshold_source = a.threshold_source;
    v.modes = a.modes.clone();
    v.borderline = a.borderline;
    v.n = a.n;
    v.basis = a.basis;
}

/// Synthetic results for the decision engine's unit tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::result::RunResult;

    /// A time result with one `time_ns` metric per (workload, per-round samples).
    pub fn result_with(workloads: &[(&str, Vec<Vec<f64>>)], pairing: &str) -> RunResult {
        let ws: Vec<serde_json::Value> = workloads
            .iter()
            .map(|(name, rounds)| {
                let samples: Vec<f64> = rounds.iter().flatten().copied().collect();
                let process: Vec<u32> = rounds
                    .iter()
                    .enumerate()
                    .flat_map(|(i, r)| std::iter::repeat_n(i as u32, r.len()))
                    .collect();
                let s = crate::build::merge::summarize(&samples);
                serde_json::json!({"name": name, "suite": "code",
                    "group": name.split('/').next().unwrap(),
                    "metrics": {"time_ns": {"unit": "ns", "better": "lower", "kind": "sampled",
                        "samples": samples, "process": process, "summary": s}}})
            })
            .collect();
        let json = serde_json::json!({
            "schema_version": 1,
            "tool": {"name": "smprof", "version": "0"},
            "created_at": "2026-01-01T00:00:00Z",
            "commit": null,
            "env": {"cpu_model": "x", "logical_cores": 2, "simd_tier": "avx2", "threads": 1,
                    "os": "linux", "kernel": "6", "rustc": "1.95", "profile": "release",
                    "fingerprint": "f"},
            "settings": {"mode": "default", "processes": 1, "samples_per_process": 4,
                         "suites": ["code"], "filter": null, "metric_mode": "time",
                         "pairing": pairing, "paired_samples": true},
            "durations_s": {},
            "workloads": ws
        });
        serde_json::from_value(json).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::side_of;
    use crate::compare_workflow::compare_results;
    use crate::config::Config;
    use tests_support::result_with;

    fn stored(base: &[(&str, f64)], cur: &[(&str, f64)]) -> Comparison {
        // Unpaired results: 3 processes of 4 samples around each level.
        let mk = |xs: &[(&str, f64)]| {
            let ws: Vec<(&str, Vec<Vec<f64>>)> = xs
                .iter()
                .map(|(n, m)| {
                    let rounds = (0..3)
                        .map(|p| {
                            (0..4)
                                .map(|i| m * (1.0 + 0.001 * (p * 4 + i) as f64))
                                .collect()
                        })
                        .collect();
                    (*n, rounds)
                })
                .collect();
            let mut r = result_with(&ws, "x");
            r.settings.pairing = None;
            r.settings.paired_samples = false;
            r
        };
        let (b, c) = (mk(base), mk(cur));
        compare_results(
            side_of("b", &b),
            side_of("c", &c),
            &b,
            &c,
            &Config::default(),
            None,
            "t".into(),
        )
    }

    #[test]
    fn stored_changes_are_confirmed_and_replaced_by_lockstep_verdicts() {
        let mut cmp = stored(
            &[("gelu/1k", 100.0), ("softmax/256", 100.0)],
            &[("gelu/1k", 130.0), ("softmax/256", 100.0)],
        );
        assert_eq!(cmp.confirmation, ConfirmationState::Unconfirmed);
        assert_eq!(flagged(&cmp), ["gelu/1k"]);
        assert_eq!(to_confirm(&cmp), ["gelu/1k", "softmax/256"]);
        // The lockstep measurement finds no change in gelu.
        let mut paired = cmp.clone();
        for v in &mut paired.verdicts {
            v.verdict = VerdictKind::Stable;
            v.severity = None;
            v.change = 0.001;
            v.basis = Basis::Paired;
        }
        let d = apply(&mut cmp, &paired);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].workload, "gelu/1k");
        assert_eq!(
            (d[0].stored, d[0].paired),
            (VerdictKind::Regression, VerdictKind::Stable)
        );
        assert_eq!(cmp.confirmation, ConfirmationState::Confirmed);
        let gelu = cmp
            .verdicts
            .iter()
            .find(|v| v.workload == "gelu/1k")
            .unwrap();
        assert_eq!(
            (gelu.verdict, gelu.basis),
            (VerdictKind::Stable, Basis::Paired)
        );
    }

    #[test]
    fn a_quiet_screen_still_needs_confirming_and_a_missing_workload_stays_unconfirmed() {
        // Stored runs that agree rule nothing out: drift can hide a change.
        let mut quiet = stored(&[("gelu/1k", 100.0)], &[("gelu/1k", 100.0)]);
        assert!(flagged(&quiet).is_empty());
        assert_eq!(to_confirm(&quiet), vec!["gelu/1k".to_string()]);
        let empty = Comparison {
            verdicts: Vec::new(),
            ..quiet.clone()
        };
        apply(&mut quiet, &empty);
        assert_eq!(quiet.confirmation, ConfirmationState::Unconfirmed);
        // No wall-time verdict at all: nothing to confirm.
        let mut none = empty.clone();
        apply(&mut none, &empty);
        assert_eq!(none.confirmation, ConfirmationState::NotNeeded);

        let mut cmp = stored(&[("gelu/1k", 100.0)], &[("gelu/1k", 150.0)]);
        apply(&mut cmp, &empty);
        assert_eq!(cmp.confirmation, ConfirmationState::Unconfirmed);
        assert_eq!(cmp.verdicts[0].verdict, VerdictKind::Regression);
    }
}
