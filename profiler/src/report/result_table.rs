//! The table of one run's result, printed by `run` and `baseline show`: per
//! workload its median time with interval and spread, throughput, allocations
//! and notes (modes, outliers), every figure through [`units`].

use super::units;
use crate::result::RunResult;
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

/// The results table printed by `run` and `baseline show`.
pub fn result_table(r: &RunResult, markdown: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(if markdown {
        presets::ASCII_MARKDOWN
    } else {
        presets::UTF8_FULL_CONDENSED
    })
    .set_content_arrangement(ContentArrangement::Dynamic);
    // Instructions mode: the counts are the result, shown beside the (empty) time columns.
    let counted = r
        .workloads
        .iter()
        .any(|w| w.metrics.contains_key("instructions"));
    let mut header = vec!["workload", "time/op (median)"];
    if counted {
        header.push("instructions/op");
    }
    header.extend([
        "95% CI",
        "MAD",
        "throughput",
        "alloc/op",
        "peak",
        "pool",
        "notes",
    ]);
    t.set_header(header);
    for w in &r.workloads {
        let time = w.metrics.get("time_ns");
        let (median, ci, mad) = match time {
            Some(m) => {
                let s = &m.summary;
                let rel = |x: f64| {
                    if s.median > 0.0 {
                        units::percent(x / s.median)
                    } else {
                        "-".into()
                    }
                };
                (
                    units::duration_ns(s.median),
                    format!(
                        "-{} / +{}",
                        rel(s.median - s.ci95[0]),
                        rel(s.ci95[1] - s.median)
                    ),
                    rel(s.mad),
                )
            }
            None => ("-".into(), "-".into(), "-".into()),
        };
        let throughput = w
            .metrics
            .iter()
            .filter(|(_, m)| m.derived_from.as_deref() == Some("time_ns"))
            .map(|(_, m)| units::value(m.value(), &m.unit))
            .collect::<Vec<_>>()
            .join(", ");
        let get = |k: &str| w.metrics.get(k).map(|m| m.value());
        let mut notes = Vec::new();
        if let Some(m) = time {
            if let Some(modes) = m.modes.as_ref().filter(|ms| ms.len() > 1) {
                notes.push(format!(
                    "UNSTABLE: modes {}",
                    modes
                        .iter()
                        .map(|md| format!(
                            "{} ({})",
                            units::duration_ns(md.center),
                            units::percent(md.weight)
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if m.summary.outliers > 0 {
                notes.push(format!("{} outliers", m.summary.outliers));
            }
        }
        let mut row = vec![w.name.clone(), median];
        if counted {
            row.push(
                w.metrics
                    .get("instructions")
                    .map_or("-".into(), |m| units::count(m.value())),
            );
        }
        row.extend([
            ci,
            mad,
            if throughput.is_empty() {
                "-".into()
            } else {
                throughput
            },
            get("alloc_bytes").map_or("-".into(), |b| {
                format!(
                    "{} ({})",
                    units::bytes(b),
                    units::count(get("alloc_count").unwrap_or(0.0))
                )
            }),
            get("peak_bytes").map_or("-".into(), units::bytes),
            get("pool_reduction").map_or("-".into(), units::percent),
            notes.join("; "),
        ]);
        t.add_row(row);
    }
    for i in 1..=(7 + usize::from(counted)) {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}
