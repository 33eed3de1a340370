//! Self-contained HTML reports: inline SVG charts drawn with `plotters`, one
//! file, no scripts, no network, no external assets (it opens from a CI
//! artifact as is), and no emoji: verdicts are words with inline SVG marks,
//! so a machine without an emoji font shows the same page.
//!
//! The comparison page draws a chart only where a figure moved (a family and
//! metric with a verdict other than stable), in catalogue order; figures use
//! the units of every other report. The pages are tera templates beside this
//! file, embedded and overridable by a directory holding `compare.html.tera` /
//! `history.html.tera` / `style.css.tera`. Tera escapes every string for HTML;
//! plotters escapes SVG text.

mod bars;
mod lines;

use super::findings::{action, cause, story, unconfirmed_notice};
use super::history::env_label;
use super::labels::{change_of, metric_label, verdict_word};
use super::text::plain;
use super::units;
use crate::analysis::metrics::is_primary;
use crate::compare::model::{Comparison, Verdict, VerdictKind};
use crate::error::{Error, Result};
use crate::history::{History, Series, catalogue_order};
use serde::Serialize;
use std::path::Path;

const COMPARE_TEMPLATE: &str = include_str!("compare.html.tera");
const HISTORY_TEMPLATE: &str = include_str!("history.html.tera");
const STYLE: &str = include_str!("style.css.tera");

#[derive(Debug, Serialize)]
struct Chart {
    id: String,
    title: String,
    svg: String,
}

#[derive(Debug, Serialize)]
struct Row {
    workload: String,
    metric: String,
    baseline: String,
    current: String,
    change: String,
    ci: String,
    q: String,
    /// The verdict kind: the row's CSS class and mark.
    verdict: &'static str,
    label: String,
    borderline: bool,
}

/// A side of the comparison, cleaned of control characters (tera escapes
/// the rest for HTML).
#[derive(Debug, Serialize)]
struct SideRow {
    label: String,
    reference: String,
    short: String,
    subject: String,
}

fn side_row(s: &crate::compare::model::Side) -> SideRow {
    SideRow {
        label: plain(&s.label),
        reference: plain(&s.reference),
        short: s
            .commit
            .as_ref()
            .map(|c| plain(&c.short))
            .unwrap_or_default(),
        subject: s
            .commit
            .as_ref()
            .map(|c| plain(&c.subject))
            .unwrap_or_default(),
    }
}

#[derive(Debug, Serialize)]
struct CauseRow {
    title: String,
    evidence: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ActionRow {
    priority: String,
    text: String,
    command: String,
}

/// The comparison page: the root causes and actions, a bar chart for each
/// family and metric where something moved, the verdict table, and (when
/// given) the history of the workloads that changed.
pub fn comparison_page(
    c: &Comparison,
    history: Option<&History>,
    templates: Option<&Path>,
) -> Result<String> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for v in c.verdicts.iter().filter(|v| v.is_independent()) {
        let k = (v.group.clone(), v.metric.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let group_order = |g: &str| {
        c.verdicts
            .iter()
            .filter(|v| v.group == g)
            .map(|v| catalogue_order(&v.workload))
            .min()
    };
    keys.sort_by_cached_key(|(g, _)| group_order(g));
    let mut charts = Vec::new();
    for (group, metric) in &keys {
        let mut vs: Vec<&Verdict> = c
            .verdicts
            .iter()
            .filter(|v| &v.group == group && &v.metric == metric)
            .collect();
        if vs.iter().all(|v| v.verdict == VerdictKind::Stable) {
            continue;
        }
        vs.sort_by_cached_key(|v| catalogue_order(&v.workload));
        let title = format!("{} · {}", plain(group), metric_label(metric));
        charts.push(Chart {
            id: format!("bars-{}", charts.len()),
            svg: bars::chart(&title, &vs)?,
            title,
        });
    }
    let unchanged_charts = keys.len() - charts.len();
    let (rows, stable_rows): (Vec<Row>, Vec<Row>) = c
        .verdicts
        .iter()
        .map(|v| Row {
            workload: plain(&v.workload),
            metric: metric_label(&v.metric),
            baseline: units::value(v.baseline, &v.unit),
            current: units::value(v.current, &v.unit),
            change: change_of(v),
            ci: v.ci95.map_or_else(|| "—".into(), units::interval),
            q: units::p(v.q_value),
            verdict: v.verdict.as_str(),
            label: verdict_word(v).to_string(),
            borderline: v.borderline,
        })
        .partition(|r| r.verdict != "stable");
    let history_charts = match history {
        Some(h) => {
            let changed: Vec<&str> = c
                .verdicts
                .iter()
                .filter(|v| is_primary(&v.metric) && v.verdict != VerdictKind::Stable)
                .map(|v| v.workload.as_str())
                .collect();
            history_charts(h, &|s: &Series| changed.contains(&s.workload.as_str()))?
        }
        None => Vec::new(),
    };
    let causes: Vec<CauseRow> = c
        .root_causes
        .iter()
        .map(|rc| {
            let t = cause(c, rc);
            CauseRow {
                title: t.title,
                evidence: t.evidence,
            }
        })
        .collect();
    let actions: Vec<ActionRow> = c
        .actions
        .iter()
        .map(|a| ActionRow {
            priority: format!("{:?}", a.priority),
            text: action(c, a),
            command: a.command.clone().unwrap_or_default(),
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("c", c);
    ctx.insert("baseline", &side_row(&c.baseline));
    ctx.insert("current", &side_row(&c.current));
    ctx.insert("headline", &plain(&c.summary.headline));
    ctx.insert(
        "env_differences",
        &c.env_differences
            .iter()
            .map(|d| {
                format!(
                    "{}: {} → {}",
                    plain(&d.field),
                    plain(&d.baseline),
                    plain(&d.current)
                )
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "added",
        &c.added.iter().map(|w| plain(w)).collect::<Vec<_>>(),
    );
    ctx.insert(
        "removed",
        &c.removed.iter().map(|w| plain(w)).collect::<Vec<_>>(),
    );
    ctx.insert("charts", &charts);
    ctx.insert("unchanged_charts", &unchanged_charts);
    ctx.insert("rows", &rows);
    ctx.insert("stable_rows", &stable_rows);
    ctx.insert("causes", &causes);
    ctx.insert("actions", &actions);
    ctx.insert(
        "stories",
        &c.success_stories
            .iter()
            .map(|s| story(c, s))
            .collect::<Vec<_>>(),
    );
    ctx.insert("unconfirmed", &unconfirmed_notice(c).unwrap_or_default());
    ctx.insert("history_charts", &history_charts);
    ctx.insert("threshold", &units::threshold(c.settings.threshold));
    render("compare.html.tera", COMPARE_TEMPLATE, templates, &mut ctx)
}

#[derive(Debug, Serialize)]
struct ShiftRow {
    workload: String,
    environment: String,
    short: String,
    subject: String,
    time: String,
    before: String,
    after: String,
    change: String,
    p: String,
    regression: bool,
}

#[derive(Debug, Serialize)]
struct EnvChangeRow {
    short: String,
    subject: String,
    from: String,
    to: String,
    fields: String,
}

/// The history page: change points and environment changes as tables, then
/// one line chart per workload (a line per environment) with its change
/// points marked.
pub fn history_page(h: &History) -> Result<String> {
    history_page_with(h, None)
}

/// [`history_page`] with templates overridden from a directory.
pub fn history_page_with(h: &History, templates: Option<&Path>) -> Result<String> {
    let charts = history_charts(h, &|_| true)?;
    let shifts: Vec<ShiftRow> = h
        .series
        .iter()
        .flat_map(|s| {
            s.change_points.iter().map(move |c| ShiftRow {
                workload: plain(&s.workload),
                environment: env_label(h, s.env),
                short: plain(&c.short),
                subject: plain(&c.subject),
                time: plain(&c.time),
                before: units::value(c.before, &s.unit),
                after: units::value(c.after, &s.unit),
                change: units::relative(c.change),
                p: units::p(Some(c.p_value)),
                regression: c.regression,
            })
        })
        .collect();
    let env_changes: Vec<EnvChangeRow> = h
        .env_changes
        .iter()
        .map(|e| {
            let commit = &h.commits[e.commit].commit;
            EnvChangeRow {
                short: plain(&commit.short),
                subject: plain(&commit.subject),
                from: env_label(h, e.from),
                to: env_label(h, e.to),
                fields: e.fields.join(", "),
            }
        })
        .collect();
    let span = match (h.commits.first(), h.commits.last()) {
        (Some(a), Some(b)) => format!(", {} … {}", plain(&a.commit.short), plain(&b.commit.short)),
        _ => String::new(),
    };
    let mut ctx = tera::Context::new();
    ctx.insert("h", h);
    ctx.insert("metric", &plain(&h.metric));
    ctx.insert(
        "warnings",
        &h.warnings.iter().map(|w| plain(w)).collect::<Vec<_>>(),
    );
    ctx.insert("charts", &charts);
    ctx.insert("shifts", &shifts);
    ctx.insert("env_changes", &env_changes);
    ctx.insert("span", &span);
    render("history.html.tera", HISTORY_TEMPLATE, templates, &mut ctx)
}

/// One line chart per workload whose series `keep` selects, in the history's
/// (catalogue) order; the workload's series of every environment share it.
fn history_charts(h: &History, keep: &dyn Fn(&Series) -> bool) -> Result<Vec<Chart>> {
    let mut workloads: Vec<&str> = Vec::new();
    for s in h.series.iter().filter(|s| keep(s)) {
        if !workloads.contains(&s.workload.as_str()) {
            workloads.push(&s.workload);
        }
    }
    workloads
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let series: Vec<&Series> = h.series.iter().filter(|s| s.workload == *w).collect();
            let title = format!("{} · {}", plain(w), metric_label(&h.metric));
            Ok(Chart {
                id: format!("history-{i}"),
                svg: lines::chart(h, &title, &series)?,
                title,
            })
        })
        .collect()
}

fn render(
    name: &str,
    embedded: &str,
    templates: Option<&Path>,
    ctx: &mut tera::Context,
) -> Result<String> {
    let load = |file: &str, fallback: &str| -> Result<String> {
        if let Some(dir) = templates {
            let p = dir.join(file);
            if p.is_file() {
                return std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e));
            }
        }
        Ok(fallback.to_string())
    };
    ctx.insert("style", &load("style.css.tera", STYLE)?);
    let source = load(name, embedded)?;
    tera::Tera::one_off(&source, ctx, true).map_err(|e| Error::Template {
        name: name.to_string(),
        reason: chain(&e),
    })
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn plot_err(e: impl std::fmt::Display) -> Error {
    Error::Other {
        what: "drawing an SVG chart".into(),
        reason: e.to_string(),
    }
}
