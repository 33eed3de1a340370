//! The measuring half of the gate's confirmation: re-run the workloads whose
//! wall-time regression is pending, with the same processes × samples as the
//! current result, on both sides when a baseline binary is at hand
//! (`--baseline-exe`, or the current one when both results are of the same clean
//! commit), else on the current side only.
//!
//! Both sides matter: a baseline that happened to run in a fast spell of the
//! machine makes every later measurement look slow, and re-measuring only the
//! current side would "confirm" that (seen in A/A gate runs: model/small's
//! baseline at 808 µs against a usual 1.2 ms).

use crate::cli::{Cli, GateArgs};
use anyhow::Context;
use smprof::measure::{self, MetricMode, Plan};
use smprof::result::RunResult;
use smprof::store::{Resolved, Store};
use std::path::{Path, PathBuf};

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

/// The binary that measures the baseline side, when there is one: `--baseline-exe`,
/// or `current_exe` when both results come from the same clean commit in the same
/// environment (the same code, so the same binary measures both).
fn baseline_exe(
    args: &GateArgs,
    baseline: &Resolved,
    current: &Resolved,
    current_exe: &Path,
) -> Option<PathBuf> {
    if let Some(p) = &args.baseline_exe {
        return Some(p.clone());
    }
    let (b, c) = (&baseline.result, &current.result);
    let same_commit = match (&b.commit, &c.commit) {
        (Some(bc), Some(cc)) => bc.sha == cc.sha && !bc.dirty && !cc.dirty,
        _ => false,
    };
    (same_commit && b.env.fingerprint == c.env.fingerprint).then(|| current_exe.to_path_buf())
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
    let base_exe = baseline_exe(args, baseline, current, &cur_exe);
    eprintln!(
        "smprof gate: confirming {} wall-time regression(s) by re-measuring {}{}",
        pending.len(),
        workloads.join(", "),
        if base_exe.is_some() {
            " on both sides"
        } else {
            " on the current side"
        }
    );
    let mut measured = Vec::new();
    let base = match &base_exe {
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
        sides: if base_exe.is_some() {
            "both"
        } else {
            "current"
        },
        measured,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn fixture(name: &str) -> RunResult {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        smprof::result::load(std::path::Path::new(&path)).unwrap()
    }

    fn gate_args(extra: &[&str]) -> GateArgs {
        let mut argv = vec!["smprof", "gate", "--baseline", "x"];
        argv.extend_from_slice(extra);
        match Cli::parse_from(argv).command {
            crate::cli::Command::Gate(g) => g,
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_same_clean_commit_is_re_measured_on_both_sides_with_this_binary() {
        let a = fixture("aa_first.json");
        let mut b = fixture("aa_second.json");
        let exe = Path::new("/bin/smprof-current");
        let args = gate_args(&[]);
        let same = a.commit.as_ref().map(|c| (&c.sha, c.dirty))
            == b.commit.as_ref().map(|c| (&c.sha, c.dirty));
        assert!(same, "the A/A fixtures share a commit");
        let (ra, rb) = (resolved("a", a.clone()), resolved("b", b.clone()));
        assert!(!a.commit.as_ref().unwrap().dirty && a.env.fingerprint == b.env.fingerprint);
        assert_eq!(baseline_exe(&args, &ra, &rb, exe), Some(exe.to_path_buf()));

        // Another commit, or a dirty tree, or another environment: current side only.
        b.commit.as_mut().unwrap().sha = "f".repeat(40);
        assert_eq!(
            baseline_exe(&args, &ra, &resolved("b", b.clone()), exe),
            None
        );
        let mut dirty = a.clone();
        dirty.commit.as_mut().unwrap().dirty = true;
        assert_eq!(
            baseline_exe(
                &args,
                &resolved("d", dirty.clone()),
                &resolved("d", dirty),
                exe
            ),
            None
        );
        let mut other_env = a.clone();
        other_env.env.fingerprint = "another machine".into();
        assert_eq!(
            baseline_exe(&args, &ra, &resolved("e", other_env), exe),
            None
        );

        // --baseline-exe always wins.
        let args = gate_args(&["--baseline-exe", "/bin/smprof-base"]);
        assert_eq!(
            baseline_exe(&args, &ra, &resolved("b", b), exe),
            Some(PathBuf::from("/bin/smprof-base"))
        );
    }
}
