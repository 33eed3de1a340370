//! A workload along the commits: one line per environment, change points as
//! vertical lines (red: regression, green: improvement) labelled with the
//! commit and the shift, environment changes as dashed grey lines. One scale
//! for the whole y axis (its unit in the axis title), commit labels thinned to
//! what fits.

use super::bars::{BLUE, CAPTION, GREEN, LABEL, RED};
use super::plot_err;
use crate::error::Result;
use crate::history::{History, Series};
use crate::report::history::env_label;
use crate::report::text::plain;
use crate::report::units::{self, Scale};
use plotters::prelude::*;

/// Colours of the environments' lines, in order.
const ENV_COLORS: [RGBColor; 4] = [
    BLUE,
    RGBColor(130, 80, 223),
    RGBColor(188, 76, 0),
    RGBColor(27, 124, 131),
];
const MUTED: RGBColor = RGBColor(110, 119, 129);

pub(super) fn chart(h: &History, title: &str, series: &[&Series]) -> Result<String> {
    let all: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|&(i, v)| (i as f64, v)))
        .collect();
    let (lo, hi) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    // At least ±5 % around the middle: run-to-run noise of a percent must not
    // fill the chart as a step would.
    let mid = (lo + hi) / 2.0;
    let half = ((hi - lo) / 2.0 * 1.15).max(mid.abs() * 0.05).max(1e-9);
    let (y0, y1) = ((mid - half).max(0.0), mid + half);
    let x1 = (h.commits.len().max(2) - 1) as f64;
    let unit = series.first().map_or("", |s| s.unit.as_str());
    let scale = Scale::for_values(y1, unit);
    let span = y1 - y0;
    let several = h.environments.len() > 1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 340)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let shorts: Vec<String> = h.commits.iter().map(|c| plain(&c.commit.short)).collect();
        // Every k-th commit labelled, at most 8 labels.
        let step = shorts.len().div_ceil(8).max(1);
        let xlabel = |x: &f64| -> String {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < shorts.len() {
                let i = i as usize;
                if i.is_multiple_of(step) {
                    return shorts[i].chars().take(7).collect();
                }
            }
            String::new()
        };
        let ylabel = |y: &f64| scale.label(*y, span);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", CAPTION))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5f64..x1 + 0.5, y0..y1)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_labels(shorts.len().min(60))
            .x_label_formatter(&xlabel)
            .y_labels(6)
            .y_label_formatter(&ylabel)
            .y_desc(scale.suffix.clone())
            .x_desc("commit")
            .label_style(("sans-serif", LABEL))
            .axis_desc_style(("sans-serif", LABEL))
            .draw()
            .map_err(plot_err)?;
        for e in &h.env_changes {
            let x = e.commit as f64 - 0.5;
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x, y0), (x, y1)],
                    6,
                    4,
                    MUTED.stroke_width(2),
                ))
                .map_err(plot_err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    "environment",
                    (x + 0.1, y0 + (y1 - y0) * 0.08),
                    ("sans-serif", LABEL).into_font().color(&MUTED),
                )))
                .map_err(plot_err)?;
        }
        for s in series {
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
                        format!("{} {}", plain(&c.short), units::relative(c.change)),
                        (x + 0.1, y1 - (y1 - y0) * 0.04),
                        ("sans-serif", LABEL).into_font().color(&color),
                    )))
                    .map_err(plot_err)?;
            }
        }
        for s in series {
            let color = ENV_COLORS[s.env % ENV_COLORS.len()];
            let xs: Vec<(f64, f64)> = s.points.iter().map(|&(i, v)| (i as f64, v)).collect();
            let drawn = chart
                .draw_series(LineSeries::new(xs.iter().copied(), color.stroke_width(2)))
                .map_err(plot_err)?;
            if several {
                drawn.label(env_label(h, s.env)).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
                });
            }
            chart
                .draw_series(xs.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(plot_err)?;
        }
        if several {
            chart
                .configure_series_labels()
                .label_font(("sans-serif", LABEL))
                .background_style(WHITE.mix(0.85))
                .border_style(MUTED)
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(plot_err)?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}
