//! METRICS_SUMMARY.md's tables: verdicts by category and every metric by group.

use super::groups::groups;
use super::model::{CategoryRow, MetricGroup, MetricRow};
use crate::compare::model::Basis;
use crate::compare::model::{Comparison, Verdict};
use crate::report::labels::{badge, change_of, evidence, group_title, metric_label};
use crate::report::text::plain;
use crate::report::units as fmt;
use crate::result::MetricKind;

pub(super) fn category(cmp: &Comparison, keep: impl Fn(&Verdict) -> bool) -> Vec<CategoryRow> {
    let mut rows: Vec<&Verdict> = cmp
        .verdicts
        .iter()
        .filter(|v| v.kind != MetricKind::Derived && keep(v))
        .collect();
    rows.sort_by(|a, b| {
        crate::compare::effect(b.change, b.better)
            .abs()
            .total_cmp(&crate::compare::effect(a.change, a.better).abs())
    });
    rows.into_iter()
        .map(|v| CategoryRow {
            workload: plain(&v.workload),
            metric: plain(&metric_label(&v.metric)),
            change: change_of(v),
            status: badge(v),
            evidence: evidence(v),
        })
        .collect()
}

pub(super) fn metric_groups(cmp: &Comparison) -> Vec<MetricGroup> {
    groups(cmp)
        .into_iter()
        .map(|(g, vs)| MetricGroup {
            title: group_title(&g),
            rows: vs
                .into_iter()
                .map(|v| MetricRow {
                    workload: plain(&v.workload),
                    metric: plain(&v.metric),
                    kind: match v.kind {
                        MetricKind::Sampled => "sampled".into(),
                        MetricKind::Derived => format!(
                            "derived ({})",
                            plain(v.derived_from.as_deref().unwrap_or("?"))
                        ),
                        MetricKind::Deterministic => "exact".into(),
                    },
                    baseline: fmt::value(v.baseline, &v.unit),
                    current: fmt::value(v.current, &v.unit),
                    change: change_of(v),
                    ci95: v.ci95.map(fmt::interval).unwrap_or_else(|| "—".into()),
                    p: fmt::p(v.p_value),
                    q: fmt::p(v.q_value),
                    n: format!("{}/{}", v.n[0], v.n[1]),
                    basis: match v.basis {
                        Basis::Deterministic => "exact",
                        Basis::Stored => "stored runs",
                        Basis::Paired => "lockstep",
                    }
                    .to_string(),
                    threshold: format!(
                        "{} ({})",
                        fmt::threshold(v.threshold),
                        match v.threshold_source {
                            crate::compare::model::ThresholdSource::Default => "default",
                            crate::compare::model::ThresholdSource::Config => "config",
                            crate::compare::model::ThresholdSource::Calibrated => "calibrated",
                        }
                    ),
                    verdict: badge(v),
                })
                .collect(),
        })
        .collect()
}
