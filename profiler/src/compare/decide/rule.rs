//! The rule on one sampled metric: significant after Benjamini–Hochberg and
//! beyond the threshold, or, when either side is multimodal in a pooled
//! comparison, every current mode beyond the threshold from every baseline mode.

use super::super::model::{ModesPair, Verdict, VerdictKind};
use super::super::severity::severity;
use super::{effect, is_significant_change};
use crate::result::{Better, RunResult};

/// Apply the rule to a sampled metric whose q-value is known. `sides` are the
/// results whose modes make a pooled comparison `unstable`; `None` for a
/// paired one.
pub(super) fn decide_sampled(
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
