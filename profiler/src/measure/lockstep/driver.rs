//! The orchestrator side of a lockstep measurement (see [`super`]): for each
//! round and workload, one worker of each build on one CPU, told to sample in
//! turn.

use super::{OK, READY, SAMPLE};
use crate::error::{Error, Result};
use crate::measure::orchestrate::{
    self, assemble_paired, exit_error, interrupted, interrupted_error, order_for,
    start_alternation, worker_command,
};
use crate::measure::worker::{Line, Pass};
use crate::measure::{Plan, affinity};
use crate::result::RunResult;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

/// Whether `exe`'s worker speaks the lockstep protocol (a build from before it
/// does not; the alternation then falls back to whole worker processes).
pub fn supported(exe: &std::path::Path) -> bool {
    Command::new(exe)
        .args(["worker", "--help"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("--lockstep")
        })
}

/// Time two plans over the same workloads in lockstep. Round k runs, for each
/// workload in the round's order, a worker of each plan pinned to one CPU (the
/// round's CPU, cycling through the allowed ones, when the engine runs one
/// thread); the two take their samples strictly in turn, the side going first
/// alternating with k (see [`pair`]). Samples are tagged with their round (`process` = k)
/// and keep their order, so sample i of round k on one side pairs with sample
/// i of round k on the other. Both results get the same `settings.pairing` and
/// `settings.paired_samples = true`.
pub fn run(a: &Plan, b: &Plan, show_progress: bool) -> Result<(RunResult, RunResult)> {
    let (progress, started) = start_alternation(a, b, "lockstep measurement", show_progress)?;
    let cpus = affinity::allowed_cpus();
    let (mut la, mut lb) = (Vec::new(), Vec::new());
    let outcome = (|| -> Result<()> {
        for round in 0..a.processes {
            // Pinning one thread each is right; a multi-threaded engine needs its CPUs.
            let cpu = (a.threads == 1 && b.threads == 1 && !cpus.is_empty())
                .then(|| cpus[round as usize % cpus.len()]);
            for workload in order_for(&a.workloads, a.seed, round) {
                let (x, y) = pair(a, b, &workload, round, cpu)?;
                progress.advance(&x);
                progress.advance(&y);
                la.push(x);
                lb.push(y);
            }
        }
        Ok(())
    })();
    progress.finish();
    outcome?;
    let (mut ra, mut rb) = assemble_paired(a, b, (&la, &lb), started, show_progress)?;
    ra.settings.paired_samples = true;
    rb.settings.paired_samples = true;
    Ok((ra, rb))
}

/// Sample pairs taken first and dropped: the first sample of the side that
/// goes first follows the other side's setup and warm-up, not one of its samples.
pub const SETTLING_PAIRS: u32 = 1;

/// One workload of one round: both workers warmed up (one after the other, so
/// neither warms up while the other samples), then their samples strictly in
/// turn, A B A B … (B A B A … in odd rounds). Each sample thus follows one of the
/// other side's, whose process has just evicted some of its cache: with the
/// order flipped within a round (A B B A …) a side running twice in a row found
/// its data warm, and A/A rounds of the large workloads read ±7–14 % by sample
/// position (and −5 % overall on model/medium), which this order removes.
fn pair(
    a: &Plan,
    b: &Plan,
    workload: &str,
    round: u32,
    cpu: Option<usize>,
) -> Result<(Line, Line)> {
    let mut x = Stepped::start(a, workload, round, cpu)?;
    x.expect(READY)?;
    let mut y = Stepped::start(b, workload, round, cpu)?;
    y.expect(READY)?;
    {
        let (first, second) = if round.is_multiple_of(2) {
            (&mut x, &mut y)
        } else {
            (&mut y, &mut x)
        };
        for _ in 0..SETTLING_PAIRS + a.samples_per_process {
            first.sample()?;
            second.sample()?;
        }
    }
    let (mut lx, mut ly) = (x.finish()?, y.finish()?);
    for line in [&mut lx, &mut ly] {
        let settle = (SETTLING_PAIRS as usize).min(line.samples_ns.len());
        line.samples_ns.drain(..settle);
    }
    Ok((lx, ly))
}

/// A running lockstep worker. Dropped before [`Stepped::finish`] (an error
/// elsewhere), it is killed and reaped.
struct Stepped {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<String>>,
    what: String,
}

impl Stepped {
    fn start(plan: &Plan, workload: &str, round: u32, cpu: Option<usize>) -> Result<Stepped> {
        if interrupted() {
            return Err(interrupted_error());
        }
        let what = format!(
            "lockstep worker {round} of {workload} ({})",
            plan.exe.display()
        );
        let order = [workload.to_string()];
        let mut cmd = worker_command(plan, &order, Pass::Time, plan.samples_per_process, round);
        cmd.arg("--lockstep");
        if let Some(cpu) = cpu {
            cmd.arg("--cpu").arg(cpu.to_string());
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| Error::Other {
            what: what.clone(),
            reason: format!("could not start: {e}"),
        })?;
        orchestrate::track(child.id());
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let Some(stdout) = stdout else {
            let _ = child.kill();
            let _ = child.wait();
            orchestrate::untrack(child.id());
            return Err(Error::Other {
                what,
                reason: "its output could not be read".into(),
            });
        };
        let mut stepped = Stepped {
            child: Some(child),
            stdin,
            stdout: BufReader::new(stdout),
            stderr: None,
            what,
        };
        // Drain stderr on a thread so a chatty worker cannot block on a full pipe.
        stepped.stderr = stderr.map(|mut e| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = e.read_to_string(&mut text);
                text
            })
        });
        Ok(stepped)
    }

    /// Read the worker's next line and check it is `word`.
    fn expect(&mut self, word: &str) -> Result<()> {
        let mut text = String::new();
        let n = self.stdout.read_line(&mut text).map_err(|e| Error::Other {
            what: self.what.clone(),
            reason: format!("reading its answer: {e}"),
        })?;
        if n > 0 && text.trim() == word {
            return Ok(());
        }
        Err(self.failure(&text))
    }

    /// Ask for one sample and wait until it is taken.
    fn sample(&mut self) -> Result<()> {
        let sent = self
            .stdin
            .as_mut()
            .map(|i| writeln!(i, "{SAMPLE}").and_then(|()| i.flush()));
        if !matches!(sent, Some(Ok(()))) {
            return Err(self.failure(""));
        }
        self.expect(OK)
    }

    /// Close the worker's stdin, read its line, and check how it ended.
    fn finish(mut self) -> Result<Line> {
        drop(self.stdin.take());
        let mut text = String::new();
        let _ = self.stdout.read_to_string(&mut text);
        let status = self.wait();
        let stderr = self.stderr_text();
        if interrupted() {
            return Err(interrupted_error());
        }
        let line = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        match serde_json::from_str::<Line>(line) {
            Ok(line) if line.error.is_some() => Err(Error::Workload {
                workload: line.workload,
                reason: line.error.unwrap_or_default(),
            }),
            Ok(line) if status.is_some_and(|s| s.success()) => Ok(line),
            _ => Err(exit_error(self.what.clone(), status, &stderr)),
        }
    }

    /// The error for an unexpected answer `text` (the worker's error line, or its exit).
    fn failure(&mut self, text: &str) -> Error {
        if let Ok(line) = serde_json::from_str::<Line>(text.trim())
            && let Some(reason) = line.error
        {
            return Error::Workload {
                workload: line.workload,
                reason,
            };
        }
        drop(self.stdin.take());
        let status = self.wait();
        let stderr = self.stderr_text();
        if interrupted() {
            return interrupted_error();
        }
        if status.is_some_and(|s| s.success()) {
            return Error::Other {
                what: self.what.clone(),
                reason: format!("unexpected answer {:?}", text.trim()),
            };
        }
        exit_error(self.what.clone(), status, &stderr)
    }

    fn wait(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let status = child.wait().ok();
        orchestrate::untrack(child.id());
        status
    }

    fn stderr_text(&mut self) -> String {
        self.stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Stepped {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
        }
        drop(self.stdin.take());
        let _ = self.wait();
    }
}
