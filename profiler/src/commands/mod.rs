//! One file per subcommand: resolve the raw arguments into a validated
//! configuration, then run it. Exit code 1 means "a gating regression".

use crate::cli::{Cli, Command};
use std::process::ExitCode;

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    smallmind::simd::init()?;
    match &cli.command {
        Command::Run(a) => run::run(&cli, a),
        Command::List(a) => list::run(&cli, a),
        Command::Baseline(a) => baseline::run(&cli, a),
        Command::Compare(a) => compare::run(&cli, a),
        Command::Gate(a) => gate::run(&cli, a),
        Command::Calibrate(a) => calibrate::run(&cli, a),
        Command::Ab(a) => ab::run(&cli, a),
        Command::Bisect(a) => bisect::run(&cli, a),
        Command::History(a) => history::run(&cli, a),
        Command::Worker(a) => worker::run(&cli, a),
    }
}

mod ab;
mod baseline;
mod bisect;
mod calibrate;
mod compare;
mod gate;
mod history;
mod list;
mod run;
mod sides;
mod worker;
