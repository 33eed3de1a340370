//! Actions, by priority: P0 for each critical regression (with the exact
//! `smprof bisect` command and the files to read), P1 for other regressions and
//! unstable workloads, P2 for pool reuse below target and improvements worth
//! documenting; "re-run to validate" wherever a verdict sits near its threshold.

use super::figures as fmt;
use super::{files_of, kernel_prefix};
use crate::compare::model::{
    Action, Comparison, Priority, RootCause, Severity, SuccessStory, Verdict, VerdictKind,
};
use crate::config::Config;
use crate::result::{MetricKind, RunResult};

/// Every action, sorted by priority (stable within a priority).
pub fn plan(
    cmp: &Comparison,
    causes: &[RootCause],
    stories: &[SuccessStory],
    current: &RunResult,
    config: &Config,
) -> Vec<Action> {
    let mut out = Vec::new();
    let regressions: Vec<&Verdict> = worst_per_workload(cmp, VerdictKind::Regression);
    let commits = match (&cmp.baseline.commit, &cmp.current.commit) {
        (Some(b), Some(c)) if b.sha != c.sha => Some((b.sha.clone(), c.sha.clone())),
        _ => None,
    };

    if !cmp.env_differences.is_empty() && !regressions.is_empty() {
        out.push(Action {
            priority: Priority::P0,
            text: format!(
                "Re-measure in the baseline's environment before trusting these regressions ({})",
                cmp.env_differences
                    .iter()
                    .map(|d| format!("{} {} → {}", d.field, d.baseline, d.current))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            command: rerun_command(cmp),
            files: Vec::new(),
        });
    }

    for v in &regressions {
        let critical = v.severity == Some(Severity::Critical);
        // The finding that explains this metric best: ops for time, copies for
        // allocations, then whatever names the workload (environment, size pattern).
        let preferred = if v.metric.contains("alloc") {
            "extra_copies"
        } else {
            "op"
        };
        let cause = causes
            .iter()
            .find(|c| c.kind == preferred && c.workloads.contains(&v.workload))
            .or_else(|| causes.iter().find(|c| c.workloads.contains(&v.workload)));
        let mut files = files_of(&v.workload);
        if let Some(c) = cause.filter(|c| c.kind == "op") {
            let op = c
                .title
                .split(": ")
                .nth(1)
                .unwrap_or("")
                .split(' ')
                .next()
                .unwrap_or("");
            if let Some(prefix) = kernel_prefix(op) {
                let kernel = crate::workloads::catalogue()
                    .into_iter()
                    .find(|d| d.name.starts_with(prefix));
                for f in kernel.iter().flat_map(|d| d.files.iter()) {
                    if !files.iter().any(|x| x == f) {
                        files.push(f.to_string());
                    }
                }
            }
        }
        let why = cause
            .map(|c| format!(" — {}", lower_first(&c.title)))
            .unwrap_or_default();
        let text = format!(
            "{}: {} {} → {} ({}, {}){why}",
            v.workload,
            v.metric,
            fmt::value(v.baseline, &v.unit),
            fmt::value(v.current, &v.unit),
            fmt::change(v.baseline, v.current, v.change),
            v.severity.map(|s| s.label()).unwrap_or("REGRESSION")
        );
        out.push(Action {
            priority: if critical { Priority::P0 } else { Priority::P1 },
            text,
            command: commits.as_ref().map(|(good, bad)| {
                format!(
                    "smprof bisect --workload {} --good {good} --bad {bad}{}",
                    v.workload,
                    if v.metric == "time_ns" {
                        String::new()
                    } else {
                        format!(" --metric {}", v.metric)
                    }
                )
            }),
            files,
        });
    }

    for v in worst_per_workload(cmp, VerdictKind::Unstable) {
        let modes = v
            .modes
            .as_ref()
            .map(|m| {
                let show = |side: &str, ms: &Option<Vec<crate::result::Mode>>| {
                    ms.as_ref().map(|ms| {
                        format!(
                            "{side} modes {}",
                            ms.iter()
                                .map(|m| format!(
                                    "{} ({:.0} %)",
                                    fmt::value(m.center, &v.unit),
                                    m.weight * 100.0
                                ))
                                .collect::<Vec<_>>()
                                .join(" / ")
                        )
                    })
                };
                [show("baseline", &m.baseline), show("current", &m.current)]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        out.push(Action {
            priority: Priority::P1,
            text: format!(
                "Investigate the unstable {} of {}: samples fall into separate clusters ({modes}); look for frequency scaling, background load or a data-dependent path before comparing it",
                v.metric, v.workload
            ),
            command: None,
            files: files_of(&v.workload),
        });
    }

    for v in cmp
        .verdicts
        .iter()
        .filter(|v| v.borderline && v.kind != MetricKind::Derived)
    {
        let priority = if v.verdict == VerdictKind::Regression {
            Priority::P1
        } else {
            Priority::P2
        };
        out.push(Action {
            priority,
            text: format!(
                "Re-run to validate {} {}: {} with q = {} is near the rule (q < {}, |change| > {:.1} %), currently {}",
                v.workload,
                v.metric,
                fmt::change(v.baseline, v.current, v.change),
                fmt::p(v.q_value),
                config.alpha,
                v.threshold * 100.0,
                match v.verdict {
                    VerdictKind::Regression => "a regression",
                    VerdictKind::Improvement => "an improvement",
                    VerdictKind::Stable => "stable",
                    VerdictKind::Unstable => "unstable",
                    VerdictKind::Inconclusive => "inconclusive",
                }
            ),
            command: commits.as_ref().map(|(b, c)| {
                format!("smprof ab --base {b} --head {c} --filter {}", v.workload)
            }),
            files: Vec::new(),
        });
    }

    for w in &current.workloads {
        let Some(m) = w.metrics.get("pool_reduction") else {
            continue;
        };
        let value = m.value();
        if value < config.pool_reduction_target {
            out.push(Action {
                priority: Priority::P2,
                text: format!(
                    "Improve buffer-pool reuse in {}: pool reduction {} (target ≥ {})",
                    w.name,
                    fmt::value(value, "ratio"),
                    fmt::value(config.pool_reduction_target, "ratio")
                ),
                command: None,
                files: files_of(&w.name),
            });
        }
    }

    for s in stories {
        out.push(Action {
            priority: Priority::P2,
            text: format!(
                "Document the {} improvement: {}",
                s.group,
                s.text
                    .strip_prefix(&format!("{}: ", s.group))
                    .unwrap_or(&s.text)
            ),
            command: None,
            files: Vec::new(),
        });
    }

    out.sort_by_key(|a| a.priority);
    out
}

/// The command that re-measures the current side in the baseline's environment.
fn rerun_command(cmp: &Comparison) -> Option<String> {
    let mut env = Vec::new();
    let mut args = Vec::new();
    for d in &cmp.env_differences {
        match d.field.as_str() {
            "simd_tier" => env.push(format!("SMALLMIND_SIMD={}", d.baseline)),
            "threads" => args.push(format!("--threads {}", d.baseline)),
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

/// For each workload with verdicts of `kind`, its most severe one (time first on ties).
fn worst_per_workload(cmp: &Comparison, kind: VerdictKind) -> Vec<&Verdict> {
    let mut out: Vec<&Verdict> = Vec::new();
    for v in cmp
        .verdicts
        .iter()
        .filter(|v| v.verdict == kind && v.kind != MetricKind::Derived)
    {
        match out.iter_mut().find(|x| x.workload == v.workload) {
            Some(x) => {
                if v.severity > x.severity {
                    *x = v;
                }
            }
            None => out.push(v),
        }
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
