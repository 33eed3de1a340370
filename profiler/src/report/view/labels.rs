//! How reports name things: metric labels, group titles, a verdict's badge,
//! change, evidence and direction.

use crate::analysis::figures as fmt;
use crate::compare::model::{Verdict, VerdictKind};
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
        other => other.to_string(),
    }
}

pub(super) fn group_title(group: &str) -> String {
    match group {
        "matmul" => "MATRIX MULTIPLICATION (matmul)".into(),
        "gelu" => "GELU ACTIVATION".into(),
        "softmax" => "SOFTMAX".into(),
        "tensor" => "ELEMENTWISE AND BROADCAST".into(),
        "model" => "GPT-2 GENERATION (25 tokens, KV cache)".into(),
        "matmul_backward" => "MATMUL BACKWARD PASS".into(),
        "train" => "TRAINING STEP (AdamW)".into(),
        "layer_norm" => "LAYER NORM".into(),
        other => other.to_uppercase(),
    }
}

/// The badge a verdict shows: severity label, STABLE or UNSTABLE.
pub fn badge(v: &Verdict) -> String {
    let base = match (v.verdict, v.severity) {
        (VerdictKind::Regression | VerdictKind::Improvement, Some(s)) => s.label().to_string(),
        (VerdictKind::Regression, None) => "🔴 REGRESSION".into(),
        (VerdictKind::Improvement, None) => "🟢 IMPROVEMENT".into(),
        (VerdictKind::Stable, _) => "➡️ STABLE".into(),
        (VerdictKind::Unstable, _) => "⚠️ UNSTABLE".into(),
        (VerdictKind::Inconclusive, _) => "⚠️ INCONCLUSIVE".into(),
    };
    if v.borderline {
        format!("{base} (borderline: re-run)")
    } else {
        base
    }
}

pub(super) fn change_of(v: &Verdict) -> String {
    fmt::change(v.baseline, v.current, v.change)
}

/// The test evidence of a verdict: `q=…` for tested metrics, `exact` otherwise.
pub(super) fn evidence(v: &Verdict) -> String {
    match v.kind {
        MetricKind::Deterministic => format!("exact, tol {:.1} %", v.threshold * 100.0),
        _ => format!("q={}", fmt::p(v.q_value)),
    }
}

pub(super) fn direction(v: &Verdict) -> &'static str {
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
