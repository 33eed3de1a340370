//! The evidence rule: which verdicts a finding may rest on.
//!
//! A wall-time verdict of two stored runs (basis `stored`) is a screen, subject
//! to the machine's drift between the runs. When the comparison is
//! `confirmed`, every wall-time change the screen showed was measured again on
//! both builds in lockstep (basis `paired`), so a stored verdict that is still
//! not stable is one the confirmation did not hold: it supports nothing. When
//! `unconfirmed`, stored verdicts may support findings, which are then marked
//! unconfirmed. Deterministic verdicts are exact and always count.
//!
//! For size patterns every measured size counts: one that is unstable,
//! undecided or borderline but moved beyond its threshold is *weak* evidence
//! of slowing, not absence of it.

use crate::compare::effect;
use crate::compare::model::{Basis, Comparison, ConfirmationState, Verdict, VerdictKind};
use crate::result::MetricKind;

/// How a verdict stands as evidence of a slowdown (or of more allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Worse: `decided` for an admissible regression verdict, otherwise a
    /// weak move beyond the threshold.
    Worse { decided: bool },
    /// Not worse: stable, better, or a change the confirmation did not hold.
    NotWorse,
}

impl Standing {
    pub fn is_worse(self) -> bool {
        matches!(self, Standing::Worse { .. })
    }

    pub fn is_decided(self) -> bool {
        self == Standing::Worse { decided: true }
    }
}

/// A wall-time verdict from two stored runs: a screen, not a decision.
pub fn is_screen(v: &Verdict) -> bool {
    v.basis == Basis::Stored && v.kind != MetricKind::Deterministic
}

/// How `v` stands under the comparison's confirmation state.
pub fn standing(cmp: &Comparison, v: &Verdict) -> Standing {
    if is_screen(v) && cmp.confirmation == ConfirmationState::Confirmed {
        // Confirmed comparisons carry paired verdicts for every change; a stored
        // one left over was not held (or was never a change).
        return Standing::NotWorse;
    }
    let moved = effect(v.change, v.better) > v.threshold;
    match v.verdict {
        VerdictKind::Regression => Standing::Worse { decided: true },
        VerdictKind::Unstable | VerdictKind::Inconclusive if moved => {
            Standing::Worse { decided: false }
        }
        VerdictKind::Stable if v.borderline && moved => Standing::Worse { decided: false },
        _ => Standing::NotWorse,
    }
}

/// Whether a decided piece of evidence rests on a confirmed measurement (or an
/// exact one).
pub fn is_confirmed(v: &Verdict) -> bool {
    !is_screen(v)
}

/// Whether an improvement verdict is admissible (a success story).
pub fn is_admissible_improvement(cmp: &Comparison, v: &Verdict) -> bool {
    v.verdict == VerdictKind::Improvement
        && !(is_screen(v) && cmp.confirmation == ConfirmationState::Confirmed)
}

/// The time-like ratio current/baseline of a verdict (a throughput that halves is ×2).
pub fn ratio(v: &Verdict) -> f64 {
    1.0 + effect(v.change, v.better)
}
