//! Deciding what changed between two results.
//!
//! [`unexplained`] pairs the workloads and metrics of both sides, decides each
//! metric ([`decide`]), controls the false-discovery rate across every test of
//! the comparison and counts the verdicts. Explaining them is
//! `crate::analysis`'s, a layer above; `crate::compare_workflow` runs both (the
//! entry point the gate, bisect and `compare` call).

mod decide;
mod env_diff;
pub mod findings;
pub mod model;
pub mod paired;
pub mod severity;
mod threshold;

pub use decide::{effect, is_significant_change};
pub use env_diff::env_differences;
pub use threshold::{Floors, Tolerance};

use crate::config::Config;
use crate::result::RunResult;
use crate::store::Resolved;
use model::{Comparison, ComparisonSummary, DecisionSettings, Side, VerdictKind};

/// The comparison of two loaded results as decided, with explicit sides and
/// timestamp: verdicts, confirmation state and summary, but no root causes,
/// actions or success stories yet (analysis adds those). Pure.
pub fn unexplained(
    baseline_side: Side,
    current_side: Side,
    baseline: &RunResult,
    current: &RunResult,
    config: &Config,
    floors: Option<&Floors>,
    created_at: String,
) -> Comparison {
    let env_differences = env_differences(&baseline.env, &current.env);
    let decided = decide::decide_all(baseline, current, config, floors);
    let mut cmp = Comparison {
        schema_version: model::COMPARISON_SCHEMA_VERSION,
        created_at,
        baseline: baseline_side,
        current: current_side,
        env_differences,
        settings: DecisionSettings {
            alpha: config.alpha,
            threshold: config.threshold_pct / 100.0,
            count_tolerance: config.count_tolerance_pct / 100.0,
            bytes_tolerance: config.bytes_tolerance_pct / 100.0,
            instructions_tolerance: config.instructions_tolerance_pct / 100.0,
        },
        verdicts: decided.verdicts,
        added: decided.added,
        removed: decided.removed,
        root_causes: Vec::new(),
        actions: Vec::new(),
        success_stories: Vec::new(),
        summary: ComparisonSummary {
            regressions: 0,
            improvements: 0,
            stable: 0,
            unstable: 0,
            inconclusive: 0,
            critical: 0,
            headline: String::new(),
        },
        confirmation: model::ConfirmationState::Unconfirmed,
    };
    cmp.confirmation = if decided_by_pairing(baseline, current) {
        model::ConfirmationState::NotNeeded
    } else {
        model::ConfirmationState::Unconfirmed
    };
    cmp.summary = summarise(&cmp);
    cmp
}

/// Whether the wall-time verdicts of these two results are already decisions:
/// the sides of one lockstep measurement, or instruction counts.
fn decided_by_pairing(baseline: &RunResult, current: &RunResult) -> bool {
    paired::is_paired(baseline, current) || current.settings.metric_mode == "instructions"
}

/// Whether two results can be compared at all: a wall-time result against an
/// instruction-count result has no metric in common that means the same thing
/// (it used to read as "no regression").
pub fn check_comparable(baseline: &RunResult, current: &RunResult) -> crate::Result<()> {
    let (b, c) = (
        &baseline.settings.metric_mode,
        &current.settings.metric_mode,
    );
    if b != c {
        return Err(crate::Error::MixedModes {
            baseline_label: baseline.label(),
            baseline_mode: b.clone(),
            current_label: current.label(),
            current_mode: c.clone(),
        });
    }
    Ok(())
}

/// A side as reports show it.
pub fn side(r: &Resolved) -> Side {
    side_of(&r.reference, &r.result)
}

/// A side from a reference string and its result.
pub fn side_of(reference: &str, r: &RunResult) -> Side {
    Side {
        reference: reference.to_string(),
        label: r.label(),
        commit: r.commit.clone(),
        env: r.env.clone(),
        created_at: r.created_at.clone(),
        settings: Some(r.settings.clone()),
    }
}

/// Counts of independent decisions (derived metrics share their source's
/// decision and are not counted twice; diagnostics, the figures without the
/// pool, are no decision about the code) and the one-line headline.
pub fn summarise(cmp: &Comparison) -> ComparisonSummary {
    let mut s = ComparisonSummary {
        regressions: 0,
        improvements: 0,
        stable: 0,
        unstable: 0,
        inconclusive: 0,
        critical: 0,
        headline: String::new(),
    };
    // Distinct workloads with a regression, in verdict order.
    let mut regressed: Vec<&str> = Vec::new();
    for v in cmp.verdicts.iter().filter(|v| v.is_independent()) {
        match v.verdict {
            VerdictKind::Regression => {
                s.regressions += 1;
                if !regressed.contains(&v.workload.as_str()) {
                    regressed.push(&v.workload);
                }
            }
            VerdictKind::Improvement => s.improvements += 1,
            VerdictKind::Stable => s.stable += 1,
            VerdictKind::Unstable => s.unstable += 1,
            VerdictKind::Inconclusive => s.inconclusive += 1,
        }
        if v.severity == Some(model::Severity::Critical) {
            s.critical += 1;
        }
    }
    let mut parts = Vec::new();
    if regressed.is_empty() {
        parts.push("no regression".to_string());
    } else {
        parts.push(format!(
            "{} regression{} ({} critical) in {} workload{}",
            s.regressions,
            plural(s.regressions as usize),
            s.critical,
            regressed.len(),
            plural(regressed.len())
        ));
    }
    parts.push(format!(
        "{} improvement{}",
        s.improvements,
        plural(s.improvements as usize)
    ));
    parts.push(format!("{} stable", s.stable));
    if s.unstable > 0 {
        parts.push(format!("{} unstable", s.unstable));
    }
    if s.inconclusive > 0 {
        parts.push(format!("{} inconclusive", s.inconclusive));
    }
    let mut headline = parts.join(", ");
    if !cmp.env_differences.is_empty() {
        let fields: Vec<&str> = cmp
            .env_differences
            .iter()
            .map(|d| d.field.as_str())
            .collect();
        headline.push_str(&format!(
            " — environments differ ({}): figures may not be comparable",
            fields.join(", ")
        ));
    }
    s.headline = headline;
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
