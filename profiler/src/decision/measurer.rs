//! The seam between deciding and measuring: a [`PairMeasurer`] measures both
//! builds of some workloads in lockstep; [`Lockstep`] is the real one (two
//! smprof binaries, [`crate::measure::execute_alternating`]); tests use a double.

use crate::error::Result;
use crate::measure::{self, MetricMode, Plan};
use crate::result::{CommitInfo, RunResult};
use std::path::PathBuf;

/// Measures both builds of `workloads` in one alternating measurement.
pub trait PairMeasurer {
    /// `rounds` rounds of `workloads` on each build: (baseline, current), the
    /// two marked as one pairing, samples tagged with their round.
    fn measure(&mut self, workloads: &[String], rounds: u32) -> Result<(RunResult, RunResult)>;
}

/// Both builds' smprof binaries, sampled in lockstep on one CPU.
#[derive(Debug, Clone)]
pub struct Lockstep {
    pub baseline_exe: PathBuf,
    pub current_exe: PathBuf,
    /// Sample pairs per round and workload.
    pub samples_per_round: u32,
    /// Engine threads.
    pub threads: u32,
    /// The run mode recorded in the results (`default`, `quick`).
    pub mode: String,
    /// Directory the workers start in (the work tree, for fixtures).
    pub repo_dir: Option<PathBuf>,
    /// Progress on stderr.
    pub progress: bool,
    /// The commits the two binaries were built from, stamped on their results
    /// (a worker sees the work tree it starts in, not the commit it was built from).
    pub commits: [Option<CommitInfo>; 2],
}

impl Lockstep {
    /// Measure like `like` was measured (its samples per process, threads, mode).
    pub fn like(like: &RunResult, baseline_exe: PathBuf, current_exe: PathBuf) -> Lockstep {
        Lockstep {
            baseline_exe,
            current_exe,
            samples_per_round: like.settings.samples_per_process.max(1),
            threads: like.env.threads.max(1),
            mode: like.settings.mode.clone(),
            repo_dir: None,
            progress: true,
            commits: [None, like.commit.clone()],
        }
    }

    fn plan(&self, workloads: &[String], rounds: u32, exe: &std::path::Path) -> Result<Plan> {
        let mut plan = Plan::new(workloads.to_vec())?;
        plan.processes = rounds.max(1);
        plan.samples_per_process = self.samples_per_round.max(1);
        plan.threads = self.threads.max(1);
        plan.metric = MetricMode::Time;
        plan.alloc_pass = false;
        plan.mode = self.mode.clone();
        plan.exe = exe.to_path_buf();
        if let Some(d) = &self.repo_dir {
            plan.repo_dir = d.clone();
        }
        Ok(plan)
    }
}

impl PairMeasurer for Lockstep {
    fn measure(&mut self, workloads: &[String], rounds: u32) -> Result<(RunResult, RunResult)> {
        let a = self.plan(workloads, rounds, &self.baseline_exe)?;
        let b = self.plan(workloads, rounds, &self.current_exe)?;
        let (mut ra, mut rb) = measure::execute_alternating(&a, &b, self.progress)?;
        if let Some(c) = &self.commits[0] {
            ra.commit = Some(c.clone());
        }
        if let Some(c) = &self.commits[1] {
            rb.commit = Some(c.clone());
        }
        Ok((ra, rb))
    }
}
