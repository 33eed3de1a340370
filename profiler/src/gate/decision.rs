//! What the gate decides from a comparison: which verdicts fail it, and the exit code.
//!
//! Gating: a `regression` verdict not covered by an active waiver (with
//! `--critical-only`, only CRITICAL ones: severity CRITICAL or a workload marked
//! `critical` in smprof.toml), and every hard-limit breach. `unstable` verdicts
//! (multimodal samples) do not gate — nothing can be concluded from them — but are
//! listed so that nobody mistakes them for a pass on evidence. Diagnostics
//! (`*_unpooled`, the figures with the pool off) never gate. Wall-time failures
//! are pending until confirmed by a re-measurement ([`super::confirm`]).

use super::limits::{Bound, LimitBreach};
use crate::compare::model::{Comparison, Severity, ThresholdSource, Verdict, VerdictKind};
use crate::config::Config;
use crate::result::MetricKind;
use serde::Serialize;

/// Gate options from the command line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GateOptions {
    /// Fail only on CRITICAL regressions (hard limits still fail).
    pub critical_only: bool,
}

/// Why something fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Regression,
    Critical,
    Limit,
}

/// A re-measurement of a wall-time regression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confirmation {
    /// `both` (baseline and current re-measured) or `current`.
    pub sides: String,
    /// The re-measured medians (baseline is the stored one when only `current` re-ran).
    pub baseline: f64,
    pub current: f64,
    pub change: f64,
    pub q_value: Option<f64>,
    /// The re-measurement's verdict is also a regression.
    pub held: bool,
}

/// One thing that fails (or, unconfirmed, would have failed) the gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub workload: String,
    pub metric: String,
    pub unit: String,
    /// Baseline median; `None` for a limit breach (no comparison involved).
    pub baseline: Option<f64>,
    pub current: f64,
    /// Relative change (0.10 = +10 %), for regressions.
    pub change: Option<f64>,
    /// The threshold that applied (relative) and its source, for regressions.
    pub threshold: Option<f64>,
    pub threshold_source: Option<ThresholdSource>,
    pub q_value: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    /// Limit breaches: the limit, which side, and the config key.
    pub limit: Option<f64>,
    pub bound: Option<Bound>,
    pub origin: Option<String>,
    /// Wall-time verdicts are confirmed before they fail the gate.
    pub needs_confirmation: bool,
    pub confirmation: Option<Confirmation>,
}

impl Failure {
    /// Whether it fails the gate now: limits and deterministic regressions always;
    /// a wall-time regression unless a re-measurement cleared it (no evidence, no clearing).
    pub fn fails(&self, confirm: bool) -> bool {
        if !confirm || !self.needs_confirmation {
            return true;
        }
        self.confirmation.as_ref().is_none_or(|c| c.held)
    }
}

/// The gate's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateDecision {
    /// Candidates: regressions and limit breaches (see [`Failure::fails`]).
    pub failures: Vec<Failure>,
    /// Regressions an active waiver accepted: (workload, metric, change, waiver).
    pub waived: Vec<Waived>,
    /// Regressions that do not gate under `--critical-only`.
    pub not_gating: Vec<String>,
    /// Multimodal verdicts (not gating).
    pub unstable: Vec<String>,
    /// Wall-time verdicts that stayed undecided after the most lockstep rounds:
    /// no regression established, none ruled out (exit code 3 when nothing fails).
    #[serde(default)]
    pub inconclusive: Vec<String>,
    /// Waiver notices (ended waivers, unverifiable ones) and environment warnings.
    pub notices: Vec<String>,
    /// Whether wall-time failures must be confirmed.
    pub confirm: bool,
}

/// A waived regression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waived {
    pub workload: String,
    pub metric: String,
    pub change: f64,
    pub waiver: String,
}

impl GateDecision {
    /// The failures that fail the gate now.
    pub fn failing(&self) -> impl Iterator<Item = &Failure> {
        self.failures.iter().filter(|f| f.fails(self.confirm))
    }

    /// Wall-time failures a re-measurement cleared.
    pub fn cleared(&self) -> impl Iterator<Item = &Failure> {
        self.failures.iter().filter(|f| !f.fails(self.confirm))
    }

    /// Wall-time failures still awaiting confirmation: (workload, metric).
    pub fn pending_confirmation(&self) -> Vec<(String, String)> {
        self.failures
            .iter()
            .filter(|f| self.confirm && f.needs_confirmation && f.confirmation.is_none())
            .map(|f| (f.workload.clone(), f.metric.clone()))
            .collect()
    }

    pub fn passed(&self) -> bool {
        self.failing().next().is_none()
    }

    /// 1 when something gating regressed, else 3 when a wall-time verdict stayed
    /// inconclusive (nothing established either way), else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.passed() {
            1
        } else if !self.inconclusive.is_empty() {
            3
        } else {
            0
        }
    }
}

/// A wall-time verdict: a sampled metric, or one derived from it (deterministic
/// metrics — bytes, counts, instructions — are exact and need no re-measurement).
pub fn is_wall_time(v: &Verdict) -> bool {
    v.kind != MetricKind::Deterministic
}

/// Whether a regression verdict is CRITICAL.
pub fn is_critical(v: &Verdict, config: &Config) -> bool {
    v.severity == Some(Severity::Critical) || config.is_critical(&v.workload)
}

/// Decide from a comparison (waivers already applied, see [`super::waivers::apply`])
/// and the hard-limit breaches of the current result.
pub fn decide(
    comparison: &Comparison,
    breaches: &[LimitBreach],
    config: &Config,
    options: GateOptions,
    confirm: bool,
) -> GateDecision {
    let mut d = GateDecision {
        failures: Vec::new(),
        waived: Vec::new(),
        not_gating: Vec::new(),
        unstable: Vec::new(),
        inconclusive: Vec::new(),
        notices: Vec::new(),
        confirm,
    };
    for e in &comparison.env_differences {
        d.notices.push(format!(
            "environment differs: {} = {} (baseline) vs {} (current); figures may not be comparable",
            e.field, e.baseline, e.current
        ));
    }
    // Derived metrics (throughput from time) share their source's decision and
    // fail through it; `*_unpooled` figures are diagnostics, never gated.
    for v in comparison.verdicts.iter().filter(|v| v.is_independent()) {
        match v.verdict {
            VerdictKind::Regression => {}
            VerdictKind::Unstable => {
                d.unstable.push(format!("{} {}", v.workload, v.metric));
                continue;
            }
            VerdictKind::Inconclusive => {
                d.inconclusive.push(format!("{} {}", v.workload, v.metric));
                continue;
            }
            _ => continue,
        }
        if let Some(w) = &v.waiver {
            d.waived.push(Waived {
                workload: v.workload.clone(),
                metric: v.metric.clone(),
                change: v.change,
                waiver: w.clone(),
            });
            continue;
        }
        let critical = is_critical(v, config);
        if options.critical_only && !critical {
            d.not_gating.push(format!(
                "{} {} {:+.1} % (not critical)",
                v.workload,
                v.metric,
                v.change * 100.0
            ));
            continue;
        }
        d.failures.push(Failure {
            kind: if critical {
                FailureKind::Critical
            } else {
                FailureKind::Regression
            },
            workload: v.workload.clone(),
            metric: v.metric.clone(),
            unit: v.unit.clone(),
            baseline: Some(v.baseline),
            current: v.current,
            change: Some(v.change),
            threshold: Some(v.threshold),
            threshold_source: Some(v.threshold_source),
            q_value: v.q_value,
            ci95: v.ci95,
            limit: None,
            bound: None,
            origin: None,
            needs_confirmation: is_wall_time(v),
            confirmation: None,
        });
    }
    for b in breaches {
        d.failures.push(Failure {
            kind: FailureKind::Limit,
            workload: b.workload.clone(),
            metric: b.metric.clone(),
            unit: b.unit.clone(),
            baseline: None,
            current: b.value,
            change: None,
            threshold: None,
            threshold_source: None,
            q_value: None,
            ci95: None,
            limit: Some(b.limit),
            bound: Some(b.bound),
            origin: Some(b.origin.clone()),
            needs_confirmation: false,
            confirmation: None,
        });
    }
    d
}
