//! Worker lines → a [`RunResult`]: samples merged across processes (with their
//! process index), summaries, modes, derived metrics, allocation figures and
//! attribution, the commit and the environment.

use super::Plan;
use super::callgrind::{self, InstructionsPass};
use super::worker::{Line, Pass};
use crate::env;
use crate::error::{Error, Result};
use crate::result::{
    Better, Metric, MetricKind, RunResult, RunSettings, SCHEMA_VERSION, WorkloadResult,
};
use crate::stats::{modality, summary};
use crate::workloads::{self, Derived, Suite};
use std::collections::BTreeMap;

/// A sampled metric with its summary and modes.
pub fn sampled(unit: &str, better: Better, samples: Vec<f64>, process: Option<Vec<u32>>) -> Metric {
    let modes = modality::detect(&samples, process.as_deref());
    Metric {
        unit: unit.to_string(),
        better,
        kind: MetricKind::Sampled,
        derived_from: None,
        summary: summary::summarize_grouped(&samples, process.as_deref()),
        samples: Some(samples),
        process,
        modes,
    }
}

/// A metric computed per sample from `time_ns`; it shares the time's modes (scaled).
fn derived(unit: &str, better: Better, time: &Metric, f: impl Fn(f64) -> f64) -> Metric {
    let samples: Vec<f64> = time.samples.iter().flatten().map(|&t| f(t)).collect();
    let modes = time.modes.as_ref().map(|ms| {
        ms.iter()
            .map(|m| crate::result::Mode {
                center: f(m.center),
                weight: m.weight,
            })
            .collect()
    });
    Metric {
        unit: unit.to_string(),
        better,
        kind: MetricKind::Derived,
        derived_from: Some("time_ns".into()),
        summary: summary::summarize_grouped(&samples, time.process.as_deref()),
        samples: Some(samples),
        process: time.process.clone(),
        modes,
    }
}

/// An exact figure.
pub fn deterministic(unit: &str, better: Better, value: f64) -> Metric {
    Metric {
        unit: unit.to_string(),
        better,
        kind: MetricKind::Deterministic,
        derived_from: None,
        samples: None,
        process: None,
        summary: summary::deterministic(value),
        modes: None,
    }
}

/// Build the result of a plan from its workers' lines.
/// `instructions` holds the callgrind pass when the plan counted instructions.
pub fn assemble(
    plan: &Plan,
    lines: &[Line],
    instructions: Option<&InstructionsPass>,
    total_s: f64,
) -> Result<RunResult> {
    // Under valgrind the engine runs a tier valgrind emulates: that is the tier of the figures.
    let tier = instructions
        .map(|p| p.simd_tier.clone())
        .or_else(|| lines.first().map(|l| l.simd_tier.clone()))
        .unwrap_or_else(|| smallmind::simd::active().as_str().to_string());
    let lines_tier = lines
        .first()
        .map_or_else(|| tier.clone(), |l| l.simd_tier.clone());
    if let Some(l) = lines.iter().find(|l| l.simd_tier != lines_tier) {
        return Err(Error::Other {
            what: format!("worker process {}", l.process),
            reason: format!(
                "ran SIMD tier {} while another ran {lines_tier}; figures would not be comparable",
                l.simd_tier
            ),
        });
    }
    let mut durations: BTreeMap<String, f64> = BTreeMap::new();
    let mut workloads_out = Vec::new();
    for name in &plan.workloads {
        let def = workloads::find(name).ok_or_else(|| Error::Workload {
            workload: name.clone(),
            reason: "not in the catalogue".into(),
        })?;
        let mine: Vec<&Line> = lines.iter().filter(|l| &l.workload == name).collect();
        *durations.entry(def.suite.as_str().to_string()).or_default() +=
            mine.iter().map(|l| l.elapsed_s).sum::<f64>();
        let mut metrics = BTreeMap::new();
        if let Some(pass) = instructions {
            let counted = pass
                .counted
                .iter()
                .find(|c| &c.workload == name)
                .ok_or_else(|| Error::Workload {
                    workload: name.clone(),
                    reason: "the instructions pass returned no count".into(),
                })?;
            *durations.entry(def.suite.as_str().to_string()).or_default() += counted.elapsed_s;
            metrics.extend(callgrind::workload_result(counted)?.metrics);
        }

        let mut timed: Vec<&&Line> = mine.iter().filter(|l| l.pass == Pass::Time).collect();
        timed.sort_by_key(|l| l.process);
        let time = if timed.is_empty() {
            None
        } else {
            let samples: Vec<f64> = timed
                .iter()
                .flat_map(|l| l.samples_ns.iter().copied())
                .collect();
            let process: Vec<u32> = timed
                .iter()
                .flat_map(|l| std::iter::repeat_n(l.process, l.samples_ns.len()))
                .collect();
            let m = sampled("ns", Better::Lower, samples, Some(process));
            metrics.insert("time_ns".to_string(), m.clone());
            Some(m)
        };
        let alloc_line = mine.iter().find(|l| l.pass == Pass::Alloc);
        let alloc = alloc_line.and_then(|l| l.alloc);
        for d in &def.derived {
            match *d {
                Derived::Throughput {
                    name,
                    unit,
                    work_per_op,
                } => {
                    if let Some(t) = &time {
                        metrics.insert(
                            name.to_string(),
                            derived(unit, Better::Higher, t, |ns| {
                                work_per_op * 1e9 / ns.max(1e-3)
                            }),
                        );
                    }
                }
                Derived::TimePerUnit {
                    name,
                    unit,
                    units_per_op,
                } => {
                    if let Some(t) = &time {
                        metrics.insert(
                            name.to_string(),
                            derived(unit, Better::Lower, t, |ns| ns / units_per_op),
                        );
                    }
                }
                Derived::AllocPerUnit {
                    name,
                    unit,
                    units_per_op,
                } => {
                    if let Some(a) = alloc {
                        metrics.insert(
                            name.to_string(),
                            deterministic(unit, Better::Lower, a.alloc_bytes / units_per_op),
                        );
                    }
                }
            }
        }
        if let Some(a) = alloc {
            let mut put = |k: &str, unit: &str, better, v: f64| {
                metrics.insert(k.to_string(), deterministic(unit, better, v));
            };
            put("alloc_bytes", "B", Better::Lower, a.alloc_bytes);
            put("alloc_count", "allocs", Better::Lower, a.alloc_count);
            put("peak_bytes", "B", Better::Lower, a.peak_bytes);
            if a.pool_requested_bytes > 0.0 {
                put("pool_reduction", "ratio", Better::Higher, a.pool_reduction);
                put(
                    "pool_reduction_unpooled",
                    "ratio",
                    Better::Higher,
                    a.pool_reduction_unpooled,
                );
                put(
                    "alloc_bytes_unpooled",
                    "B",
                    Better::Lower,
                    a.alloc_bytes_unpooled,
                );
                put(
                    "alloc_count_unpooled",
                    "allocs",
                    Better::Lower,
                    a.alloc_count_unpooled,
                );
                put(
                    "peak_bytes_unpooled",
                    "B",
                    Better::Lower,
                    a.peak_bytes_unpooled,
                );
            }
        }
        let ops = alloc_line
            .and_then(|l| l.attribution.as_ref())
            .map(|a| a.ops.clone())
            .unwrap_or_default();
        workloads_out.push(WorkloadResult {
            name: name.clone(),
            suite: def.suite.as_str().to_string(),
            group: def.group.to_string(),
            metrics,
            ops,
        });
    }
    if let Some(pass) = instructions {
        durations.insert("instructions".into(), pass.elapsed_s);
    }
    durations.insert("total".into(), total_s);
    let repo = crate::git::open(&plan.repo_dir);
    let commit = match &repo {
        Some(r) => crate::git::head_info(r)?,
        None => None,
    };
    let suites = [Suite::Code, Suite::Alloc]
        .into_iter()
        .filter(|s| plan.suites.contains(s))
        .map(|s| s.as_str().to_string())
        .collect();
    Ok(RunResult {
        schema_version: SCHEMA_VERSION,
        tool: crate::git::source::this_build(),
        created_at: crate::timefmt::rfc3339(crate::timefmt::now_unix()),
        commit,
        env: env::capture(&tier, plan.threads),
        settings: RunSettings {
            mode: plan.mode.clone(),
            processes: plan.processes,
            samples_per_process: plan.samples_per_process,
            suites,
            filter: plan.filter.clone(),
            metric_mode: plan.metric.as_str().to_string(),
            pairing: None,
            paired_samples: false,
        },
        durations_s: durations,
        workloads: workloads_out,
    })
}

/// Instrumentation cost of each workload the engine instruments:
/// `(workload, scopes per operation, off bound, on/off − 1)`. The off bound is
/// scopes × the cost of a disabled scope / the median `time_ns` of the timing pass
/// (the attribution pass's own off time when there is none); the on cost compares
/// interleaved operations with instrumentation on and off in the attribution pass.
pub fn instrumentation_overheads(
    lines: &[Line],
    result: &RunResult,
) -> Vec<(String, f64, f64, f64)> {
    lines
        .iter()
        .filter_map(|l| {
            let a = l.attribution.as_ref().filter(|a| a.scopes_per_op > 0.0)?;
            let time = result
                .workload(&l.workload)
                .and_then(|w| w.metrics.get("time_ns"))
                .map(|m| m.value())
                .filter(|t| *t > 0.0)
                .unwrap_or(a.time_off_ns);
            let off = if time > 0.0 {
                a.scopes_per_op * a.disabled_scope_ns / time
            } else {
                0.0
            };
            let on = if a.time_off_ns > 0.0 {
                a.time_on_ns / a.time_off_ns - 1.0
            } else {
                0.0
            };
            Some((l.workload.clone(), a.scopes_per_op, off, on))
        })
        .collect()
}
