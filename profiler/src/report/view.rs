//! The view model every template renders: figures formatted, lines laid out,
//! text from results escaped for markdown. Built once from a [`Comparison`];
//! it decides nothing (the verdicts, causes and actions are the comparison's).

use super::bars;
use super::text::{center, escape_md, pad_left, pad_right};
use crate::analysis::figures as fmt;
use crate::compare::model::{Comparison, Priority, Side, Verdict, VerdictKind};
use crate::result::{Better, MetricKind};
use serde::Serialize;

/// Inner width of the box-drawn frames (the reference reports' 69 columns).
const BOX: usize = 69;
/// Width of a chart bar.
const BAR: usize = 36;

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

/// How reports name a metric.
pub fn metric_label(metric: &str) -> String {
    match metric {
        "time_ns" => "Time/op".into(),
        "gflops" => "GFLOPS".into(),
        "elements_per_s" => "Elements/s".into(),
        "tokens_per_s" => "Tokens/second".into(),
        "samples_per_s" => "Samples/second".into(),
        "latency_per_token_ns" => "Latency/token".into(),
        "alloc_bytes_per_token" => "Memory/token".into(),
        "alloc_bytes" => "Allocated/op".into(),
        "alloc_count" => "Allocations/op".into(),
        "pool_reduction" => "Pool reduction".into(),
        "peak_bytes" => "Peak memory/op".into(),
        "alloc_bytes_unpooled" => "Allocated/op (no pool)".into(),
        "alloc_count_unpooled" => "Allocations/op (no pool)".into(),
        "peak_bytes_unpooled" => "Peak memory/op (no pool)".into(),
        "pool_reduction_unpooled" => "Pool reduction (no pool)".into(),
        "instructions" => "Instructions/op".into(),
        other => other.to_string(),
    }
}

fn group_title(group: &str) -> String {
    match group {
        "matmul" => "MATRIX MULTIPLICATION (matmul)".into(),
        "gelu" => "GELU ACTIVATION".into(),
        "softmax" => "SOFTMAX".into(),
        "tensor" => "ELEMENTWISE AND BROADCAST".into(),
        "model" => "GPT-2 GENERATION (25 tokens, KV cache)".into(),
        "matmul_backward" => "MATMUL BACKWARD PASS".into(),
        "train" => "TRAINING STEP (AdamW)".into(),
        "layer_norm" => "LAYER NORM".into(),
        other => other.to_uppercase(),
    }
}

fn section_of(v: &Verdict) -> (usize, &'static str) {
    match (v.group.as_str(), v.suite.as_str()) {
        ("model", _) => (0, "TRANSFORMER MODELS"),
        (_, "alloc") => (3, "MEMORY PROFILER RESULTS"),
        ("matmul" | "gelu" | "softmax" | "layer_norm" | "attention", _) => {
            (1, "CORE SIMD OPERATIONS")
        }
        ("tensor", _) => (2, "TENSOR OPERATIONS"),
        _ => (4, "OTHER WORKLOADS"),
    }
}

/// The badge a verdict shows: severity label, STABLE or UNSTABLE.
pub fn badge(v: &Verdict) -> String {
    let base = match (v.verdict, v.severity) {
        (VerdictKind::Regression | VerdictKind::Improvement, Some(s)) => s.label().to_string(),
        (VerdictKind::Regression, None) => "🔴 REGRESSION".into(),
        (VerdictKind::Improvement, None) => "🟢 IMPROVEMENT".into(),
        (VerdictKind::Stable, _) => "➡️ STABLE".into(),
        (VerdictKind::Unstable, _) => "⚠️ UNSTABLE".into(),
    };
    if v.borderline {
        format!("{base} (borderline: re-run)")
    } else {
        base
    }
}

fn change_of(v: &Verdict) -> String {
    fmt::change(v.baseline, v.current, v.change)
}

/// The test evidence of a verdict: `q=…` for tested metrics, `exact` otherwise.
fn evidence(v: &Verdict) -> String {
    match v.kind {
        MetricKind::Deterministic => format!("exact, tol {:.1} %", v.threshold * 100.0),
        _ => format!("q={}", fmt::p(v.q_value)),
    }
}

/// `  label     base → cur   (change)  badge  evidence`
fn summary_line(label: &str, v: &Verdict) -> String {
    format!(
        "  {} {} → {} {}  {}  {}",
        pad_right(label, 23),
        pad_left(&fmt::value(v.baseline, &v.unit), 12),
        pad_right(&fmt::value(v.current, &v.unit), 12),
        pad_left(&format!("({})", change_of(v)), 11),
        badge(v),
        evidence(v)
    )
    .trim_end()
    .to_string()
}

fn side_view(s: &Side) -> SideView {
    let c = s.commit.as_ref();
    SideView {
        label: s.label.clone(),
        reference: s.reference.clone(),
        reference_md: escape_md(&s.reference),
        sha: c.map(|c| c.sha.clone()).unwrap_or_default(),
        short: c
            .map(|c| c.short.clone())
            .unwrap_or_else(|| s.label.clone()),
        subject: c.map(|c| c.subject.clone()).unwrap_or_default(),
        subject_md: c.map(|c| escape_md(&c.subject)).unwrap_or_default(),
        branch: c.and_then(|c| c.branch.clone()).unwrap_or_default(),
        dirty: c.is_some_and(|c| c.dirty),
        created_at: s.created_at.clone(),
        measured: s
            .settings
            .as_ref()
            .map(|r| {
                format!(
                    "{} mode, {} processes × {} samples, suites {}, metric {}",
                    r.mode,
                    r.processes,
                    r.samples_per_process,
                    r.suites.join("+"),
                    r.metric_mode
                )
            })
            .unwrap_or_default(),
    }
}

/// `2026-11-20T17:20:44Z` → `November 20, 2026 17:20 UTC`.
fn long_time(rfc3339: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let parse = || -> Option<String> {
        let (date, time) = rfc3339.split_once('T')?;
        let mut d = date.split('-');
        let (y, m, day) = (d.next()?, d.next()?.parse::<usize>().ok()?, d.next()?);
        let month = MONTHS.get(m.checked_sub(1)?)?;
        let hm = time.get(..5)?;
        Some(format!(
            "{month} {}, {y} {hm} UTC",
            day.trim_start_matches('0')
        ))
    };
    parse().unwrap_or_else(|| rfc3339.to_string())
}

impl View {
    /// Lay out a comparison for the templates.
    pub fn new(cmp: &Comparison) -> View {
        let env_rows = env_rows(cmp);
        let diffs: Vec<String> = cmp
            .env_differences
            .iter()
            .map(|d| format!("{} {} → {}", d.field, d.baseline, d.current))
            .collect();
        let env_warning = if diffs.is_empty() {
            String::new()
        } else {
            format!(
                "⚠️ ENVIRONMENTS DIFFER ({}): figures may not be comparable",
                diffs.join(", ")
            )
        };
        let mut workloads: Vec<&str> = Vec::new();
        for v in &cmp.verdicts {
            if !workloads.contains(&v.workload.as_str()) {
                workloads.push(&v.workload);
            }
        }
        let actions = |p: Priority, offset: usize| -> Vec<ActionView> {
            cmp.actions
                .iter()
                .filter(|a| a.priority == p)
                .enumerate()
                .map(|(i, a)| ActionView {
                    number: offset + i + 1,
                    priority: format!("{p:?}"),
                    text: a.text.clone(),
                    text_md: escape_md(&a.text),
                    command: a.command.clone().unwrap_or_default(),
                    files: a.files.clone(),
                })
                .collect()
        };
        let p0 = actions(Priority::P0, 0);
        let p1 = actions(Priority::P1, p0.len());
        let p2 = actions(Priority::P2, p0.len() + p1.len());
        let rule = "═".repeat(79);
        View {
            title_time: long_time(&cmp.created_at),
            created_at: cmp.created_at.clone(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            baseline: side_view(&cmp.baseline),
            current: side_view(&cmp.current),
            env_differs: !cmp.env_differences.is_empty(),
            env_warning_md: escape_md(&env_warning),
            env_warning,
            env_rows,
            headline: cmp.summary.headline.clone(),
            headline_md: escape_md(&cmp.summary.headline),
            counts: Counts {
                regressions: cmp.summary.regressions,
                improvements: cmp.summary.improvements,
                stable: cmp.summary.stable,
                unstable: cmp.summary.unstable,
                critical: cmp.summary.critical,
                workloads: workloads.len(),
            },
            settings: SettingsView {
                alpha: format!("{}", cmp.settings.alpha),
                threshold_pct: format!("{:.1}", cmp.settings.threshold * 100.0),
                count_tolerance_pct: format!("{:.1}", cmp.settings.count_tolerance * 100.0),
                bytes_tolerance_pct: format!("{:.1}", cmp.settings.bytes_tolerance * 100.0),
                instructions_tolerance_pct: format!(
                    "{:.1}",
                    cmp.settings.instructions_tolerance * 100.0
                ),
            },
            overall: overall(cmp, workloads.len()),
            sections: sections(cmp),
            charts: charts(cmp),
            improvements: category(cmp, |v| v.verdict == VerdictKind::Improvement),
            regressions: category(cmp, |v| v.verdict == VerdictKind::Regression),
            unstable: category(cmp, |v| v.verdict == VerdictKind::Unstable),
            borderline: category(cmp, |v| v.borderline),
            metric_groups: metric_groups(cmp),
            root_causes: cmp
                .root_causes
                .iter()
                .map(|c| CauseView {
                    title: c.title.clone(),
                    title_md: escape_md(&c.title),
                    kind: c.kind.clone(),
                    workloads_md: c
                        .workloads
                        .iter()
                        .map(|w| escape_md(w))
                        .collect::<Vec<_>>()
                        .join(", "),
                    evidence: c.evidence.clone(),
                    evidence_md: c.evidence.iter().map(|e| escape_md(e)).collect(),
                })
                .collect(),
            p0,
            p1,
            p2,
            success: cmp.success_stories.iter().map(|s| s.text.clone()).collect(),
            success_md: cmp
                .success_stories
                .iter()
                .map(|s| escape_md(&s.text))
                .collect(),
            added: cmp.added.clone(),
            removed: cmp.removed.clone(),
            added_md: cmp.added.iter().map(|w| escape_md(w)).collect(),
            removed_md: cmp.removed.iter().map(|w| escape_md(w)).collect(),
            box_top: format!("┌{}┐", "─".repeat(BOX + 6)),
            box_mid: format!("├{}┤", "─".repeat(BOX + 6)),
            box_bottom: format!("└{}┘", "─".repeat(BOX + 6)),
            heavy_rule: rule.clone(),
            rule,
            summary_title: center("SMALLMIND PROFILING RESULTS SUMMARY", 79)
                .trim_end()
                .to_string(),
            summary_time: center(&long_time(&cmp.created_at), 79)
                .trim_end()
                .to_string(),
            headings: Headings {
                overall: heading("OVERALL PERFORMANCE"),
                root_cause: heading("ROOT CAUSE ANALYSIS"),
                actions: heading("IMMEDIATE ACTIONS"),
                success: heading("SUCCESS STORIES"),
                added_removed: heading("ADDED AND REMOVED WORKLOADS"),
                files: heading("FILES TO REVIEW"),
            },
        }
    }
}

fn env_rows(cmp: &Comparison) -> Vec<EnvRow> {
    let (b, c) = (&cmp.baseline.env, &cmp.current.env);
    let rows = [
        ("CPU", b.cpu_model.clone(), c.cpu_model.clone(), "cpu_model"),
        (
            "logical cores",
            b.logical_cores.to_string(),
            c.logical_cores.to_string(),
            "logical_cores",
        ),
        (
            "SIMD tier",
            b.simd_tier.clone(),
            c.simd_tier.clone(),
            "simd_tier",
        ),
        (
            "threads",
            b.threads.to_string(),
            c.threads.to_string(),
            "threads",
        ),
        ("rustc", b.rustc.clone(), c.rustc.clone(), "rustc"),
        ("profile", b.profile.clone(), c.profile.clone(), "profile"),
        ("OS", b.os.clone(), c.os.clone(), "os"),
        ("kernel", b.kernel.clone(), c.kernel.clone(), "kernel"),
        (
            "fingerprint",
            b.fingerprint.clone(),
            c.fingerprint.clone(),
            "fingerprint",
        ),
    ];
    rows.into_iter()
        .map(|(label, bv, cv, field)| EnvRow {
            field: label.to_string(),
            differs: cmp.env_differences.iter().any(|d| d.field == field),
            baseline_md: escape_md(&bv),
            current_md: escape_md(&cv),
            baseline: bv,
            current: cv,
        })
        .collect()
}

/// Overall lines: sums are shown for orientation and marked as untested.
fn overall(cmp: &Comparison, n_workloads: usize) -> Vec<String> {
    let times: Vec<&Verdict> = cmp
        .verdicts
        .iter()
        .filter(|v| v.metric == "time_ns")
        .collect();
    let mut lines = Vec::new();
    if !times.is_empty() {
        let (b, c): (f64, f64) = times
            .iter()
            .fold((0.0, 0.0), |(b, c), v| (b + v.baseline, c + v.current));
        lines.push(format!(
            "  {}{} → {} {}  (sum of per-op medians, not a test)",
            pad_right("Runtime:", 20),
            pad_left(&fmt::duration_ns(b), 12),
            pad_right(&fmt::duration_ns(c), 12),
            pad_left(&format!("({})", fmt::change(b, c, c / b - 1.0)), 11),
        ));
        let logs: Vec<f64> = times
            .iter()
            .filter(|v| v.baseline > 0.0 && v.current > 0.0)
            .map(|v| (v.current / v.baseline).ln())
            .collect();
        if !logs.is_empty() {
            let g = (logs.iter().sum::<f64>() / logs.len() as f64).exp();
            lines.push(format!(
                "  {}{} time ratio (geometric mean over {} workloads)",
                pad_right("Typical change:", 20),
                pad_left(&fmt::factor(g), 12),
                logs.len()
            ));
        }
    }
    let allocs: Vec<&Verdict> = cmp
        .verdicts
        .iter()
        .filter(|v| v.metric == "alloc_bytes")
        .collect();
    if !allocs.is_empty() {
        let (b, c): (f64, f64) = allocs
            .iter()
            .fold((0.0, 0.0), |(b, c), v| (b + v.baseline, c + v.current));
        let chg = if b == 0.0 { 0.0 } else { c / b - 1.0 };
        lines.push(format!(
            "  {}{} → {} {}  (sum per operation, {} workloads)",
            pad_right("Allocations:", 20),
            pad_left(&fmt::bytes(b), 12),
            pad_right(&fmt::bytes(c), 12),
            pad_left(&format!("({})", fmt::change(b, c, chg)), 11),
            allocs.len()
        ));
    }
    let mut extra = Vec::new();
    if !cmp.added.is_empty() {
        extra.push(format!("{} added", cmp.added.len()));
    }
    if !cmp.removed.is_empty() {
        extra.push(format!("{} removed", cmp.removed.len()));
    }
    lines.push(format!(
        "  {}{}{}",
        pad_right("Workloads compared:", 20),
        pad_left(&n_workloads.to_string(), 12),
        if extra.is_empty() {
            String::new()
        } else {
            format!("    ({})", extra.join(", "))
        }
    ));
    let s = &cmp.summary;
    lines.push(format!(
        "  {}{} regressions ({} critical) · {} improvements · {} stable · {} unstable",
        pad_right("Verdicts:", 20),
        pad_left(&s.regressions.to_string(), 12),
        s.critical,
        s.improvements,
        s.stable,
        s.unstable
    ));
    lines
}

/// Groups in verdict order, each with its verdicts.
fn groups(cmp: &Comparison) -> Vec<(String, Vec<&Verdict>)> {
    let mut out: Vec<(String, Vec<&Verdict>)> = Vec::new();
    for v in &cmp.verdicts {
        match out.iter_mut().find(|(g, _)| *g == v.group) {
            Some((_, vs)) => vs.push(v),
            None => out.push((v.group.clone(), vec![v])),
        }
    }
    out
}

/// Distinct workloads of a group's verdicts, in order.
fn workloads_of<'a>(vs: &[&'a Verdict]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for v in vs {
        if !out.contains(&v.workload.as_str()) {
            out.push(&v.workload);
        }
    }
    out
}

fn sections(cmp: &Comparison) -> Vec<Section> {
    let mut sections: Vec<(usize, Section)> = Vec::new();
    for (group, vs) in groups(cmp) {
        let (order, title) = section_of(vs[0]);
        // Models and the allocation suite show every metric of each workload;
        // kernel families one line per size, then the throughput of the largest.
        let block = group == "model" || vs[0].suite == "alloc";
        let mut lines = Vec::new();
        let names = workloads_of(&vs);
        if block {
            for (i, w) in names.iter().enumerate() {
                if i > 0 {
                    lines.push(String::new());
                }
                lines.push(format!("  {w}:"));
                // The pool-off reference figures stay in METRICS_SUMMARY.md.
                for v in vs
                    .iter()
                    .filter(|v| v.workload == *w && !v.metric.ends_with("_unpooled"))
                {
                    lines.push(summary_line(&format!("  {}", metric_label(&v.metric)), v));
                }
            }
        } else {
            for w in &names {
                if let Some(v) = vs
                    .iter()
                    .find(|v| v.workload == *w && v.metric == "time_ns")
                    .or_else(|| vs.iter().find(|v| v.workload == *w))
                {
                    lines.push(summary_line(w, v));
                }
            }
            if let Some(last) = names.last()
                && let Some(v) = vs.iter().find(|v| {
                    v.workload == *last
                        && v.kind == MetricKind::Derived
                        && v.better == Better::Higher
                })
            {
                lines.push(summary_line(
                    &format!("{} ({})", metric_label(&v.metric), last),
                    v,
                ));
            }
        }
        let g = GroupLines {
            title: format!("{}:", group_title(&group)),
            lines,
        };
        match sections.iter_mut().find(|(_, s)| s.title == title) {
            Some((_, s)) => s.groups.push(g),
            None => sections.push((
                order,
                Section {
                    title: title.to_string(),
                    title_line: heading(title),
                    groups: vec![g],
                },
            )),
        }
    }
    sections.sort_by_key(|(o, _)| *o);
    sections.into_iter().map(|(_, s)| s).collect()
}

fn heading(title: &str) -> String {
    format!("│{}│", center(title, BOX + 6))
}

/// A boxed line: `│ content … │`.
fn boxed(content: &str) -> String {
    format!("│ {} │", pad_right(content, BOX + 4))
}

fn direction(v: &Verdict) -> &'static str {
    let worse = crate::compare::effect(v.change, v.better) > 0.0;
    match (v.metric.ends_with("_ns"), v.better, worse) {
        (true, _, true) => "SLOWER",
        (true, _, false) => "FASTER",
        (false, Better::Higher, true) => "LOWER",
        (false, Better::Higher, false) => "HIGHER",
        (false, Better::Lower, true) => "MORE",
        (false, Better::Lower, false) => "LESS",
    }
}

fn change_line(v: &Verdict) -> String {
    let what = match v.verdict {
        VerdictKind::Stable if v.change != 0.0 => format!(
            "{} ➡️ STABLE ({}: within noise or threshold)",
            change_of(v),
            evidence(v)
        ),
        VerdictKind::Stable => format!("{} ➡️ STABLE", change_of(v)),
        VerdictKind::Unstable => format!("{} ⚠️ UNSTABLE (multimodal samples)", change_of(v)),
        _ => format!(
            "{} {} {} ({})",
            change_of(v),
            direction(v),
            badge(v),
            evidence(v)
        ),
    };
    format!("  Change: {what}")
}

fn bar_lines(v: &Verdict, indent: &str) -> Vec<String> {
    let (b, c) = bars::pair(v.baseline, v.current, BAR);
    vec![
        boxed(&format!(
            "{indent}Baseline:  {b}  {}",
            fmt::value(v.baseline, &v.unit)
        )),
        boxed(&format!(
            "{indent}Current:   {c}  {}",
            fmt::value(v.current, &v.unit)
        )),
    ]
}

fn charts(cmp: &Comparison) -> Vec<Chart> {
    let top = format!("┌{}┐", "─".repeat(BOX + 6));
    let mid = format!("├{}┤", "─".repeat(BOX + 6));
    let bottom = format!("└{}┘", "─".repeat(BOX + 6));
    let mut out = Vec::new();
    for (group, vs) in groups(cmp) {
        let mut lines = vec![
            top.clone(),
            format!("│{}│", center(&group_title(&group), BOX + 6)),
            mid.clone(),
        ];
        let names = workloads_of(&vs);
        for (i, w) in names.iter().enumerate() {
            if i > 0 {
                lines.push(boxed(""));
            }
            lines.push(boxed(&format!("{w}:")));
            let mine: Vec<&&Verdict> = vs.iter().filter(|v| v.workload == *w).collect();
            if let Some(t) = mine.iter().find(|v| v.metric == "time_ns") {
                lines.extend(bar_lines(t, "  "));
                lines.push(boxed(&change_line(t)));
            }
            for v in mine.iter().filter(|v| {
                v.metric != "time_ns"
                    && v.metric != "pool_reduction"
                    && !v.metric.ends_with("_unpooled")
            }) {
                let label = metric_label(&v.metric);
                if v.metric.starts_with("alloc_bytes") {
                    lines.push(boxed(&format!("  {label}:")));
                    lines.extend(bar_lines(v, "    "));
                    lines.push(boxed(&format!("    Change: {} {}", change_of(v), badge(v))));
                } else {
                    lines.push(boxed(&format!(
                        "  {label}: {} → {}  ({}) {}",
                        fmt::value(v.baseline, &v.unit),
                        fmt::value(v.current, &v.unit),
                        change_of(v),
                        if v.verdict == VerdictKind::Stable {
                            ""
                        } else {
                            direction(v)
                        }
                    )));
                }
            }
            lines.extend(pool_lines(&mine));
        }
        lines.push(bottom.clone());
        out.push(Chart {
            heading: group_title(&group),
            lines,
        });
    }
    out
}

/// The buffer pool of the current run: bytes allocated without and with
/// pooling on one scale, and the reduction (its target is in the P2 actions).
fn pool_lines(mine: &[&&Verdict]) -> Vec<String> {
    let find = |m: &str| mine.iter().find(|v| v.metric == m);
    let (Some(off), Some(on), Some(red)) = (
        find("alloc_bytes_unpooled"),
        find("alloc_bytes"),
        find("pool_reduction"),
    ) else {
        return Vec::new();
    };
    let (a, b) = bars::pair(off.current, on.current, BAR - 8);
    vec![
        boxed("  Buffer pool (current run):"),
        boxed(&format!(
            "    Without pooling: {a}  {}",
            fmt::bytes(off.current)
        )),
        boxed(&format!(
            "    With pooling:    {b}  {}",
            fmt::bytes(on.current)
        )),
        boxed(&format!(
            "    Reduction: {} → {} ({}) {}",
            fmt::value(red.baseline, "ratio"),
            fmt::value(red.current, "ratio"),
            change_of(red),
            badge(red)
        )),
    ]
}

fn category(cmp: &Comparison, keep: impl Fn(&Verdict) -> bool) -> Vec<CategoryRow> {
    let mut rows: Vec<&Verdict> = cmp
        .verdicts
        .iter()
        .filter(|v| v.kind != MetricKind::Derived && keep(v))
        .collect();
    rows.sort_by(|a, b| {
        crate::compare::effect(b.change, b.better)
            .abs()
            .total_cmp(&crate::compare::effect(a.change, a.better).abs())
    });
    rows.into_iter()
        .map(|v| CategoryRow {
            workload_md: escape_md(&v.workload),
            metric: escape_md(&metric_label(&v.metric)),
            change: change_of(v),
            status: badge(v),
            evidence: escape_md(&evidence(v)),
        })
        .collect()
}

fn metric_groups(cmp: &Comparison) -> Vec<MetricGroup> {
    groups(cmp)
        .into_iter()
        .map(|(g, vs)| MetricGroup {
            title: group_title(&g),
            rows: vs
                .into_iter()
                .map(|v| MetricRow {
                    workload_md: escape_md(&v.workload),
                    metric_md: escape_md(&v.metric),
                    kind: match v.kind {
                        MetricKind::Sampled => "sampled".into(),
                        MetricKind::Derived => format!(
                            "derived ({})",
                            escape_md(v.derived_from.as_deref().unwrap_or("?"))
                        ),
                        MetricKind::Deterministic => "exact".into(),
                    },
                    baseline: fmt::value(v.baseline, &v.unit),
                    current: fmt::value(v.current, &v.unit),
                    change: change_of(v),
                    ci95: v
                        .ci95
                        .map(|[lo, hi]| format!("[{:+.1}, {:+.1}] %", lo * 100.0, hi * 100.0))
                        .unwrap_or_else(|| "—".into()),
                    p: fmt::p(v.p_value),
                    q: fmt::p(v.q_value),
                    n: format!("{}/{}", v.n[0], v.n[1]),
                    threshold: format!(
                        "{:.1} % ({})",
                        v.threshold * 100.0,
                        match v.threshold_source {
                            crate::compare::model::ThresholdSource::Default => "default",
                            crate::compare::model::ThresholdSource::Config => "config",
                            crate::compare::model::ThresholdSource::Calibrated => "calibrated",
                        }
                    ),
                    verdict: badge(v),
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_times() {
        assert_eq!(
            long_time("2026-02-04T02:38:19Z"),
            "February 4, 2026 02:38 UTC"
        );
        assert_eq!(long_time("garbage"), "garbage");
    }
}
