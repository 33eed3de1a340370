//! The terminal output of `compare`: environment differences and the
//! unconfirmed notice first, then what changed — each workload once, its
//! changed metrics under it — and a count of what did not (`--all` shows every
//! metric), the root causes with their commands, and the headline last. Fits
//! 100 columns; coloured by verdict unless NO_COLOR, `--no-color` or not a
//! terminal.

use super::findings::{cause, unconfirmed_notice};
use super::labels::{change_of, metric_short, verdict_word};
use super::text::{display_width, pad_left, pad_right, plain, wrap, wrap_command};
use super::units;
use crate::compare::model::{ActionKind, Comparison, Verdict, VerdictKind};
use std::io::IsTerminal;

/// The width the output fits.
pub const WIDTH: usize = 100;

/// Whether to colour stdout: a terminal, and NO_COLOR unset or empty.
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// What to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub color: bool,
    /// Every metric, stable, derived and diagnostic ones included.
    pub all: bool,
}

fn paint(s: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Whether a verdict is a change worth a row by default.
fn changed(v: &Verdict) -> bool {
    v.is_independent() && v.verdict != VerdictKind::Stable
}

/// The terminal output with the default options (what changed only).
pub fn render(cmp: &Comparison, color: bool) -> String {
    render_with(cmp, Options { color, all: false })
}

/// The full terminal output.
pub fn render_with(cmp: &Comparison, opts: Options) -> String {
    let mut out = String::new();
    if !cmp.env_differences.is_empty() {
        out.push_str(&paint(
            "ENVIRONMENTS DIFFER: figures may not be comparable",
            "1;33",
            opts.color,
        ));
        out.push('\n');
        for d in &cmp.env_differences {
            out.push_str(&format!(
                "   {}: {} → {}\n",
                plain(&d.field),
                plain(&d.baseline),
                plain(&d.current)
            ));
        }
        out.push('\n');
    }
    if let Some(notice) = unconfirmed_notice(cmp) {
        for l in wrap(&notice, WIDTH, "", "  ") {
            out.push_str(&paint(&l, "33", opts.color));
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(&table(cmp, opts));
    for w in &cmp.added {
        out.push_str(&format!("added:   {} (no baseline to compare)\n", plain(w)));
    }
    for w in &cmp.removed {
        out.push_str(&format!(
            "removed: {} (not in the current result)\n",
            plain(w)
        ));
    }
    if !cmp.root_causes.is_empty() {
        out.push_str("\nRoot causes (most likely first):\n");
        for (i, rc) in cmp.root_causes.iter().enumerate() {
            let text = cause(cmp, rc);
            let head = format!("{:>3}. ", i + 1);
            for l in wrap(&text.title, WIDTH, &head, "     ") {
                out.push_str(&l);
                out.push('\n');
            }
            let command = cmp.actions.iter().find_map(|a| match a.what {
                ActionKind::Fix { finding, .. } if finding == Some(i) => a.command.as_deref(),
                _ => None,
            });
            if let Some(c) = command {
                for l in wrap_command(&plain(c), WIDTH, "     $ ", "         ") {
                    out.push_str(&l);
                    out.push('\n');
                }
            }
        }
    }
    out.push('\n');
    let headline = format!(
        "{} → {}: {}",
        plain(&cmp.baseline.label),
        plain(&cmp.current.label),
        plain(&cmp.summary.headline)
    );
    for l in wrap(&headline, WIDTH, "", "  ") {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// The verdict table: a line per workload with changes, its metrics under it.
fn table(cmp: &Comparison, opts: Options) -> String {
    let shown: Vec<&Verdict> = cmp
        .verdicts
        .iter()
        .filter(|v| opts.all || changed(v))
        .collect();
    let hidden = cmp.verdicts.len() - shown.len();
    let mut out = String::new();
    if shown.is_empty() {
        out.push_str(&format!(
            "No metric changed: {hidden} metrics compared, all stable{}.\n",
            if opts.all { "" } else { "; --all lists them" }
        ));
        return out;
    }
    let header = [
        "workload / metric".to_string(),
        "baseline".into(),
        "current".into(),
        "change".into(),
        "95 % CI".into(),
        "q".into(),
        "verdict".into(),
    ];
    let rows: Vec<[String; 7]> = shown
        .iter()
        .map(|v| {
            let mut verdict = verdict_word(v).to_string();
            if v.borderline {
                verdict.push('*');
            }
            [
                format!("  {}", metric_short(&v.metric)),
                units::value(v.baseline, &v.unit),
                units::value(v.current, &v.unit),
                change_of(v),
                v.ci95
                    .map(units::interval)
                    .unwrap_or_else(|| "exact".into()),
                if v.q_value.is_some() {
                    units::p(v.q_value)
                } else {
                    String::new()
                },
                verdict,
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(display_width(c));
        }
    }
    let line = |cells: &[String; 7]| -> String {
        // One space between right-aligned figures (their own padding
        // separates them), two around the text columns.
        let mut s = pad_right(&cells[0], widths[0]);
        for i in 1..6 {
            s.push_str(if i == 1 { "  " } else { " " });
            s.push_str(&pad_left(&cells[i], widths[i]));
        }
        s.push_str("  ");
        s.push_str(&cells[6]);
        s
    };
    out.push_str(&line(&header));
    out.push('\n');
    let mut last = "";
    for (v, r) in shown.iter().zip(&rows) {
        if v.workload != last {
            out.push_str(&plain(&v.workload));
            out.push('\n');
            last = &v.workload;
        }
        let text = line(r);
        let code = match v.verdict {
            VerdictKind::Regression => Some("31"),
            VerdictKind::Improvement => Some("32"),
            VerdictKind::Unstable | VerdictKind::Inconclusive => Some("33"),
            VerdictKind::Stable => None,
        };
        match code {
            Some(c) if opts.color => {
                let cut = text.len() - r[6].len();
                out.push_str(&text[..cut]);
                out.push_str(&paint(&r[6], &format!("1;{c}"), true));
            }
            _ => out.push_str(&text),
        }
        out.push('\n');
    }
    let mut notes = Vec::new();
    if hidden > 0 {
        notes.push(format!(
            "{hidden} metrics not shown (stable, or derived from a shown one); --all lists every metric"
        ));
    }
    if shown.iter().any(|v| v.borderline) {
        notes.push("* borderline: near its rule, re-run to validate".to_string());
    }
    for n in notes {
        out.push_str(&n);
        out.push('\n');
    }
    out
}
