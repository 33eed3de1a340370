//! `smprof history`: stored results along the first-parent history of HEAD, with
//! change points; a table, CSV or JSON on stdout, and optionally an HTML page.

use crate::cli::{Cli, FormatArg, HistoryArgs};
use anyhow::Context;
use smprof::history;
use smprof::report::history as render;
use smprof::store::Store;
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    if args.format == FormatArg::Markdown {
        anyhow::bail!("history prints --format table, csv or json");
    }
    if args.metric.trim().is_empty() {
        anyhow::bail!("--metric must name a metric (time_ns, instructions, gflops, …)");
    }
    let opts = history::Options {
        workload: args.workload.clone(),
        metric: args.metric.clone(),
        since: args.since.clone(),
        ..history::Options::default()
    };
    if args.confirm && args.metric != "time_ns" {
        anyhow::bail!(
            "--confirm measures wall time (--metric time_ns); {} is counted, not sampled: its change points need no confirmation",
            args.metric
        );
    }
    let store = Store::open(&cli.baselines_dir);
    let mut h = history::collect(&store, &opts)?;
    if args.confirm {
        confirm(cli, &store, &mut h)?;
    }
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let text = match args.format {
        FormatArg::Csv => render::csv(&h),
        FormatArg::Json => render::json(&h) + "\n",
        _ => render::table(&h, color),
    };
    print!("{text}");
    if let Some(path) = &args.html {
        let page = smprof::report::html::history_page(&h)?;
        smprof::result::write_atomic(path, page.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `--confirm`: every change point measured in lockstep against the commit before it.
fn confirm(cli: &Cli, store: &Store, h: &mut history::History) -> anyhow::Result<()> {
    let repo = store
        .repo()
        .context("history --confirm builds commits: run it inside the git repository")?;
    let workdir = repo
        .workdir()
        .context("the repository is bare: --confirm needs a work tree")?
        .to_path_buf();
    let config = smprof::config::Config::load_or_default(&cli.config)?;
    let mut builder = history::confirm::CacheBuilder {
        repo,
        build: smprof::build::BuildOptions::smprof(repo),
        workdir,
        samples: 4,
    };
    let pb = super::bisect::spinner();
    let result = history::confirm::confirm(h, &mut builder, &config, &mut |s: &str| {
        pb.set_message(s.to_string())
    });
    pb.finish_and_clear();
    result?;
    Ok(())
}

/// `compare --html`: the comparison page, with the history of the compared
/// workloads when results along HEAD's history exist. Returns the file written.
pub fn write_compare_html(
    cmp: &smprof::compare::model::Comparison,
    store: &Store,
    dir: &std::path::Path,
    templates: Option<&std::path::Path>,
) -> anyhow::Result<std::path::PathBuf> {
    // The history is context, not the point: without a repository or results it is left out.
    let metric = cmp
        .verdicts
        .iter()
        .find(|v| v.metric == "time_ns")
        .or(cmp.verdicts.first())
        .map_or("time_ns", |v| v.metric.as_str());
    let h = history::collect(
        store,
        &history::Options {
            metric: metric.to_string(),
            max_commits: 200,
            ..history::Options::default()
        },
    )
    .ok()
    .filter(|h| h.commits.len() >= 2);
    let page = smprof::report::html::comparison_page(cmp, h.as_ref(), templates)?;
    let path = dir.join("report.html");
    smprof::result::write_atomic(&path, page.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// `baseline push REMOTE`: every stored clean result becomes the git note of its
/// commit, then the notes ref is merged with the remote's and pushed.
pub fn push_notes(store: &Store, remote: &str) -> anyhow::Result<ExitCode> {
    use smprof::git::notes;
    let repo = store
        .repo()
        .context("baseline push needs a git repository (results are stored as git notes)")?;
    let (mut added, mut same, mut foreign) = (0, 0, 0);
    for e in store.list()?.into_iter().filter(|e| e.kind == "commit") {
        let r = smprof::result::load(&e.path)?;
        let Ok(oid) = git2::Oid::from_str(&e.key) else {
            continue;
        };
        if repo.find_commit(oid).is_err() {
            foreign += 1;
            continue;
        }
        if notes::read(repo, oid).ok().flatten().as_ref() == Some(&r) {
            same += 1;
            continue;
        }
        notes::write(repo, &r)?;
        added += 1;
    }
    let s = notes::push(repo, remote).with_context(|| format!("pushing results to {remote}"))?;
    eprintln!(
        "{added} results stored as notes ({same} already were); fetched {} from {remote}{}; pushed {} notes to {remote} ({})",
        s.fetched,
        if s.conflicts > 0 {
            format!(", {} conflicting notes kept local", s.conflicts)
        } else {
            String::new()
        },
        s.pushed,
        notes::NOTES_REF
    );
    if foreign > 0 {
        eprintln!("{foreign} results belong to commits this repository does not have: not shared");
    }
    Ok(ExitCode::SUCCESS)
}

/// `baseline pull REMOTE`: fetch the remote's notes and merge them into ours.
pub fn pull_notes(store: &Store, remote: &str) -> anyhow::Result<ExitCode> {
    use smprof::git::notes;
    let repo = store
        .repo()
        .context("baseline pull needs a git repository (results are stored as git notes)")?;
    let s = notes::pull(repo, remote).with_context(|| format!("fetching results from {remote}"))?;
    eprintln!(
        "fetched {} results from {remote}{}; {} commits have results in {}",
        s.fetched,
        if s.conflicts > 0 {
            format!(" ({} conflicting notes kept local)", s.conflicts)
        } else {
            String::new()
        },
        notes::list(repo)?.len(),
        notes::NOTES_REF
    );
    Ok(ExitCode::SUCCESS)
}
