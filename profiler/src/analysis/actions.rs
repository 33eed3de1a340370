//! Actions, by priority, each derived from a typed finding or verdict: P0 to
//! re-measure when environments differ and to fix each cause with a critical
//! regression; P1 for other causes, regressions no finding explains, unstable
//! and undecided metrics and borderline regressions; P2 for pool reuse below
//! target, improvements worth documenting and other borderline verdicts.
//! A confirmed cause gets the exact `smprof bisect`; an unconfirmed one the
//! `smprof ab` that confirms it first.

use super::evidence::{is_confirmed, standing};
use super::metrics::{Class, class_of, is_primary};
use super::ops::{files_of, files_of_op, kernel_op};
use crate::compare::effect;
use crate::compare::model::{
    Action, ActionKind, Borderline, Comparison, Finding, Priority, Role, RootCause, Severity,
    SuccessStory, Verdict, VerdictKind,
};
use crate::config::Config;
use crate::result::RunResult;

/// Every action, sorted by priority (stable within a priority).
pub fn plan(
    cmp: &Comparison,
    causes: &[RootCause],
    stories: &[SuccessStory],
    current: &RunResult,
    config: &Config,
) -> Vec<Action> {
    // Abbreviated shas (as git abbreviates them): commands stay readable and
    // git resolves them.
    let commits = match (&cmp.baseline.commit, &cmp.current.commit) {
        (Some(b), Some(c)) if b.sha != c.sha => Some((b.short.as_str(), c.short.as_str())),
        _ => None,
    };
    let regressions: Vec<&Verdict> = cmp
        .verdicts
        .iter()
        .filter(|v| v.is_independent() && standing(cmp, v).is_decided())
        .collect();
    let mut out = Vec::new();

    if !cmp.env_differences.is_empty() && !regressions.is_empty() {
        out.push(Action {
            priority: Priority::P0,
            what: ActionKind::Remeasure,
            command: rerun_command(cmp),
            files: Vec::new(),
        });
    }

    for (i, c) in causes.iter().enumerate() {
        if matches!(c.finding, Finding::Environment { .. }) {
            continue;
        }
        let decided: Vec<&Verdict> = c
            .evidence
            .iter()
            .filter(|e| e.role == Role::Decided)
            .filter_map(|e| super::verdict(cmp, &e.workload, &e.metric))
            .collect();
        let Some(target) = lead_verdict(&c.finding, &decided) else {
            continue;
        };
        let mut files = files_of(&target.workload);
        if let Some(op) = c.finding.op() {
            extend_unique(&mut files, files_of_op(op));
        }
        out.push(Action {
            priority: priority_of(&decided),
            what: ActionKind::Fix {
                finding: Some(i),
                workloads: c.workloads.clone(),
                workload: target.workload.clone(),
                metric: target.metric.clone(),
            },
            command: fix_command(commits, c.confirmed, target, &c.workloads),
            files,
        });
    }

    // Regressions no finding explains: one action per family and class.
    let explained = |v: &Verdict| {
        causes
            .iter()
            .filter(|c| !matches!(c.finding, Finding::Environment { .. }))
            .any(|c| {
                c.evidence
                    .iter()
                    .any(|e| e.workload == v.workload && e.metric == v.metric)
            })
    };
    let mut families: Vec<((&str, Class), Vec<&Verdict>)> = Vec::new();
    for v in regressions.iter().filter(|v| !explained(v)) {
        let key = (v.group.as_str(), class_of(v));
        match families.iter_mut().find(|(k, _)| *k == key) {
            Some((_, vs)) => vs.push(v),
            None => families.push((key, vec![v])),
        }
    }
    for (_, vs) in families {
        let target = vs
            .iter()
            .copied()
            .max_by(|a, b| effect(a.change, a.better).total_cmp(&effect(b.change, b.better)))
            .unwrap_or(vs[0]);
        let mut workloads: Vec<String> = Vec::new();
        for v in &vs {
            if !workloads.contains(&v.workload) {
                workloads.push(v.workload.clone());
            }
        }
        let confirmed = vs.iter().all(|v| is_confirmed(v));
        out.push(Action {
            priority: priority_of(&vs),
            command: fix_command(commits, confirmed, target, &workloads),
            files: files_of(&target.workload),
            what: ActionKind::Fix {
                finding: None,
                workloads,
                workload: target.workload.clone(),
                metric: target.metric.clone(),
            },
        });
    }

    for v in cmp.verdicts.iter().filter(|v| v.is_independent()) {
        match v.verdict {
            VerdictKind::Unstable if is_primary(&v.metric) => out.push(Action {
                priority: Priority::P1,
                what: ActionKind::Investigate {
                    workload: v.workload.clone(),
                    metric: v.metric.clone(),
                },
                command: None,
                files: files_of(&v.workload),
            }),
            VerdictKind::Inconclusive => {
                let rounds = cmp.current.settings.as_ref().map_or(0, |s| s.processes);
                out.push(Action {
                    priority: Priority::P1,
                    what: ActionKind::MeasureLonger {
                        workload: v.workload.clone(),
                        metric: v.metric.clone(),
                        rounds,
                    },
                    command: commits.map(|(b, c)| {
                        format!(
                            "smprof ab --base {b} --head {c} --filter {} --rounds {}",
                            shell_word(&v.workload),
                            (2 * rounds).max(10)
                        )
                    }),
                    files: Vec::new(),
                });
            }
            _ => {}
        }
    }

    for v in cmp
        .verdicts
        .iter()
        .filter(|v| v.borderline && v.is_independent())
    {
        out.push(Action {
            priority: if v.verdict == VerdictKind::Regression {
                Priority::P1
            } else {
                Priority::P2
            },
            what: ActionKind::Revalidate {
                workload: v.workload.clone(),
                metric: v.metric.clone(),
                reasons: borderline_reasons(v, config.alpha),
            },
            command: commits.map(|(b, c)| {
                format!(
                    "smprof ab --base {b} --head {c} --filter {}",
                    shell_word(&v.workload)
                )
            }),
            files: Vec::new(),
        });
    }

    for w in &current.workloads {
        let Some(m) = w.metrics.get("pool_reduction") else {
            continue;
        };
        if m.value() < config.pool_reduction_target {
            out.push(Action {
                priority: Priority::P2,
                what: ActionKind::ImprovePool {
                    workload: w.name.clone(),
                    reduction: m.value(),
                    target: config.pool_reduction_target,
                },
                command: None,
                files: files_of(&w.name),
            });
        }
    }

    for story in 0..stories.len() {
        out.push(Action {
            priority: Priority::P2,
            what: ActionKind::Document { story },
            command: None,
            files: Vec::new(),
        });
    }

    out.sort_by_key(|a| a.priority);
    out
}

/// Why a borderline verdict is borderline: the conditions of the decision
/// rule (`compare::decide`) that hold for it.
pub fn borderline_reasons(v: &Verdict, alpha: f64) -> Vec<Borderline> {
    let (size, t) = (v.change.abs(), v.threshold);
    let q = v.q_value.unwrap_or(f64::NAN);
    let mut out = Vec::new();
    match v.verdict {
        VerdictKind::Regression | VerdictKind::Improvement => {
            if size < 1.25 * t {
                out.push(Borderline::NearThreshold);
            }
            if q > alpha / 10.0 {
                out.push(Borderline::NearAlpha);
            }
            if v.ci95.is_some_and(|[lo, hi]| lo < t && hi > -t) {
                out.push(Borderline::ProcessesDisagree);
            }
        }
        _ => {
            if q < alpha && size >= 0.75 * t {
                out.push(Borderline::NearThreshold);
            }
            if size > t && q >= alpha && q < 5.0 * alpha {
                out.push(Borderline::NearAlpha);
            }
        }
    }
    out
}

/// The verdict a cause's command measures: its largest decided change of the
/// finding's own class (allocations for an allocation finding, else time),
/// on a kernel benchmark of the finding's op when there is one (the cheapest
/// workload to bisect on).
fn lead_verdict<'a>(finding: &Finding, decided: &[&'a Verdict]) -> Option<&'a Verdict> {
    let class = match finding {
        Finding::Allocation { .. } => Class::Allocation,
        _ => Class::Time,
    };
    let by_effect = |a: &&&Verdict, b: &&&Verdict| {
        effect(a.change, a.better).total_cmp(&effect(b.change, b.better))
    };
    let own = |v: &&&Verdict| {
        class_of(v) == class && (class != Class::Allocation || v.metric == "alloc_bytes")
    };
    let kernel = |v: &&&Verdict| finding.op().is_some() && kernel_op(&v.workload) == finding.op();
    decided
        .iter()
        .filter(|v| own(v) && kernel(v))
        .max_by(by_effect)
        .or_else(|| decided.iter().filter(own).max_by(by_effect))
        .or_else(|| decided.iter().max_by(by_effect))
        .copied()
}

fn priority_of(vs: &[&Verdict]) -> Priority {
    if vs.iter().any(|v| v.severity == Some(Severity::Critical)) {
        Priority::P0
    } else {
        Priority::P1
    }
}

/// The exact bisect of a confirmed cause, or the lockstep measurement that
/// confirms an unconfirmed one; nothing without two commits.
fn fix_command(
    commits: Option<(&str, &str)>,
    confirmed: bool,
    target: &Verdict,
    workloads: &[String],
) -> Option<String> {
    let (good, bad) = commits?;
    if confirmed {
        let metric = if target.metric == "time_ns" {
            String::new()
        } else {
            format!(" --metric {}", shell_word(&target.metric))
        };
        return Some(format!(
            "smprof bisect --workload {} --good {good} --bad {bad}{metric}",
            shell_word(&target.workload)
        ));
    }
    Some(format!(
        "smprof ab --base {good} --head {bad}{}",
        filter_for(workloads)
            .map(|f| format!(" --filter {}", shell_word(&f)))
            .unwrap_or_default()
    ))
}

/// A `--filter` that selects exactly these workloads' family: the workload
/// itself, or `family/*` when they share one.
fn filter_for(workloads: &[String]) -> Option<String> {
    match workloads {
        [] => None,
        [one] => Some(one.clone()),
        [first, rest @ ..] => {
            let family = first.split('/').next()?;
            rest.iter()
                .all(|w| w.split('/').next() == Some(family))
                .then(|| format!("{family}/*"))
        }
    }
}

/// The command that re-measures the current side in the baseline's environment.
fn rerun_command(cmp: &Comparison) -> Option<String> {
    let mut env = Vec::new();
    let mut args = Vec::new();
    for d in &cmp.env_differences {
        match d.field.as_str() {
            "simd_tier" => env.push(format!("SMALLMIND_SIMD={}", shell_word(&d.baseline))),
            "threads" => args.push(format!("--threads {}", shell_word(&d.baseline))),
            "profile" if d.baseline == "release" => {
                return Some("cargo run --release -p smprof -- run".into());
            }
            _ => {}
        }
    }
    if env.is_empty() && args.is_empty() {
        return None;
    }
    let mut parts = env;
    parts.push("smprof run".into());
    parts.extend(args);
    Some(parts.join(" "))
}

/// `s` as one shell word: as is when it holds only safe characters, else
/// single-quoted (names come from result files, which anyone can write).
pub fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-.,:=+@%*".contains(c));
    if safe && !s.contains('*') {
        s.to_string()
    } else if safe {
        // A glob is for smprof, not for the shell.
        format!("'{s}'")
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn extend_unique(into: &mut Vec<String>, more: Vec<String>) {
    for f in more {
        if !into.contains(&f) {
            into.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("matmul/512"), "matmul/512");
        assert_eq!(shell_word("gelu/*"), "'gelu/*'");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("x'; rm -rf /"), "'x'\\''; rm -rf /'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn filters_select_a_family() {
        let w = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(filter_for(&w(&["gelu/1k"])).as_deref(), Some("gelu/1k"));
        assert_eq!(
            filter_for(&w(&["gelu/1k", "gelu/1m"])).as_deref(),
            Some("gelu/*")
        );
        assert_eq!(filter_for(&w(&["gelu/1k", "model/small"])), None);
    }
}
