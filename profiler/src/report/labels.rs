//! How reports name things: metrics, families, severities and verdicts, a
//! verdict's change, evidence and direction. Marks come in two kinds: emoji
//! for markdown and text files (`🔴 REGRESSION`), plain words for the terminal
//! and the HTML page, which must not rely on an emoji font.

use super::text::plain;
use super::units;
use crate::compare::model::{Comparison, Severity, Verdict, VerdictKind};
use crate::result::{Better, MetricKind};

/// How reports name a metric.
pub fn metric_label(metric: &str) -> String {
    match metric {
        "time_ns" => "Time/op".into(),
        "gflops" => "GFLOPS".into(),
        "elements_per_s" => "Elements/s".into(),
        "tokens_per_s" => "Tokens/second".into(),
        "samples_per_s" => "Samples/second".into(),
        "latency_per_token_ns" => "Latency/token".into(),
        "alloc_bytes_per_token" => "Memory/token".into(),
        "alloc_bytes" => "Allocated/op".into(),
        "alloc_count" => "Allocations/op".into(),
        "pool_reduction" => "Pool reduction".into(),
        "peak_bytes" => "Peak memory/op".into(),
        "alloc_bytes_unpooled" => "Allocated/op (no pool)".into(),
        "alloc_count_unpooled" => "Allocations/op (no pool)".into(),
        "peak_bytes_unpooled" => "Peak memory/op (no pool)".into(),
        "pool_reduction_unpooled" => "Pool reduction (no pool)".into(),
        "instructions" => "Instructions/op".into(),
        other => plain(other),
    }
}

/// A short metric name for narrow columns (the terminal).
pub fn metric_short(metric: &str) -> String {
    match metric {
        "time_ns" => "time".into(),
        "gflops" => "GFLOP/s".into(),
        "elements_per_s" => "elem/s".into(),
        "tokens_per_s" => "tok/s".into(),
        "samples_per_s" => "samples/s".into(),
        "latency_per_token_ns" => "latency/tok".into(),
        "alloc_bytes_per_token" => "bytes/tok".into(),
        "alloc_bytes" => "alloc bytes".into(),
        "alloc_count" => "allocs".into(),
        "pool_reduction" => "pool saved".into(),
        "peak_bytes" => "peak bytes".into(),
        "instructions" => "instr".into(),
        "alloc_bytes_unpooled" => "no-pool bytes".into(),
        "alloc_count_unpooled" => "no-pool allocs".into(),
        "peak_bytes_unpooled" => "no-pool peak".into(),
        "pool_reduction_unpooled" => "no-pool saved".into(),
        other => plain(other),
    }
}

/// A family's title in the text reports.
pub fn group_title(group: &str) -> String {
    match group {
        "matmul" => "MATRIX MULTIPLICATION (matmul)".into(),
        "gelu" => "GELU ACTIVATION".into(),
        "softmax" => "SOFTMAX".into(),
        "tensor" => "ELEMENTWISE AND BROADCAST".into(),
        "model" => "GPT-2 GENERATION (25 tokens, KV cache)".into(),
        "matmul_backward" => "MATMUL BACKWARD PASS".into(),
        "train" => "TRAINING STEP (AdamW)".into(),
        "layer_norm" => "LAYER NORM".into(),
        other => plain(other).to_uppercase(),
    }
}

/// A severity in words: `CRITICAL`, `GOOD`, …
pub fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Improvement => "IMPROVEMENT",
        Severity::Good => "GOOD",
        Severity::Excellent => "EXCELLENT",
        Severity::Outstanding => "OUTSTANDING",
        Severity::Regression => "REGRESSION",
        Severity::Critical => "CRITICAL",
    }
}

/// A verdict in words, without marks: `CRITICAL`, `GOOD`, `STABLE`,
/// `UNSTABLE`, `INCONCLUSIVE`.
pub fn verdict_word(v: &Verdict) -> &'static str {
    match (v.verdict, v.severity) {
        (VerdictKind::Regression | VerdictKind::Improvement, Some(s)) => severity_word(s),
        (VerdictKind::Regression, None) => "REGRESSION",
        (VerdictKind::Improvement, None) => "IMPROVEMENT",
        (VerdictKind::Stable, _) => "STABLE",
        (VerdictKind::Unstable, _) => "UNSTABLE",
        (VerdictKind::Inconclusive, _) => "INCONCLUSIVE",
    }
}

/// The emoji mark of a verdict kind, for markdown and text files.
pub fn verdict_emoji(kind: VerdictKind) -> &'static str {
    match kind {
        VerdictKind::Regression => "🔴",
        VerdictKind::Improvement => "🟢",
        VerdictKind::Stable => "➡️",
        VerdictKind::Unstable | VerdictKind::Inconclusive => "⚠️",
    }
}

/// The badge of a verdict in markdown and text files: `🔴 CRITICAL`,
/// `➡️ STABLE (borderline: re-run)`.
pub fn badge(v: &Verdict) -> String {
    let base = format!("{} {}", verdict_emoji(v.verdict), verdict_word(v));
    if v.borderline {
        format!("{base} (borderline: re-run)")
    } else {
        base
    }
}

/// The verdict's change, `new` from zero.
pub fn change_of(v: &Verdict) -> String {
    units::change(v.baseline, v.current, v.change)
}

/// The change and, for measured metrics, its 95 % interval:
/// `+12.0 % [+10.1, +14.2] %`.
pub fn change_with_interval(v: &Verdict) -> String {
    match v.ci95 {
        Some(ci) => format!("{} {}", change_of(v), units::interval(ci)),
        None => change_of(v),
    }
}

/// The test evidence of a verdict: `q=…` for tested metrics, `exact` otherwise.
pub fn evidence(v: &Verdict) -> String {
    match v.kind {
        MetricKind::Deterministic => format!("exact, tol {}", units::threshold(v.threshold)),
        _ => format!("q={}", units::p(v.q_value)),
    }
}

/// Which way a changed figure went, in words: `SLOWER`, `FASTER`, `MORE`, …
pub fn direction(v: &Verdict) -> &'static str {
    let worse = crate::compare::effect(v.change, v.better) > 0.0;
    match (v.metric.ends_with("_ns"), v.better, worse) {
        (true, _, true) => "SLOWER",
        (true, _, false) => "FASTER",
        (false, Better::Higher, true) => "LOWER",
        (false, Better::Higher, false) => "HIGHER",
        (false, Better::Lower, true) => "MORE",
        (false, Better::Lower, false) => "LESS",
    }
}

/// The rounds of the comparison's paired measurement (its worker processes).
pub fn rounds(cmp: &Comparison) -> u32 {
    cmp.current.settings.as_ref().map_or(0, |s| s.processes)
}

/// What a verdict is, in a few words for evidence lines: `regression`,
/// `CRITICAL regression`, `unstable`, `undecided after 12 rounds`, `stable (borderline)`.
pub fn verdict_status(cmp: &Comparison, v: &Verdict) -> String {
    let base = match v.verdict {
        VerdictKind::Regression if v.severity == Some(Severity::Critical) => {
            "CRITICAL regression".to_string()
        }
        VerdictKind::Inconclusive => format!("undecided after {} rounds", rounds(cmp)),
        k => k.as_str().to_string(),
    };
    if v.borderline {
        format!("{base}, borderline")
    } else {
        base
    }
}
