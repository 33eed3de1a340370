//! Timing findings: which engine op is slower. Two sources agree or not:
//!
//! - the op's kernel benchmarks (`matmul/128` … `matmul/1024`), where every
//!   measured size counts: all slower → the kernel itself; some → a size
//!   pattern (largest only: blocking or cache; smallest only: per-call
//!   overhead);
//! - composite workloads (models, training, backward passes) whose decided
//!   slowdown the per-op attribution places on the op.
//!
//! One finding per op, and only with at least one admissible decided
//! regression among its workloads: weak evidence shapes a pattern, it never
//! makes a finding alone.

use super::evidence::{Standing, ratio, standing};
use super::metrics::is_primary;
use super::ops::{attribute, kernel_op, size_of};
use super::root_cause::Draft;
use crate::compare::effect;
use crate::compare::model::{
    Comparison, Evidence, Finding, KernelCheck, Role, SizePattern, Verdict,
};
use crate::result::RunResult;

/// A kernel benchmark's primary verdict and how it stands.
struct Member<'a> {
    size: Option<f64>,
    verdict: &'a Verdict,
    standing: Standing,
}

/// A composite workload's decided slowdown placed on an op.
struct Attributed<'a> {
    verdict: &'a Verdict,
    share: f64,
}

pub(super) fn find(cmp: &Comparison, baseline: &RunResult, current: &RunResult) -> Vec<Draft> {
    // Each workload's primary verdict: wall time, else instruction counts.
    let mut primary: Vec<&Verdict> = Vec::new();
    for v in cmp.verdicts.iter().filter(|v| is_primary(&v.metric)) {
        match primary.iter().position(|p| p.workload == v.workload) {
            Some(i) if primary[i].metric != "time_ns" && v.metric == "time_ns" => primary[i] = v,
            Some(_) => {}
            None => primary.push(v),
        }
    }
    let mut families: Vec<(String, Vec<Member>)> = Vec::new();
    let mut attributed: Vec<(String, Vec<Attributed>)> = Vec::new();
    for v in primary {
        let s = standing(cmp, v);
        match kernel_op(&v.workload).map(str::to_string) {
            Some(op) => {
                let member = Member {
                    size: size_of(&v.workload),
                    verdict: v,
                    standing: s,
                };
                match families.iter_mut().find(|(o, _)| *o == op) {
                    Some((_, ms)) => ms.push(member),
                    None => families.push((op, vec![member])),
                }
            }
            None if s.is_decided() => {
                let Some(a) = attribute(&v.workload, baseline, current, |f| f.time_ns) else {
                    continue;
                };
                // The attribution pass must see the slowdown too (half of it at
                // least), or its shares explain noise.
                if a.total_change < 0.5 * effect(v.change, v.better) {
                    continue;
                }
                for (op, share) in a.ops {
                    let entry = Attributed { verdict: v, share };
                    match attributed.iter_mut().find(|(o, _)| *o == op) {
                        Some((_, xs)) => xs.push(entry),
                        None => attributed.push((op, vec![entry])),
                    }
                }
            }
            None => {}
        }
    }
    let mut ops: Vec<String> = families
        .iter()
        .filter(|(_, ms)| ms.iter().any(|m| m.standing.is_worse()))
        .map(|(op, _)| op.clone())
        .collect();
    for (op, _) in &attributed {
        if !ops.contains(op) {
            ops.push(op.clone());
        }
    }
    let empty_m: Vec<Member> = Vec::new();
    let empty_a: Vec<Attributed> = Vec::new();
    ops.into_iter()
        .filter_map(|op| {
            let family = families
                .iter()
                .find(|(o, _)| *o == op)
                .map_or(&empty_m, |(_, ms)| ms);
            let composites = attributed
                .iter()
                .find(|(o, _)| *o == op)
                .map_or(&empty_a, |(_, xs)| xs);
            draft(op, family, composites)
        })
        .collect()
}

/// The finding for one op, if a decided regression supports it.
fn draft(op: String, family: &[Member], composites: &[Attributed]) -> Option<Draft> {
    let decided = family.iter().any(|m| m.standing.is_decided()) || !composites.is_empty();
    if !decided {
        return None;
    }
    let mut members: Vec<&Member> = family.iter().collect();
    let sized = members.iter().all(|m| m.size.is_some());
    if sized {
        members.sort_by(|a, b| a.size.unwrap_or(0.0).total_cmp(&b.size.unwrap_or(0.0)));
    }
    let worse: Vec<bool> = members.iter().map(|m| m.standing.is_worse()).collect();
    let (k, n) = (worse.iter().filter(|&&w| w).count(), members.len());
    let finding = if n == 0 {
        Finding::OpSlower {
            op: op.clone(),
            kernel: KernelCheck::NotMeasured,
        }
    } else if k == n {
        let ratios: Vec<f64> = members.iter().map(|m| ratio(m.verdict)).collect();
        Finding::OpSlower {
            op: op.clone(),
            kernel: KernelCheck::AllSizes {
                sizes: n as u32,
                ratio: [
                    ratios.iter().copied().fold(f64::INFINITY, f64::min),
                    ratios.iter().copied().fold(0.0, f64::max),
                ],
            },
        }
    } else if k == 0 {
        Finding::OpSlower {
            op: op.clone(),
            kernel: KernelCheck::NotSlower { sizes: n as u32 },
        }
    } else {
        let (slower, of) = (k as u32, n as u32);
        let pattern = if sized && worse[n - k..].iter().all(|&w| w) {
            SizePattern::LargestOnly { slower, of }
        } else if sized && worse[..k].iter().all(|&w| w) {
            SizePattern::SmallestOnly { slower, of }
        } else {
            SizePattern::Scattered { slower, of }
        };
        Finding::SizePattern {
            group: members[0].verdict.group.clone(),
            op: Some(op.clone()),
            pattern,
        }
    };
    let mut d = Draft {
        finding,
        workloads: Vec::new(),
        evidence: Vec::new(),
        score: 0.0,
    };
    for m in &members {
        let role = match m.standing {
            Standing::Worse { decided: true } => Role::Decided,
            Standing::Worse { decided: false } => Role::Weak,
            Standing::NotWorse => Role::NotSlower,
        };
        if role != Role::NotSlower {
            d.add_workload(&m.verdict.workload);
        }
        if role == Role::Decided {
            d.score += ratio(m.verdict).ln();
        }
        d.add_evidence(Evidence {
            workload: m.verdict.workload.clone(),
            metric: m.verdict.metric.clone(),
            role,
            share: None,
            op_bytes: None,
        });
    }
    for c in composites {
        d.add_workload(&c.verdict.workload);
        d.score += ratio(c.verdict).ln() * c.share;
        d.add_evidence(Evidence {
            workload: c.verdict.workload.clone(),
            metric: c.verdict.metric.clone(),
            role: Role::Decided,
            share: Some(c.share),
            op_bytes: None,
        });
    }
    Some(d)
}
