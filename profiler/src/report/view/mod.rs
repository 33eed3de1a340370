//! The view model every template renders: figures formatted, lines laid out,
//! text from results escaped for markdown. Built once from a [`Comparison`];
//! it decides nothing (the verdicts, causes and actions are the comparison's).
//!
//! One concept a file: `model` (the types), `labels` (how things are named),
//! `frame` (box drawing), `header` (sides and environment), `groups`,
//! `summary` (SUMMARY.txt), `charts` (COMPARISON_CHART.md) and `tables`
//! (METRICS_SUMMARY.md); this file assembles them.

mod charts;
mod frame;
mod groups;
mod header;
mod labels;
mod model;
mod summary;
mod tables;

pub use labels::{badge, metric_label};
pub use model::{
    ActionView, CategoryRow, CauseView, Chart, Counts, EnvRow, GroupLines, Headings, MetricGroup,
    MetricRow, Section, SettingsView, SideView, View,
};

use crate::compare::model::{Comparison, Priority, VerdictKind};
use crate::report::text::{center, escape_md};
use charts::charts;
use frame::{BOX, heading};
use header::{env_rows, long_time, side_view};
use summary::{overall, sections};
use tables::{category, metric_groups};

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
