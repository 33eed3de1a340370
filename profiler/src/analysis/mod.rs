//! Explaining a comparison: typed root causes, actions, success stories.
//!
//! [`explain`] is a pure function of the comparison and the two results, so it
//! can run again once confirmed verdicts replace screened ones. It formats
//! nothing: findings name ops, patterns and workloads, and their evidence
//! points at verdicts; `crate::report` turns them into prose with the
//! verdicts' own figures. Which verdicts may support a finding is the evidence
//! rule of [`evidence`]; a comparison with nothing to explain gets no findings.

pub mod actions;
mod allocation;
pub mod evidence;
pub mod metrics;
pub mod ops;
pub mod root_cause;
pub mod success;
mod timing;

use crate::compare::model::{Action, Comparison, RootCause, SuccessStory, Verdict};
use crate::config::Config;
use crate::result::RunResult;

/// What the analysis adds to a comparison.
#[derive(Debug, Clone, Default)]
pub struct Explanation {
    pub root_causes: Vec<RootCause>,
    pub actions: Vec<Action>,
    pub success_stories: Vec<SuccessStory>,
}

/// Explain `cmp` (whose verdicts are decided) using the two results.
pub fn explain(
    cmp: &Comparison,
    baseline: &RunResult,
    current: &RunResult,
    config: &Config,
) -> Explanation {
    let root_causes = root_cause::find(cmp, baseline, current);
    let success_stories = success::find(cmp);
    let actions = actions::plan(cmp, &root_causes, &success_stories, current, config);
    Explanation {
        root_causes,
        actions,
        success_stories,
    }
}

/// The verdict on `metric` of `workload`, if compared.
pub fn verdict<'a>(cmp: &'a Comparison, workload: &str, metric: &str) -> Option<&'a Verdict> {
    cmp.verdicts
        .iter()
        .find(|v| v.workload == workload && v.metric == metric)
}
