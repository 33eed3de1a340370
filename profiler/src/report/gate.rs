//! The gate's output: one line per cause (the workloads by family, what
//! changed and by how much with its interval, the root cause, the command to
//! run), hard-limit breaches, what re-measurement cleared, waivers and notes —
//! as terminal text or a markdown section (PR comment, step summary).
//! Nothing is dropped silently: long lists end with "+N more" and where the
//! rest is.

use super::causes::{CauseLine, lines};
use super::labels::change_with_interval;
use super::labels::metric_label;
use super::terminal::WIDTH;
use super::text::{code_md, display_width, escape_md, plain, wrap, wrap_command};
use super::units;
use crate::compare::model::{Comparison, VerdictKind};
use crate::gate::decision::{Failure, FailureKind, GateDecision};
use crate::gate::limits::Bound;

/// Entries of a list printed before "+N more".
const LIST: usize = 5;

/// A hard-limit breach in words: `gelu/1k Time/op 1.60 µs > max 1.50 µs (hard limit, …)`.
pub fn describe_limit(f: &Failure) -> String {
    let (op, which) = match f.bound {
        Some(Bound::Min) => ("<", "min"),
        _ => (">", "max"),
    };
    format!(
        "{} {}: {} {op} {which} {} (hard limit, {})",
        plain(&f.workload),
        metric_label(&f.metric),
        units::value(f.current, &f.unit),
        units::value(f.limit.unwrap_or(f64::NAN), &f.unit),
        plain(f.origin.as_deref().unwrap_or("smprof.toml"))
    )
}

/// The re-measurement of a failure in words, if it was re-measured.
pub fn describe_confirmation(f: &Failure) -> Option<String> {
    let c = f.confirmation.as_ref()?;
    let sides = if c.sides == "both" {
        "both sides re-measured in alternation"
    } else {
        "current side re-measured against the stored baseline"
    };
    let q = c
        .q_value
        .map(|q| format!(", q={}", units::p(Some(q))))
        .unwrap_or_default();
    Some(format!(
        "{} ({sides}): {} → {} ({}{q})",
        if c.held { "confirmed" } else { "not confirmed" },
        units::value(c.baseline, &f.unit),
        units::value(c.current, &f.unit),
        units::relative(c.change)
    ))
}

/// The failures that are regressions (not limits), as cause lines, each with
/// what its re-measurement said.
fn cause_lines(cmp: &Comparison, failures: &[&Failure]) -> Vec<(CauseLine, Option<String>)> {
    let keys: Vec<(String, String)> = failures
        .iter()
        .filter(|f| f.kind != FailureKind::Limit)
        .map(|f| (f.workload.clone(), f.metric.clone()))
        .collect();
    lines(cmp, &keys)
        .into_iter()
        .map(|mut l| {
            let mine: Vec<&&Failure> = failures
                .iter()
                .filter(|f| f.kind != FailureKind::Limit && l.workloads.contains(&f.workload))
                .collect();
            l.critical |= mine.iter().any(|f| f.kind == FailureKind::Critical);
            let remeasured: Vec<&&&Failure> =
                mine.iter().filter(|f| f.confirmation.is_some()).collect();
            let note = match remeasured.as_slice() {
                [] => None,
                [one] => describe_confirmation(one),
                many => {
                    let held = many
                        .iter()
                        .filter(|f| f.confirmation.as_ref().is_some_and(|c| c.held))
                        .count();
                    Some(format!("re-measured: {held} of {} held", many.len()))
                }
            };
            (l, note)
        })
        .collect()
}

/// `gelu/* (4), model/* (2): allocations +64.00 KiB per call; time up to … — cause: …`
fn cause_text(l: &CauseLine) -> String {
    format!(
        "{}: {}{} — cause{}: {}",
        l.families,
        l.changed,
        if l.critical { ", CRITICAL" } else { "" },
        if l.confirmed { "" } else { " (unconfirmed)" },
        l.cause
    )
}

/// Lines of at most [`WIDTH`] columns: `head` then `text`, continued under it.
fn wrapped(out: &mut String, head: &str, text: &str) {
    for l in wrap(text, WIDTH, head, &" ".repeat(display_width(head))) {
        out.push_str(&l);
        out.push('\n');
    }
}

fn capped(out: &mut String, items: &[String], head: &str, rest: &str) {
    for s in items.iter().take(LIST) {
        out.push_str(&format!("{head}{}\n", plain(s)));
    }
    if items.len() > LIST {
        out.push_str(&format!("{head}+{} more {rest}\n", items.len() - LIST));
    }
}

/// Unstable metrics, each a decision of its own (derived ones repeat their
/// source's): they do not gate, and nobody should take them for a pass.
fn unstable(cmp: &Comparison) -> Vec<String> {
    cmp.verdicts
        .iter()
        .filter(|v| v.verdict == VerdictKind::Unstable && v.is_independent())
        .map(|v| {
            format!(
                "{} {} {}",
                v.workload,
                metric_label(&v.metric),
                change_with_interval(v)
            )
        })
        .collect()
}

/// Terminal text.
pub fn render_text(d: &GateDecision, cmp: &Comparison) -> String {
    let (baseline, current) = (plain(&cmp.baseline.label), plain(&cmp.current.label));
    let failing: Vec<&Failure> = d.failing().collect();
    let causes = cause_lines(cmp, &failing);
    let limits: Vec<&&Failure> = failing
        .iter()
        .filter(|f| f.kind == FailureKind::Limit)
        .collect();
    let mut out = String::new();
    if failing.is_empty() && !d.inconclusive.is_empty() {
        out.push_str(&format!(
            "smprof gate: INCONCLUSIVE ({baseline} → {current}): nothing gating regressed, {} wall-time verdict{} undecided after the most lockstep rounds (exit 3)\n",
            d.inconclusive.len(),
            if d.inconclusive.len() == 1 { "" } else { "s" }
        ));
    } else if failing.is_empty() {
        out.push_str(&format!(
            "smprof gate: PASS ({baseline} → {current}): nothing gating regressed\n"
        ));
    } else {
        let n = causes.len() + limits.len();
        out.push_str(&format!(
            "smprof gate: FAIL ({baseline} → {current}): {n} {} ({} failing metric{})\n",
            if n == 1 { "cause" } else { "causes" },
            failing.len(),
            if failing.len() == 1 { "" } else { "s" }
        ));
    }
    for (l, note) in &causes {
        wrapped(&mut out, "  FAIL  ", &cause_text(l));
        if let Some(n) = note {
            wrapped(&mut out, "        ", n);
        }
        if let Some(c) = &l.command {
            for line in wrap_command(&plain(c), WIDTH, "        $ ", "            ") {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    for f in &limits {
        wrapped(&mut out, "  FAIL  ", &describe_limit(f));
    }
    let cleared: Vec<&Failure> = d.cleared().collect();
    if !cleared.is_empty() {
        out.push_str("Cleared by re-measurement (noise):\n");
        for (l, note) in cause_lines(cmp, &cleared) {
            wrapped(
                &mut out,
                "  ok    ",
                &format!("{}: {}", l.families, l.changed),
            );
            if let Some(n) = note {
                wrapped(&mut out, "        ", &n);
            }
        }
    }
    let waived: Vec<String> = d
        .waived
        .iter()
        .map(|w| {
            format!(
                "{} {} {}: {}",
                w.workload,
                metric_label(&w.metric),
                units::relative(w.change),
                w.waiver
            )
        })
        .collect();
    capped(
        &mut out,
        &waived,
        "  waived ",
        "waived regressions (gate.json)",
    );
    capped(
        &mut out,
        &d.not_gating,
        "  not gating (--critical-only): ",
        "(gate.json)",
    );
    capped(
        &mut out,
        &unstable(cmp),
        "  unstable (multimodal, not gating): ",
        "(gate.json)",
    );
    capped(
        &mut out,
        &d.inconclusive,
        "  inconclusive (undecided after the most lockstep rounds): ",
        "(gate.json)",
    );
    for n in &d.notices {
        out.push_str(&format!("  note: {}\n", plain(n)));
    }
    out
}

/// A markdown section for a PR comment or `$GITHUB_STEP_SUMMARY`.
pub fn render_markdown(d: &GateDecision, cmp: &Comparison) -> String {
    let (baseline, current) = (code_md(&cmp.baseline.label), code_md(&cmp.current.label));
    let failing: Vec<&Failure> = d.failing().collect();
    let mut out = String::new();
    if failing.is_empty() {
        out.push_str(&format!(
            "### ✅ smprof gate passed ({baseline} → {current})\n\nNothing gating regressed.\n"
        ));
    } else {
        out.push_str(&format!(
            "### ❌ smprof gate failed ({baseline} → {current})\n\n| | Workloads | What changed | Root cause | Run |\n|---|---|---|---|---|\n"
        ));
        for (l, note) in cause_lines(cmp, &failing) {
            out.push_str(&format!(
                "| {}{} | {} | {} | {}{} | {} |\n",
                if l.critical { "CRITICAL" } else { "regression" },
                if l.confirmed { "" } else { " (unconfirmed)" },
                escape_md(&l.families),
                escape_md(&l.changed),
                escape_md(&l.cause),
                note.map(|n| format!("; {}", escape_md(&n)))
                    .unwrap_or_default(),
                l.command.as_deref().map(code_md).unwrap_or_default()
            ));
        }
        for f in failing.iter().filter(|f| f.kind == FailureKind::Limit) {
            out.push_str(&format!(
                "| hard limit | {} | {} | {} {} | |\n",
                escape_md(&f.workload),
                escape_md(&format!(
                    "{} {}",
                    metric_label(&f.metric),
                    units::value(f.current, &f.unit)
                )),
                if f.bound == Some(Bound::Min) {
                    "below min"
                } else {
                    "above max"
                },
                escape_md(&units::value(f.limit.unwrap_or(f64::NAN), &f.unit)),
            ));
        }
    }
    let cleared: Vec<&Failure> = d.cleared().collect();
    if !cleared.is_empty() {
        out.push_str("\n**Cleared by re-measurement:**\n\n");
        for (l, note) in cause_lines(cmp, &cleared) {
            out.push_str(&format!(
                "- {}{}\n",
                escape_md(&format!("{}: {}", l.families, l.changed)),
                note.map(|n| format!(": {}", escape_md(&n)))
                    .unwrap_or_default()
            ));
        }
    }
    let mut list = |title: &str, items: Vec<String>, rest: &str| {
        if items.is_empty() {
            return;
        }
        out.push_str(&format!("\n**{title}:**\n\n"));
        for s in items.iter().take(LIST) {
            out.push_str(&format!("- {}\n", escape_md(s)));
        }
        if items.len() > LIST {
            out.push_str(&format!("- +{} more {rest}\n", items.len() - LIST));
        }
    };
    list(
        "Waived",
        d.waived
            .iter()
            .map(|w| {
                format!(
                    "{} {} {}: {}",
                    w.workload,
                    metric_label(&w.metric),
                    units::relative(w.change),
                    w.waiver
                )
            })
            .collect(),
        "(gate.json)",
    );
    list(
        "Not gating (--critical-only)",
        d.not_gating.clone(),
        "(gate.json)",
    );
    list("Unstable (not gating)", unstable(cmp), "(gate.json)");
    list(
        "Inconclusive (undecided after the most lockstep rounds; exit 3)",
        d.inconclusive.clone(),
        "(gate.json)",
    );
    for n in &d.notices {
        out.push_str(&format!("\n> {}\n", escape_md(n)));
    }
    out
}
