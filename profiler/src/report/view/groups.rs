//! Verdicts grouped by workload family, in the comparison's order.

use crate::compare::model::{Comparison, Verdict};

/// Groups in verdict order, each with its verdicts.
pub(super) fn groups(cmp: &Comparison) -> Vec<(String, Vec<&Verdict>)> {
    let mut out: Vec<(String, Vec<&Verdict>)> = Vec::new();
    for v in &cmp.verdicts {
        match out.iter_mut().find(|(g, _)| *g == v.group) {
            Some((_, vs)) => vs.push(v),
            None => out.push((v.group.clone(), vec![v])),
        }
    }
    out
}

/// Distinct workloads of a group's verdicts, in order.
pub(super) fn workloads_of<'a>(vs: &[&'a Verdict]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for v in vs {
        if !out.contains(&v.workload.as_str()) {
            out.push(&v.workload);
        }
    }
    out
}
