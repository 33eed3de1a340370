//! `smprof history`.

use crate::cli::Cli;
use std::process::ExitCode;

pub fn run(_cli: &Cli, _args: &crate::cli::HistoryArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`smprof history` is being built")
}
