//! The measuring half of the gate: re-run workloads for wall time, on both sides
//! in alternation when a baseline binary is at hand (`--baseline-exe`, or the
//! current one when both results are of the same clean commit), else on the
//! current side only. The gate uses it twice: once over every wall-time workload
//! (when both builds are at hand, its verdicts replace the stored runs'), and
//! once more to confirm what that flagged.
//!
//! Both sides matter: a baseline that happened to run in a fast spell of the
//! machine makes every later measurement look slow, and re-measuring only the
//! current side would "confirm" that (seen in A/A gate runs: model/small's
//! baseline at 808 µs against a usual 1.2 ms). Alternation matters too: two
//! re-measurements one after the other still sit in different spells.

use crate::cli::GateArgs;
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

/// The binaries that measure each side: the current one always, the baseline
/// one when at hand.
pub struct Measurers {
    current: PathBuf,
    baseline: Option<PathBuf>,
}

impl Measurers {
    /// Resolve the binaries; an error when the current side cannot be measured
    /// (its result is not HEAD's and no `--current-exe` was given).
    pub fn resolve(
        args: &GateArgs,
        store: &Store,
        baseline: &Resolved,
        current: &Resolved,
    ) -> anyhow::Result<Measurers> {
        let cur = current_exe(args, store, current)?;
        let base = baseline_exe(args, baseline, current, &cur);
        Ok(Measurers {
            current: cur,
            baseline: base,
        })
    }

    /// Whether both sides can be measured (in alternation).
    pub fn both(&self) -> bool {
        self.baseline.is_some()
    }
}

/// Re-measure `workloads` for wall time the way the current result was measured
/// (its processes × samples and threads): both sides in alternation when both
/// binaries are at hand (as many rounds as the paired test at `alpha` needs),
/// else the current side against the stored baseline. `why` is printed
/// ("confirming 2 wall-time regression(s)").
pub fn remeasure(
    m: &Measurers,
    baseline: &Resolved,
    current: &Resolved,
    workloads: &[String],
    why: &str,
    alpha: f64,
) -> anyhow::Result<Outcome> {
    eprintln!(
        "smprof gate: {why}: re-measuring {}{}",
        workloads.join(", "),
        if m.both() {
            " on both sides, in alternation"
        } else {
            " on the current side"
        }
    );
    let cur_plan = plan_like(&current.result, workloads.to_vec(), m.current.clone())?;
    let mut measured = Vec::new();
    let (base, cur) = match &m.baseline {
        Some(exe) => {
            // Both sides as the current result was measured, in the rounds the
            // paired comparison needs (see `alternating_rounds`).
            let rounds = alternating_rounds(cur_plan.processes, workloads.len(), alpha);
            let mut base_plan = plan_like(&current.result, workloads.to_vec(), exe.clone())?;
            base_plan.processes = rounds;
            let mut cur_plan = cur_plan.clone();
            cur_plan.processes = rounds;
            let (rb, rc) = measure::execute_alternating(&base_plan, &cur_plan, true)
                .context("re-measuring both sides in alternation")?;
            measured.push(("baseline".to_string(), rb.clone()));
            (resolved("re-measured baseline", rb), rc)
        }
        None => {
            let rc = measure::execute(&cur_plan, true).context("re-measuring the current side")?;
            (baseline.clone(), rc)
        }
    };
    measured.push(("current".to_string(), cur.clone()));
    Ok(Outcome {
        baseline: base,
        current: resolved("re-measured current", cur),
        sides: if m.both() { "both" } else { "current" },
        measured,
    })
}

/// Fewest rounds of an alternating measurement.
pub const MIN_ALTERNATING_ROUNDS: u32 = 6;

/// Rounds of an alternating measurement of `workloads` workloads, for a result
/// taken with `processes` worker processes, decided at `alpha`: enough for the
/// paired round-by-round test to reach `alpha` after FDR control over the
/// workloads ([`smprof::compare::paired::rounds_for`]: 10 rounds for one
/// workload at α = 0.01, 14 for 17), at least [`MIN_ALTERNATING_ROUNDS`] and
/// the processes of the result, and even, so that each side runs first in half
/// of the rounds (with 3 rounds, one side ran second twice and an A/A gate run
/// failed on a +6 % that held on re-measurement with the same imbalance).
pub fn alternating_rounds(processes: u32, workloads: usize, alpha: f64) -> u32 {
    smprof::compare::paired::rounds_for(workloads, alpha, processes.max(MIN_ALTERNATING_ROUNDS))
}

/// The distinct workloads of `pending` (workload, metric), in order.
pub fn pending_workloads(pending: &[(String, String)]) -> Vec<String> {
    let mut workloads: Vec<String> = Vec::new();
    for (w, _) in pending {
        if !workloads.contains(w) {
            workloads.push(w.clone());
        }
    }
    workloads
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
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
    fn alternating_rounds_are_even_and_enough_for_the_paired_test() {
        assert_eq!(alternating_rounds(3, 1, 0.01), 10);
        assert_eq!(alternating_rounds(3, 4, 0.01), 12);
        assert_eq!(alternating_rounds(5, 17, 0.01), 14);
        assert_eq!(alternating_rounds(3, 1, 0.5), 6);
        assert_eq!(alternating_rounds(7, 1, 0.5), 8);
        assert_eq!(alternating_rounds(16, 1, 0.01), 16);
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
