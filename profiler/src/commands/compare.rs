//! `smprof compare`: parse → resolve (store, config, CLI overrides) → screen
//! the stored runs → confirm their wall-time changes on both builds in lockstep
//! ([`smprof::decision`]) → write reports → print → exit code per `--fail-on`.

use crate::cli::{Cli, CompareArgs, FailOnArg, FormatArg};
use anyhow::{Context, bail};
use smprof::compare::model::{Comparison, Severity, VerdictKind};
use smprof::config::Config;
use smprof::decision::screen::Screened;
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
    let config = super::sides::load_config(cli, &args.select)?;
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

/// The exit code `--fail-on` asks for: 1 on a regression of that kind, else 3
/// when a wall-time verdict stayed inconclusive, else 0.
fn exit_code(cmp: &Comparison, fail_on: FailOnArg) -> u8 {
    let gating = |v: &&smprof::compare::model::Verdict| {
        v.verdict == VerdictKind::Regression && v.waiver.is_none()
    };
    let fails = match fail_on {
        FailOnArg::Never => return 0,
        FailOnArg::Regression => cmp.verdicts.iter().any(|v| gating(&v)),
        FailOnArg::Critical => cmp
            .verdicts
            .iter()
            .any(|v| gating(&v) && v.severity == Some(Severity::Critical)),
    };
    if fails {
        1
    } else if cmp
        .verdicts
        .iter()
        .any(|v| v.verdict == VerdictKind::Inconclusive)
    {
        3
    } else {
        0
    }
}

/// Decide every wall-time verdict of the screen on both builds in lockstep
/// ([`smprof::decision::screen`]), or say why the report stays unconfirmed.
fn confirm(
    args: &CompareArgs,
    store: &Store,
    sides: (&smprof::store::Resolved, &smprof::store::Resolved),
    config: &Config,
    floors: Option<&smprof::compare::Floors>,
    cmp: &mut Comparison,
) -> anyhow::Result<()> {
    let (baseline, current) = sides;
    let mut lockstep = super::sides::LazyLockstep::new(store, &args.confirm, baseline, current);
    let measurer: Option<&mut dyn smprof::decision::PairMeasurer> = if args.confirm.no_confirm {
        None
    } else {
        Some(&mut lockstep)
    };
    let outcome = smprof::decision::screen::confirm_screen(
        cmp,
        measurer,
        (&baseline.result, &current.result),
        config,
        floors,
        &mut |s| eprintln!("smprof compare: {s}"),
    )
    .context("confirming wall-time changes (--no-confirm skips it, unconfirmed)")?;
    match outcome {
        Screened::Skipped { workloads, flagged } => eprintln!(
            "smprof compare: --no-confirm: the wall-time verdicts of {} workload(s) rest on two stored runs only, unconfirmed (changes shown: {})",
            workloads.len(),
            smprof::decision::confirm::listed(&flagged)
        ),
        Screened::Confirmed { disagreements, .. } => {
            for d in disagreements {
                eprintln!("note: {}", d.describe());
            }
        }
        Screened::NotNeeded => {}
    }
    Ok(())
}

pub fn run(cli: &Cli, args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let r = resolve(cli, args)?;
    let store = Store::open(&cli.baselines_dir);
    let (baseline, current) = super::sides::resolve_sides(&store, &args.select)?;
    // Calibrated noise floors of this machine and waivers, as the gate applies them.
    let (floors, floors_note) = super::sides::floors_for(&cli.baselines_dir, &current)?;
    eprintln!("thresholds: {floors_note}");
    let mut cmp =
        smprof::compare_workflow::compare(&baseline, &current, &r.config, floors.as_ref());
    confirm(
        args,
        &store,
        (&baseline, &current),
        &r.config,
        floors.as_ref(),
        &mut cmp,
    )?;
    let waiver_notes = super::sides::apply_waivers(&store, &r.config, &current, &mut cmp);
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
    Ok(ExitCode::from(exit_code(&cmp, r.fail_on)))
}
