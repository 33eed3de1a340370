//! `smprof calibrate`: the noise floors of this machine, of each kind they are
//! applied to: the code suite run N times on this commit (the stored-runs
//! floor), then this binary measured against itself in lockstep (the paired
//! floor, for the lockstep verdicts of `gate`, `compare`, `ab` and `bisect`).

use crate::cli::{CalibrateArgs, Cli};
use anyhow::Context;
use smprof::gate::calibration;
use smprof::measure::{self, MetricMode, Plan};
use smprof::workloads::Suite;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &CalibrateArgs) -> anyhow::Result<ExitCode> {
    if let Some(f) = &args.filter {
        smprof::workloads::require_filter(f).context("--filter")?;
    }
    if args.runs < 2 {
        anyhow::bail!(
            "--runs {} : calibration needs at least 2 runs (5 or more recommended)",
            args.runs
        );
    }
    let mut plan = Plan::select(&[Suite::Code], args.filter.as_deref())?;
    if args.quick {
        plan = plan.quick();
    }
    plan.metric = MetricMode::Time;
    plan.alloc_pass = false;
    let mut runs = Vec::new();
    for i in 0..args.runs {
        eprintln!(
            "smprof calibrate: run {}/{} ({} workloads, {} processes × {} samples)",
            i + 1,
            args.runs,
            plan.workloads.len(),
            plan.processes,
            plan.samples_per_process
        );
        // A new seed per run: each run shuffles workloads differently, as two real runs would.
        plan.seed = plan.seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let r =
            measure::execute(&plan, true).with_context(|| format!("calibration run {}", i + 1))?;
        runs.push(r);
    }
    let mut file = calibration::compute(&runs)?;
    // The paired floor: this binary against itself, sampled in lockstep.
    let config = smprof::config::Config::load_or_default(&cli.config)?;
    let this = std::env::current_exe().context("locating this smprof")?;
    let rounds =
        smprof::decision::rounds::RoundPlan::new(plan.workloads.len(), config.alpha, 1).first;
    eprintln!(
        "smprof calibrate: A/A lockstep measurement ({} workloads, {rounds} rounds × {} sample pairs)",
        plan.workloads.len(),
        plan.samples_per_process
    );
    let mut lockstep = smprof::decision::Lockstep::like(&runs[0], this.clone(), this);
    lockstep.samples_per_round = plan.samples_per_process;
    let (a, b) = smprof::decision::PairMeasurer::measure(&mut lockstep, &plan.workloads, rounds)
        .context("the A/A lockstep measurement")?;
    let aa = smprof::compare_workflow::compare_results(
        smprof::compare::side_of("A", &a),
        smprof::compare::side_of("A'", &b),
        &a,
        &b,
        &config,
        None,
        smprof::timefmt::rfc3339(smprof::timefmt::now_unix()),
    );
    file.paired = Some(calibration::paired_floors(
        &aa,
        rounds,
        plan.samples_per_process,
    ));
    let path = calibration::save(&cli.baselines_dir, &file)?;
    let threshold = config.threshold_pct / 100.0;
    for (kind, w, m, floor) in file.above(threshold) {
        eprintln!(
            "smprof calibrate: warning: {w} {m}: the {kind} noise floor {:.1} % is above the threshold {:.1} %: {} comparisons of it will only flag changes beyond {:.1} %",
            floor * 100.0,
            threshold * 100.0,
            if kind == "paired" {
                "lockstep"
            } else {
                "stored-run"
            },
            floor * 100.0
        );
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header([
        "workload",
        "metric",
        "stored floor",
        "largest A/A",
        "sd(ln)",
        "runs",
        "lockstep floor",
    ]);
    for (w, ms) in &file.workloads {
        for (m, d) in ms {
            let paired = file
                .paired
                .as_ref()
                .and_then(|p| p.workloads.get(w))
                .and_then(|pm| pm.get(m))
                .map_or("-".to_string(), |p| format!("{:.2} %", p.floor * 100.0));
            table.add_row([
                w.clone(),
                m.clone(),
                format!("{:.2} %", d.floor * 100.0),
                format!("{:.2} %", d.max_pairwise * 100.0),
                format!("{:.4}", d.sd_log),
                d.medians.len().to_string(),
                paired,
            ]);
        }
    }
    println!("{table}");
    println!(
        "noise floors for fingerprint {} ({}) written to {}\nmethod: {}",
        file.fingerprint,
        runs[0].env.cpu_model,
        path.display(),
        file.method
    );
    Ok(ExitCode::SUCCESS)
}
