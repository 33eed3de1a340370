//! `smprof compare`: parse → resolve (store, config, CLI overrides) → compare
//! → write reports → print → exit code per `--fail-on`.

use crate::cli::{Cli, CompareArgs, FailOnArg, FormatArg};
use anyhow::{Context, bail};
use smprof::compare::model::{Comparison, Severity, VerdictKind};
use smprof::config::Config;
use smprof::report;
use smprof::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// A compare invocation with every input validated.
struct Resolved {
    config: Config,
    format: FormatArg,
    out_dir: Option<PathBuf>,
    templates: Option<PathBuf>,
    write_reports: bool,
    fail_on: FailOnArg,
}

fn resolve(cli: &Cli, args: &CompareArgs) -> anyhow::Result<Resolved> {
    let mut config = Config::load_or_default(&cli.config)?;
    if let Some(a) = args.select.alpha {
        config.alpha = a;
    }
    if let Some(t) = args.select.threshold {
        config.threshold_pct = t;
    }
    if let Err(reason) = config.validate() {
        bail!("invalid --alpha/--threshold: {reason}");
    }
    if args.format == FormatArg::Csv {
        bail!("--format csv is not available for compare (use table, json or markdown)");
    }
    if let Some(t) = &args.templates
        && !t.is_dir()
    {
        bail!("--templates {}: not a directory", t.display());
    }
    Ok(Resolved {
        config,
        format: args.format,
        out_dir: args.out_dir.clone(),
        templates: args.templates.clone(),
        write_reports: !args.no_reports,
        fail_on: args.fail_on,
    })
}

/// Whether the comparison should fail the command.
fn fails(cmp: &Comparison, fail_on: FailOnArg) -> bool {
    let gating = |v: &&smprof::compare::model::Verdict| {
        v.verdict == VerdictKind::Regression && v.waiver.is_none()
    };
    match fail_on {
        FailOnArg::Never => false,
        FailOnArg::Regression => cmp.verdicts.iter().any(|v| gating(&v)),
        FailOnArg::Critical => cmp
            .verdicts
            .iter()
            .any(|v| gating(&v) && v.severity == Some(Severity::Critical)),
    }
}

pub fn run(cli: &Cli, args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let r = resolve(cli, args)?;
    let store = Store::open(&cli.baselines_dir);
    let baseline = store
        .resolve(&args.select.baseline)
        .with_context(|| format!("resolving --baseline {}", args.select.baseline))?;
    let current = match &args.select.current {
        Some(c) => store
            .resolve(c)
            .with_context(|| format!("resolving --current {c}"))?,
        None => store.resolve_head().context(
            "resolving the current side (default: the result for HEAD; run `smprof run` or pass --current)",
        )?,
    };
    // Calibrated noise floors of this machine and waivers, as the gate applies them.
    let (floors, floors_note) = super::gate::floors_for(&cli.baselines_dir, &current)?;
    eprintln!("thresholds: {floors_note}");
    let mut cmp = smprof::compare::compare(&baseline, &current, &r.config, floors.as_ref());
    let (_, waiver_notes) = super::gate::apply_waivers(&store, &r.config, &current, &mut cmp);
    for n in waiver_notes {
        eprintln!("note: {n}");
    }

    if r.write_reports {
        let dir = r
            .out_dir
            .clone()
            .unwrap_or_else(|| report::default_dir(std::path::Path::new("reports"), &cmp));
        let written = report::write_all(&cmp, &dir, r.templates.as_deref())
            .with_context(|| format!("writing reports to {}", dir.display()))?;
        eprintln!(
            "reports: {} ({} files; start with INDEX.md)",
            dir.display(),
            written.len()
        );
    }

    if args.html {
        let dir = r
            .out_dir
            .clone()
            .unwrap_or_else(|| report::default_dir(std::path::Path::new("reports"), &cmp));
        let path = super::history::write_compare_html(&cmp, &store, &dir, r.templates.as_deref())?;
        eprintln!("html report: {}", path.display());
    }

    let out = match r.format {
        FormatArg::Json => report::json::to_json(&cmp)?,
        FormatArg::Markdown => {
            let t = report::templates::Templates::load(r.templates.as_deref())?;
            report::markdown::pr_comment(&cmp, &t)?
        }
        _ => report::terminal::render_with(
            &cmp,
            report::terminal::Options {
                color: report::terminal::color_enabled(),
                all: args.all,
            },
        ),
    };
    print!("{out}");
    Ok(if fails(&cmp, r.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
