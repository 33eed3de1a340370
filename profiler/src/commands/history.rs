//! `smprof history`: stored results along the first-parent history of HEAD, with
//! change points; a table, CSV or JSON on stdout, and optionally an HTML page.

use crate::cli::{Cli, FormatArg, HistoryArgs};
use anyhow::Context;
use smprof::history::{self, render};
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
    let store = Store::open(&cli.baselines_dir);
    let h = history::collect(&store, &opts)?;
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
