//! `PROCESSES=N`: the same command run as N processes one after another, their
//! per-round ratios pooled.
//!
//! On a shared host the same command moves by 1–3 % from process to process even at
//! 201 rounds (where the operands and packing buffers land in the caches' sets, and
//! the host's slow spells, differ per process), more than the rounds' own scatter
//! suggests. A ratio that sits within that of 1.0 is only decided by several processes:
//! each child prints its own table to stderr and writes its per-round ratios to a file
//! ([`RECORD_ENV`]); the parent prints, per row, the median over every round of every
//! process, the range of the per-process medians and how many of them reach 1.0 (and
//! the median over processes of each side's median GFLOPS).

use super::median;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// A child writes its [`Record`] as JSON to the file this variable names.
pub const RECORD_ENV: &str = "SGEMM_INTERLEAVED_RECORD";

/// One printed row of one process: a contender against `gemm` on one shape (or the
/// sum of every shape), with its per-round ratios.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// The shape as given (`512`, `2048x128x512:nt`), or `sum`.
    pub spec: String,
    pub threads: usize,
    /// `engine` or a `BLOCKINGS` entry.
    pub name: String,
    /// gemm's time ÷ the contender's, per round (> 1: the contender is faster).
    pub ratios: Vec<f64>,
    /// The contender's speed ÷ the FMA peak's, per round (the plain engine on one thread).
    pub share: Option<Vec<f64>>,
    /// Median GFLOPS over the process's rounds: (the contender, `gemm`); none for `sum`.
    pub gflops: Option<(f64, f64)>,
}

/// Every row of one process, in the order printed.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Record {
    pub rows: Vec<Row>,
}

impl Record {
    /// Write to the file [`RECORD_ENV`] names, if it is set.
    pub fn save_if_asked(&self) {
        if let Ok(path) = std::env::var(RECORD_ENV) {
            let json = serde_json::to_vec(self).expect("a record serialises");
            std::fs::write(&path, json)
                .unwrap_or_else(|e| super::die(format!("cannot write {path}: {e}")));
        }
    }
}

/// Run this command `processes` times as children (each child's table to stderr), then
/// print the pooled table.
pub fn run(processes: usize) {
    let exe = std::env::current_exe().unwrap_or_else(|e| super::die(format!("own path: {e}")));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut records = Vec::with_capacity(processes);
    for p in 0..processes {
        let path =
            std::env::temp_dir().join(format!("sgemm_interleaved_{}_{p}.json", std::process::id()));
        eprintln!("process {} of {processes}:", p + 1);
        let mut child = Command::new(&exe)
            .args(&args)
            .env_remove("PROCESSES")
            .env(RECORD_ENV, &path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| super::die(format!("cannot start {}: {e}", exe.display())));
        // The child's table is progress here: forward it to stderr as it comes.
        if let Some(out) = child.stdout.take() {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                eprintln!("  {line}");
            }
        }
        let status = child
            .wait()
            .unwrap_or_else(|e| super::die(format!("child: {e}")));
        if !status.success() {
            super::die(format!("process {} of {processes} failed: {status}", p + 1));
        }
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| super::die(format!("cannot read {}: {e}", path.display())));
        let _ = std::fs::remove_file(&path);
        let record: Record = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| super::die(format!("{}: {e}", path.display())));
        records.push(record);
    }
    println!(
        "pooled over {processes} processes: per row, the median of every round's ratio, \
         the range of the per-process medians, and how many processes' medians reach 1.0"
    );
    for line in pool(&records) {
        println!("{line}");
    }
}

/// One line per row of the first record (every child printed the same rows).
pub fn pool(records: &[Record]) -> Vec<String> {
    let Some(first) = records.first() else {
        return Vec::new();
    };
    let n = records.len();
    first
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let same: Vec<&Row> = records.iter().filter_map(|r| r.rows.get(i)).collect();
            let all: Vec<f64> = same.iter().flat_map(|r| r.ratios.iter().copied()).collect();
            let medians: Vec<f64> = same.iter().map(|r| median(&r.ratios)).collect();
            let (lo, hi) = super::range(&medians);
            let reach = medians.iter().filter(|&&m| m >= 1.0).count();
            let mut line = format!("{:>18} t{}: ", row.spec, row.threads);
            let gflops: Vec<(f64, f64)> = same.iter().filter_map(|r| r.gflops).collect();
            if !gflops.is_empty() {
                let mine: Vec<f64> = gflops.iter().map(|g| g.0).collect();
                let theirs: Vec<f64> = gflops.iter().map(|g| g.1).collect();
                line += &format!("gemm {:6.1} GF | ", median(&theirs));
                line += &format!("{} {:6.1} GF ", row.name, median(&mine));
            } else {
                line += &format!("{} ", row.name);
            }
            line += &format!(
                "÷ gemm {:.3}× (processes {lo:.3}–{hi:.3}, {reach} of {n} ≥ 1.0)",
                median(&all)
            );
            let shares: Vec<f64> = same
                .iter()
                .filter_map(|r| r.share.as_ref())
                .flatten()
                .copied()
                .collect();
            if !shares.is_empty() {
                line += &format!(", {:.1} % of peak", 100.0 * median(&shares));
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ratios: &[f64]) -> Row {
        Row {
            spec: "512".into(),
            threads: 1,
            name: "engine".into(),
            ratios: ratios.to_vec(),
            share: None,
            gflops: None,
        }
    }

    #[test]
    fn pools_every_round_and_counts_processes_at_parity() {
        // Medians 0.99 and 1.02; every round pooled: [0.98, 0.99, 1.0, 1.01, 1.02, 1.03].
        let records = vec![
            Record {
                rows: vec![row(&[0.98, 0.99, 1.0])],
            },
            Record {
                rows: vec![row(&[1.01, 1.02, 1.03])],
            },
        ];
        let lines = pool(&records);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("÷ gemm 1.005×"), "{}", lines[0]);
        assert!(
            lines[0].contains("processes 0.990–1.020, 1 of 2 ≥ 1.0"),
            "{}",
            lines[0]
        );
    }

    #[test]
    fn throughput_is_the_median_over_processes() {
        let mut rows = [row(&[1.0]), row(&[1.0]), row(&[1.0])];
        for (r, g) in rows
            .iter_mut()
            .zip([(200.0, 190.0), (230.0, 220.0), (210.0, 250.0)])
        {
            r.gflops = Some(g);
        }
        let records: Vec<Record> = rows.into_iter().map(|r| Record { rows: vec![r] }).collect();
        let line = &pool(&records)[0];
        assert!(line.contains("gemm  220.0 GF | engine  210.0 GF"), "{line}");
    }
}
