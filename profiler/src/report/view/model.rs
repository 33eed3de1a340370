//! The view model's types: what a report template can show, all serialisable.
//! Strings are plain text (text from results cleaned of control characters);
//! markdown templates escape them with the `md` or `code` filter.

use serde::Serialize;

/// Everything a report template can show.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub title_time: String,
    pub created_at: String,
    pub tool_version: String,
    pub baseline: SideView,
    pub current: SideView,
    pub env_rows: Vec<EnvRow>,
    pub env_differs: bool,
    pub env_warning: String,
    /// Non-empty when wall-time changes rest on two stored runs only.
    pub unconfirmed: String,
    /// The same, wrapped for the 79-column text report.
    pub unconfirmed_lines: Vec<String>,
    /// `confirmed`, `unconfirmed` or `not_needed`.
    pub confirmation: String,
    pub headline: String,
    pub counts: Counts,
    pub settings: SettingsView,
    /// How verdicts were decided, one sentence (pooled, paired or both).
    pub decision_rule: String,
    /// The test named in short footers: `Mann-Whitney U + Benjamini-Hochberg`,
    /// `Wilcoxon signed-rank + Benjamini-Hochberg`, or both.
    pub test_name: String,
    /// Pre-laid lines of the summary's OVERALL block.
    pub overall: Vec<String>,
    pub sections: Vec<Section>,
    pub charts: Vec<Chart>,
    /// A code fence longer than any backtick run in the chart lines.
    pub fence: String,
    pub improvements: Vec<CategoryRow>,
    pub regressions: Vec<CategoryRow>,
    pub unstable: Vec<CategoryRow>,
    pub borderline: Vec<CategoryRow>,
    pub metric_groups: Vec<MetricGroup>,
    pub root_causes: Vec<CauseView>,
    pub p0: Vec<ActionView>,
    pub p1: Vec<ActionView>,
    pub p2: Vec<ActionView>,
    pub success: Vec<String>,
    /// The PR comment's rows: one per cause, then what is unstable or
    /// undecided, then improvements; with counts of the rows left out.
    pub pr: PrView,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Box frame pieces for text templates.
    pub rule: String,
    pub box_top: String,
    pub box_mid: String,
    pub box_bottom: String,
    pub heavy_rule: String,
    /// Centred title lines of the summary and its boxed headings.
    pub summary_title: String,
    pub summary_time: String,
    pub headings: Headings,
}

/// Boxed section headings of SUMMARY.txt, centred in the frame.
#[derive(Debug, Clone, Serialize)]
pub struct Headings {
    pub overall: String,
    pub root_cause: String,
    pub actions: String,
    pub success: String,
    pub added_removed: String,
    pub files: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SideView {
    pub label: String,
    pub reference: String,
    pub sha: String,
    pub short: String,
    pub subject: String,
    pub branch: String,
    pub dirty: bool,
    pub created_at: String,
    pub measured: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvRow {
    pub field: String,
    pub baseline: String,
    pub current: String,
    pub differs: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    pub regressions: u32,
    pub improvements: u32,
    pub stable: u32,
    pub unstable: u32,
    pub inconclusive: u32,
    pub critical: u32,
    pub workloads: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    pub alpha: String,
    pub threshold_pct: String,
    pub count_tolerance_pct: String,
    pub bytes_tolerance_pct: String,
    pub instructions_tolerance_pct: String,
}

/// A block of the summary (TRANSFORMER MODELS, CORE SIMD OPERATIONS, …).
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub title: String,
    /// The title centred in the box frame.
    pub title_line: String,
    pub groups: Vec<GroupLines>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupLines {
    pub title: String,
    pub lines: Vec<String>,
}

/// One boxed chart of COMPARISON_CHART.md.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub heading: String,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryRow {
    pub workload: String,
    pub metric: String,
    pub change: String,
    pub status: String,
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricGroup {
    pub title: String,
    pub rows: Vec<MetricRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricRow {
    pub workload: String,
    pub metric: String,
    pub kind: String,
    pub baseline: String,
    pub current: String,
    pub change: String,
    pub ci95: String,
    pub p: String,
    pub q: String,
    pub n: String,
    pub threshold: String,
    pub basis: String,
    pub verdict: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CauseView {
    pub number: usize,
    pub title: String,
    pub confirmed: bool,
    pub workloads: Vec<String>,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    pub number: usize,
    pub priority: String,
    pub text: String,
    pub command: String,
    pub files: Vec<String>,
}

/// The PR comment's table and what it leaves out.
#[derive(Debug, Clone, Serialize)]
pub struct PrView {
    pub rows: Vec<PrRow>,
    /// Rows left out per kind, with where to find them: `+3 more improvements (METRICS_SUMMARY.md)`.
    pub more: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrRow {
    /// `🔴`, `🟢`, `⚠️`.
    pub mark: String,
    /// `CRITICAL`, `REGRESSION`, `IMPROVEMENT`, `UNSTABLE`, `UNDECIDED`.
    pub status: String,
    pub workloads: String,
    pub changed: String,
    pub cause: String,
    pub command: String,
}
