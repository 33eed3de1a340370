//! The view model every template renders: figures formatted, lines laid out,
//! text from results cleaned for plain text (markdown templates escape it).
//! Built once from a [`Comparison`]; it decides nothing (the verdicts, causes
//! and actions are the comparison's).
//!
//! One concept a file: `model` (the types), `frame` (box drawing), `header`
//! (sides, environment, decision rule), `groups`, `summary` (SUMMARY.txt),
//! `charts` (COMPARISON_CHART.md), `tables` (METRICS_SUMMARY.md) and `pr`
//! (the PR comment's rows); this file assembles them.

mod charts;
mod frame;
mod groups;
mod header;
mod model;
mod pr;
mod summary;
mod tables;

pub use model::{
    ActionView, CategoryRow, CauseView, Chart, Counts, EnvRow, GroupLines, Headings, MetricGroup,
    MetricRow, PrRow, PrView, Section, SettingsView, SideView, View,
};

use super::findings::{action, cause, story, unconfirmed_notice};
use super::text::{center, plain, wrap};
use crate::compare::model::{Comparison, Priority, VerdictKind};
use charts::charts;
use frame::{BOX, heading};
use header::{decision_rule, env_rows, long_time, side_view, test_name};
use summary::{overall, sections};
use tables::{category, metric_groups};

impl View {
    /// Lay out a comparison for the templates.
    pub fn new(cmp: &Comparison) -> View {
        let env_rows = env_rows(cmp);
        let diffs: Vec<String> = cmp
            .env_differences
            .iter()
            .map(|d| {
                format!(
                    "{} {} → {}",
                    plain(&d.field),
                    plain(&d.baseline),
                    plain(&d.current)
                )
            })
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
                    text: action(cmp, a),
                    command: a.command.as_deref().map(plain).unwrap_or_default(),
                    files: a.files.iter().map(|f| plain(f)).collect(),
                })
                .collect()
        };
        let p0 = actions(Priority::P0, 0);
        let p1 = actions(Priority::P1, p0.len());
        let p2 = actions(Priority::P2, p0.len() + p1.len());
        let charts = charts(cmp);
        let longest_ticks = charts
            .iter()
            .flat_map(|c| c.lines.iter())
            .map(|l| l.split(|c| c != '`').map(str::len).max().unwrap_or(0))
            .max()
            .unwrap_or(0);
        let rule = "═".repeat(79);
        View {
            title_time: long_time(&cmp.created_at),
            created_at: plain(&cmp.created_at),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            baseline: side_view(&cmp.baseline),
            current: side_view(&cmp.current),
            env_differs: !cmp.env_differences.is_empty(),
            env_warning,
            env_rows,
            unconfirmed_lines: unconfirmed_notice(cmp)
                .map(|n| wrap(&n, 79, "", ""))
                .unwrap_or_default(),
            unconfirmed: unconfirmed_notice(cmp).unwrap_or_default(),
            confirmation: cmp.confirmation.as_str().to_string(),
            headline: plain(&cmp.summary.headline),
            counts: Counts {
                regressions: cmp.summary.regressions,
                improvements: cmp.summary.improvements,
                stable: cmp.summary.stable,
                unstable: cmp.summary.unstable,
                inconclusive: cmp.summary.inconclusive,
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
            decision_rule: decision_rule(cmp),
            test_name: test_name(cmp),
            overall: overall(cmp, workloads.len()),
            sections: sections(cmp),
            fence: "`".repeat((longest_ticks + 1).max(3)),
            charts,
            improvements: category(cmp, |v| v.verdict == VerdictKind::Improvement),
            regressions: category(cmp, |v| v.verdict == VerdictKind::Regression),
            unstable: category(cmp, |v| {
                matches!(v.verdict, VerdictKind::Unstable | VerdictKind::Inconclusive)
            }),
            borderline: category(cmp, |v| v.borderline),
            metric_groups: metric_groups(cmp),
            root_causes: cmp
                .root_causes
                .iter()
                .enumerate()
                .map(|(i, rc)| {
                    let t = cause(cmp, rc);
                    CauseView {
                        number: i + 1,
                        title: t.title,
                        confirmed: t.confirmed,
                        workloads: rc.workloads.iter().map(|w| plain(w)).collect(),
                        evidence: t.evidence,
                    }
                })
                .collect(),
            p0,
            p1,
            p2,
            success: cmp.success_stories.iter().map(|s| story(cmp, s)).collect(),
            pr: pr::rows(cmp),
            added: cmp.added.iter().map(|w| plain(w)).collect(),
            removed: cmp.removed.iter().map(|w| plain(w)).collect(),
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
