//! Success stories: significant improvements, grouped by family.

use super::figures as fmt;
use crate::compare::model::{Comparison, SuccessStory, Verdict, VerdictKind};
use crate::result::MetricKind;

/// One story per (family, metric) with decided improvements, largest first.
pub fn find(cmp: &Comparison) -> Vec<SuccessStory> {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for v in improvements(cmp) {
        if !keys.contains(&(v.group.as_str(), v.metric.as_str())) {
            keys.push((&v.group, &v.metric));
        }
    }
    let mut stories: Vec<(f64, SuccessStory)> = keys
        .into_iter()
        .map(|(group, metric)| {
            let members: Vec<&Verdict> = improvements(cmp)
                .filter(|v| v.group == group && v.metric == metric)
                .collect();
            let of = cmp
                .verdicts
                .iter()
                .filter(|v| v.group == group && v.metric == metric)
                .count();
            let mut changes: Vec<f64> = members.iter().map(|v| v.change).collect();
            changes.sort_by(f64::total_cmp);
            let range = if changes.len() == 1 {
                fmt::change(1.0, 1.0 + changes[0], changes[0])
            } else {
                format!(
                    "{} to {}",
                    fmt::change(
                        1.0,
                        1.0 + changes[changes.len() - 1],
                        changes[changes.len() - 1]
                    ),
                    fmt::change(1.0, 1.0 + changes[0], changes[0])
                )
            };
            let best = members
                .iter()
                .filter_map(|v| v.severity)
                .max()
                .map(|s| format!(" (up to {})", s.label()))
                .unwrap_or_default();
            let what = if metric == "time_ns" {
                "faster".to_string()
            } else {
                format!("better {metric}")
            };
            let text = format!(
                "{group}: {} of {of} workload{} {what}, {range}{best}",
                members.len(),
                if of == 1 { "" } else { "s" }
            );
            let weight = members.iter().map(|v| v.change.abs()).sum::<f64>();
            (
                weight,
                SuccessStory {
                    group: group.to_string(),
                    text,
                    workloads: members.iter().map(|v| v.workload.clone()).collect(),
                },
            )
        })
        .collect();
    stories.sort_by(|a, b| b.0.total_cmp(&a.0));
    stories.into_iter().map(|(_, s)| s).collect()
}

/// Decided improvements of independent metrics (derived ones repeat their source).
fn improvements(cmp: &Comparison) -> impl Iterator<Item = &Verdict> {
    cmp.verdicts
        .iter()
        .filter(|v| v.verdict == VerdictKind::Improvement && v.kind != MetricKind::Derived)
}
