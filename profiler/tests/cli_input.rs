//! Bad input ends in a clear error (exit 2) before any work: a `--config` file
//! that is missing or out of range, a workload name or filter that is not in the
//! catalogue (before anything is built); and a closed stdout ends smprof quietly.

use crate::result_fixture;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use std::path::Path;

fn smprof(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("smprof").unwrap();
    c.current_dir(dir)
        .env_remove("SMPROF_BASELINES")
        .env_remove("SMALLMIND_SIMD")
        .env("NO_COLOR", "1");
    c
}

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_named_config_must_exist_and_be_in_range() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let compare = |config: &str| {
        let mut c = smprof(dir);
        c.args(["compare", "--no-reports", "--config", config])
            .args(["--baseline", &data("baseline.json")])
            .args(["--current", &data("current.json")]);
        c
    };
    compare("missing.toml")
        .assert()
        .code(2)
        .stderr(contains("missing.toml").and(contains("no such file")));
    for (text, field) in [
        (
            "[severity]\ncritical_pct = -1\n",
            "severity.critical_pct = -1",
        ),
        (
            "[severity]\ngood_pct = 90\nexcellent_pct = 10\noutstanding_pct = -3\n",
            "severity.",
        ),
        (
            "[severity]\ngood_pct = 90\nexcellent_pct = 10\n",
            "severity.excellent_pct = 10 is below severity.good_pct = 90",
        ),
    ] {
        std::fs::write(dir.join("bad.toml"), text).unwrap();
        compare("bad.toml")
            .assert()
            .code(2)
            .stderr(contains("bad.toml: invalid configuration").and(contains(field)));
    }
    // Without --config, a missing smprof.toml means the defaults.
    smprof(dir)
        .args(["compare", "--no-confirm", "--no-reports"])
        .args(["--baseline", &data("baseline.json")])
        .args(["--current", &data("current.json")])
        .assert()
        .success();
}

fn two_commits(dir: &Path) {
    let repo = git2::Repository::init(dir).unwrap();
    let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
    let mut parent: Option<git2::Oid> = None;
    for i in 0..2 {
        std::fs::write(dir.join("a.txt"), format!("{i}\n")).unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("a.txt")).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parents: Vec<git2::Commit> = parent
            .map(|p| repo.find_commit(p).unwrap())
            .into_iter()
            .collect();
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        parent = Some(
            repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &refs)
                .unwrap(),
        );
    }
}

#[test]
fn unknown_workloads_are_refused_with_close_names_before_anything_is_built() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_commits(dir);
    smprof(dir)
        .args([
            "bisect",
            "--workload",
            "matmul/51",
            "--good",
            "HEAD~1",
            "--bad",
            "HEAD",
        ])
        .assert()
        .code(2)
        .stdout(contains("bisecting").not())
        .stderr(contains("matmul/51").and(contains("did you mean matmul/512")));
    smprof(dir)
        .args([
            "ab",
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
            "--filter",
            "gelu,sofmax",
        ])
        .assert()
        .code(2)
        .stderr(contains("sofmax").and(contains("softmax/256")));
    // Nothing was built: no build cache, no temporary worktree.
    assert!(!dir.join(".git/smprof").exists());
    for args in [
        &["run", "--filter", "gleu/1k"][..],
        &["calibrate", "--filter", "gleu/1k"][..],
    ] {
        smprof(dir).args(args).assert().code(2).stderr(
            contains("gleu/1k")
                .and(contains("gelu/1k"))
                .and(contains("measuring").not())
                .and(contains("run 1/").not()),
        );
    }
    assert!(!dir.join("baselines").exists());
}

#[cfg(unix)]
#[test]
fn a_reader_that_stops_early_ends_smprof_quietly() {
    use std::io::BufRead;
    use std::os::unix::process::ExitStatusExt;
    let tmp = tempfile::tempdir().unwrap();
    // Far more than a pipe holds (64 KiB), so smprof is still writing when the reader goes.
    let mut r = result_fixture::sample_result();
    let one = r.workloads[0].clone();
    r.workloads = (0..3000)
        .map(|i| {
            let mut w = one.clone();
            w.name = format!("matmul/{i}");
            w
        })
        .collect();
    let file = tmp.path().join("big.json");
    std::fs::write(&file, serde_json::to_vec(&r).unwrap()).unwrap();
    for format in ["table", "json"] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("smprof"))
            .current_dir(tmp.path())
            .args(["baseline", "show", "big.json", "--format", format])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        // The reader is dropped here, as `head -1` exits.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGPIPE),
            "{format}: {:?}",
            out.status
        );
    }
}

/// `GIT_CONFIG_NOSYSTEM` is read as git reads it: a value that is not a boolean stops
/// smprof (exit 2) naming the variable, before any work; a boolean is accepted.
#[test]
fn git_config_nosystem_must_be_a_boolean() {
    let tmp = tempfile::tempdir().unwrap();
    let compare = |value: &str| {
        let mut c = smprof(tmp.path());
        c.env("GIT_CONFIG_NOSYSTEM", value)
            .args(["compare", "--no-reports"])
            .args(["--baseline", &data("baseline.json")])
            .args(["--current", &data("current.json")]);
        c
    };
    compare("maybe")
        .assert()
        .code(2)
        .stderr(contains("GIT_CONFIG_NOSYSTEM").and(contains("\"maybe\" is not a boolean")))
        .stdout(predicate::str::is_empty());
    for value in ["1", "false", ""] {
        compare(value)
            .assert()
            .stderr(contains("GIT_CONFIG_NOSYSTEM").not());
    }
}
