//! What a comparison decides: the data every report renders and `comparison.json` holds.
//! Documented field by field in `docs/comparison-format.md`.

pub use super::findings::{
    Action, ActionKind, Borderline, Evidence, Finding, KernelCheck, Priority, Role, RootCause,
    SizePattern, SuccessStory,
};
/// Defined in config (below compare); part of every verdict.
pub use crate::config::ThresholdSource;
use crate::result::{Better, CommitInfo, Env, MetricKind, Mode, RunSettings};
use serde::{Deserialize, Serialize};

/// The schema version of `comparison.json`.
pub const COMPARISON_SCHEMA_VERSION: u32 = 2;

/// A full comparison of two results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub schema_version: u32,
    pub created_at: String,
    pub baseline: Side,
    pub current: Side,
    /// Environment fields that differ: figures may not be comparable.
    pub env_differences: Vec<EnvDifference>,
    /// The decision rules that were applied.
    pub settings: DecisionSettings,
    pub verdicts: Vec<Verdict>,
    /// Workloads only in the current result.
    pub added: Vec<String>,
    /// Workloads only in the baseline.
    pub removed: Vec<String>,
    pub root_causes: Vec<RootCause>,
    pub actions: Vec<Action>,
    pub success_stories: Vec<SuccessStory>,
    /// Counts of verdicts by kind and the one-line headline.
    pub summary: ComparisonSummary,
    /// Whether the wall-time changes were confirmed by measuring both builds in
    /// lockstep (added; absent in older files: `unconfirmed`).
    #[serde(default)]
    pub confirmation: ConfirmationState,
}

/// Whether a comparison's wall-time changes rest on a lockstep measurement of
/// both builds (the decision) or on two stored runs only (a screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationState {
    /// Every wall-time change the stored runs showed was re-measured on both
    /// builds in lockstep; those verdicts now have basis `paired`.
    Confirmed,
    /// Stored runs only (`--no-confirm`, or no way to build the baseline): the
    /// wall-time changes are a screen, not a decision.
    #[default]
    Unconfirmed,
    /// Nothing needed confirming: no wall-time change, instruction counts, or
    /// both sides are already one lockstep measurement.
    NotNeeded,
}

impl ConfirmationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfirmationState::Confirmed => "confirmed",
            ConfirmationState::Unconfirmed => "unconfirmed",
            ConfirmationState::NotNeeded => "not_needed",
        }
    }
}

/// What one verdict rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A deterministic metric (bytes, counts, instructions) against its tolerance.
    Deterministic,
    /// Two stored runs taken at different times (pooled samples, Mann–Whitney):
    /// a screen, subject to the machine's drift between the runs.
    #[default]
    Stored,
    /// Both builds measured in one alternating (lockstep) measurement and
    /// compared round by round (Wilcoxon signed-rank).
    Paired,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// How the user named it (ref, name or path) and the short label shown.
    pub reference: String,
    pub label: String,
    pub commit: Option<CommitInfo>,
    pub env: Env,
    pub created_at: String,
    /// How that side was measured (processes, samples, suites) (added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<RunSettings>,
}

/// One environment field that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvDifference {
    pub field: String,
    pub baseline: String,
    pub current: String,
}

/// The rules a comparison applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionSettings {
    /// False-discovery rate for Benjamini–Hochberg.
    pub alpha: f64,
    /// Default relative threshold for timing metrics (0.05 = 5 %).
    pub threshold: f64,
    /// Tolerance for deterministic counts (relative).
    pub count_tolerance: f64,
    /// Tolerance for deterministic byte metrics (relative).
    pub bytes_tolerance: f64,
    /// Tolerance for instruction counts (relative).
    pub instructions_tolerance: f64,
}

/// The decision on one metric of one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub workload: String,
    pub group: String,
    /// The workload's suite, `code` or `alloc` (added).
    #[serde(default)]
    pub suite: String,
    pub metric: String,
    pub unit: String,
    pub better: Better,
    /// Median (or value) on each side.
    pub baseline: f64,
    pub current: f64,
    /// Relative change of medians: current / baseline − 1.
    pub change: f64,
    /// 95 % interval of the relative change (hierarchical bootstrap), for sampled metrics.
    pub ci95: Option<[f64; 2]>,
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    pub verdict: VerdictKind,
    pub severity: Option<Severity>,
    /// The relative threshold that applied and where it came from.
    pub threshold: f64,
    pub threshold_source: ThresholdSource,
    /// Multimodal metrics: the modes on each side.
    pub modes: Option<ModesPair>,
    /// A waiver that accepted this regression, if any.
    pub waiver: Option<String>,
    /// True when the verdict lies close to a threshold (re-run to validate).
    pub borderline: bool,
    /// How the metric was obtained (added): sampled metrics are tested, derived
    /// ones share their source's decision, deterministic ones use a tolerance.
    #[serde(default = "default_metric_kind")]
    pub kind: MetricKind,
    /// For derived metrics, the metric whose decision they share (added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<String>,
    /// Number of samples on each side (1 for deterministic metrics) (added).
    #[serde(default)]
    pub n: [u32; 2],
    /// What the verdict rests on (added; absent in older files: `stored`).
    #[serde(default)]
    pub basis: Basis,
}

impl Verdict {
    /// A decision of its own: not derived (derived metrics repeat their source's
    /// decision) and not a diagnostic (`*_unpooled`: shown, never counted, gated or
    /// explained).
    pub fn is_independent(&self) -> bool {
        self.kind != crate::result::MetricKind::Derived
            && !crate::result::is_diagnostic(&self.metric)
    }
}

fn default_metric_kind() -> MetricKind {
    MetricKind::Sampled
}

/// The verdict on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerdictKind {
    Regression,
    Improvement,
    Stable,
    Unstable,
    /// A paired measurement that stayed undecided after its most rounds: the
    /// interval of the change straddles the threshold.
    Inconclusive,
}

impl VerdictKind {
    /// The lowercase name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Regression => "regression",
            VerdictKind::Improvement => "improvement",
            VerdictKind::Stable => "stable",
            VerdictKind::Unstable => "unstable",
            VerdictKind::Inconclusive => "inconclusive",
        }
    }
}

/// How large a change is, in the reference reports' vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Improvement,
    Good,
    Excellent,
    Outstanding,
    Regression,
    Critical,
}

/// Modes of a multimodal metric on each side (None where unimodal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModesPair {
    pub baseline: Option<Vec<Mode>>,
    pub current: Option<Vec<Mode>>,
}

/// Counts and headline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonSummary {
    pub regressions: u32,
    pub improvements: u32,
    pub stable: u32,
    pub unstable: u32,
    /// Paired verdicts that stayed undecided (added).
    #[serde(default)]
    pub inconclusive: u32,
    pub critical: u32,
    pub headline: String,
}
