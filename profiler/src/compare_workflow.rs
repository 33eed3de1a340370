//! The compare workflow: decide every metric ([`crate::compare`]), then let
//! [`crate::analysis`] explain the verdicts. It sits above both so that analysis
//! reads compare's model while compare knows nothing of analysis.
//!
//! [`compare()`] is the one entry point (the gate and bisect call it); [`refresh`]
//! explains again once confirmed verdicts replace screened ones.

use crate::compare::model::{Comparison, Side};
use crate::compare::{self, Floors};
use crate::config::Config;
use crate::result::RunResult;
use crate::store::Resolved;

/// Compare `current` against `baseline` under `config` (α, thresholds,
/// severity bands, critical workloads) and calibrated noise `floors`, if any.
/// Pure apart from the `created_at` timestamp.
pub fn compare(
    baseline: &Resolved,
    current: &Resolved,
    config: &Config,
    floors: Option<&Floors>,
) -> Comparison {
    compare_results(
        compare::side(baseline),
        compare::side(current),
        &baseline.result,
        &current.result,
        config,
        floors,
        crate::timefmt::rfc3339(crate::timefmt::now_unix()),
    )
}

/// The explained comparison of two loaded results, with explicit sides and
/// timestamp (for tests and callers that do not go through the store).
pub fn compare_results(
    baseline_side: Side,
    current_side: Side,
    baseline: &RunResult,
    current: &RunResult,
    config: &Config,
    floors: Option<&Floors>,
    created_at: String,
) -> Comparison {
    let mut cmp = compare::unexplained(
        baseline_side,
        current_side,
        baseline,
        current,
        config,
        floors,
        created_at,
    );
    refresh(&mut cmp, baseline, current, config);
    cmp
}

/// Explain and count `cmp` again after some of its verdicts were replaced (by a
/// confirmation): root causes, actions and the summary follow the verdicts.
pub fn refresh(cmp: &mut Comparison, baseline: &RunResult, current: &RunResult, config: &Config) {
    let explained = crate::analysis::explain(cmp, baseline, current, config);
    cmp.root_causes = explained.root_causes;
    cmp.actions = explained.actions;
    cmp.success_stories = explained.success_stories;
    cmp.summary = compare::summarise(cmp);
}
