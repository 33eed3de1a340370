//! Counts on the command line are bounded (`smprof::measure::MAX_*`): a value out
//! of range is a usage error (exit 2) that names the range, before any work
//! starts; it never reaches a worker (`--samples 4294967295` used to abort one on
//! a 34 GB allocation).

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use smprof::measure::{MAX_PROCESSES, MAX_SAMPLES, MAX_THREADS};

fn smprof(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("smprof").unwrap();
    c.current_dir(dir)
        .env_remove("SMPROF_BASELINES")
        .env_remove("SMALLMIND_SIMD")
        .env("NO_COLOR", "1");
    c
}

#[test]
fn counts_out_of_range_are_usage_errors_naming_the_range() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str, u32); 6] = [
        (&["run", "--samples"], "4294967295", MAX_SAMPLES),
        (&["run", "--samples"], "0", MAX_SAMPLES),
        (&["run", "--processes"], "1001", MAX_PROCESSES),
        (&["run", "--threads"], "100000", MAX_THREADS),
        (
            &["ab", "--base", "HEAD", "--head", "HEAD", "--rounds"],
            "4294967295",
            MAX_PROCESSES,
        ),
        (
            &[
                "worker",
                "--pass",
                "time",
                "--workloads",
                "gelu/1k",
                "--samples",
            ],
            "4294967295",
            MAX_SAMPLES,
        ),
    ];
    for (args, value, max) in cases {
        smprof(tmp.path())
            .args(args)
            .arg(value)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(contains(value).and(contains(format!("1..={max}"))));
    }
    // Nothing was measured or written.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn the_bounds_themselves_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    // Each bound parses: the run then stops on the next check (no workload matches),
    // not on the range.
    for (flag, max) in [
        ("--samples", MAX_SAMPLES),
        ("--processes", MAX_PROCESSES),
        ("--threads", MAX_THREADS),
    ] {
        smprof(tmp.path())
            .args(["run", "--filter", "no-such-workload", flag])
            .arg(max.to_string())
            .assert()
            .code(2)
            .stderr(contains("no workload matches").and(contains("1..=").not()));
    }
    // The help says the ranges.
    smprof(tmp.path())
        .args(["run", "--help"])
        .assert()
        .success()
        .stdout(contains("1 to 10000").and(contains("1 to 1000 ")));
}
