//! Explaining a comparison: root causes, actions, success stories.
//!
//! Everything here is computed from the verdicts and the two results (per-op
//! attribution, size patterns, allocations, environment), and every finding
//! carries its evidence with figures. Nothing is boilerplate: a comparison with
//! nothing to explain gets no findings.

pub mod actions;
pub mod figures;
pub mod root_cause;
pub mod success;

use crate::compare::model::{Action, Comparison, RootCause, SuccessStory, Verdict, VerdictKind};
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

/// The metric that stands for a workload's cost: wall time, or instruction
/// counts when the results were measured under callgrind.
pub(crate) fn is_primary(metric: &str) -> bool {
    metric == "time_ns" || metric == "instructions"
}

/// Primary-metric (`time_ns` or `instructions`) verdicts of a given kind, in order.
pub(crate) fn time_verdicts(cmp: &Comparison, kind: VerdictKind) -> Vec<&Verdict> {
    cmp.verdicts
        .iter()
        .filter(|v| is_primary(&v.metric) && v.verdict == kind)
        .collect()
}

/// The name prefix of the kernel workloads that measure an engine op alone.
pub(crate) fn kernel_prefix(op: &str) -> Option<&'static str> {
    match op {
        "matmul" => Some("matmul/"),
        "gelu" => Some("gelu/"),
        "softmax" => Some("softmax/"),
        "add" => Some("tensor/add"),
        "mul" => Some("tensor/mul"),
        "layer_norm" => Some("layer_norm/"),
        _ => None,
    }
}

/// Engine source files of a workload (from the catalogue), if it is known.
pub(crate) fn files_of(workload: &str) -> Vec<String> {
    crate::workloads::find(workload)
        .map(|d| d.files.iter().map(|f| f.to_string()).collect())
        .unwrap_or_default()
}

/// The ratio current/baseline of a verdict's medians (∞-safe).
pub(crate) fn ratio(v: &Verdict) -> f64 {
    1.0 + v.change
}
