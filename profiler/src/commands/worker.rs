//! `smprof worker` (hidden): one worker process of `smprof run`. Prints one JSON
//! line per workload on stdout; the orchestrator reads them.

use crate::cli::{Cli, WorkerArgs};
use anyhow::Context;
use smprof::measure::worker::{self, Pass, Spec};
use smprof::measure::{affinity, lockstep};
use std::process::ExitCode;

pub fn run(_cli: &Cli, args: &WorkerArgs) -> anyhow::Result<ExitCode> {
    let pass: Pass = args.pass.parse()?;
    if args.samples == 0 {
        anyhow::bail!("--samples must be at least 1");
    }
    let spec = Spec {
        workloads: args.workloads.clone(),
        pass,
        samples: args.samples,
        process: args.process,
    };
    if let Some(cpu) = args.cpu
        && !affinity::pin_to(cpu)
    {
        anyhow::bail!("--cpu {cpu}: cannot run on that CPU");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.lockstep {
        let mut input = std::io::stdin().lock();
        lockstep::worker::run(&spec, &mut input, &mut out).context("lockstep worker")?;
    } else {
        worker::run(&spec, &mut out).context("worker")?;
    }
    Ok(ExitCode::SUCCESS)
}
