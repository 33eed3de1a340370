//! `smprof run`: resolve the arguments into a [`Plan`], measure, save the result
//! for the current commit, print a table.
//!
//! Before measuring, everything that could refuse the result is checked: the
//! filter, the writability of `--out` and of the results directory, its lock (one
//! run at a time), whether this binary was built from the sources it would save
//! the result under, and whether the result would replace a wider one.
//!
//! Exit codes: 0 measured (and saved), 2 error, 130 interrupted by Ctrl-C (no
//! file written: results are written atomically, only after a complete run).

use crate::cli::{Cli, FormatArg, MetricModeArg, RunArgs, SuiteArg};
use anyhow::{Context, anyhow, bail};
use smprof::git::source::{self, Against, Change, Freshness};
use smprof::measure::{self, MetricMode, Plan};
use smprof::result::{CommitInfo, key_suffix};
use smprof::store::{Replace, Store, StoreError};
use smprof::workloads::Suite;
use std::process::ExitCode;

/// Validate the arguments into a plan.
pub fn plan_from_args(args: &RunArgs) -> anyhow::Result<Plan> {
    let suites: &[Suite] = match args.suite {
        SuiteArg::Code => &[Suite::Code],
        SuiteArg::Alloc => &[Suite::Alloc],
        SuiteArg::All => &[Suite::Code, Suite::Alloc],
    };
    let mut plan = Plan::select(suites, args.filter.as_deref())?;
    if args.quick {
        plan = plan.quick();
    }
    if let Some(s) = args.samples {
        anyhow::ensure!(s >= 1, "--samples must be at least 1");
        plan.samples_per_process = s;
        plan.mode = "custom".into();
    }
    if let Some(p) = args.processes {
        anyhow::ensure!(p >= 1, "--processes must be at least 1");
        plan.processes = p;
        plan.mode = "custom".into();
    }
    anyhow::ensure!(
        (1..=256).contains(&args.threads),
        "--threads must be between 1 and 256"
    );
    plan.threads = args.threads;
    plan.metric = match args.metric {
        MetricModeArg::Time => MetricMode::Time,
        MetricModeArg::Instructions => MetricMode::Instructions,
    };
    if plan.metric == MetricMode::Instructions && args.samples.is_none() {
        // Exact counts: one counted operation is the figure (see callgrind::DEFAULT_OPS).
        plan.samples_per_process = smprof::measure::callgrind::DEFAULT_OPS;
    }
    Ok(plan)
}

pub fn run(cli: &Cli, args: &RunArgs) -> anyhow::Result<ExitCode> {
    if let Some(f) = &args.filter {
        smprof::workloads::require_filter(f).context("--filter")?;
    }
    let plan = plan_from_args(args)?;
    let store = Store::open(&cli.baselines_dir);
    // Everything that can refuse is checked before minutes of measuring.
    if let Some(out) = &args.out {
        let dir = smprof::result::write::parent_dir(out);
        smprof::result::write::ensure_writable(dir).map_err(|(p, e)| {
            anyhow!(
                "--out {}: {} is not writable: {e}",
                out.display(),
                p.display()
            )
        })?;
    }
    // Held until the result is saved: one run per results directory at a time.
    let _lock = if args.no_save {
        None
    } else {
        Some(store.lock()?)
    };
    let head = match store.repo() {
        None => {
            eprintln!(
                "warning: not in a git repository: the result will be keyed by time, not by commit"
            );
            None
        }
        Some(repo) => smprof::git::head_info(repo)?,
    };
    if let Some(info) = head.as_ref().filter(|i| i.dirty) {
        eprintln!(
            "note: the work tree has uncommitted changes: the result is saved as {}-dirty, apart from the commit's",
            info.short
        );
    }
    let stale = match (store.repo(), &head) {
        (Some(repo), Some(info)) => stale_build(repo, info, args)?,
        _ => false,
    };
    let full_catalogue = args.filter.is_none() && args.suite == SuiteArg::All;
    let replace = if full_catalogue || args.replace {
        Replace::Always
    } else {
        Replace::Covered
    };
    if let (false, Replace::Covered, Some(info)) = (args.no_save, replace, &head) {
        let key = format!("{}{}", info.sha, key_suffix(info.dirty, stale));
        store
            .check_replace(&key, &plan.workloads, plan.metric.as_str())
            .map_err(|e| {
                anyhow!(
                    "{e}\n  --replace replaces it anyway (it is kept as {key}.prev.json); --no-save --out FILE keeps this run apart"
                )
            })?;
    }
    match plan.metric {
        MetricMode::Time => eprintln!(
            "measuring {} workloads: {} processes × {} samples{}, {} thread(s)",
            plan.workloads.len(),
            plan.processes,
            plan.samples_per_process,
            if plan.alloc_pass {
                ", then the allocation pass"
            } else {
                ""
            },
            plan.threads
        ),
        MetricMode::Instructions => eprintln!(
            "counting instructions of {} workloads under callgrind ({} operations each){}",
            plan.workloads.len(),
            plan.samples_per_process,
            if plan.alloc_pass {
                ", then the allocation pass"
            } else {
                ""
            },
        ),
    }
    let exec = match measure::execute_detailed(&plan, true) {
        Ok(e) => e,
        Err(e) if measure::interrupted() => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(130));
        }
        Err(e) => return Err(e.into()),
    };
    let mut result = exec.result;
    if let Some(c) = result.commit.as_mut() {
        c.stale = stale;
    }
    let bytes = serde_json::to_vec_pretty(&result)?;
    if let Some(out) = &args.out {
        smprof::result::write_atomic(out, &bytes)
            .with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    if !args.no_save {
        match store.save(&result, replace) {
            Ok(path) => eprintln!("saved {} ({})", path.display(), result.label()),
            // Something replaced the stored result while we measured: keep ours apart.
            Err(e @ smprof::Error::Store(StoreError::WouldNarrow { .. })) => {
                let kept = store.save_probe(&result)?;
                bail!("{e}\n  this run is kept as {}", kept.display());
            }
            Err(e) => return Err(e.into()),
        }
    }
    // The on cost (4th field) comes from two operations and is too noisy to print.
    if args.verbose {
        for (w, scopes, off, _on) in
            measure::assemble::instrumentation_overheads(&exec.lines, &result)
        {
            eprintln!(
                "instrumentation off on {w}: {scopes:.0} scopes/op, at most {:.3} % of its median time",
                off * 100.0
            );
        }
    }
    match args.format {
        FormatArg::Json => println!("{}", String::from_utf8_lossy(&bytes)),
        _ => println!(
            "{}",
            smprof::report::result_table::result_table(&result, args.format == FormatArg::Markdown)
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether this binary measures other code than the commit (or work tree) it
/// would save the result under. Refused unless `--allow-stale` when saving; with
/// `--no-save` only noted (`ab` and `bisect` run built binaries of other commits
/// in this work tree and stamp their results with the commit they built).
fn stale_build(repo: &git2::Repository, info: &CommitInfo, args: &RunArgs) -> anyhow::Result<bool> {
    let freshness = source::check(repo, info.dirty)?;
    if freshness == Freshness::Fresh {
        return Ok(false);
    }
    let what = describe(&freshness, info);
    let apart = format!("{}{}", info.short, key_suffix(info.dirty, true));
    if args.no_save {
        eprintln!("note: the result is marked stale: {what}");
    } else if args.allow_stale {
        eprintln!("warning: --allow-stale: saved as {apart}, apart from the commit's: {what}");
    } else {
        bail!(
            "{what}\nIts figures would be of other code than {sources}. Rebuild, then run again:\n  cargo run --release -p smprof -- run     (or `cargo install --path profiler` to update an installed smprof)\nor pass --allow-stale to save them apart as {apart}.",
            sources = sources(&freshness, info),
        );
    }
    Ok(true)
}

/// What the build is compared with, for messages.
fn sources(f: &Freshness, info: &CommitInfo) -> String {
    match f {
        Freshness::Stale {
            against: Against::WorkTree,
            ..
        } => format!("the work tree (uncommitted changes on {})", info.short),
        _ => format!("{} \"{}\"", info.short, info.subject),
    }
}

/// One paragraph: why the build does not match, with the files that differ.
fn describe(f: &Freshness, info: &CommitInfo) -> String {
    const SHOWN: usize = 10;
    match f {
        Freshness::Fresh => String::new(),
        Freshness::Unknown { reason } => format!(
            "cannot tell which sources this smprof was built from ({reason}), so not whether it measures {}",
            sources(f, info)
        ),
        Freshness::Stale {
            source_files: 0, ..
        } => format!(
            "{} holds none of the sources smprof is built from: this is not SmallMind's repository",
            sources(f, info)
        ),
        Freshness::Stale { changes, .. } => {
            let mut lines: Vec<String> = changes
                .iter()
                .take(SHOWN)
                .map(|c| {
                    let how = match c.change {
                        Change::Modified => "changed since the build",
                        Change::Added => "added since the build",
                        Change::Removed => "in the build, not in the sources",
                    };
                    format!("  {}  ({how})", c.path)
                })
                .collect();
            if changes.len() > SHOWN {
                lines.push(format!("  … and {} more", changes.len() - SHOWN));
            }
            format!(
                "this smprof was not built from the sources of {}: {} file(s) differ\n{}",
                sources(f, info),
                changes.len(),
                lines.join("\n")
            )
        }
    }
}
