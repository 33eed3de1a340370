//! `smprof bisect`: find the first commit that regressed a workload, measuring
//! each candidate against the good end with compare's statistics.

use crate::cli::{BisectArgs, Cli};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use smprof::build::{BuildOptions, ab::AbOptions};
use smprof::config::Config;
use smprof::history::bisect::{self, BuildProber, Outcome, Step, StepKind};
use smprof::report::units::value as figure;
use smprof::store::Store;
use std::process::ExitCode;

/// A spinner on stderr (hidden when stderr is not a terminal).
pub fn spinner() -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

pub fn run(cli: &Cli, args: &BisectArgs) -> anyhow::Result<ExitCode> {
    smprof::workloads::require_name(&args.workload).context("--workload")?;
    let instructions = match args.metric.as_str() {
        "time_ns" => false,
        "instructions" => true,
        m => bail!("--metric {m}: bisect decides on time_ns (wall time) or instructions"),
    };
    let config = Config::load_or_default(&cli.config)?;
    let repo = smprof::git::open(std::path::Path::new("."))
        .context("smprof bisect builds commits: run it inside the git repository")?;
    let workdir = repo
        .workdir()
        .context("the repository is bare: bisect needs a work tree")?
        .to_path_buf();
    let range = bisect::first_parent_range(&repo, &args.good, &args.bad)?;
    let n = range.len();
    let probes = (usize::BITS - (n - 1).leading_zeros()) as usize;
    println!(
        "bisecting {} on {}: {n} commits from {} (good) to {} (bad), at most {probes} probes",
        args.workload,
        args.metric,
        range[0].short,
        range[n - 1].short
    );
    let opts = AbOptions {
        filter: Some(args.workload.clone()),
        // Wall time: the fewest rounds of the first look; the decision engine
        // takes what α needs (12 for one workload at α = 0.01) and more if undecided.
        rounds: 1,
        samples: 4,
        instructions,
        build: BuildOptions::smprof(&repo),
        workdir,
    };
    let pb = spinner();
    let good = {
        let pb = &pb;
        smprof::build::ab::build_side(&repo, &range[0].sha, &opts.build, &mut |s| {
            pb.set_message(s.to_string())
        })?
    };
    let store = Store::open(&cli.baselines_dir);
    // Calibrated noise floors belong to the binary that was calibrated (its build
    // profile and compiler are in the fingerprint); built commits use compare's
    // statistics and thresholds alone.
    let floors = None;
    let pb2 = pb.clone();
    let mut prober = BuildProber {
        repo: &repo,
        good,
        opts,
        workload: args.workload.clone(),
        metric: args.metric.clone(),
        config,
        floors,
        store: Some(&store),
        lockstep: true,
        builds: 1,
        progress: Box::new(move |s| pb2.set_message(s.to_string())),
    };
    let unit = if instructions { "instructions" } else { "ns" };
    let mut k = 0;
    let outcome = bisect::bisect(&range, &mut prober, &mut |s: &Step| {
        k += 1;
        pb.suspend(|| println!("{}", step_line(k, s, unit)));
    })?;
    pb.finish_and_clear();
    let builds = prober.builds;
    match outcome {
        Outcome::Found {
            first_bad,
            last_good,
            before,
            after,
            step,
            ..
        } => {
            let author = git2::Oid::from_str(&first_bad.sha)
                .ok()
                .and_then(|o| repo.find_commit(o).ok())
                .map(|c| {
                    let a = c.author();
                    format!(
                        "{} <{}>, {}",
                        a.name().unwrap_or("?"),
                        a.email().unwrap_or("?"),
                        smprof::git::rfc3339_from_git(a.when())
                    )
                })
                .unwrap_or_default();
            println!("\nfirst bad commit: {}", first_bad.sha);
            println!("  subject: {}", first_bad.subject);
            println!("  author:  {author}");
            println!(
                "  step:    {} → {} ({:+.1}%) since {} \"{}\"",
                figure(before, unit),
                figure(after, unit),
                step * 100.0,
                last_good.short,
                last_good.subject
            );
            println!(
                "  {builds} builds for {n} commits; the probes' measurements are in {} (never a commit's result)",
                store.dir().join(smprof::store::probe::PROBES_DIR).display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Outcome::NotReproduced { .. } => {
            println!(
                "\n{} ({}) does not regress {} against {}: nothing to bisect ({builds} builds).",
                range[n - 1].short,
                args.bad,
                args.workload,
                range[0].short
            );
            Ok(ExitCode::from(2))
        }
        Outcome::Ambiguous { candidates, .. } => {
            println!("\nonly unbuildable commits are left: the first bad commit is one of");
            for c in candidates {
                println!("  {} {}", c.short, c.subject);
            }
            Ok(ExitCode::from(2))
        }
    }
}

fn step_line(k: usize, s: &Step, unit: &str) -> String {
    let head = format!("[{k}] {} \"{}\"", s.commit.short, s.commit.subject);
    match (&s.figures, s.kind) {
        (_, StepKind::Skip) | (None, _) => format!(
            "{head}: skipped (does not build or run); {} left",
            s.remaining
        ),
        (Some(f), kind) => format!(
            "{head}: {} vs good {} ({:+.1}%, {}) → {}; {} left",
            figure(f.candidate, unit),
            figure(f.good, unit),
            f.change * 100.0,
            f.detail,
            if kind == StepKind::Bad { "BAD" } else { "good" },
            s.remaining
        ),
    }
}
