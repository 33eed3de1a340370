//! The analysis's part of `comparison.json`: typed findings (root causes),
//! actions and success stories. [`crate::analysis`] fills them from the verdicts
//! and the two results; the reports render them. Nothing here is prose: a
//! finding names its op, pattern and workloads, and its evidence points at
//! verdicts, so every figure a report prints for it is the verdict's own.
//! Documented field by field in `docs/comparison-format.md`.

use super::model::EnvDifference;
use serde::{Deserialize, Serialize};

/// A finding of the root-cause analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCause {
    /// What the analysis found.
    pub finding: Finding,
    /// Workloads it explains, each once, in the comparison's order.
    pub workloads: Vec<String>,
    /// The verdicts it rests on (and, for patterns, every measured size).
    pub evidence: Vec<Evidence>,
    /// False when it rests on wall-time changes of two stored runs that no
    /// lockstep measurement confirmed (`Comparison.confirmation` unconfirmed).
    pub confirmed: bool,
}

/// What a root cause is, most specific first in the reports' order:
/// environment, allocations, then timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The two sides ran in different environments.
    Environment {
        differences: Vec<EnvDifference>,
        /// Both sides measured the same commit: the environment is the cause.
        same_commit: bool,
    },
    /// Workloads allocate more, and the per-op figures name the op that does.
    Allocation {
        /// The op whose allocations grew most (`None` without per-op figures).
        op: Option<String>,
        /// Bytes the op allocates per call, baseline and current (median over
        /// the workloads that call it), when the call counts are known.
        per_call: Option<[f64; 2]>,
    },
    /// One engine op is slower: in its own kernel benchmarks, in the composite
    /// workloads that call it, or both.
    OpSlower { op: String, kernel: KernelCheck },
    /// Within a kernel family only some sizes are slower.
    SizePattern {
        group: String,
        /// The op the family measures, if known.
        op: Option<String>,
        pattern: SizePattern,
    },
}

impl Finding {
    /// The engine op the finding names, if any.
    pub fn op(&self) -> Option<&str> {
        match self {
            Finding::Allocation { op, .. } | Finding::SizePattern { op, .. } => op.as_deref(),
            Finding::OpSlower { op, .. } => Some(op),
            Finding::Environment { .. } => None,
        }
    }
}

/// What the kernel benchmarks of an op say about a slower op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum KernelCheck {
    /// Every measured size is slower (decided, or moved beyond its threshold
    /// while unstable, undecided or borderline): the kernel itself.
    AllSizes {
        sizes: u32,
        /// Smallest and largest current/baseline time ratio among them.
        ratio: [f64; 2],
    },
    /// The kernel benchmarks were measured and are not slower: the callers
    /// changed (shapes, layout, extra work), not the kernel.
    NotSlower { sizes: u32 },
    /// No kernel benchmark of the op was compared.
    NotMeasured,
}

/// Which sizes of a kernel family are slower, counting every measured size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "sizes", rename_all = "snake_case")]
pub enum SizePattern {
    /// Only the `slower` largest of `of` sizes: blocking or cache behaviour.
    LargestOnly { slower: u32, of: u32 },
    /// Only the `slower` smallest: per-call overhead (dispatch, allocation, setup).
    SmallestOnly { slower: u32, of: u32 },
    /// Slower sizes with no order to them.
    Scattered { slower: u32, of: u32 },
}

/// One verdict a finding rests on: `(workload, metric)` names it in
/// `Comparison.verdicts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub workload: String,
    pub metric: String,
    pub role: Role,
    /// For a composite workload: the op's share of the workload's increase in
    /// the attribution pass (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// For allocations: the op's bytes per operation of this workload,
    /// baseline and current (attribution pass, exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_bytes: Option<[f64; 2]>,
}

/// How a verdict supports a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A regression verdict (deterministic, paired, or a stored-run screen).
    Decided,
    /// Unstable, undecided or borderline, but moved the same way beyond its
    /// threshold: it counts in a size pattern, it does not make a finding alone.
    Weak,
    /// A measured size that is not slower (counted in a size pattern).
    NotSlower,
}

/// Priority of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    P0,
    P1,
    P2,
}

/// Something to do about the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub priority: Priority,
    pub what: ActionKind,
    /// A command to run (the exact `smprof bisect`, `smprof ab`, …), if any.
    pub command: Option<String>,
    /// Engine source files to read.
    pub files: Vec<String>,
}

/// What an action asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionKind {
    /// Measure again in the baseline's environment before trusting regressions.
    Remeasure,
    /// Find and fix a regression: the root cause `finding` (index into
    /// `root_causes`) or, when none explains them, the `workloads` of a family.
    /// `workload`/`metric` is the verdict the command measures: `smprof bisect`
    /// when the cause is confirmed, else `smprof ab` to confirm it first.
    Fix {
        finding: Option<usize>,
        workloads: Vec<String>,
        workload: String,
        metric: String,
    },
    /// A multimodal metric: find what splits its samples.
    Investigate { workload: String, metric: String },
    /// A paired measurement that stayed undecided after `rounds` rounds.
    MeasureLonger {
        workload: String,
        metric: String,
        rounds: u32,
    },
    /// A verdict near its rule: re-run to validate.
    Revalidate {
        workload: String,
        metric: String,
        reasons: Vec<Borderline>,
    },
    /// The buffer pool saves less than the target.
    ImprovePool {
        workload: String,
        reduction: f64,
        target: f64,
    },
    /// An improvement worth writing down: `story` indexes `success_stories`.
    Document { story: usize },
}

/// Why a verdict is borderline (`Verdict.borderline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Borderline {
    /// |change| lies within 25 % of the threshold.
    NearThreshold,
    /// q lies within a factor 10 (decided) or 5 (stable) of α.
    NearAlpha,
    /// The 95 % interval of the change reaches back inside ±threshold: the
    /// worker processes disagree about its size.
    ProcessesDisagree,
}

/// A group of decided improvements of one metric in one family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccessStory {
    pub group: String,
    pub metric: String,
    /// The improved workloads, largest change first.
    pub workloads: Vec<String>,
    /// Workloads of the family with this metric.
    pub of: u32,
}
