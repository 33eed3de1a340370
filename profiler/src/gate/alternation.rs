//! Wall-time verdicts from a measurement of both builds in alternation.
//!
//! Two stored runs taken minutes apart differ by whatever the machine was doing
//! at the time: on a shared machine, spells 10–30 % slower that last seconds. A
//! baseline measured in such a spell hides a real 10 % regression (the gate's
//! wall-time detection figure missed 4 of 20 that way), and one measured in a fast
//! spell invents one. When the gate has both builds at hand it therefore measures
//! them again in alternation (sample by sample in lockstep,
//! [`crate::measure::lockstep`], when both builds speak it) and decides every
//! wall-time metric from that measurement; the stored comparison stays the report's.

use crate::compare::model::{Comparison, Verdict, VerdictKind};
use crate::gate::decision::is_wall_time;

/// The workloads that have a wall-time verdict in `cmp` (in its order, once each).
pub fn wall_time_workloads(cmp: &Comparison) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for v in cmp.verdicts.iter().filter(|v| is_wall_time(v)) {
        if !names.contains(&v.workload) {
            names.push(v.workload.clone());
        }
    }
    names
}

/// Replace every wall-time verdict of `stored` by the verdict on the same workload
/// and metric in `alternating` (the comparison of the alternating measurement).
/// A verdict the alternating comparison lacks stays as stored. Returns one note
/// per metric whose verdict changed to or from a regression, so that the output
/// says where the stored runs and the alternation disagree.
pub fn replace_wall_time(stored: &mut Comparison, alternating: &Comparison) -> Vec<String> {
    let mut notes = Vec::new();
    for v in stored.verdicts.iter_mut().filter(|v| is_wall_time(v)) {
        let Some(a) = alternating
            .verdicts
            .iter()
            .find(|a| a.workload == v.workload && a.metric == v.metric)
        else {
            continue;
        };
        let disagree = v.verdict != a.verdict
            && (v.verdict == VerdictKind::Regression || a.verdict == VerdictKind::Regression);
        if disagree {
            notes.push(format!(
                "{} {}: the stored runs say {} ({:+.1} %), the alternating measurement {} ({:+.1} %); the gate goes by the alternation",
                v.workload,
                v.metric,
                v.verdict.as_str(),
                v.change * 100.0,
                a.verdict.as_str(),
                a.change * 100.0
            ));
        }
        adopt(v, a);
    }
    notes
}

/// Take `a`'s figures and decision, keeping `v`'s identity (workload, metric, group).
fn adopt(v: &mut Verdict, a: &Verdict) {
    v.baseline = a.baseline;
    v.current = a.current;
    v.change = a.change;
    v.ci95 = a.ci95;
    v.p_value = a.p_value;
    v.q_value = a.q_value;
    v.verdict = a.verdict;
    v.severity = a.severity;
    v.threshold = a.threshold;
    v.threshold_source = a.threshold_source;
    v.modes = a.modes.clone();
    v.borderline = a.borderline;
    v.n = a.n;
    v.basis = a.basis;
}
