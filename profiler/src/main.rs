//! The `smprof` binary: parse arguments, dispatch, map errors to exit codes.
//! `anyhow` lives here and only here.

mod cli;
mod commands;

use clap::Parser;

/// The system allocator, switched to dhat's in allocation-pass workers only
/// (see `smprof::measure::alloc`: one relaxed load per allocation otherwise).
#[global_allocator]
static ALLOC: smprof::measure::alloc::SwitchAlloc = smprof::measure::alloc::SwitchAlloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if cli.no_color {
        // SAFETY: single-threaded at this point; nothing else reads the environment yet.
        unsafe { std::env::set_var("NO_COLOR", "1") };
    }
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
