//! `smprof gate`: compare with calibrated floors (wall time from both builds
//! measured in alternation when both are at hand), apply waivers and hard limits,
//! confirm wall-time regressions by re-measuring, print the decision, exit 0/1.

use super::confirm_run;
use crate::cli::{Cli, CompareSelection, FormatArg, GateArgs};
use anyhow::Context;
use smprof::compare::model::Comparison;
use smprof::config::Config;
use smprof::gate::{self, calibration, decision, limits, waivers};
use smprof::report::gate as render;
use smprof::store::{Resolved, Store};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The validated configuration of one gate run.
struct Resolution {
    config: Config,
    baseline: Resolved,
    current: Resolved,
}

/// The configuration file with command-line overrides applied.
pub fn load_config(cli: &Cli, select: &CompareSelection) -> anyhow::Result<Config> {
    let mut config = Config::load_or_default(&cli.config)?;
    if let Some(a) = select.alpha {
        config.alpha = a;
    }
    if let Some(t) = select.threshold {
        config.threshold_pct = t;
    }
    config
        .validate()
        .map_err(|reason| anyhow::anyhow!("command-line overrides: {reason}"))?;
    Ok(config)
}

/// Both sides of a comparison from the store.
pub fn resolve_sides(
    store: &Store,
    select: &CompareSelection,
) -> anyhow::Result<(Resolved, Resolved)> {
    let baseline = store
        .resolve(&select.baseline)
        .with_context(|| format!("--baseline {}", select.baseline))?;
    let current = match &select.current {
        Some(r) => store.resolve(r).with_context(|| format!("--current {r}"))?,
        None => store.resolve_head().context("the current side (HEAD)")?,
    };
    Ok((baseline, current))
}

/// Calibrated floors for the current side's environment, with a note saying
/// which calibration applied (or why none did).
pub fn floors_for(
    baselines: &Path,
    current: &Resolved,
) -> anyhow::Result<(Option<smprof::config::NoiseFloors>, String)> {
    let env = &current.result.env;
    if current.result.settings.metric_mode == "instructions" {
        return Ok((
            None,
            "instruction counts: plain tolerance, no noise floor".into(),
        ));
    }
    match calibration::load(baselines, &env.fingerprint)? {
        Some(file) => {
            let mut note = format!(
                "calibrated noise floors of fingerprint {} ({} {} runs, {})",
                env.fingerprint, file.runs, file.mode, file.created_at
            );
            if file.mode != current.result.settings.mode {
                note.push_str(&format!(
                    "; calibrated with {} runs but comparing {} runs",
                    file.mode, current.result.settings.mode
                ));
            }
            Ok((Some(file.floors()), note))
        }
        None => Ok((
            None,
            format!(
                "no calibrated noise floors for fingerprint {} (run `smprof calibrate`); thresholds from smprof.toml/defaults",
                env.fingerprint
            ),
        )),
    }
}

/// Evaluate the waivers of `config` against today's date and the current side's
/// commit, and mark the regressions an active one covers. Returns every waiver's
/// state and notes on regressions an ended waiver no longer covers.
pub fn apply_waivers(
    store: &Store,
    config: &Config,
    current: &Resolved,
    cmp: &mut Comparison,
) -> (Vec<waivers::WaiverStatus>, Vec<String>) {
    let today = smprof::timefmt::now_unix().div_euclid(86_400);
    let current_sha = current.result.commit.as_ref().map(|c| c.sha.clone());
    let statuses = match store.repo() {
        Some(repo) => {
            let contains = waivers::git_contains(repo, current_sha.as_deref());
            waivers::evaluate(&config.waivers, today, &contains)
        }
        None => waivers::evaluate(&config.waivers, today, &|_| {
            Err("not in a git repository".to_string())
        }),
    };
    let notes = waivers::apply(cmp, &statuses);
    (statuses, notes)
}

pub fn run(cli: &Cli, args: &GateArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&cli.baselines_dir);
    let config = load_config(cli, &args.select)?;
    let (baseline, current) = resolve_sides(&store, &args.select)?;
    let r = Resolution {
        config,
        baseline,
        current,
    };
    let (floors, floors_note) = floors_for(&cli.baselines_dir, &r.current)?;
    let stored = smprof::compare::compare(&r.baseline, &r.current, &r.config, floors.as_ref());
    let confirm = !args.no_confirm;

    // Wall time with both builds at hand: decide from a measurement of both in
    // alternation, not from two stored runs taken at different times.
    let wall = gate::alternation::wall_time_workloads(&stored);
    // A current side this smprof cannot measure is an error only if a regression
    // then needs confirming (below); until then the stored runs decide.
    let measurers = (confirm && !wall.is_empty())
        .then(|| confirm_run::Measurers::resolve(args, &store, &r.baseline, &r.current));
    let mut cmp = stored.clone();
    let mut rechecks: Vec<(String, smprof::result::RunResult)> = Vec::new();
    let mut alternation_notes = Vec::new();
    if let Some(Ok(m)) = &measurers
        && m.both()
    {
        let why = format!("measuring {} wall-time workload(s)", wall.len());
        let (outcome, alternating) = remeasure_compared(
            m,
            &r,
            floors.as_ref(),
            &wall,
            &why,
            "alternation",
            &mut rechecks,
        )?;
        let settings = &outcome.current.result.settings;
        alternation_notes.push(format!(
            "wall-time verdicts from both builds measured in alternation and compared round by round ({} rounds, {} {}); the stored runs' comparison is the report's",
            settings.processes,
            settings.samples_per_process,
            if settings.paired_samples {
                "sample pairs each, taken in lockstep"
            } else {
                "samples per process"
            }
        ));
        alternation_notes.extend(gate::alternation::replace_wall_time(&mut cmp, &alternating));
    }

    let (statuses, waiver_notes) = apply_waivers(&store, &r.config, &r.current, &mut cmp);

    let breaches = limits::check_limits(&r.current.result, &r.config);
    let options = decision::GateOptions {
        critical_only: args.critical_only,
    };
    let mut d = gate::decide(&cmp, &breaches, &r.config, options, confirm);
    d.notices.push(floors_note);
    d.notices.extend(alternation_notes);
    d.notices.extend(
        statuses
            .iter()
            .filter(|s| !s.is_active())
            .map(|s| s.describe()),
    );
    d.notices.extend(waiver_notes);

    let pending = d.pending_confirmation();
    if !pending.is_empty() {
        let m = match measurers {
            Some(m) => m?,
            None => confirm_run::Measurers::resolve(args, &store, &r.baseline, &r.current)?,
        };
        let why = format!("confirming {} wall-time regression(s)", pending.len());
        let workloads = confirm_run::pending_workloads(&pending);
        let (outcome, recheck_cmp) = remeasure_compared(
            &m,
            &r,
            floors.as_ref(),
            &workloads,
            &why,
            "confirm",
            &mut rechecks,
        )?;
        gate::confirm::apply_confirmation(&mut d, &recheck_cmp, outcome.sides);
    }

    let (base_label, cur_label) = (cmp.baseline.label.clone(), cmp.current.label.clone());
    let out_dir = args.out_dir.clone();
    if let Some(dir) = &out_dir {
        write_outputs(dir, &stored, &cmp, &d, &rechecks, &base_label, &cur_label)?;
    }
    match args.format {
        FormatArg::Json => {
            let json = serde_json::json!({
                "passed": d.passed(),
                "exit_code": d.exit_code(),
                "baseline": base_label,
                "current": cur_label,
                "decision": d,
            });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        FormatArg::Markdown => print!("{}", render::render_markdown(&d, &cmp)),
        FormatArg::Table | FormatArg::Csv => print!("{}", render::render_text(&d, &cmp)),
    }
    Ok(ExitCode::from(d.exit_code()))
}

/// Re-measure `workloads` (see [`confirm_run::remeasure`]) and compare the two
/// re-measured sides; the results are kept in `rechecks` as `{label}-{side}`.
fn remeasure_compared(
    m: &confirm_run::Measurers,
    r: &Resolution,
    floors: Option<&smprof::config::NoiseFloors>,
    workloads: &[String],
    why: &str,
    label: &str,
    rechecks: &mut Vec<(String, smprof::result::RunResult)>,
) -> anyhow::Result<(confirm_run::Outcome, Comparison)> {
    let mut outcome =
        confirm_run::remeasure(m, &r.baseline, &r.current, workloads, why, r.config.alpha)?;
    let cmp = smprof::compare::compare(&outcome.baseline, &outcome.current, &r.config, floors);
    rechecks.extend(
        outcome
            .measured
            .drain(..)
            .map(|(side, result)| (format!("{label}-{side}"), result)),
    );
    Ok((outcome, cmp))
}

/// `gate.md`, `gate.json`, the stored comparison's reports and the re-measured
/// results (`alternation-{baseline,current}.json`, `confirm-{baseline,current}.json`).
fn write_outputs(
    dir: &Path,
    cmp: &Comparison,
    decided: &Comparison,
    d: &decision::GateDecision,
    rechecks: &[(String, smprof::result::RunResult)],
    base_label: &str,
    cur_label: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = smprof::report::write_all(cmp, dir, None)
        .with_context(|| format!("writing reports to {}", dir.display()))?;
    let md = dir.join("gate.md");
    smprof::result::write_atomic(&md, render::render_markdown(d, decided).as_bytes())?;
    written.push(md);
    let json = dir.join("gate.json");
    let body = serde_json::json!({
        "passed": d.passed(),
        "exit_code": d.exit_code(),
        "baseline": base_label,
        "current": cur_label,
        "decision": d,
    });
    smprof::result::write_atomic(&json, serde_json::to_string_pretty(&body)?.as_bytes())?;
    written.push(json);
    for (name, result) in rechecks {
        let path = dir.join(format!("{name}.json"));
        smprof::result::write_atomic(&path, serde_json::to_string_pretty(result)?.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}
