//! `smprof baseline`.

use crate::cli::Cli;
use std::process::ExitCode;

pub fn run(_cli: &Cli, _args: &crate::cli::BaselineCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`smprof baseline` is being built")
}
