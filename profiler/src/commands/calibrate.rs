//! `smprof calibrate`.

use crate::cli::Cli;
use std::process::ExitCode;

pub fn run(_cli: &Cli, _args: &crate::cli::CalibrateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`smprof calibrate` is being built")
}
