//! One line per cause: the verdicts a reader must act on (the gate's failures,
//! a comparison's regressions), grouped by the root cause that explains them,
//! else by family and what changed. Derived metrics fold into their source
//! (a throughput repeats its time's decision) and diagnostics (`*_unpooled`)
//! never appear. Used by the gate's output and the PR comment.

use super::findings::{cause, families};
use super::labels::change_with_interval;
use super::text::plain;
use super::units;
use crate::analysis::metrics::{Class, class_of, is_primary};
use crate::analysis::verdict;
use crate::compare::effect;
use crate::compare::model::{ActionKind, Comparison, Finding, Role, Severity, Verdict};
use crate::result::MetricKind;

/// One cause and the verdicts it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct CauseLine {
    /// Index into `root_causes`, when a finding explains the verdicts.
    pub finding: Option<usize>,
    pub critical: bool,
    /// The workloads, each once.
    pub workloads: Vec<String>,
    /// Workloads by family: `gelu/* (4), model/small`.
    pub families: String,
    /// What changed and by how much: `allocations +64.00 KiB/op, time +9.8 % [+7.1, +12.6] %`.
    pub changed: String,
    /// The root cause in words, or why there is none.
    pub cause: String,
    pub confirmed: bool,
    /// The command to run next.
    pub command: Option<String>,
}

/// Group `keys` (workload, metric) into cause lines, most important first:
/// findings in their order, then families.
pub fn lines(cmp: &Comparison, keys: &[(String, String)]) -> Vec<CauseLine> {
    let mut items: Vec<&Verdict> = Vec::new();
    for (w, m) in keys {
        let Some(v) = verdict(cmp, w, m) else {
            continue;
        };
        if class_of(v) == Class::Diagnostic || items.iter().any(|x| std::ptr::eq(*x, v)) {
            continue;
        }
        items.push(v);
    }
    // Derived metrics fold into their source when it is there too.
    let sources: Vec<(String, String)> = items
        .iter()
        .map(|v| (v.workload.clone(), v.metric.clone()))
        .collect();
    items.retain(|v| {
        v.kind != MetricKind::Derived
            || !v
                .derived_from
                .as_ref()
                .is_some_and(|s| sources.contains(&(v.workload.clone(), s.clone())))
    });

    // When the environments differ, that comes before any finding about the code.
    let environment = cmp.root_causes.iter().find_map(|rc| match &rc.finding {
        Finding::Environment { differences, .. } => Some((
            &rc.workloads,
            differences
                .iter()
                .map(|d| {
                    format!(
                        "{} {} → {}",
                        plain(&d.field),
                        plain(&d.baseline),
                        plain(&d.current)
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        )),
        _ => None,
    });
    let with_env = |workloads: &[&Verdict], cause: String| match &environment {
        Some((covered, diff)) if workloads.iter().any(|v| covered.contains(&v.workload)) => {
            format!("environment differs ({diff}); {cause}")
        }
        _ => cause,
    };
    let mut out = Vec::new();
    for (i, rc) in cmp.root_causes.iter().enumerate() {
        if matches!(rc.finding, Finding::Environment { .. }) {
            continue;
        }
        let allocation = matches!(rc.finding, Finding::Allocation { .. });
        let in_evidence = |v: &Verdict| {
            rc.evidence.iter().any(|e| {
                e.role != Role::NotSlower && e.workload == v.workload && e.metric == v.metric
            })
        };
        let claims = |v: &&Verdict| {
            rc.workloads.contains(&v.workload)
                && match class_of(v) {
                    Class::Time => !allocation || in_evidence(v) || time_of_alloc(rc, v),
                    Class::Allocation => allocation,
                    _ => false,
                }
        };
        let (mine, rest): (Vec<&Verdict>, Vec<&Verdict>) = items.into_iter().partition(claims);
        items = rest;
        if mine.is_empty() {
            continue;
        }
        let text = cause(cmp, rc).finding;
        out.push(line(
            cmp,
            Some(i),
            &mine,
            with_env(&mine, text),
            rc.confirmed,
        ));
    }
    // What no finding explains: one line per family and class.
    let mut groups: Vec<((String, Class), Vec<&Verdict>)> = Vec::new();
    for v in items {
        let key = (v.group.clone(), class_of(v));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, vs)) => vs.push(v),
            None => groups.push((key, vec![v])),
        }
    }
    for (_, vs) in groups {
        let confirmed = vs
            .iter()
            .all(|v| crate::analysis::evidence::is_confirmed(v));
        out.push(line(
            cmp,
            None,
            &vs,
            with_env(&vs, "no root cause found".to_string()),
            confirmed,
        ));
    }
    out
}

/// A time verdict of a workload an allocation finding names: the allocation
/// explains what it costs.
fn time_of_alloc(rc: &crate::compare::model::RootCause, v: &Verdict) -> bool {
    rc.evidence.iter().any(|e| e.workload == v.workload) && is_primary(&v.metric)
}

fn line(
    cmp: &Comparison,
    finding: Option<usize>,
    vs: &[&Verdict],
    cause: String,
    confirmed: bool,
) -> CauseLine {
    let mut workloads: Vec<String> = Vec::new();
    for v in vs {
        if !workloads.contains(&v.workload) {
            workloads.push(v.workload.clone());
        }
    }
    let worst = |class: Class, only: Option<&str>| -> Option<&Verdict> {
        vs.iter()
            .copied()
            .filter(|v| class_of(v) == class && only.is_none_or(|m| v.metric == m))
            .max_by(|a, b| effect(a.change, a.better).total_cmp(&effect(b.change, b.better)))
    };
    let mut parts = Vec::new();
    if let Some(v) =
        worst(Class::Allocation, Some("alloc_bytes")).or_else(|| worst(Class::Allocation, None))
    {
        let per_call =
            finding
                .and_then(|i| cmp.root_causes.get(i))
                .and_then(|rc| match rc.finding {
                    Finding::Allocation {
                        per_call: Some([b, c]),
                        ..
                    } => Some(c - b),
                    _ => None,
                });
        parts.push(match per_call {
            Some(d) => format!("allocations {} per call", units::bytes_delta(d)),
            None if v.unit == "B" => format!(
                "allocations {}{} per op ({}{} → {})",
                up_to(vs, v),
                units::bytes_delta(v.current - v.baseline),
                if several(vs, v) {
                    format!("{}: ", plain(&v.workload))
                } else {
                    String::new()
                },
                units::value(v.baseline, &v.unit),
                units::value(v.current, &v.unit),
            ),
            None => format!(
                "{} {}{}",
                super::labels::metric_short(&v.metric),
                up_to(vs, v),
                super::labels::change_of(v)
            ),
        });
    }
    if let Some(v) = worst(Class::Time, None) {
        parts.push(format!(
            "{} {}{}{}",
            if v.metric == "instructions" {
                "instructions"
            } else {
                "time"
            },
            up_to(vs, v),
            change_with_interval(v),
            at(vs, v)
        ));
    }
    if let Some(v) = worst(Class::Other, None) {
        parts.push(format!(
            "{} {}{}{}",
            plain(&v.metric),
            up_to(vs, v),
            change_with_interval(v),
            at(vs, v)
        ));
    }
    let command = cmp
        .actions
        .iter()
        .find(|a| match &a.what {
            ActionKind::Fix {
                finding: f,
                workloads: ws,
                ..
            } => match finding {
                Some(_) => *f == finding,
                None => f.is_none() && ws.iter().any(|w| workloads.contains(w)),
            },
            _ => false,
        })
        .and_then(|a| a.command.clone());
    CauseLine {
        finding,
        critical: vs.iter().any(|v| v.severity == Some(Severity::Critical)),
        families: families(&workloads),
        workloads,
        changed: parts.join("; "),
        cause,
        confirmed,
        command,
    }
}

/// Whether figures of several workloads stand behind the one shown.
fn several(vs: &[&Verdict], v: &Verdict) -> bool {
    vs.iter()
        .any(|x| x.workload != v.workload && class_of(x) == class_of(v))
}

/// `up to ` before the worst of several workloads' figures.
fn up_to(vs: &[&Verdict], v: &Verdict) -> &'static str {
    if several(vs, v) { "up to " } else { "" }
}

/// ` (gelu/1m)` after the worst of several workloads' figures, the two sides
/// (` (1.15 ms → 1.26 ms)`) after a single workload's.
fn at(vs: &[&Verdict], v: &Verdict) -> String {
    if several(vs, v) {
        format!(" ({})", plain(&v.workload))
    } else {
        format!(
            " ({} → {})",
            units::value(v.baseline, &v.unit),
            units::value(v.current, &v.unit)
        )
    }
}
