//! The gate's own output: a short verdict naming each failing workload and metric
//! with figures (terminal) or as a markdown section (PR comment, step summary).

use super::decision::{Failure, FailureKind, GateDecision};
use super::limits::Bound;
use crate::compare::model::ThresholdSource;

/// A value with its unit, scaled for reading (`1.23 ms`, `4.50 MiB`, `12,345,678 instructions`).
pub fn fmt_value(v: f64, unit: &str) -> String {
    match unit {
        "ns" => {
            let a = v.abs();
            if a >= 1e9 {
                format!("{:.3} s", v / 1e9)
            } else if a >= 1e6 {
                format!("{:.3} ms", v / 1e6)
            } else if a >= 1e3 {
                format!("{:.3} µs", v / 1e3)
            } else {
                format!("{v:.1} ns")
            }
        }
        "bytes" | "B" => {
            let a = v.abs();
            if a >= 1024.0 * 1024.0 {
                format!("{:.2} MiB", v / (1024.0 * 1024.0))
            } else if a >= 1024.0 {
                format!("{:.2} KiB", v / 1024.0)
            } else {
                format!("{v:.0} B")
            }
        }
        "instructions" | "cycles" | "count" | "calls" => format!("{} {unit}", group(v)),
        _ if unit.is_empty() => format!("{v:.4}"),
        _ => format!("{v:.4} {unit}"),
    }
}

/// An integer-valued figure with thousands separators.
fn group(v: f64) -> String {
    let n = v.round() as i128;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn source(s: Option<ThresholdSource>) -> &'static str {
    match s {
        Some(ThresholdSource::Calibrated) => "calibrated noise floor",
        Some(ThresholdSource::Config) => "smprof.toml",
        Some(ThresholdSource::Default) | None => "default",
    }
}

/// One line of figures for a failure (no status prefix).
pub fn describe(f: &Failure) -> String {
    match f.kind {
        FailureKind::Limit => {
            let (op, which) = match f.bound {
                Some(Bound::Min) => ("<", "min"),
                _ => (">", "max"),
            };
            format!(
                "{} {}: {} {op} {which} {} (hard limit, {})",
                f.workload,
                f.metric,
                fmt_value(f.current, &f.unit),
                fmt_value(f.limit.unwrap_or(f64::NAN), &f.unit),
                f.origin.as_deref().unwrap_or("smprof.toml")
            )
        }
        _ => {
            let mut s = format!(
                "{} {}: {} → {} ({:+.2} %, threshold {:.2} % from {}",
                f.workload,
                f.metric,
                fmt_value(f.baseline.unwrap_or(f64::NAN), &f.unit),
                fmt_value(f.current, &f.unit),
                f.change.unwrap_or(0.0) * 100.0,
                f.threshold.unwrap_or(0.0) * 100.0,
                source(f.threshold_source)
            );
            if let Some(q) = f.q_value {
                s.push_str(&format!(", q = {q:.2e}"));
            }
            if let Some([lo, hi]) = f.ci95 {
                s.push_str(&format!(
                    ", 95 % CI [{:+.1} %, {:+.1} %]",
                    lo * 100.0,
                    hi * 100.0
                ));
            }
            s.push(')');
            if f.kind == FailureKind::Critical {
                s.push_str(" CRITICAL");
            }
            s
        }
    }
}

/// The re-measurement line of a failure, if it was confirmed or cleared.
pub fn describe_confirmation(f: &Failure) -> Option<String> {
    let c = f.confirmation.as_ref()?;
    let sides = if c.sides == "both" {
        "both sides re-measured in alternation"
    } else {
        "current side re-measured against the stored baseline"
    };
    let q = c
        .q_value
        .map(|q| format!(", q = {q:.2e}"))
        .unwrap_or_default();
    Some(format!(
        "{} ({sides}): {} → {} ({:+.2} %{q})",
        if c.held { "confirmed" } else { "not confirmed" },
        fmt_value(c.baseline, &f.unit),
        fmt_value(c.current, &f.unit),
        c.change * 100.0
    ))
}

/// Terminal text.
pub fn render_text(d: &GateDecision, baseline: &str, current: &str) -> String {
    let failing: Vec<&Failure> = d.failing().collect();
    let mut out = String::new();
    if failing.is_empty() && !d.inconclusive.is_empty() {
        out.push_str(&format!(
            "smprof gate: INCONCLUSIVE ({baseline} → {current}): nothing gating regressed, {} wall-time verdict(s) undecided\n",
            d.inconclusive.len()
        ));
    } else if failing.is_empty() {
        out.push_str(&format!(
            "smprof gate: PASS ({baseline} → {current}): nothing gating regressed\n"
        ));
    } else {
        out.push_str(&format!(
            "smprof gate: FAIL ({baseline} → {current}): {} gating {}\n",
            failing.len(),
            if failing.len() == 1 {
                "failure"
            } else {
                "failures"
            }
        ));
    }
    for f in &failing {
        out.push_str(&format!("  FAIL  {}\n", describe(f)));
        if let Some(c) = describe_confirmation(f) {
            out.push_str(&format!("        {c}\n"));
        }
    }
    let cleared: Vec<&Failure> = d.cleared().collect();
    if !cleared.is_empty() {
        out.push_str("Cleared by re-measurement (noise):\n");
        for f in cleared {
            out.push_str(&format!("  ok    {}\n", describe(f)));
            if let Some(c) = describe_confirmation(f) {
                out.push_str(&format!("        {c}\n"));
            }
        }
    }
    for w in &d.waived {
        out.push_str(&format!(
            "  waived {} {} {:+.2} %: {}\n",
            w.workload,
            w.metric,
            w.change * 100.0,
            w.waiver
        ));
    }
    for s in &d.not_gating {
        out.push_str(&format!("  not gating (--critical-only): {s}\n"));
    }
    for s in &d.unstable {
        out.push_str(&format!("  unstable (multimodal, not gating): {s}\n"));
    }
    for s in &d.inconclusive {
        out.push_str(&format!(
            "  INCONCLUSIVE {s}: undecided after the most lockstep rounds (exit 3)\n"
        ));
    }
    for n in &d.notices {
        out.push_str(&format!("  note: {n}\n"));
    }
    out
}

/// A markdown section for a PR comment or `$GITHUB_STEP_SUMMARY`.
pub fn render_markdown(d: &GateDecision, baseline: &str, current: &str) -> String {
    let failing: Vec<&Failure> = d.failing().collect();
    let mut out = String::new();
    if failing.is_empty() {
        out.push_str(&format!(
            "### ✅ smprof gate passed (`{baseline}` → `{current}`)\n\nNothing gating regressed.\n"
        ));
    } else {
        out.push_str(&format!(
            "### ❌ smprof gate failed (`{baseline}` → `{current}`)\n\n| workload | metric | baseline | current | change | threshold | why |\n|---|---|---:|---:|---:|---:|---|\n"
        ));
        for f in &failing {
            let why = match (f.kind, describe_confirmation(f)) {
                (FailureKind::Limit, _) => format!(
                    "hard {} {}",
                    if f.bound == Some(Bound::Min) {
                        "min"
                    } else {
                        "max"
                    },
                    fmt_value(f.limit.unwrap_or(f64::NAN), &f.unit)
                ),
                (k, c) => {
                    let mut s = if k == FailureKind::Critical {
                        "CRITICAL regression".to_string()
                    } else {
                        "regression".to_string()
                    };
                    if let Some(c) = c {
                        s.push_str("; ");
                        s.push_str(&c);
                    }
                    s
                }
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} |\n",
                f.workload,
                f.metric,
                f.baseline
                    .map(|b| fmt_value(b, &f.unit))
                    .unwrap_or_else(|| "—".into()),
                fmt_value(f.current, &f.unit),
                f.change
                    .map(|c| format!("{:+.2} %", c * 100.0))
                    .unwrap_or_else(|| "—".into()),
                f.threshold
                    .map(|t| format!("{:.2} % ({})", t * 100.0, source(f.threshold_source)))
                    .unwrap_or_else(|| "—".into()),
                why
            ));
        }
    }
    let cleared: Vec<&Failure> = d.cleared().collect();
    if !cleared.is_empty() {
        out.push_str("\n**Cleared by re-measurement:**\n\n");
        for f in cleared {
            out.push_str(&format!(
                "- `{}`: {}\n",
                describe(f),
                describe_confirmation(f).unwrap_or_default()
            ));
        }
    }
    if !d.waived.is_empty() {
        out.push_str("\n**Waived:**\n\n");
        for w in &d.waived {
            out.push_str(&format!(
                "- `{}` {} {:+.2} %: {}\n",
                w.workload,
                w.metric,
                w.change * 100.0,
                w.waiver
            ));
        }
    }
    for s in &d.inconclusive {
        out.push_str(&format!(
            "\n> **inconclusive** {s}: undecided after the most lockstep rounds\n"
        ));
    }
    for n in d.notices.iter().chain(d.unstable.iter()) {
        out.push_str(&format!("\n> {n}\n"));
    }
    out
}
