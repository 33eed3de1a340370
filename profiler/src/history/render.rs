//! Rendering a [`History`]: a terminal table with sparklines, CSV and JSON.

use super::{History, Series};
use comfy_table::{ContentArrangement, Table, presets};

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` values as a unicode sparkline scaled to their own range, but
/// never to less than ±2.5 % of their midpoint: run-to-run noise of a percent must
/// not fill the whole height as a step would.
pub fn sparkline(values: &[f64], width: usize) -> String {
    let tail = &values[values.len().saturating_sub(width)..];
    let (lo, hi) = tail
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let mid = (lo + hi) / 2.0;
    let span = (hi - lo).max(0.05 * mid.abs());
    let lo = mid - span / 2.0;
    tail.iter()
        .map(|&v| {
            if span <= f64::EPSILON * mid.abs() || span == 0.0 {
                BARS[3]
            } else {
                let i = ((v - lo) / span * 7.0).round() as usize;
                BARS[i.min(7)]
            }
        })
        .collect()
}

/// A figure in its unit, compactly (`1.23 ms`, `4.5 M`).
pub fn figure(v: f64, unit: &str) -> String {
    if unit == "ns" {
        return match v {
            v if v >= 1e9 => format!("{:.3} s", v / 1e9),
            v if v >= 1e6 => format!("{:.3} ms", v / 1e6),
            v if v >= 1e3 => format!("{:.3} µs", v / 1e3),
            v => format!("{v:.1} ns"),
        };
    }
    let s = match v.abs() {
        a if a >= 1e9 => format!("{:.3} G", v / 1e9),
        a if a >= 1e6 => format!("{:.3} M", v / 1e6),
        a if a >= 1e4 => format!("{:.1} k", v / 1e3),
        a if a >= 100.0 => format!("{v:.0}"),
        _ => format!("{v:.3}"),
    };
    if unit.is_empty() {
        s
    } else {
        format!("{s} {unit}")
    }
}

fn pct(change: f64) -> String {
    format!("{:+.1}%", change * 100.0)
}

/// The terminal table: one row per series, then the change points.
pub fn table(h: &History, color: bool) -> String {
    if h.series.is_empty() {
        return format!(
            "No stored results with metric {} along the first-parent history of HEAD ({} measured commits).\n\
             Run `smprof run` on commits, or `smprof baseline pull` to fetch shared results.\n",
            h.metric,
            h.commits.len()
        );
    }
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header([
            "workload", "points", "first", "last", "change", "history", "shifts",
        ]);
    for s in &h.series {
        let values: Vec<f64> = s.points.iter().map(|p| p.1).collect();
        let (first, last) = (values[0], values[values.len() - 1]);
        let change = if first != 0.0 {
            last / first - 1.0
        } else {
            0.0
        };
        let shifts = s
            .change_points
            .iter()
            .map(|c| format!("{} at {}", pct(c.change), c.short))
            .collect::<Vec<_>>()
            .join(", ");
        t.add_row([
            s.workload.clone(),
            values.len().to_string(),
            figure(first, &s.unit),
            figure(last, &s.unit),
            pct(change),
            sparkline(&values, 40),
            if shifts.is_empty() {
                "—".into()
            } else {
                shifts
            },
        ]);
    }
    let mut out = format!(
        "{} along the first-parent history of HEAD: {} measured commits ({} … {})\n",
        h.metric,
        h.commits.len(),
        h.commits.first().map_or("", |c| c.commit.short.as_str()),
        h.commits.last().map_or("", |c| c.commit.short.as_str()),
    );
    out.push_str(&t.to_string());
    out.push('\n');
    let shifts: Vec<(&Series, &super::Shift)> = h
        .series
        .iter()
        .flat_map(|s| s.change_points.iter().map(move |c| (s, c)))
        .collect();
    if shifts.is_empty() {
        out.push_str("\nNo change points (E-divisive means, permutation test).\n");
    } else {
        out.push_str("\nChange points (E-divisive means, permutation test):\n");
        for (s, c) in shifts {
            let (mark, end) = match (color, c.regression) {
                (true, true) => ("\x1b[31m", "\x1b[0m"),
                (true, false) => ("\x1b[32m", "\x1b[0m"),
                _ => ("", ""),
            };
            out.push_str(&format!(
                "  {mark}{} {}{end} {}: {} → {} at {} \"{}\" ({}, p = {:.4})\n",
                if c.regression {
                    "▲ regression"
                } else {
                    "▼ improvement"
                },
                pct(c.change),
                s.workload,
                figure(c.before, &s.unit),
                figure(c.after, &s.unit),
                c.short,
                c.subject,
                c.time,
                c.p_value
            ));
        }
    }
    for w in &h.warnings {
        out.push_str(&format!("warning: skipped {w}\n"));
    }
    out
}

/// One row per (series, point): `workload,metric,unit,sha,short,time,value,change_point`.
pub fn csv(h: &History) -> String {
    let mut out = String::from("workload,metric,unit,sha,short,time,value,change_point\n");
    for s in &h.series {
        for &(i, v) in &s.points {
            let c = &h.commits[i].commit;
            let cp = s
                .change_points
                .iter()
                .find(|p| p.commit == i)
                .map(|p| format!("{:.6}", p.change))
                .unwrap_or_default();
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                csv_field(&s.workload),
                csv_field(&s.metric),
                csv_field(&s.unit),
                c.sha,
                c.short,
                c.time,
                v,
                cp
            ));
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The history as JSON (every field of [`History`]).
pub fn json(h: &History) -> String {
    serde_json::to_string_pretty(h).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_its_range() {
        assert_eq!(
            sparkline(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 8),
            "▁▂▃▄▅▆▇█"
        );
        assert_eq!(sparkline(&[3.0, 3.0], 8), "▅▅");
        assert_eq!(sparkline(&[0.0, 0.0], 8), "▄▄");
        // ±0.5 % noise stays in the middle rows.
        assert_eq!(sparkline(&[100.0, 101.0, 99.0], 8), "▅▆▃");
        assert_eq!(sparkline(&[1.0, 2.0, 9.0], 2), "▁█");
        assert_eq!(sparkline(&[], 5), "");
    }

    #[test]
    fn figures_in_units() {
        assert_eq!(figure(1_234_567.0, "ns"), "1.235 ms");
        assert_eq!(figure(12.0, "GFLOP/s"), "12.000 GFLOP/s");
        assert_eq!(figure(2.5e6, "instructions"), "2.500 M instructions");
    }
}
