//! `smprof compare`.

use crate::cli::Cli;
use std::process::ExitCode;

pub fn run(_cli: &Cli, _args: &crate::cli::CompareArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`smprof compare` is being built")
}
