//! `smprof ab`.

use crate::cli::Cli;
use std::process::ExitCode;

pub fn run(_cli: &Cli, _args: &crate::cli::AbArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`smprof ab` is being built")
}
