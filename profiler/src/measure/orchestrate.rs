//! The orchestrator: spawn fresh worker processes of the smprof executable, each
//! running the workloads in its own seeded order, read their JSON lines as they
//! arrive (progress bars), and hand the lines to [`super::assemble`].
//!
//! Why several processes: on a shared machine the spread *between* processes
//! (memory layout, allocator state, frequency) is larger than within one, so
//! samples from one process understate the noise and raise false alarms.
//!
//! Ctrl-C: the handler kills the running worker and the run stops with an error;
//! nothing is written (results are only written, atomically, after a complete run).

use super::assemble;
use super::worker::{Line, Pass};
use super::{MetricMode, Plan, callgrind};
use crate::error::{Error, Result};
use crate::result::RunResult;
use crate::stats::bootstrap::SplitMix64;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::time::Instant;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static CHILD: Mutex<Option<Child>> = Mutex::new(None);
static HANDLER: Once = Once::new();
/// Process ids of running lockstep workers (two at a time), killed on Ctrl-C.
static LOCKSTEP_PIDS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Kill this worker on Ctrl-C (until [`untrack`]).
pub(super) fn track(pid: u32) {
    LOCKSTEP_PIDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(pid);
}

/// Stop tracking a worker that has been waited for.
pub(super) fn untrack(pid: u32) {
    LOCKSTEP_PIDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|&p| p != pid);
}

/// Whether Ctrl-C interrupted a run in this process.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Install the Ctrl-C handler once. If the host program already installed one,
/// ours is not installed and Ctrl-C behaves as the host decides.
fn install_handler() {
    HANDLER.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            if let Ok(mut guard) = CHILD.lock()
                && let Some(child) = guard.as_mut()
            {
                let _ = child.kill();
            }
            if let Ok(pids) = LOCKSTEP_PIDS.lock() {
                for &pid in pids.iter() {
                    if let Ok(pid) = i32::try_from(pid) {
                        // SAFETY: plain syscall; the pid is a child not yet waited for.
                        unsafe { libc::kill(pid, libc::SIGKILL) };
                    }
                }
            }
        });
    });
}

pub(super) fn interrupted_error() -> Error {
    Error::Other {
        what: "smprof run".into(),
        reason: "interrupted (Ctrl-C); no result was written".into(),
    }
}

/// The order process `process` runs the workloads in: a seeded Fisher–Yates shuffle.
pub fn order_for(workloads: &[String], seed: u64, process: u32) -> Vec<String> {
    let mut v = workloads.to_vec();
    let mut rng = SplitMix64::new(seed ^ (0x9E37_79B9u64.wrapping_mul(process as u64 + 1)));
    for i in (1..v.len()).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
    v
}

/// Progress: one bar per workload (its processes and passes done) and an overall bar with ETA.
pub(super) struct Progress {
    _multi: MultiProgress,
    total: ProgressBar,
    bars: BTreeMap<String, ProgressBar>,
}

impl Progress {
    fn new(plan: &Plan, per_workload: u64, show: bool) -> Progress {
        let multi = MultiProgress::with_draw_target(if show {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let width = plan.workloads.iter().map(|n| n.len()).max().unwrap_or(10);
        let bar_style = ProgressStyle::with_template(&format!(
            "{{prefix:<{width}}} [{{bar:24}}] {{pos}}/{{len}} {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let total_style = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] [{bar:40}] {pos}/{len} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let total = multi.add(
            ProgressBar::new(per_workload * plan.workloads.len() as u64)
                .with_style(total_style)
                .with_prefix("total"),
        );
        let bars = plan
            .workloads
            .iter()
            .map(|n| {
                let b = multi.add(
                    ProgressBar::new(per_workload)
                        .with_style(bar_style.clone())
                        .with_prefix(n.clone()),
                );
                (n.clone(), b)
            })
            .collect();
        Progress {
            _multi: multi,
            total,
            bars,
        }
    }

    pub(super) fn advance(&self, line: &Line) {
        if let Some(b) = self.bars.get(&line.workload) {
            b.inc(1);
            if line.pass == Pass::Time && !line.samples_ns.is_empty() {
                let med = crate::stats::summary::median(&line.samples_ns);
                b.set_message(format!(
                    "{} ({} process)",
                    crate::units::duration_ns(med),
                    line.process
                ));
            }
            if b.position() >= b.length().unwrap_or(0) {
                b.finish();
            }
        }
        self.total.inc(1);
    }

    /// Advance a workload's bar by `steps` (a pass that reports per workload, not per line).
    fn tick(&self, workload: &str, steps: u64) {
        if let Some(b) = self.bars.get(workload) {
            b.inc(steps);
        }
        self.total.inc(steps);
    }

    pub(super) fn finish(&self) {
        self.total.finish_and_clear();
        for b in self.bars.values() {
            b.finish_and_clear();
        }
    }
}

/// Say on stderr (with the progress display) how many samples the workers took
/// again because they were preempted: a busy machine, worth knowing about.
fn note_retaken(parts: &[&[Line]], show: bool) {
    let lines = parts.iter().flat_map(|p| p.iter());
    let retaken: u64 = lines.clone().map(|l| u64::from(l.retaken)).sum();
    let kept: usize = lines.map(|l| l.samples_ns.len()).sum();
    if show && retaken > 0 {
        eprintln!(
            "smprof: {retaken} sample(s) taken again because a worker was preempted ({kept} kept): the machine is busy"
        );
    }
}

/// Run the plan's timing pass and allocation pass; assemble the result.
pub fn run(plan: &Plan, show_progress: bool) -> Result<(RunResult, Vec<Line>)> {
    install_handler();
    INTERRUPTED.store(false, Ordering::SeqCst);
    let per_workload = plan.processes as u64 + u64::from(plan.alloc_pass);
    let progress = Progress::new(plan, per_workload, show_progress);
    let started = Instant::now();
    let mut lines = Vec::new();
    let mut instructions = None;
    let outcome = (|| -> Result<()> {
        match plan.metric {
            MetricMode::Time => {
                for p in 0..plan.processes {
                    let order = order_for(&plan.workloads, plan.seed, p);
                    lines.extend(timing_worker(plan, &order, p, &progress)?);
                }
            }
            MetricMode::Instructions => {
                // Counts do not depend on parallel valgrind jobs; wall time does.
                let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
                let done =
                    |c: &callgrind::Counted| progress.tick(&c.workload, plan.processes as u64);
                instructions = Some(callgrind::count_all(
                    &plan.exe,
                    &plan.workloads,
                    plan.samples_per_process,
                    jobs,
                    &done,
                )?);
            }
        }
        if plan.alloc_pass {
            lines.extend(run_worker(
                plan,
                &plan.workloads,
                Pass::Alloc,
                1,
                0,
                &progress,
            )?);
        }
        Ok(())
    })();
    progress.finish();
    outcome?;
    note_retaken(&[&lines], show_progress);
    let total_s = started.elapsed().as_secs_f64();
    let result = assemble::assemble(plan, &lines, instructions.as_ref(), total_s)?;
    Ok((result, lines))
}

/// Time two plans over the same workloads in alternating worker processes. In
/// round k, for each workload in the round's order, a fresh worker of `a` and
/// then one of `b` time that workload (the sides' order flipped every other
/// round: A B, B A, …), so the two halves of a pair run a fraction of a second
/// apart. Drift on a shared machine (spells of 10–30 % lasting seconds) then
/// falls on both halves alike instead of on whichever side ran during the
/// spell; with one worker per side and round running every workload, the
/// halves were a whole suite apart (1.7 s for the quick code suite) and a spell
/// often caught only one. Samples are tagged with their round (`process` = k).
/// Timing pass only (no allocation pass); each side's lines are assembled with
/// its own plan. Both plans must list the same workloads and take the same
/// number of processes.
pub fn run_alternating(a: &Plan, b: &Plan, show_progress: bool) -> Result<(RunResult, RunResult)> {
    let (progress, started) = start_alternation(a, b, "alternating measurement", show_progress)?;
    let (mut la, mut lb) = (Vec::new(), Vec::new());
    let outcome = (|| -> Result<()> {
        for p in 0..a.processes {
            // Both sides run the same workload order in a round.
            let order = order_for(&a.workloads, a.seed, p);
            let sides = if p % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for workload in &order {
                for is_a in sides {
                    let (plan, lines) = if is_a { (a, &mut la) } else { (b, &mut lb) };
                    let one = std::slice::from_ref(workload);
                    lines.extend(timing_worker(plan, one, p, &progress)?);
                }
            }
        }
        Ok(())
    })();
    progress.finish();
    outcome?;
    assemble_paired(a, b, (&la, &lb), started, show_progress)
}

/// The two sides' results of an alternating measurement that started at
/// `started`, marked as one pairing; says how many samples were retaken.
pub(super) fn assemble_paired(
    a: &Plan,
    b: &Plan,
    (la, lb): (&[Line], &[Line]),
    started: Instant,
    show_progress: bool,
) -> Result<(RunResult, RunResult)> {
    note_retaken(&[la, lb], show_progress);
    // Each side had about half of the elapsed time.
    let half_s = started.elapsed().as_secs_f64() / 2.0;
    let mut ra = assemble::assemble(a, la, None, half_s)?;
    let mut rb = assemble::assemble(b, lb, None, half_s)?;
    super::mark_paired(&mut ra, &mut rb);
    Ok((ra, rb))
}

/// Start an alternating measurement (`what`) of two plans: check them, arm
/// Ctrl-C, and return the progress display (two workers per workload and
/// round) and the start time.
pub(super) fn start_alternation(
    a: &Plan,
    b: &Plan,
    what: &str,
    show_progress: bool,
) -> Result<(Progress, Instant)> {
    check_sides(a, b, what)?;
    install_handler();
    INTERRUPTED.store(false, Ordering::SeqCst);
    let progress = Progress::new(a, 2 * a.processes as u64, show_progress);
    Ok((progress, Instant::now()))
}

/// Both sides of an alternating measurement (`what`) time the same workloads
/// with the same processes and samples per process.
fn check_sides(a: &Plan, b: &Plan, what: &str) -> Result<()> {
    if a.workloads != b.workloads
        || a.processes != b.processes
        || a.samples_per_process != b.samples_per_process
    {
        return Err(Error::Other {
            what: what.into(),
            reason:
                "both sides must measure the same workloads with the same processes and samples"
                    .into(),
        });
    }
    if a.metric != MetricMode::Time || b.metric != MetricMode::Time {
        return Err(Error::Other {
            what: what.into(),
            reason: "only wall time is measured in alternation (instruction counts do not drift)"
                .into(),
        });
    }
    Ok(())
}

/// Worker process `process` of a plan's timing pass, workloads in `order`.
fn timing_worker(
    plan: &Plan,
    order: &[String],
    process: u32,
    progress: &Progress,
) -> Result<Vec<Line>> {
    run_worker(
        plan,
        order,
        Pass::Time,
        plan.samples_per_process,
        process,
        progress,
    )
}

/// The command line of one worker process (stdio left to the caller); the
/// worker dies with this process.
pub(super) fn worker_command(
    plan: &Plan,
    order: &[String],
    pass: Pass,
    samples: u32,
    process: u32,
) -> Command {
    // The allocation pass runs on one engine thread, as the instructions pass does:
    // on more, which thread rents which buffer and how many are live at once depend
    // on scheduling, so its exact figures would not repeat (a 256³ product on two
    // threads read a peak of 148 KB without the pool in one run and 295 KB in the
    // next, as its two chunks ran one after the other or at once).
    let threads = if pass == Pass::Alloc { 1 } else { plan.threads };
    let mut cmd = Command::new(&plan.exe);
    cmd.arg("worker")
        .arg("--workloads")
        .arg(order.join(","))
        .arg("--pass")
        .arg(pass.as_str())
        .arg("--samples")
        .arg(samples.to_string())
        .arg("--threads")
        .arg(threads.to_string())
        .arg("--process")
        .arg(process.to_string())
        .env("SMALLMIND_THREADS", threads.to_string());
    super::parent_death::die_with_parent(&mut cmd);
    cmd
}

/// The error of a worker that did not exit successfully, with its last stderr lines.
pub(super) fn exit_error(
    what: String,
    status: Option<std::process::ExitStatus>,
    stderr_text: &str,
) -> Error {
    let tail: Vec<&str> = stderr_text.lines().rev().take(8).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Error::Other {
        what,
        reason: format!(
            "exited with {}{}",
            status.map_or("an unknown status".to_string(), |s| s.to_string()),
            if tail.is_empty() {
                String::new()
            } else {
                format!(": {}", tail.join(" | "))
            }
        ),
    }
}

/// Spawn one worker, stream its lines, and check how it ended.
pub fn run_worker(
    plan: &Plan,
    order: &[String],
    pass: Pass,
    samples: u32,
    process: u32,
    progress_hook: &dyn ProgressHook,
) -> Result<Vec<Line>> {
    if interrupted() {
        return Err(interrupted_error());
    }
    let mut cmd = worker_command(plan, order, pass, samples, process);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = || {
        format!(
            "worker process {process} ({} pass, {})",
            pass.as_str(),
            plan.exe.display()
        )
    };
    let mut child = cmd.spawn().map_err(|e| Error::Other {
        what: what(),
        reason: format!("could not start: {e}"),
    })?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    *CHILD.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
    // Drain stderr on a thread so a chatty worker cannot block on a full pipe.
    let err_thread = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut e) = stderr {
            let _ = e.read_to_string(&mut text);
        }
        text
    });
    let mut lines = Vec::new();
    let mut bad: Option<Error> = None;
    if let Some(out) = stdout {
        for raw in BufReader::new(out).lines() {
            let Ok(raw) = raw else { break };
            if raw.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Line>(&raw) {
                Ok(line) => {
                    if let Some(e) = &line.error {
                        bad.get_or_insert(Error::Workload {
                            workload: line.workload.clone(),
                            reason: e.clone(),
                        });
                    } else {
                        progress_hook.advance(&line);
                        lines.push(line);
                    }
                }
                Err(e) => {
                    bad.get_or_insert(Error::Other {
                        what: what(),
                        reason: format!("unreadable output line {raw:?}: {e}"),
                    });
                }
            }
        }
    }
    let status = loop {
        let mut guard = CHILD.lock().unwrap_or_else(|p| p.into_inner());
        let Some(child) = guard.as_mut() else {
            break None;
        };
        match child.try_wait() {
            Ok(Some(status)) => {
                *guard = None;
                break Some(status);
            }
            Ok(None) => {
                drop(guard);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(_) => {
                let _ = child.kill();
                *guard = None;
                break None;
            }
        }
    };
    let stderr_text = err_thread.join().unwrap_or_default();
    if interrupted() {
        return Err(interrupted_error());
    }
    if let Some(e) = bad {
        return Err(e);
    }
    match status {
        Some(s) if s.success() => {}
        other => return Err(exit_error(what(), other, &stderr_text)),
    }
    let missing: Vec<&String> = order
        .iter()
        .filter(|n| !lines.iter().any(|l| &l.workload == *n))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Other {
            what: what(),
            reason: format!("no figures for {missing:?}"),
        });
    }
    Ok(lines)
}

/// Something told about each line as it arrives (progress bars, or nothing).
pub trait ProgressHook {
    fn advance(&self, line: &Line);
}

impl ProgressHook for Progress {
    fn advance(&self, line: &Line) {
        Progress::advance(self, line)
    }
}

/// No progress reporting.
#[derive(Debug)]
pub struct NoProgress;

impl ProgressHook for NoProgress {
    fn advance(&self, _line: &Line) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threads_of(cmd: &Command) -> (String, Option<String>) {
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let at = args.iter().position(|a| a == "--threads").unwrap();
        let env = cmd
            .get_envs()
            .find(|(k, _)| *k == "SMALLMIND_THREADS")
            .and_then(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()));
        (args[at + 1].clone(), env)
    }

    #[test]
    fn the_allocation_pass_runs_on_one_engine_thread_whatever_the_plan() {
        let mut plan = Plan::new(vec!["matmul/256".into()]).unwrap();
        plan.threads = 2;
        let order = plan.workloads.clone();
        let one = Some("1".to_string());
        let two = Some("2".to_string());
        assert_eq!(
            threads_of(&worker_command(&plan, &order, Pass::Alloc, 1, 0)),
            ("1".to_string(), one)
        );
        assert_eq!(
            threads_of(&worker_command(&plan, &order, Pass::Time, 1, 0)),
            ("2".to_string(), two)
        );
    }
}
