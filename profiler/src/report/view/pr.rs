//! The PR comment's rows: one per cause of regression, then what stayed
//! unstable or undecided, waived regressions, and improvements by family —
//! each kind capped so the comment fits one screen, with what was left out
//! counted and where to find it.

use super::model::{PrRow, PrView};
use crate::analysis::evidence::{is_admissible_improvement, standing};
use crate::compare::model::{Comparison, VerdictKind};
use crate::report::causes;
use crate::report::findings::{families, story_change};
use crate::report::labels::{change_with_interval, metric_short, rounds};
use crate::report::text::plain;

/// Rows of each kind shown before "+N more".
const CAUSES: usize = 8;
const OTHERS: usize = 4;

pub(super) fn rows(cmp: &Comparison) -> PrView {
    let mut rows = Vec::new();
    let mut more = Vec::new();
    let keys: Vec<(String, String)> = cmp
        .verdicts
        .iter()
        .filter(|v| v.is_independent() && v.waiver.is_none() && standing(cmp, v).is_decided())
        .map(|v| (v.workload.clone(), v.metric.clone()))
        .collect();
    let lines = causes::lines(cmp, &keys);
    for l in lines.iter().take(CAUSES) {
        rows.push(PrRow {
            mark: "🔴".into(),
            status: format!(
                "{}{}",
                if l.critical { "CRITICAL" } else { "REGRESSION" },
                if l.confirmed { "" } else { " (unconfirmed)" }
            ),
            workloads: l.families.clone(),
            changed: l.changed.clone(),
            cause: l.cause.clone(),
            command: l.command.as_deref().map(plain).unwrap_or_default(),
        });
    }
    if lines.len() > CAUSES {
        more.push(format!(
            "+{} more causes of regression (ROOT_CAUSE.md)",
            lines.len() - CAUSES
        ));
    }

    let undecided: Vec<PrRow> = cmp
        .verdicts
        .iter()
        .filter(|v| {
            v.is_independent()
                && matches!(v.verdict, VerdictKind::Unstable | VerdictKind::Inconclusive)
        })
        .map(|v| PrRow {
            mark: "⚠️".into(),
            status: if v.verdict == VerdictKind::Unstable {
                "UNSTABLE".into()
            } else {
                "UNDECIDED".into()
            },
            workloads: plain(&v.workload),
            changed: format!("{} {}", metric_short(&v.metric), change_with_interval(v)),
            cause: if v.verdict == VerdictKind::Unstable {
                "samples in separate clusters: not judged".into()
            } else {
                format!("undecided after {} rounds", rounds(cmp))
            },
            command: String::new(),
        })
        .collect();
    let waived: Vec<PrRow> = cmp
        .verdicts
        .iter()
        .filter(|v| v.is_independent() && v.verdict == VerdictKind::Regression)
        .filter_map(|v| {
            v.waiver.as_ref().map(|w| PrRow {
                mark: "➖".into(),
                status: "WAIVED".into(),
                workloads: plain(&v.workload),
                changed: format!("{} {}", metric_short(&v.metric), change_with_interval(v)),
                cause: plain(w),
                command: String::new(),
            })
        })
        .collect();
    for (kind, list, file) in [
        ("unstable or undecided", undecided, "METRICS_SUMMARY.md"),
        ("waived", waived, "METRICS_SUMMARY.md"),
    ] {
        if list.len() > OTHERS {
            more.push(format!("+{} more {kind} ({file})", list.len() - OTHERS));
        }
        rows.extend(list.into_iter().take(OTHERS));
    }

    let improved = cmp
        .success_stories
        .iter()
        .filter(|s| {
            s.workloads.iter().any(|w| {
                crate::analysis::verdict(cmp, w, &s.metric)
                    .is_some_and(|v| is_admissible_improvement(cmp, v))
            })
        })
        .collect::<Vec<_>>();
    for s in improved.iter().take(OTHERS) {
        rows.push(PrRow {
            mark: "🟢".into(),
            status: "IMPROVEMENT".into(),
            workloads: families(&s.workloads),
            changed: format!(
                "{} {} in {} of {}",
                metric_short(&s.metric),
                story_change(cmp, s),
                s.workloads.len(),
                s.of
            ),
            cause: String::new(),
            command: String::new(),
        });
    }
    if improved.len() > OTHERS {
        more.push(format!(
            "+{} more improvements (COMPARISON_CHART.md)",
            improved.len() - OTHERS
        ));
    }
    PrView { rows, more }
}
