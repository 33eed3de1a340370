//! SUMMARY.txt's blocks: the OVERALL lines and the sections of one line per
//! workload (or per metric, for models and the allocation suite).

use super::frame::heading;
use super::groups::{groups, workloads_of};
use super::model::{GroupLines, Section};
use crate::compare::model::{Comparison, Verdict};
use crate::report::labels::{badge, change_of, evidence, group_title, metric_label};
use crate::report::text::{pad_left, pad_right, plain};
use crate::report::units as fmt;
use crate::result::{Better, MetricKind};

/// Overall lines: sums are shown for orientation and marked as untested.
pub(super) fn overall(cmp: &Comparison, n_workloads: usize) -> Vec<String> {
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
        "  {}{} regressions ({} critical) · {} improvements · {} stable · {} unstable{}",
        pad_right("Verdicts:", 20),
        pad_left(&s.regressions.to_string(), 12),
        s.critical,
        s.improvements,
        s.stable,
        s.unstable,
        if s.inconclusive > 0 {
            format!(" · {} undecided", s.inconclusive)
        } else {
            String::new()
        }
    ));
    lines
}

pub(super) fn section_of(v: &Verdict) -> (usize, &'static str) {
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

/// `  label     base → cur   (change)  badge  evidence`
pub(super) fn summary_line(label: &str, v: &Verdict) -> String {
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

pub(super) fn sections(cmp: &Comparison) -> Vec<Section> {
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
                lines.push(format!("  {}:", plain(w)));
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
                    lines.push(summary_line(&plain(w), v));
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
                    &format!("{} ({})", metric_label(&v.metric), plain(last)),
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
