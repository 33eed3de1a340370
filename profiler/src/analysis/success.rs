//! Success stories: admissible improvements, one per family and metric,
//! largest first.

use super::evidence::is_admissible_improvement;
use crate::compare::effect;
use crate::compare::model::{Comparison, SuccessStory, Verdict};

/// One story per (family, metric) with improvements, largest total effect first.
pub fn find(cmp: &Comparison) -> Vec<SuccessStory> {
    let improved: Vec<&Verdict> = cmp
        .verdicts
        .iter()
        .filter(|v| v.is_independent() && is_admissible_improvement(cmp, v))
        .collect();
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for v in &improved {
        if !keys.contains(&(v.group.as_str(), v.metric.as_str())) {
            keys.push((&v.group, &v.metric));
        }
    }
    let gain = |v: &Verdict| -effect(v.change, v.better);
    let mut stories: Vec<(f64, SuccessStory)> = keys
        .into_iter()
        .map(|(group, metric)| {
            let mut members: Vec<&&Verdict> = improved
                .iter()
                .filter(|v| v.group == group && v.metric == metric)
                .collect();
            members.sort_by(|a, b| gain(b).total_cmp(&gain(a)));
            let of = cmp
                .verdicts
                .iter()
                .filter(|v| v.group == group && v.metric == metric)
                .count() as u32;
            (
                members.iter().map(|v| gain(v)).sum::<f64>(),
                SuccessStory {
                    group: group.to_string(),
                    metric: metric.to_string(),
                    workloads: members.iter().map(|v| v.workload.clone()).collect(),
                    of,
                },
            )
        })
        .collect();
    stories.sort_by(|a, b| b.0.total_cmp(&a.0));
    stories.into_iter().map(|(_, s)| s).collect()
}
