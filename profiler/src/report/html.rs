//! Self-contained HTML reports: inline SVG charts drawn with `plotters`, one file,
//! no scripts, no network, no external assets (it opens from a CI artifact as is).
//!
//! The pages are tera templates (`templates/html/`), embedded and overridable by a
//! directory holding `compare.html.tera` / `history.html.tera` / `style.css.tera`.

use crate::compare::model::{Comparison, Verdict, VerdictKind};
use crate::error::{Error, Result};
use crate::history::render::figure;
use crate::history::{History, Series};
use plotters::prelude::*;
use serde::Serialize;
use std::path::Path;

const COMPARE_TEMPLATE: &str = include_str!("../../../templates/html/compare.html.tera");
const HISTORY_TEMPLATE: &str = include_str!("../../../templates/html/history.html.tera");
const STYLE: &str = include_str!("../../../templates/html/style.css.tera");

const GREY: RGBColor = RGBColor(175, 184, 193);
const RED: RGBColor = RGBColor(207, 34, 46);
const GREEN: RGBColor = RGBColor(26, 127, 55);
const BLUE: RGBColor = RGBColor(9, 105, 218);
const AMBER: RGBColor = RGBColor(191, 135, 0);

#[derive(Debug, Serialize)]
struct Chart {
    id: String,
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
    verdict: &'static str,
    label: String,
}

/// The comparison page: bar charts per group and metric, the verdict table, root
/// causes and actions, and (when given) the history of the compared workloads.
pub fn comparison_page(
    c: &Comparison,
    history: Option<&History>,
    templates: Option<&Path>,
) -> Result<String> {
    let mut charts = Vec::new();
    // One chart per (group, metric), in first-seen order.
    let mut keys: Vec<(String, String)> = Vec::new();
    for v in &c.verdicts {
        let k = (v.group.clone(), v.metric.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for (i, (group, metric)) in keys.iter().enumerate() {
        let vs: Vec<&Verdict> = c
            .verdicts
            .iter()
            .filter(|v| &v.group == group && &v.metric == metric)
            .collect();
        charts.push(Chart {
            id: format!("bars-{i}"),
            svg: bar_chart(&format!("{group} · {metric}"), &vs)?,
        });
    }
    let rows: Vec<Row> = c
        .verdicts
        .iter()
        .map(|v| Row {
            workload: v.workload.clone(),
            metric: v.metric.clone(),
            baseline: figure(v.baseline, &v.unit),
            current: figure(v.current, &v.unit),
            change: format!("{:+.1}%", v.change * 100.0),
            ci: v.ci95.map_or_else(
                || "—".into(),
                |ci| format!("[{:+.1}%, {:+.1}%]", ci[0] * 100.0, ci[1] * 100.0),
            ),
            q: v.q_value.map_or_else(|| "—".into(), |q| format!("{q:.4}")),
            verdict: v.verdict.as_str(),
            label: v.severity.map_or_else(
                || v.verdict.as_str().to_uppercase(),
                |s| s.label().to_string(),
            ),
        })
        .collect();
    let history_charts = match history {
        Some(h) => {
            let compared: Vec<&str> = c.verdicts.iter().map(|v| v.workload.as_str()).collect();
            let series: Vec<&Series> = h
                .series
                .iter()
                .filter(|s| compared.contains(&s.workload.as_str()))
                .collect();
            history_charts(h, &series)?
        }
        None => Vec::new(),
    };
    let mut ctx = tera::Context::new();
    ctx.insert("c", c);
    ctx.insert("charts", &charts);
    ctx.insert("rows", &rows);
    ctx.insert("history_charts", &history_charts);
    ctx.insert(
        "threshold_pct",
        &format!("{:.1}", c.settings.threshold * 100.0),
    );
    render("compare.html.tera", COMPARE_TEMPLATE, templates, &mut ctx)
}

#[derive(Debug, Serialize)]
struct ShiftRow {
    workload: String,
    short: String,
    subject: String,
    time: String,
    before: String,
    after: String,
    change: String,
    p: String,
    regression: bool,
}

/// The history page: the change points as a table, then one line chart per series
/// with its change points marked.
pub fn history_page(h: &History) -> Result<String> {
    history_page_with(h, None)
}

/// [`history_page`] with templates overridden from a directory.
pub fn history_page_with(h: &History, templates: Option<&Path>) -> Result<String> {
    let all: Vec<&Series> = h.series.iter().collect();
    let charts = history_charts(h, &all)?;
    let shifts: Vec<ShiftRow> = h
        .series
        .iter()
        .flat_map(|s| {
            s.change_points.iter().map(move |c| ShiftRow {
                workload: s.workload.clone(),
                short: c.short.clone(),
                subject: c.subject.clone(),
                time: c.time.clone(),
                before: figure(c.before, &s.unit),
                after: figure(c.after, &s.unit),
                change: format!("{:+.1}%", c.change * 100.0),
                p: format!("{:.4}", c.p_value),
                regression: c.regression,
            })
        })
        .collect();
    let span = match (h.commits.first(), h.commits.last()) {
        (Some(a), Some(b)) => format!(", {} … {}", a.commit.short, b.commit.short),
        _ => String::new(),
    };
    let mut ctx = tera::Context::new();
    ctx.insert("h", h);
    ctx.insert("charts", &charts);
    ctx.insert("shifts", &shifts);
    ctx.insert("span", &span);
    render("history.html.tera", HISTORY_TEMPLATE, templates, &mut ctx)
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

/// Horizontal bars: per workload, the baseline (grey, 100 %) and the current median
/// as a percentage of it, coloured by verdict, with the change's 95 % interval.
fn bar_chart(title: &str, vs: &[&Verdict]) -> Result<String> {
    let n = vs.len();
    let pct = |v: &Verdict| 100.0 * (1.0 + v.change);
    let hi = vs
        .iter()
        .map(|v| {
            let top = v.ci95.map_or(pct(v), |ci| 100.0 * (1.0 + ci[1]));
            top.max(pct(v))
        })
        .fold(100.0f64, f64::max)
        .min(1000.0)
        * 1.08;
    let height = (70 + 30 * n) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let names: Vec<String> = vs.iter().map(|v| v.workload.clone()).collect();
        let label = |y: &f64| -> String {
            let i = y.round();
            if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                names[n - 1 - i as usize].clone()
            } else {
                String::new()
            }
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(190)
            .build_cartesian_2d(0f64..hi, -0.5f64..(n as f64 - 0.5))
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&label)
            .x_desc("% of baseline")
            .x_label_formatter(&|x| format!("{x:.0}%"))
            .draw()
            .map_err(plot_err)?;
        // Workload i (top first) sits at y = n − 1 − i.
        let y_of = |i: usize| (n - 1 - i) as f64;
        chart
            .draw_series(vs.iter().enumerate().map(|(i, _)| {
                let y = y_of(i);
                Rectangle::new([(0.0, y + 0.02), (100.0, y + 0.32)], GREY.filled())
            }))
            .map_err(plot_err)?;
        chart
            .draw_series(vs.iter().enumerate().map(|(i, v)| {
                let y = y_of(i);
                let color = match v.verdict {
                    VerdictKind::Regression => RED,
                    VerdictKind::Improvement => GREEN,
                    VerdictKind::Stable => BLUE,
                    VerdictKind::Unstable | VerdictKind::Inconclusive => AMBER,
                };
                Rectangle::new(
                    [(0.0, y - 0.32), (pct(v).min(hi), y - 0.02)],
                    color.filled(),
                )
            }))
            .map_err(plot_err)?;
        chart
            .draw_series(vs.iter().enumerate().filter_map(|(i, v)| {
                let ci = v.ci95?;
                let y = y_of(i) - 0.17;
                let (a, b) = (100.0 * (1.0 + ci[0]), (100.0 * (1.0 + ci[1])).min(hi));
                Some(PathElement::new(
                    vec![(a, y), (b, y)],
                    BLACK.stroke_width(2),
                ))
            }))
            .map_err(plot_err)?;
        chart
            .draw_series(vs.iter().enumerate().map(|(i, v)| {
                Text::new(
                    format!("{:+.1}%", v.change * 100.0),
                    ((pct(v) + hi * 0.01).min(hi * 0.93), y_of(i) - 0.3),
                    ("sans-serif", 12),
                )
            }))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

fn history_charts(h: &History, series: &[&Series]) -> Result<Vec<Chart>> {
    series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Ok(Chart {
                id: format!("history-{i}"),
                svg: line_chart(h, s)?,
            })
        })
        .collect()
}

/// A series along the commits, change points as vertical lines (red: regression,
/// green: improvement) labelled with the commit and the shift.
fn line_chart(h: &History, s: &Series) -> Result<String> {
    let xs: Vec<(f64, f64)> = s.points.iter().map(|&(i, v)| (i as f64, v)).collect();
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.02).max(1e-9);
    let (y0, y1) = ((lo - pad).max(0.0), hi + pad);
    let x1 = (h.commits.len().max(2) - 1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let shorts: Vec<&str> = h.commits.iter().map(|c| c.commit.short.as_str()).collect();
        let xlabel = |x: &f64| -> String {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < shorts.len() {
                shorts[i as usize].to_string()
            } else {
                String::new()
            }
        };
        let unit = s.unit.clone();
        let ylabel = move |y: &f64| figure(*y, &unit);
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{} · {}", s.workload, s.metric), ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.5f64..x1 + 0.5, y0..y1)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_labels(12)
            .x_label_formatter(&xlabel)
            .y_labels(6)
            .y_label_formatter(&ylabel)
            .draw()
            .map_err(plot_err)?;
        for c in &s.change_points {
            let color = if c.regression { RED } else { GREEN };
            let x = c.commit as f64 - 0.5;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, y0), (x, y1)],
                    color.stroke_width(2),
                )))
                .map_err(plot_err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{} {:+.1}%", c.short, c.change * 100.0),
                    (x + 0.1, y1 - (y1 - y0) * 0.04),
                    ("sans-serif", 12).into_font().color(&color),
                )))
                .map_err(plot_err)?;
        }
        chart
            .draw_series(LineSeries::new(xs.iter().copied(), BLUE.stroke_width(2)))
            .map_err(plot_err)?;
        chart
            .draw_series(xs.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}
