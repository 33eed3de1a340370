//! Measurement: the timing pass in fresh worker processes, the allocation pass
//! (dhat and pool statistics), per-op attribution, and instruction counts.
//!
//! - [`timing`]: warm-up, calibration, per-operation samples inside one worker;
//! - [`worker`]: the hidden `smprof worker` side: runs workloads, prints JSON lines;
//! - [`orchestrate`]: spawns workers of the current executable and merges them;
//! - [`alloc`]: heap statistics per operation (dhat) and pool reduction;
//! - [`attribution`]: time, calls and bytes by engine op for composite workloads;
//! - [`callgrind`]: instruction counts under valgrind (the gate's deterministic mode);
//! - [`parent_death`]: every worker is killed by the kernel when its smprof dies;
//! - [`assemble`]: worker lines → a [`RunResult`].

pub mod affinity;
pub mod alloc;
pub mod assemble;
pub mod attribution;
pub mod callgrind;
pub mod lockstep;
pub mod orchestrate;
pub mod parent_death;
pub mod preemption;
pub mod timing;
pub mod worker;

use crate::error::{Error, Result};
use crate::result::RunResult;
use crate::workloads::{self, Suite, Workload};
use std::path::PathBuf;

/// Filters are the catalogue's business (`workloads::select`); re-exported for callers here.
pub use crate::workloads::matches_filter;

/// Default worker processes and samples per process of a run.
pub const DEFAULT_PROCESSES: u32 = 5;
pub const DEFAULT_SAMPLES: u32 = 6;
/// `--quick`: fewer processes and samples.
pub const QUICK_PROCESSES: u32 = 3;
pub const QUICK_SAMPLES: u32 = 4;

/// Upper bounds of a plan (and of the command-line options that set them).
/// A worker keeps its samples in memory and a run keeps every worker's, so an
/// unbounded count (`--samples 4294967295`) would abort on the allocation.
/// The bounds are far above any useful run: a default run takes 6 samples in 5
/// processes.
pub const MAX_SAMPLES: u32 = 10_000;
/// Worker processes per run (alternating measurements: rounds per side).
pub const MAX_PROCESSES: u32 = 1_000;
/// Engine threads a worker may be asked for.
pub const MAX_THREADS: u32 = 1_024;

/// What the timing pass measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricMode {
    /// Wall-clock time per operation from several fresh processes.
    Time,
    /// Instructions per operation under callgrind (deterministic, slow).
    Instructions,
}

impl MetricMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricMode::Time => "time",
            MetricMode::Instructions => "instructions",
        }
    }
}

/// What to measure and how: the validated form of `smprof run`'s arguments,
/// also built by `calibrate`, `ab`, `bisect` and `gate`.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Workload names, in catalogue order (the order each worker uses is shuffled per process).
    pub workloads: Vec<String>,
    /// Suites selected (recorded in the result's settings).
    pub suites: Vec<Suite>,
    /// Fresh worker processes in the timing pass.
    pub processes: u32,
    /// Samples each process takes per workload.
    pub samples_per_process: u32,
    /// Engine threads (exported to workers as `SMALLMIND_THREADS`).
    pub threads: u32,
    pub metric: MetricMode,
    /// The executable whose `worker` subcommand measures (default: this one).
    pub exe: PathBuf,
    /// `default`, `quick` or `custom` (recorded).
    pub mode: String,
    /// The `--filter` pattern that chose the workloads (recorded).
    pub filter: Option<String>,
    /// Run the allocation pass (heap statistics, pool reduction, attribution).
    pub alloc_pass: bool,
    /// Where to read the commit being measured from (default: the current directory).
    pub repo_dir: PathBuf,
    /// Seed of the per-process workload orders.
    pub seed: u64,
}

impl Plan {
    /// A default plan (5 processes × 6 samples, 1 thread, time) for these workloads;
    /// every name must be in the catalogue.
    pub fn new(workloads: Vec<String>) -> Result<Plan> {
        let mut suites = Vec::new();
        for name in &workloads {
            let def = workloads::find(name).ok_or_else(|| unknown_workload(name))?;
            if !suites.contains(&def.suite) {
                suites.push(def.suite);
            }
        }
        let exe = std::env::current_exe().map_err(|e| Error::Other {
            what: "locating the smprof executable for worker processes".into(),
            reason: e.to_string(),
        })?;
        Ok(Plan {
            workloads,
            suites,
            processes: DEFAULT_PROCESSES,
            samples_per_process: DEFAULT_SAMPLES,
            threads: 1,
            metric: MetricMode::Time,
            exe,
            mode: "default".into(),
            filter: None,
            alloc_pass: true,
            repo_dir: PathBuf::from("."),
            seed: 0x736d_7072_6f66,
        })
    }

    /// The catalogue's workloads in `suites` whose names match `filter`
    /// (see [`matches_filter`]); an error when nothing matches.
    pub fn select(suites: &[Suite], filter: Option<&str>) -> Result<Plan> {
        let names: Vec<String> = workloads::catalogue()
            .into_iter()
            .filter(|d| suites.contains(&d.suite))
            .filter(|d| filter.is_none_or(|f| matches_filter(f, d.name)))
            .map(|d| d.name.to_string())
            .collect();
        if names.is_empty() {
            let all: Vec<&str> = workloads::catalogue().iter().map(|d| d.name).collect();
            return Err(Error::Other {
                what: format!(
                    "--filter {:?} with suites {}",
                    filter.unwrap_or(""),
                    suites
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                reason: format!("no workload matches; the catalogue: {}", all.join(", ")),
            });
        }
        let mut plan = Plan::new(names)?;
        plan.suites = suites.to_vec();
        plan.filter = filter.map(str::to_string);
        Ok(plan)
    }

    /// Switch to quick mode (3 processes × 4 samples).
    pub fn quick(mut self) -> Plan {
        self.processes = QUICK_PROCESSES;
        self.samples_per_process = QUICK_SAMPLES;
        self.mode = "quick".into();
        self
    }
}

fn unknown_workload(name: &str) -> Error {
    let all: Vec<&str> = workloads::catalogue().iter().map(|d| d.name).collect();
    Error::Workload {
        workload: name.to_string(),
        reason: format!("not in the catalogue ({})", all.join(", ")),
    }
}

/// The one function every timed or counted operation goes through. Never inlined,
/// so that callgrind can toggle collection on it (`--toggle-collect`) and count
/// exactly the workload's operations, not setup or the harness.
#[inline(never)]
pub fn measured_op(w: &mut dyn Workload) -> Result<()> {
    w.run()
}

/// Measure a plan: the timing pass (or instruction counts), then the allocation
/// pass, in worker processes of `plan.exe`; returns the assembled result for the
/// commit in `plan.repo_dir`. `progress` draws bars on stderr.
pub fn execute(plan: &Plan, progress: bool) -> Result<RunResult> {
    execute_detailed(plan, progress).map(|e| e.result)
}

/// A run's result with the raw worker lines (attribution details, instrumentation cost).
#[derive(Debug, Clone)]
pub struct Execution {
    pub result: RunResult,
    pub lines: Vec<worker::Line>,
}

/// [`execute`], keeping the workers' lines.
pub fn execute_detailed(plan: &Plan, progress: bool) -> Result<Execution> {
    validate(plan)?;
    orchestrate::run(plan, progress).map(|(result, lines)| Execution { result, lines })
}

/// Measure two plans of the same workloads in alternation; wall time only, no
/// allocation pass. Sample by sample in lockstep ([`lockstep`]) when both
/// executables speak its protocol, otherwise whole worker processes in turn
/// ([`orchestrate::run_alternating`], e.g. for a baseline built before it).
pub fn execute_alternating(a: &Plan, b: &Plan, progress: bool) -> Result<(RunResult, RunResult)> {
    validate(a)?;
    validate(b)?;
    if lockstep::driver::supported(&a.exe) && lockstep::driver::supported(&b.exe) {
        lockstep::driver::run(a, b, progress)
    } else {
        orchestrate::run_alternating(a, b, progress)
    }
}

/// A plan can run: every workload in the catalogue; processes, samples and
/// threads between 1 and their bound ([`MAX_PROCESSES`], [`MAX_SAMPLES`], [`MAX_THREADS`]).
fn validate(plan: &Plan) -> Result<()> {
    for name in &plan.workloads {
        if workloads::find(name).is_none() {
            return Err(unknown_workload(name));
        }
    }
    let bounds = [
        ("processes", plan.processes, MAX_PROCESSES),
        ("samples per process", plan.samples_per_process, MAX_SAMPLES),
        ("threads", plan.threads, MAX_THREADS),
    ];
    for (what, value, max) in bounds {
        if !(1..=max).contains(&value) {
            return Err(Error::Other {
                what: "run plan".into(),
                reason: format!("{what} must be between 1 and {max}, not {value}"),
            });
        }
    }
    Ok(())
}

/// Mark two results as the sides of one alternating measurement: both get the
/// same fresh `settings.pairing` (the time in nanoseconds and this process's id).
pub fn mark_paired(a: &mut RunResult, b: &mut RunResult) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let id = format!("{nanos:x}-{:x}", std::process::id());
    a.settings.pairing = Some(id.clone());
    b.settings.pairing = Some(id);
}

/// Whether a Ctrl-C interrupted a run in this process.
pub fn interrupted() -> bool {
    orchestrate::interrupted()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_out_of_bounds_are_refused_before_any_worker_starts() {
        let base = Plan::new(vec!["gelu/1k".into()]).unwrap();
        assert!(validate(&base).is_ok());
        let mut p = base.clone();
        p.samples_per_process = MAX_SAMPLES;
        assert!(validate(&p).is_ok());
        for (samples, processes, threads) in [
            (MAX_SAMPLES + 1, 1, 1),
            (0, 1, 1),
            (1, MAX_PROCESSES + 1, 1),
            (1, 1, MAX_THREADS + 1),
            (u32::MAX, 1, 1),
        ] {
            let mut p = base.clone();
            (p.samples_per_process, p.processes, p.threads) = (samples, processes, threads);
            let e = validate(&p).unwrap_err().to_string();
            assert!(e.contains("must be between 1 and"), "{e}");
        }
    }
}
