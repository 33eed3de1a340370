//! The `smprof` binary: parse arguments, dispatch, map errors to exit codes.
//! `anyhow` lives here and only here.

mod cli;
mod commands;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use std::any::Any;
use std::process::ExitCode;

/// The system allocator, switched to dhat's in allocation-pass workers only
/// (see `smprof::measure::alloc`: one relaxed load per allocation otherwise).
#[global_allocator]
static ALLOC: smprof::measure::alloc::SwitchAlloc = smprof::measure::alloc::SwitchAlloc;

fn main() -> ExitCode {
    quiet_broken_pipe_panics();
    // SAFETY: the first thing main does, while this is the only thread.
    if let Err(e) =
        unsafe { smprof::git::honour_no_system(std::env::var_os("GIT_CONFIG_NOSYSTEM").as_deref()) }
    {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let matches = cli::Cli::command().get_matches();
    let cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    // A file named with --config must exist; the default smprof.toml may be absent.
    let config_named = matches.value_source("config") == Some(ValueSource::CommandLine);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli, config_named)));
    match outcome {
        Ok(code) => code,
        Err(payload) if is_broken_pipe(payload.as_ref()) => end_as_by_sigpipe(),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

fn run(cli: cli::Cli, config_named: bool) -> ExitCode {
    if cli.no_color {
        // SAFETY: single-threaded at this point; nothing else reads the environment yet.
        unsafe { std::env::set_var("NO_COLOR", "1") };
    }
    if config_named && let Err(e) = smprof::config::Config::load(&cli.config) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `println!` panics when stdout's reader has gone (`smprof … | head`). Such a
/// panic is not a bug of smprof: its message is suppressed, `main` catches it
/// after the stack has unwound (temporary worktrees and locks released) and ends
/// the process as SIGPIPE ends other Unix tools. Every other panic is reported.
fn quiet_broken_pipe_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_broken_pipe(info.payload()) {
            default(info);
        }
    }));
}

/// Whether a panic payload is std's "failed printing to stdout" for EPIPE.
fn is_broken_pipe(payload: &(dyn Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied());
    let epipe = std::io::Error::from_raw_os_error(libc::EPIPE);
    message == Some(format!("failed printing to stdout: {epipe}").as_str())
}

/// Die of SIGPIPE (status 141 in a shell), as `cat` or `grep` do in a closed pipe.
fn end_as_by_sigpipe() -> ExitCode {
    // SAFETY: restoring the default disposition and raising a signal in this
    // process; no Rust state is shared with a signal handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    ExitCode::from(141)
}
