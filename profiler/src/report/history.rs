//! Rendering a [`History`]: a terminal table with sparklines, CSV and JSON.
//! Series of different environments are separate rows, labelled by what
//! differs between the environments, and environment changes are listed apart
//! from change points.

use super::text::plain;
use super::units;
use crate::history::{History, Series};
use comfy_table::{ContentArrangement, Table, presets};
use std::fmt::Write as _;

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

/// How an environment differs from the history's others: `simd_tier scalar`,
/// or its fingerprint when only that differs. Empty with one environment.
pub fn env_label(h: &History, env: usize) -> String {
    if h.environments.len() < 2 {
        return String::new();
    }
    let mut fields: Vec<String> = Vec::new();
    for change in &h.env_changes {
        for f in &change.fields {
            if !fields.contains(f) {
                fields.push(f.clone());
            }
        }
    }
    let e = &h.environments[env].env;
    let parts: Vec<String> = fields
        .iter()
        .filter_map(|f| {
            let v = match f.as_str() {
                "cpu_model" => e.cpu_model.clone(),
                "logical_cores" => format!("{} cores", e.logical_cores),
                "simd_tier" => e.simd_tier.clone(),
                "threads" => format!("{} threads", e.threads),
                "rustc" => e.rustc.clone(),
                "profile" => e.profile.clone(),
                _ => return None,
            };
            Some(plain(&v))
        })
        .collect();
    if parts.is_empty() {
        format!("env {}", plain(&h.environments[env].fingerprint))
    } else {
        parts.join(" · ")
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
    let several = h.environments.len() > 1;
    let mut t = Table::new();
    let mut header = vec!["workload"];
    if several {
        header.push("environment");
    }
    header.extend(["points", "first", "last", "change", "history", "shifts"]);
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(100)
        .set_header(header);
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
        let mut row = vec![plain(&s.workload)];
        if several {
            row.push(env_label(h, s.env));
        }
        row.extend([
            values.len().to_string(),
            units::value(first, &s.unit),
            units::value(last, &s.unit),
            pct(change),
            sparkline(&values, 24),
            if shifts.is_empty() {
                "—".into()
            } else {
                shifts
            },
        ]);
        t.add_row(row);
    }
    let mut out = format!(
        "{} along the first-parent history of HEAD: {} measured commits ({} … {}){}\n",
        plain(&h.metric),
        h.commits.len(),
        h.commits.first().map_or("", |c| c.commit.short.as_str()),
        h.commits.last().map_or("", |c| c.commit.short.as_str()),
        if several {
            format!(
                ", {} environments: one series each, never mixed",
                h.environments.len()
            )
        } else {
            String::new()
        }
    );
    out.push_str(&t.to_string());
    out.push('\n');
    if !h.env_changes.is_empty() {
        out.push_str("\nEnvironment changes (not shifts: the series are split there):\n");
        for c in &h.env_changes {
            let commit = &h.commits[c.commit].commit;
            out.push_str(&format!(
                "  ◆ environment change at {} \"{}\": {} → {}{}\n",
                plain(&commit.short),
                plain(&commit.subject),
                env_label(h, c.from),
                env_label(h, c.to),
                if c.fields.is_empty() {
                    String::new()
                } else {
                    format!(" ({} differ)", c.fields.join(", "))
                }
            ));
        }
    }
    let shifts: Vec<(&Series, &crate::history::Shift)> = h
        .series
        .iter()
        .flat_map(|s| s.change_points.iter().map(move |c| (s, c)))
        .collect();
    if shifts.is_empty() {
        let _ = writeln!(
            out,
            "\nNo change points (E-divisive means, {}).",
            h.significance.label()
        );
    } else {
        let confirmed = h
            .series
            .iter()
            .flat_map(|s| &s.change_points)
            .any(|c| c.confirmation.is_some());
        if confirmed {
            out.push_str("\nChange points (E-divisive means over stored runs, each measured again in lockstep against the commit before it):\n");
        } else {
            let _ = writeln!(
                out,
                "\nChange points (E-divisive means over stored runs, {}; unconfirmed: stored runs drift, `--confirm` measures each in lockstep):",
                h.significance.label()
            );
        }
        for (s, c) in shifts {
            let (mark, end) = match (color, c.regression) {
                (true, true) => ("\x1b[31m", "\x1b[0m"),
                (true, false) => ("\x1b[32m", "\x1b[0m"),
                _ => ("", ""),
            };
            let env = env_label(h, s.env);
            out.push_str(&format!(
                "  {mark}{} {}{end} {}{}: {} → {} at {} \"{}\" ({}, p={})\n",
                if c.regression {
                    "▲ regression"
                } else {
                    "▼ improvement"
                },
                pct(c.change),
                plain(&s.workload),
                if env.is_empty() {
                    String::new()
                } else {
                    format!(" [{env}]")
                },
                units::value(c.before, &s.unit),
                units::value(c.after, &s.unit),
                plain(&c.short),
                plain(&c.subject),
                plain(&c.time),
                units::p(Some(c.p_value))
            ));
            if let Some(k) = &c.confirmation {
                out.push_str(&format!("      {}\n", confirmation_line(k)));
            }
        }
    }
    for w in &h.warnings {
        out.push_str(&format!("warning: skipped {}\n", plain(w)));
    }
    out
}

/// How the lockstep measurement read a change point.
fn confirmation_line(k: &crate::history::confirm::Confirmation) -> String {
    use crate::history::confirm::Status;
    let figures = match (k.change, k.ci95) {
        (Some(c), Some([lo, hi])) => format!(
            "{} [{}, {}] against {}, {} rounds",
            pct(c),
            pct(lo),
            pct(hi),
            plain(&k.against),
            k.rounds
        ),
        (Some(c), None) => format!(
            "{} against {}, {} rounds",
            pct(c),
            plain(&k.against),
            k.rounds
        ),
        _ => format!("against {}", plain(&k.against)),
    };
    match k.status {
        Status::Confirmed => format!("✔ confirmed in lockstep: {figures}"),
        Status::NotConfirmed => {
            format!(
                "✘ not confirmed: no change in lockstep ({figures}); the shift is the machine's drift"
            )
        }
        Status::Opposite => format!("✘ opposite in lockstep: {figures}"),
        Status::Inconclusive => format!("? inconclusive in lockstep: {figures}"),
        // The reason's further lines (a failed build's log tail) indented below it:
        // its first line alone ends at "cargo build failed:".
        Status::Unmeasured => {
            let reason = k.reason.as_deref().unwrap_or("no lockstep measurement");
            let mut lines = reason.lines().filter(|l| !l.trim().is_empty());
            let mut text = format!("? unmeasured: {}", plain(lines.next().unwrap_or("")));
            for l in lines {
                text.push_str("\n          ");
                text.push_str(&plain(l.trim_end()));
            }
            text
        }
    }
}

/// One row per (series, point):
/// `workload,metric,unit,environment,sha,short,time,value,change_point`
/// (`environment` is the fingerprint).
pub fn csv(h: &History) -> String {
    let mut out =
        String::from("workload,metric,unit,environment,sha,short,time,value,change_point\n");
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
                "{},{},{},{},{},{},{},{},{}\n",
                csv_field(&s.workload),
                csv_field(&s.metric),
                csv_field(&s.unit),
                csv_field(&h.environments[s.env].fingerprint),
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
}
