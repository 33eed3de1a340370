//! The terminal table: every metric, coloured by verdict (unless NO_COLOR or
//! not a terminal), environment differences first and the headline last.

use super::view::{badge, metric_label};
use crate::analysis::figures as fmt;
use crate::compare::model::{Comparison, VerdictKind};
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};
use std::io::IsTerminal;

/// Whether to colour stdout: a terminal, and NO_COLOR unset or empty.
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// The full terminal output.
pub fn render(cmp: &Comparison, color: bool) -> String {
    let mut out = String::new();
    if !cmp.env_differences.is_empty() {
        out.push_str("⚠️  Environments differ: figures may not be comparable\n");
        for d in &cmp.env_differences {
            out.push_str(&format!("   {}: {} → {}\n", d.field, d.baseline, d.current));
        }
        out.push('\n');
    }
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "Workload", "Metric", "Baseline", "Current", "Change", "95 % CI", "q", "Verdict",
        ]);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    for v in &cmp.verdicts {
        let colour = match v.verdict {
            VerdictKind::Regression => Some(Color::Red),
            VerdictKind::Improvement => Some(Color::Green),
            VerdictKind::Unstable | VerdictKind::Inconclusive => Some(Color::Yellow),
            VerdictKind::Stable => None,
        };
        let verdict = match colour {
            Some(c) if color => Cell::new(badge(v)).fg(c).add_attribute(Attribute::Bold),
            _ => Cell::new(badge(v)),
        };
        table.add_row(vec![
            Cell::new(&v.workload),
            Cell::new(metric_label(&v.metric)),
            Cell::new(fmt::value(v.baseline, &v.unit)),
            Cell::new(fmt::value(v.current, &v.unit)),
            Cell::new(fmt::change(v.baseline, v.current, v.change)),
            Cell::new(
                v.ci95
                    .map(|[lo, hi]| format!("[{:+.1}, {:+.1}] %", lo * 100.0, hi * 100.0))
                    .unwrap_or_else(|| "—".into()),
            ),
            Cell::new(fmt::p(v.q_value)),
            verdict,
        ]);
    }
    out.push_str(&table.to_string());
    out.push('\n');
    for w in &cmp.added {
        out.push_str(&format!("added:   {w} (no baseline to compare)\n"));
    }
    for w in &cmp.removed {
        out.push_str(&format!("removed: {w} (not in the current result)\n"));
    }
    out.push_str(&format!(
        "\n{} → {}: {}\n",
        cmp.baseline.label, cmp.current.label, cmp.summary.headline
    ));
    out
}
