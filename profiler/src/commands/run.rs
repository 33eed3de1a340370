//! `smprof run`.

use crate::cli::Cli;
use std::process::ExitCode;

pub fn run(_cli: &Cli, _args: &crate::cli::RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`smprof run` is being built")
}
