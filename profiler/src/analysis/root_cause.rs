//! Root-cause findings, in the order a reader should act on them: environment
//! differences (they change every figure), then allocation regressions named
//! with their op (an allocation explains the time it costs, so a slower op that
//! also allocates more is one finding), then timing: the ops that are slower,
//! by kernel benchmarks and composite workloads together, strongest first.

use super::evidence::{is_confirmed, ratio, standing};
use super::metrics::{Class, class_of, is_primary};
use super::{allocation, timing};
use crate::compare::model::{Comparison, Evidence, Finding, KernelCheck, Role, RootCause};
use crate::result::RunResult;

/// A finding being assembled.
#[derive(Debug, Clone)]
pub(super) struct Draft {
    pub finding: Finding,
    pub workloads: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// How much it explains (Σ log time ratio or bytes): the order within its kind.
    pub score: f64,
}

impl Draft {
    /// Add a workload once, keeping first-seen order.
    pub fn add_workload(&mut self, w: &str) {
        if !self.workloads.iter().any(|x| x == w) {
            self.workloads.push(w.to_string());
        }
    }

    /// Add evidence once per (workload, metric).
    pub fn add_evidence(&mut self, e: Evidence) {
        if !self
            .evidence
            .iter()
            .any(|x| x.workload == e.workload && x.metric == e.metric)
        {
            self.evidence.push(e);
        }
    }

    fn finish(self, cmp: &Comparison) -> RootCause {
        // Unconfirmed as soon as one decided piece of the evidence that makes
        // the finding is a stored-run screen. Allocation findings rest on exact
        // allocation figures; the time they cost is context.
        let allocation = matches!(self.finding, Finding::Allocation { .. });
        let confirmed = self
            .evidence
            .iter()
            .filter(|e| e.role == Role::Decided)
            .filter_map(|e| super::verdict(cmp, &e.workload, &e.metric))
            .filter(|v| !allocation || class_of(v) == Class::Allocation)
            .all(is_confirmed);
        // Workloads in the comparison's order.
        let mut workloads = self.workloads;
        let order = |w: &str| cmp.verdicts.iter().position(|v| v.workload == w);
        workloads.sort_by_key(|w| order(w).unwrap_or(usize::MAX));
        RootCause {
            finding: self.finding,
            workloads,
            evidence: self.evidence,
            confirmed,
        }
    }
}

/// Every finding, most likely cause first.
pub fn find(cmp: &Comparison, baseline: &RunResult, current: &RunResult) -> Vec<RootCause> {
    let mut out: Vec<RootCause> = environment(cmp).into_iter().collect();
    let mut allocs = allocation::find(cmp, baseline, current);
    let mut slower = timing::find(cmp, baseline, current);
    // A slower op that also allocates more: the allocation is the story, the
    // time it costs is part of its evidence. So is an op that is slower only
    // inside workloads that allocate more while its own kernel is not slower:
    // the callers copy more.
    slower.retain(|t| {
        let only_callers = matches!(
            t.finding,
            Finding::OpSlower {
                kernel: KernelCheck::NotSlower { .. } | KernelCheck::NotMeasured,
                ..
            }
        );
        let Some(a) = allocs.iter_mut().find(|a| {
            (a.finding.op().is_some() && a.finding.op() == t.finding.op())
                || (only_callers && t.workloads.iter().all(|w| a.workloads.contains(w)))
        }) else {
            return true;
        };
        for w in &t.workloads {
            a.add_workload(w);
        }
        let same_op = a.finding.op() == t.finding.op();
        for e in &t.evidence {
            if e.role != Role::NotSlower {
                // A share is the finding's op's; another op's would mislead.
                let share = if same_op { e.share } else { None };
                a.add_evidence(Evidence { share, ..e.clone() });
            }
        }
        false
    });
    allocs.sort_by(|a, b| b.score.total_cmp(&a.score));
    slower.sort_by(|a, b| b.score.total_cmp(&a.score));
    out.extend(allocs.into_iter().map(|d| d.finish(cmp)));
    out.extend(slower.into_iter().map(|d| d.finish(cmp)));
    out
}

/// The environment differs: a finding of its own, first, with the regressions
/// it may explain as evidence.
fn environment(cmp: &Comparison) -> Option<RootCause> {
    if cmp.env_differences.is_empty() {
        return None;
    }
    let mut d = Draft {
        finding: Finding::Environment {
            differences: cmp.env_differences.clone(),
            same_commit: match (&cmp.baseline.commit, &cmp.current.commit) {
                (Some(b), Some(c)) => b.sha == c.sha,
                _ => false,
            },
        },
        workloads: Vec::new(),
        evidence: Vec::new(),
        score: 0.0,
    };
    for v in cmp.verdicts.iter().filter(|v| is_primary(&v.metric)) {
        if standing(cmp, v).is_decided() {
            d.add_workload(&v.workload);
            d.add_evidence(Evidence {
                workload: v.workload.clone(),
                metric: v.metric.clone(),
                role: Role::Decided,
                share: None,
                op_bytes: None,
            });
            d.score += ratio(v).ln();
        }
    }
    Some(d.finish(cmp))
}
