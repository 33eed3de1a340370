//! The measuring half of the gate's confirmation: re-run the workloads whose
//! wall-time regression is pending, with the same processes × samples as the
//! current result, on both sides when a baseline binary is given
//! (`--baseline-exe`), else on the current side only.

use crate::cli::{Cli, GateArgs};
use anyhow::Context;
use smprof::measure::{self, MetricMode, Plan};
use smprof::result::RunResult;
use smprof::store::{Resolved, Store};
use std::path::PathBuf;

/// Both sides to compare again, and what was measured (`baseline`/`current` → result).
pub struct Outcome {
    pub baseline: Resolved,
    pub current: Resolved,
    /// `both` or `current`.
    pub sides: &'static str,
    pub measured: Vec<(String, RunResult)>,
}

/// The executable that measures the current side: `--current-exe`, or this
/// smprof when the current result is the one for HEAD (this build measures HEAD).
fn current_exe(args: &GateArgs, store: &Store, current: &Resolved) -> anyhow::Result<PathBuf> {
    if let Some(p) = &args.current_exe {
        return Ok(p.clone());
    }
    let head = match store.repo() {
        Some(repo) => smprof::git::head_info(repo)?,
        None => None,
    };
    let is_head = match (&head, &current.result.commit) {
        (Some(h), Some(c)) => h.sha == c.sha && h.dirty == c.dirty,
        _ => false,
    };
    if !is_head {
        anyhow::bail!(
            "cannot confirm wall-time regressions: the current result ({}) is not HEAD's, so this smprof does not measure it; pass --current-exe (an smprof built from that commit) or --no-confirm",
            current.result.label()
        );
    }
    std::env::current_exe().context("locating this smprof for confirmation")
}

/// A plan that re-measures `workloads` the way `like` was measured.
fn plan_like(like: &RunResult, workloads: Vec<String>, exe: PathBuf) -> anyhow::Result<Plan> {
    let mut plan = Plan::new(workloads)?;
    plan.processes = like.settings.processes.max(1);
    plan.samples_per_process = like.settings.samples_per_process.max(1);
    plan.threads = like.env.threads.max(1);
    plan.metric = MetricMode::Time;
    plan.alloc_pass = false;
    plan.mode = like.settings.mode.clone();
    plan.exe = exe;
    Ok(plan)
}

fn resolved(reference: &str, result: RunResult) -> Resolved {
    Resolved {
        reference: reference.to_string(),
        path: PathBuf::from(format!("<{reference}>")),
        result,
    }
}

/// Re-measure the workloads of `pending` (workload, metric).
pub fn confirm(
    _cli: &Cli,
    args: &GateArgs,
    store: &Store,
    baseline: &Resolved,
    current: &Resolved,
    pending: &[(String, String)],
) -> anyhow::Result<Outcome> {
    let mut workloads: Vec<String> = Vec::new();
    for (w, _) in pending {
        if !workloads.contains(w) {
            workloads.push(w.clone());
        }
    }
    let cur_exe = current_exe(args, store, current)?;
    eprintln!(
        "smprof gate: confirming {} wall-time regression(s) by re-measuring {}{}",
        pending.len(),
        workloads.join(", "),
        if args.baseline_exe.is_some() {
            " on both sides"
        } else {
            " on the current side"
        }
    );
    let mut measured = Vec::new();
    let base = match &args.baseline_exe {
        Some(exe) => {
            let plan = plan_like(&baseline.result, workloads.clone(), exe.clone())?;
            let r = measure::execute(&plan, true).context("re-measuring the baseline side")?;
            measured.push(("baseline".to_string(), r.clone()));
            resolved("re-measured baseline", r)
        }
        None => baseline.clone(),
    };
    let plan = plan_like(&current.result, workloads, cur_exe)?;
    let r = measure::execute(&plan, true).context("re-measuring the current side")?;
    measured.push(("current".to_string(), r.clone()));
    Ok(Outcome {
        baseline: base,
        current: resolved("re-measured current", r),
        sides: if args.baseline_exe.is_some() {
            "both"
        } else {
            "current"
        },
        measured,
    })
}
