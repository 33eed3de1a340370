//! Allocation regressions, named with the op that allocates more: for each
//! workload whose allocations grew (exact figures, always admissible), the
//! per-op attribution of the allocation pass says which op's bytes grew; the
//! workloads are grouped by that op, one finding per op.

use super::metrics::{Class, class_of, is_allocation_amount};
use super::ops::attribute;
use super::root_cause::Draft;
use crate::compare::model::{Comparison, Evidence, Finding, Role, VerdictKind};
use crate::result::RunResult;

/// One finding per op (or, without attribution, per workload family).
pub(super) fn find(cmp: &Comparison, baseline: &RunResult, current: &RunResult) -> Vec<Draft> {
    let mut workloads: Vec<&str> = Vec::new();
    for v in &cmp.verdicts {
        if v.verdict == VerdictKind::Regression
            && is_allocation_amount(&v.metric)
            && !workloads.contains(&v.workload.as_str())
        {
            workloads.push(&v.workload);
        }
    }
    // (op or family key, draft, per-call pairs for the median).
    let mut drafts: Vec<(String, Draft, Vec<[f64; 2]>)> = Vec::new();
    for w in workloads {
        let attribution = attribute(w, baseline, current, |f| f.alloc_bytes);
        let op = attribution.as_ref().map(|a| a.ops[0].0.clone());
        let key = match &op {
            Some(op) => format!("op:{op}"),
            None => format!(
                "group:{}",
                cmp.verdicts
                    .iter()
                    .find(|v| v.workload == w)
                    .map_or("", |v| v.group.as_str())
            ),
        };
        let i = match drafts.iter().position(|(k, _, _)| *k == key) {
            Some(i) => i,
            None => {
                drafts.push((
                    key,
                    Draft {
                        finding: Finding::Allocation {
                            op: op.clone(),
                            per_call: None,
                        },
                        workloads: Vec::new(),
                        evidence: Vec::new(),
                        score: 0.0,
                    },
                    Vec::new(),
                ));
                drafts.len() - 1
            }
        };
        let (_, draft, per_call) = &mut drafts[i];
        draft.add_workload(w);
        let op_figures = |r: &RunResult| {
            op.as_ref()
                .and_then(|op| r.workload(w).and_then(|x| x.ops.get(op)).copied())
        };
        let (ob, oc) = (op_figures(baseline), op_figures(current));
        let op_bytes = match (ob, oc) {
            (Some(b), Some(c)) => Some([b.alloc_bytes, c.alloc_bytes]),
            (None, Some(c)) => Some([0.0, c.alloc_bytes]),
            _ => None,
        };
        if let (Some(b), Some(c)) = (ob, oc)
            && b.calls > 0.0
            && c.calls > 0.0
        {
            per_call.push([b.alloc_bytes / b.calls, c.alloc_bytes / c.calls]);
        }
        let share = attribution.as_ref().map(|a| a.ops[0].1);
        for v in cmp.verdicts.iter().filter(|v| {
            v.workload == w
                && v.verdict == VerdictKind::Regression
                && class_of(v) == Class::Allocation
        }) {
            if v.metric == "alloc_bytes" {
                draft.score += v.current - v.baseline;
            }
            draft.add_evidence(Evidence {
                workload: w.to_string(),
                metric: v.metric.clone(),
                role: Role::Decided,
                share: (v.metric == "alloc_bytes").then_some(share).flatten(),
                op_bytes: (v.metric == "alloc_bytes").then_some(op_bytes).flatten(),
            });
        }
    }
    drafts
        .into_iter()
        .map(|(_, mut d, mut per_call)| {
            if let Finding::Allocation { per_call: pc, .. } = &mut d.finding
                && !per_call.is_empty()
            {
                // The median workload by increase per call.
                per_call.sort_by(|a, b| (a[1] - a[0]).total_cmp(&(b[1] - b[0])));
                *pc = Some(per_call[per_call.len() / 2]);
            }
            d
        })
        .collect()
}
