//! `smprof gate`: resolve the sides, configuration, floors and waivers, hand
//! them to the library's gate workflow ([`smprof::gate::workflow`]) with the
//! lockstep measurer of both builds, print the decision, exit 0/1/3.

use super::sides::{self, LazyLockstep};
use crate::cli::{Cli, FormatArg, GateArgs};
use anyhow::Context;
use smprof::compare::model::Comparison;
use smprof::gate::{decision, workflow};
use smprof::report::gate as render;
use smprof::store::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &GateArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&cli.baselines_dir);
    let config = sides::load_config(cli, &args.select)?;
    let (baseline, current) = sides::resolve_sides(&store, &args.select)?;
    let (floors, floors_note) = sides::floors_for(&cli.baselines_dir, &current)?;
    let statuses = sides::waiver_statuses(&store, &config, &current);
    let req = workflow::GateRequest {
        baseline: &baseline,
        current: &current,
        config: &config,
        floors: floors.as_ref(),
        waivers: &statuses,
        options: decision::GateOptions {
            critical_only: args.critical_only,
        },
        confirm: !args.confirm.no_confirm,
    };
    let mut measurer = LazyLockstep::new(&store, &args.confirm, &baseline, &current);
    let mut outcome = workflow::run(&req, Some(&mut measurer), &mut |s| {
        eprintln!("smprof gate: {s}")
    })?;
    outcome.decision.notices.insert(0, floors_note);
    let d = &outcome.decision;
    let (base_label, cur_label) = (
        outcome.decided.baseline.label.clone(),
        outcome.decided.current.label.clone(),
    );
    if let Some(dir) = &args.out_dir {
        write_outputs(
            dir,
            &outcome.decided,
            d,
            &outcome.measured,
            &base_label,
            &cur_label,
        )?;
    }
    match args.format {
        FormatArg::Json => {
            let json = serde_json::json!({
                "passed": d.passed(),
                "exit_code": d.exit_code(),
                "baseline": base_label,
                "current": cur_label,
                "decision": d,
                "comparison": &outcome.decided,
            });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        FormatArg::Markdown => print!("{}", render::render_markdown(d, &outcome.decided)),
        FormatArg::Table | FormatArg::Csv => {
            print!("{}", render::render_text(d, &outcome.decided))
        }
    }
    Ok(ExitCode::from(d.exit_code()))
}

/// `gate.md`, `gate.json`, the decided comparison's reports and the lockstep
/// measurements (`alternation-{baseline,current}.json`, `confirm-{baseline,current}.json`).
fn write_outputs(
    dir: &Path,
    cmp: &Comparison,
    d: &decision::GateDecision,
    measured: &[(String, smprof::result::RunResult)],
    base_label: &str,
    cur_label: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = smprof::report::write_all(cmp, dir, None)
        .with_context(|| format!("writing reports to {}", dir.display()))?;
    let md = dir.join("gate.md");
    smprof::result::write_atomic(&md, render::render_markdown(d, cmp).as_bytes())?;
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
    for (name, result) in measured {
        let path = dir.join(format!("{name}.json"));
        smprof::result::write_atomic(&path, serde_json::to_string_pretty(result)?.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}
