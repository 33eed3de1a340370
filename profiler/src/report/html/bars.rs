//! Horizontal bars: per workload, the baseline (grey, 100 %) and the current
//! median as a percentage of it, coloured by verdict, with the change's 95 %
//! interval as a whisker and the change written beside it.

use super::plot_err;
use crate::compare::model::{Verdict, VerdictKind};
use crate::error::Result;
use crate::report::labels::change_of;
use crate::report::text::plain;
use plotters::prelude::*;

const GREY: RGBColor = RGBColor(175, 184, 193);
pub(super) const RED: RGBColor = RGBColor(207, 34, 46);
pub(super) const GREEN: RGBColor = RGBColor(26, 127, 55);
pub(super) const BLUE: RGBColor = RGBColor(9, 105, 218);
const AMBER: RGBColor = RGBColor(191, 135, 0);
const TEXT: RGBColor = RGBColor(31, 35, 40);

/// Font sizes in pixels of the 860-pixel-wide drawing (pages scale it down
/// to their width, so these stay readable).
pub(super) const CAPTION: u32 = 22;
pub(super) const LABEL: u32 = 18;

pub(super) fn color(kind: VerdictKind) -> RGBColor {
    match kind {
        VerdictKind::Regression => RED,
        VerdictKind::Improvement => GREEN,
        VerdictKind::Stable => BLUE,
        VerdictKind::Unstable | VerdictKind::Inconclusive => AMBER,
    }
}

/// The chart of one family and metric, workloads top to bottom in the given order.
pub(super) fn chart(title: &str, vs: &[&Verdict]) -> Result<String> {
    let n = vs.len();
    // The current side as a percentage of the baseline, and the change's
    // interval in the same terms; a "new" figure (zero baseline) draws at the cap.
    let pct = |v: &Verdict| 100.0 * (1.0 + v.change);
    let hi = vs
        .iter()
        .map(|v| {
            let top = v.ci95.map_or(pct(v), |ci| 100.0 * (1.0 + ci[1]));
            top.max(pct(v))
        })
        .fold(100.0f64, f64::max)
        .min(400.0)
        * 1.12;
    let height = (80 + 36 * n) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let names: Vec<String> = vs.iter().map(|v| plain(&v.workload)).collect();
        let label = |y: &f64| -> String {
            let i = y.round();
            if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                names[n - 1 - i as usize].clone()
            } else {
                String::new()
            }
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", CAPTION).into_font().color(&TEXT))
            .margin(10)
            .x_label_area_size(44)
            .y_label_area_size(230)
            .build_cartesian_2d(0f64..hi, -0.5f64..(n as f64 - 0.5))
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&label)
            .x_labels(6)
            .x_desc("current as % of baseline")
            .x_label_formatter(&|x| format!("{x:.0} %"))
            .label_style(("sans-serif", LABEL).into_font().color(&TEXT))
            .axis_desc_style(("sans-serif", LABEL).into_font().color(&TEXT))
            .draw()
            .map_err(plot_err)?;
        // Workload i (top first) sits at y = n − 1 − i.
        let y_of = |i: usize| (n - 1 - i) as f64;
        chart
            .draw_series(vs.iter().enumerate().map(|(i, _)| {
                let y = y_of(i);
                Rectangle::new([(0.0, y + 0.04), (100.0, y + 0.34)], GREY.filled())
            }))
            .map_err(plot_err)?;
        chart
            .draw_series(vs.iter().enumerate().map(|(i, v)| {
                let y = y_of(i);
                Rectangle::new(
                    [(0.0, y - 0.34), (pct(v).clamp(0.0, hi), y - 0.04)],
                    color(v.verdict).filled(),
                )
            }))
            .map_err(plot_err)?;
        chart
            .draw_series(vs.iter().enumerate().filter_map(|(i, v)| {
                let ci = v.ci95?;
                let y = y_of(i) - 0.19;
                let (a, b) = (
                    (100.0 * (1.0 + ci[0])).clamp(0.0, hi),
                    (100.0 * (1.0 + ci[1])).clamp(0.0, hi),
                );
                Some(PathElement::new(
                    vec![(a, y), (b, y)],
                    BLACK.stroke_width(2),
                ))
            }))
            .map_err(plot_err)?;
        // The change beside the current bar, past its whisker.
        chart
            .draw_series(vs.iter().enumerate().map(|(i, v)| {
                let end = v
                    .ci95
                    .map_or(pct(v), |ci| pct(v).max(100.0 * (1.0 + ci[1])))
                    .max(0.0);
                Text::new(
                    change_of(v),
                    ((end + hi * 0.015).min(hi * 0.86), y_of(i) - 0.02),
                    ("sans-serif", LABEL).into_font().color(&TEXT),
                )
            }))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}
