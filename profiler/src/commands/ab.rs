//! `smprof ab`: build two commits and measure them interleaved on this machine,
//! then compare as `smprof compare` does (the most trustworthy wall-time comparison).

use crate::cli::{AbArgs, Cli, FormatArg};
use anyhow::{Context, bail};
use smprof::build::{BuildOptions, ab::AbOptions};
use smprof::config::Config;
use smprof::report;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &AbArgs) -> anyhow::Result<ExitCode> {
    if let Some(f) = &args.filter {
        smprof::workloads::require_filter(f).context("--filter")?;
    }
    if args.rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    if args.format == FormatArg::Csv {
        bail!("ab prints --format table, json or markdown");
    }
    let config = Config::load_or_default(&cli.config)?;
    // The sides are compared round by round; the smallest two-sided p of n rounds is 2/2ⁿ.
    let smallest_p = 2.0 * 0.5f64.powi(args.rounds.min(64) as i32);
    if smallest_p >= config.alpha {
        eprintln!(
            "smprof ab: warning: with {} rounds no change can be significant at α = {} (the round-by-round test's smallest p is {smallest_p:.3}); use --rounds {} or more",
            args.rounds,
            config.alpha,
            smprof::compare::paired::rounds_for(1, config.alpha, 1)
        );
    }
    let repo = smprof::git::open(std::path::Path::new("."))
        .context("smprof ab builds commits: run it inside the git repository")?;
    let workdir = repo
        .workdir()
        .context("the repository is bare: ab needs a work tree to run in")?
        .to_path_buf();
    let opts = AbOptions {
        filter: args.filter.clone(),
        rounds: args.rounds,
        samples: 5,
        instructions: false,
        build: BuildOptions::smprof(&repo),
        workdir,
    };
    let spinner = super::bisect::spinner();
    let outcome = smprof::build::ab::ab(&repo, &args.base, &args.head, &opts, &mut |s| {
        spinner.set_message(s.to_string())
    })?;
    spinner.finish_and_clear();
    let fingerprint = outcome.head.result.env.fingerprint.clone();
    let floors = smprof::gate::calibration::load_floors(&cli.baselines_dir, &fingerprint)?;
    let cmp = smprof::compare::compare(&outcome.base, &outcome.head, &config, floors.as_ref());
    let out = match args.format {
        FormatArg::Json => report::json::to_json(&cmp)?,
        FormatArg::Markdown => {
            let t = report::templates::Templates::load(None)?;
            report::markdown::pr_comment(&cmp, &t)?
        }
        _ => {
            eprintln!(
                "A/B: {} vs {}, {} interleaved rounds of fresh processes",
                outcome.base.result.label(),
                outcome.head.result.label(),
                args.rounds
            );
            report::terminal::render(&cmp, report::terminal::color_enabled())
        }
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
