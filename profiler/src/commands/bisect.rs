//! `smprof bisect`.

use crate::cli::Cli;
use std::process::ExitCode;

pub fn run(_cli: &Cli, _args: &crate::cli::BisectArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`smprof bisect` is being built")
}
