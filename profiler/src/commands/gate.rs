//! `smprof gate`.

use crate::cli::Cli;
use std::process::ExitCode;

pub fn run(_cli: &Cli, _args: &crate::cli::GateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`smprof gate` is being built")
}
