//! COMPARISON_CHART.md's boxed charts: baseline and current bars per workload,
//! the change, and the buffer pool.

use super::frame::{BAR, BOX, boxed};
use super::groups::{groups, workloads_of};
use super::model::Chart;
use crate::compare::model::{Comparison, Verdict, VerdictKind};
use crate::report::bars;
use crate::report::labels::{badge, change_of, direction, evidence, group_title, metric_label};
use crate::report::text::{center, plain};
use crate::report::units as fmt;

pub(super) fn change_line(cmp: &Comparison, v: &Verdict) -> String {
    let what = match v.verdict {
        VerdictKind::Stable if v.change != 0.0 => format!(
            "{} ➡️ STABLE ({}: within noise or threshold)",
            change_of(v),
            evidence(v)
        ),
        VerdictKind::Stable => format!("{} ➡️ STABLE", change_of(v)),
        VerdictKind::Unstable => format!("{} ⚠️ UNSTABLE (multimodal samples)", change_of(v)),
        VerdictKind::Inconclusive => format!(
            "{} ⚠️ INCONCLUSIVE (undecided after {} rounds)",
            change_of(v),
            crate::report::labels::rounds(cmp)
        ),
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

pub(super) fn bar_lines(v: &Verdict, indent: &str) -> Vec<String> {
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

pub(super) fn charts(cmp: &Comparison) -> Vec<Chart> {
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
            lines.push(boxed(&format!("{}:", plain(w))));
            let mine: Vec<&&Verdict> = vs.iter().filter(|v| v.workload == *w).collect();
            if let Some(t) = mine.iter().find(|v| v.metric == "time_ns") {
                lines.extend(bar_lines(t, "  "));
                lines.push(boxed(&change_line(cmp, t)));
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
pub(super) fn pool_lines(mine: &[&&Verdict]) -> Vec<String> {
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
