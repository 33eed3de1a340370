//! Confirmation of wall-time regressions: the gate re-measures each flagged
//! workload (both sides when both binaries are at hand, else the current side
//! against the stored baseline) and fails only if the re-measurement's verdict is
//! a regression too. Two independent significant results at α are far rarer by
//! chance than one, which is what keeps a noisy machine from failing CI.

use super::decision::{Confirmation, GateDecision};
use crate::compare::model::{Comparison, VerdictKind};

/// Record the re-measurement `recheck` on every pending wall-time failure.
/// `sides` is `both` or `current`. A failure whose workload and metric the
/// recheck lacks stays pending, and so keeps failing.
pub fn apply_confirmation(decision: &mut GateDecision, recheck: &Comparison, sides: &str) {
    for f in decision
        .failures
        .iter_mut()
        .filter(|f| f.needs_confirmation && f.confirmation.is_none())
    {
        let Some(v) = recheck
            .verdicts
            .iter()
            .find(|v| v.workload == f.workload && v.metric == f.metric)
        else {
            continue;
        };
        f.confirmation = Some(Confirmation {
            sides: sides.to_string(),
            baseline: v.baseline,
            current: v.current,
            change: v.change,
            q_value: v.q_value,
            // Only a re-measurement that finds no regression clears one: an
            // undecided or multimodal one is no evidence of a pass.
            held: matches!(
                v.verdict,
                VerdictKind::Regression | VerdictKind::Inconclusive | VerdictKind::Unstable
            ),
        });
    }
}
