//! `smprof worker`.

use crate::cli::Cli;
use std::process::ExitCode;

pub fn run(_cli: &Cli, _args: &crate::cli::WorkerArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`smprof worker` is being built")
}
