//! `smprof ab`: build two commits, measure them in lockstep, and decide with the
//! one decision engine ([`smprof::decision`]): as many rounds as the test needs,
//! more for what stays undecided, `inconclusive` where the most rounds do not settle it.

use crate::cli::{AbArgs, Cli, FormatArg};
use anyhow::{Context, bail};
use smprof::build::BuildOptions;
use smprof::compare::model::VerdictKind;
use smprof::config::Config;
use smprof::decision::{Lockstep, rounds::RoundPlan};
use smprof::measure::Plan;
use smprof::report;
use smprof::workloads::Suite;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &AbArgs) -> anyhow::Result<ExitCode> {
    if let Some(f) = &args.filter {
        smprof::workloads::require_filter(f).context("--filter")?;
    }
    if args.format == FormatArg::Csv {
        bail!("ab prints --format table, json or markdown");
    }
    let config = Config::load_or_default(&cli.config)?;
    let workloads = Plan::select(&[Suite::Code], args.filter.as_deref())?.workloads;
    if workloads.is_empty() {
        bail!(
            "--filter {}: no workload of the code suite matches (see `smprof list`)",
            args.filter.as_deref().unwrap_or("")
        );
    }
    let repo = smprof::git::open(std::path::Path::new("."))
        .context("smprof ab builds commits: run it inside the git repository")?;
    let workdir = repo
        .workdir()
        .context("the repository is bare: ab needs a work tree to run in")?
        .to_path_buf();
    let build = BuildOptions::smprof(&repo);
    let spinner = super::bisect::spinner();
    let mut say = |s: &str| spinner.set_message(s.to_string());
    let a = smprof::build::ab::build_side(&repo, &args.base, &build, &mut say)?;
    let b = smprof::build::ab::build_side(&repo, &args.head, &build, &mut say)?;
    spinner.finish_and_clear();
    let floors = smprof::gate::calibration::load_floors(
        &cli.baselines_dir,
        &smprof::env::capture(smallmind::simd::active().as_str(), 1).fingerprint,
    )?;
    let plan = RoundPlan::new(workloads.len(), config.alpha, args.rounds.unwrap_or(1));
    let mut m = Lockstep {
        baseline_exe: a.binary.clone(),
        current_exe: b.binary.clone(),
        samples_per_round: args.samples,
        threads: 1,
        mode: "custom".into(),
        repo_dir: Some(workdir),
        progress: true,
        commits: [Some(a.commit.clone()), Some(b.commit.clone())],
    };
    let pd = smprof::decision::decide_paired(
        &mut m,
        &workloads,
        &config,
        floors.as_ref(),
        plan,
        &mut |s| eprintln!("smprof ab: {s}"),
    )?;
    let mut cmp = pd.comparison;
    cmp.baseline = smprof::compare::side_of(&args.base, &pd.baseline);
    cmp.current = smprof::compare::side_of(&args.head, &pd.current);
    let out = match args.format {
        FormatArg::Json => report::json::to_json(&cmp)?,
        FormatArg::Markdown => {
            let t = report::templates::Templates::load(None)?;
            report::markdown::pr_comment(&cmp, &t)?
        }
        _ => {
            eprintln!(
                "A/B: {} vs {}, sampled in lockstep: {}–{} rounds of {} sample pairs, {} look(s) at α = {:.4} each",
                a.commit.short,
                b.commit.short,
                pd.plan.first,
                pd.rounds.values().max().copied().unwrap_or(pd.plan.first),
                args.samples,
                pd.looks,
                pd.plan.alpha_look
            );
            report::terminal::render(&cmp, report::terminal::color_enabled())
        }
    };
    print!("{out}");
    let inconclusive = cmp
        .verdicts
        .iter()
        .any(|v| v.verdict == VerdictKind::Inconclusive);
    Ok(if inconclusive {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
