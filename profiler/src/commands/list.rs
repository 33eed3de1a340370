//! `smprof list`: the catalogue with what each workload does.

use crate::cli::{Cli, FormatArg, ListArgs};
use comfy_table::{ContentArrangement, Table, presets};
use smprof::workloads::{self, Derived};
use std::process::ExitCode;

fn derived_names(d: &[Derived]) -> Vec<&'static str> {
    d.iter()
        .map(|d| match *d {
            Derived::Throughput { name, .. }
            | Derived::TimePerUnit { name, .. }
            | Derived::AllocPerUnit { name, .. } => name,
        })
        .collect()
}

pub fn run(_cli: &Cli, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let defs = workloads::catalogue();
    match args.format {
        FormatArg::Json => {
            let items: Vec<serde_json::Value> = defs
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "name": d.name,
                        "suite": d.suite.as_str(),
                        "group": d.group,
                        "description": d.description,
                        "files": d.files,
                        "derived_metrics": derived_names(&d.derived),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&items)?);
        }
        FormatArg::Table | FormatArg::Markdown | FormatArg::Csv => {
            let mut t = Table::new();
            t.load_preset(if args.format == FormatArg::Markdown {
                presets::ASCII_MARKDOWN
            } else {
                presets::UTF8_FULL_CONDENSED
            })
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec![
                "workload",
                "suite",
                "one operation is",
                "metrics beyond time",
            ]);
            for d in &defs {
                t.add_row(vec![
                    d.name.to_string(),
                    d.suite.as_str().to_string(),
                    d.description.to_string(),
                    derived_names(&d.derived).join(", "),
                ]);
            }
            println!("{t}");
            println!(
                "{} workloads. Every workload also records time_ns (samples) and, from the allocation pass, alloc_bytes, alloc_count and peak_bytes per operation.",
                defs.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
