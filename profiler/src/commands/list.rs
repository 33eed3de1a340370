//! `smprof list`.

use crate::cli::Cli;
use std::process::ExitCode;

pub fn run(_cli: &Cli, _args: &crate::cli::ListArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`smprof list` is being built")
}
