//! `smprof calibrate`: run the code suite N times on this commit and store the
//! A/A spread of each workload as its noise floor for this machine.

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
    let file = calibration::compute(&runs)?;
    let path = calibration::save(&cli.baselines_dir, &file)?;
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header([
        "workload",
        "metric",
        "floor",
        "largest A/A",
        "sd(ln)",
        "runs",
    ]);
    for (w, ms) in &file.workloads {
        for (m, d) in ms {
            table.add_row([
                w.clone(),
                m.clone(),
                format!("{:.2} %", d.floor * 100.0),
                format!("{:.2} %", d.max_pairwise * 100.0),
                format!("{:.4}", d.sd_log),
                d.medians.len().to_string(),
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
