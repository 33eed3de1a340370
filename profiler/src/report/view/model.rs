//! The view model's types: what a report template can show, all serialisable.

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
    pub env_warning_md: String,
    pub headline: String,
    pub headline_md: String,
    pub counts: Counts,
    pub settings: SettingsView,
    /// Pre-laid lines of the summary's OVERALL block.
    pub overall: Vec<String>,
    pub sections: Vec<Section>,
    pub charts: Vec<Chart>,
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
    pub success_md: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub added_md: Vec<String>,
    pub removed_md: Vec<String>,
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
    pub reference_md: String,
    pub sha: String,
    pub short: String,
    pub subject: String,
    pub subject_md: String,
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
    pub baseline_md: String,
    pub current_md: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    pub regressions: u32,
    pub improvements: u32,
    pub stable: u32,
    pub unstable: u32,
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
    pub workload_md: String,
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
    pub workload_md: String,
    pub metric_md: String,
    pub kind: String,
    pub baseline: String,
    pub current: String,
    pub change: String,
    pub ci95: String,
    pub p: String,
    pub q: String,
    pub n: String,
    pub threshold: String,
    pub verdict: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CauseView {
    pub title: String,
    pub title_md: String,
    pub kind: String,
    pub workloads_md: String,
    pub evidence: Vec<String>,
    pub evidence_md: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    pub number: usize,
    pub priority: String,
    pub text: String,
    pub text_md: String,
    pub command: String,
    pub files: Vec<String>,
}
