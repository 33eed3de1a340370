//! `run` keeps stderr to progress and where the result went: the cost of the
//! per-op instrumentation, one line per workload, only with `--verbose`.

use assert_cmd::Command;

fn run(dir: &std::path::Path, extra: &[&str]) -> String {
    let out = Command::cargo_bin("smprof")
        .unwrap()
        .current_dir(dir)
        .args(["--baselines-dir", "baselines"])
        .args([
            "run",
            "--filter",
            "gelu/1k",
            "--samples",
            "2",
            "--processes",
            "1",
            "--no-save",
        ])
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn instrumentation_cost_lines_only_with_verbose() {
    let tmp = tempfile::tempdir().unwrap();
    let quiet = run(tmp.path(), &[]);
    assert!(!quiet.contains("instrumentation off"), "{quiet}");
    let verbose = run(tmp.path(), &["--verbose"]);
    assert!(
        verbose.contains("instrumentation off on gelu/1k"),
        "{verbose}"
    );
}
