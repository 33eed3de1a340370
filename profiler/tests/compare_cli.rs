//! `smprof compare` end to end: exit codes, formats, report files, errors.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// `smprof` run in a fresh directory outside any git repository.
fn smprof(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("smprof").unwrap();
    cmd.current_dir(dir)
        .env("SMPROF_BASELINES", dir.join("baselines"))
        .env("NO_COLOR", "1");
    cmd
}

/// A compare of two stored fixtures, unconfirmed: outside a git repository
/// their commits cannot be built for the lockstep confirmation.
fn compare(dir: &Path, base: &str, cur: &str) -> Command {
    let mut cmd = smprof(dir);
    cmd.arg("compare")
        .arg("--no-confirm")
        .arg("--baseline")
        .arg(data(base))
        .arg("--current")
        .arg(data(cur));
    cmd
}

#[test]
fn wall_time_changes_need_both_builds_unless_unconfirmed() {
    let dir = tempfile::tempdir().unwrap();
    smprof(dir.path())
        .args(["compare", "--no-reports", "--baseline"])
        .arg(data("baseline.json"))
        .arg("--current")
        .arg(data("current.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("confirming wall-time changes"))
        .stderr(predicate::str::contains("--no-confirm"));
    // Unconfirmed: the report says so.
    compare(dir.path(), "baseline.json", "current.json")
        .args(["--no-reports", "--format", "json"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(r#""confirmation": "unconfirmed""#))
        .stderr(predicate::str::contains("unconfirmed (changes shown:"));
}

#[test]
fn a_time_result_against_an_instructions_result_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut counted: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("current.json")).unwrap()).unwrap();
    counted["settings"]["metric_mode"] = "instructions".into();
    let path = dir.path().join("counted.json");
    std::fs::write(&path, counted.to_string()).unwrap();
    for cmd in ["compare", "gate"] {
        smprof(dir.path())
            .args([cmd, "--no-confirm", "--baseline"])
            .arg(data("baseline.json"))
            .arg("--current")
            .arg(&path)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "one counts instructions, the other times",
            ));
    }
}

#[test]
fn writes_reports_and_prints_the_table() {
    let dir = tempfile::tempdir().unwrap();
    compare(dir.path(), "baseline.json", "current.json")
        .args(["--out-dir", "out"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\ngelu/1m\n  time "))
        .stdout(predicate::str::is_match(
            r"\n3f9c2a71d4 → b71e04c95a: \d+ regressions \(\d+ critical\) in 3 workloads, 4 improvements",
        ).unwrap())
        .stdout(predicate::str::contains("\u{1b}[").not())
        .stderr(predicate::str::contains(
            "reports: out (6 files; start with INDEX.md)",
        ));
    for f in smprof::report::REPORT_FILES {
        assert!(dir.path().join("out").join(f).is_file(), "{f}");
    }
}

#[test]
fn default_report_dir_is_timestamped() {
    let dir = tempfile::tempdir().unwrap();
    compare(dir.path(), "aa_first.json", "aa_second.json")
        .assert()
        .code(0);
    let entries: Vec<String> = std::fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0].ends_with("-3f9c2a71d4-vs-3f9c2a71d4"),
        "{entries:?}"
    );
    assert_eq!(
        entries[0].len(),
        "YYYYMMDD-HHMMSS".len() + "-3f9c2a71d4-vs-3f9c2a71d4".len()
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    for (base, cur, fail_on, code) in [
        ("baseline.json", "current.json", "regression", 1),
        ("baseline.json", "current.json", "critical", 1),
        ("baseline.json", "current.json", "never", 0),
        ("aa_first.json", "aa_second.json", "regression", 0),
        ("scalar_avx512.json", "scalar_scalar.json", "critical", 1),
    ] {
        compare(dir.path(), base, cur)
            .args(["--no-reports", "--fail-on", fail_on])
            .assert()
            .code(code);
    }
    // A timing threshold above every change: nothing gates (the scalar pair has
    // no deterministic change, which a timing threshold would not cover).
    compare(dir.path(), "scalar_avx512.json", "scalar_scalar.json")
        .args([
            "--no-reports",
            "--fail-on",
            "regression",
            "--threshold",
            "700",
        ])
        .assert()
        .code(0);
    assert!(
        !dir.path().join("reports").exists(),
        "--no-reports wrote files"
    );
}

#[test]
fn json_format_prints_comparison_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = compare(dir.path(), "scalar_avx512.json", "scalar_scalar.json")
        .args(["--no-reports", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["schema_version"],
        smprof::compare::model::COMPARISON_SCHEMA_VERSION
    );
    assert_eq!(v["env_differences"][0]["field"], "simd_tier");
    let verdicts = v["verdicts"].as_array().unwrap();
    let mm = verdicts
        .iter()
        .find(|x| x["workload"] == "matmul/512" && x["metric"] == "time_ns")
        .unwrap();
    assert_eq!(mm["verdict"], "regression");
    assert_eq!(mm["severity"], "CRITICAL");
    assert!(mm["q_value"].as_f64().unwrap() < 0.01);
    assert_eq!(v["actions"][0]["priority"], "P0");
}

#[test]
fn markdown_format_prints_the_pr_comment() {
    let dir = tempfile::tempdir().unwrap();
    compare(dir.path(), "baseline.json", "current.json")
        .args(["--no-reports", "--format", "markdown"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "### smprof: `3f9c2a71d4` → `b71e04c95a`",
        ));
}

#[test]
fn missing_or_damaged_inputs_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    smprof(dir.path())
        .args(["compare", "--baseline", "deadbeef", "--current"])
        .arg(data("current.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("resolving --baseline deadbeef"))
        .stderr(predicate::str::contains("no result for deadbeef"));
    // Outside git with no --current: say how to get a current result.
    smprof(dir.path())
        .args(["compare", "--baseline"])
        .arg(data("baseline.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("smprof run"));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"schema_version\": 1,\n  \"tool\": ").unwrap();
    smprof(dir.path())
        .args(["compare", "--baseline"])
        .arg(&bad)
        .arg("--current")
        .arg(data("current.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid JSON at line 2"));
    compare(dir.path(), "baseline.json", "current.json")
        .args(["--alpha", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("alpha = 2 must lie in (0, 1)"));
    compare(dir.path(), "baseline.json", "current.json")
        .args(["--templates", "nowhere"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--templates nowhere: not a directory",
        ));
}
