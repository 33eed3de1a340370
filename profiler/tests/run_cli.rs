//! The command line of `run`, `list`, `baseline` and the hidden `worker`.

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

const NAMES: [&str; 16] = [
    "matmul/128",
    "matmul/256",
    "matmul/512",
    "matmul/1024",
    "gelu/1k",
    "gelu/10k",
    "gelu/100k",
    "gelu/1m",
    "softmax/256",
    "softmax/512",
    "softmax/1024",
    "softmax/2048",
    "tensor/add_10k",
    "tensor/mul_10k",
    "tensor/broadcast_100x100",
    "matmul_backward/128x256x128",
];

#[test]
fn list_shows_the_catalogue() {
    let tmp = tempfile::tempdir().unwrap();
    let out = smprof(tmp.path()).arg("list").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for n in NAMES {
        assert!(text.contains(n), "{n} missing from list");
    }
    let out = smprof(tmp.path())
        .args(["list", "--format", "json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    for n in NAMES {
        assert!(names.contains(&n));
    }
    let mm = v
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "matmul/512")
        .unwrap();
    assert_eq!(mm["derived_metrics"], serde_json::json!(["gflops"]));
}

#[test]
fn run_with_a_filter_that_matches_nothing_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    smprof(tmp.path())
        .args(["run", "--filter", "no-such-workload"])
        .assert()
        .code(2)
        .stderr(contains("no workload matches").and(contains("matmul/512")));
}

#[test]
fn run_json_without_saving() {
    let tmp = tempfile::tempdir().unwrap();
    let out = smprof(tmp.path())
        .args([
            "run",
            "--filter",
            "softmax/256,tensor/add*",
            "--samples",
            "3",
            "--processes",
            "2",
            "--no-save",
            "--format",
            "json",
        ])
        .assert()
        .success();
    let r = smprof::result::from_str(
        std::str::from_utf8(&out.get_output().stdout).unwrap(),
        Path::new("<stdout>"),
    )
    .unwrap();
    assert_eq!(r.workloads.len(), 2);
    let t = &r.workloads[0].metrics["time_ns"];
    assert_eq!(t.samples.as_ref().unwrap().len(), 6);
    assert_eq!(t.process.as_deref(), Some(&[0u32, 0, 0, 1, 1, 1][..]));
    assert!(r.workloads[0].metrics.contains_key("elements_per_s"));
    // The pooled tensor op allocates nothing in steady state; the pool served it.
    let add = r.workload("tensor/add_10k").unwrap();
    assert_eq!(add.metrics["alloc_bytes"].value(), 0.0);
    assert_eq!(add.metrics["pool_reduction"].value(), 1.0);
    assert!(add.metrics["alloc_bytes_unpooled"].value() >= 40_000.0);
    assert!(!tmp.path().join("baselines").exists());
}

#[test]
fn baseline_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    smprof(dir)
        .args([
            "run",
            "--filter",
            "gelu/1k",
            "--samples",
            "2",
            "--processes",
            "1",
            "--out",
            "r.json",
            "--no-save",
        ])
        .assert()
        .success();
    smprof(dir)
        .args(["baseline", "save", "release-1.2", "--from", "r.json"])
        .assert()
        .success();
    smprof(dir)
        .args(["baseline", "list"])
        .assert()
        .success()
        .stdout(contains("release-1.2").and(contains("named")));
    smprof(dir)
        .args(["baseline", "show", "release-1.2"])
        .assert()
        .success()
        .stdout(contains("gelu/1k"));
    smprof(dir)
        .args(["baseline", "show", "missing"])
        .assert()
        .code(2)
        .stderr(contains("no result for missing").and(contains("release-1.2")));
    smprof(dir)
        .args(["baseline", "rm", "release-1.2"])
        .assert()
        .success();
    smprof(dir)
        .args(["baseline", "rm", "release-1.2"])
        .assert()
        .code(2)
        .stderr(contains("no such named baseline"));
    std::fs::write(
        dir.join("bad.json"),
        "{\n  \"schema_version\": 1,\n  oops\n}\n",
    )
    .unwrap();
    smprof(dir)
        .args(["baseline", "show", "bad.json"])
        .assert()
        .code(2)
        .stderr(contains("bad.json: invalid JSON at line 3"));
}

#[test]
fn worker_prints_one_json_line_per_workload() {
    let tmp = tempfile::tempdir().unwrap();
    let out = smprof(tmp.path())
        .args([
            "worker",
            "--workloads",
            "softmax/256,gelu/1k",
            "--pass",
            "time",
            "--samples",
            "2",
            "--process",
            "3",
        ])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["workload"], "softmax/256");
    assert_eq!(lines[1]["process"], 3);
    assert_eq!(lines[1]["samples_ns"].as_array().unwrap().len(), 2);
    smprof(tmp.path())
        .args(["worker", "--workloads", "gelu/1k", "--pass", "bogus"])
        .assert()
        .code(2)
        .stderr(contains("expected time, alloc or instructions"));
    smprof(tmp.path())
        .args(["worker", "--workloads", "nope/1", "--pass", "time"])
        .assert()
        .code(2)
        .stderr(contains("nope/1"));
}

#[cfg(unix)]
#[test]
fn ctrl_c_leaves_no_partial_file() {
    let tmp = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("smprof"))
        .current_dir(tmp.path())
        .env_remove("SMPROF_BASELINES")
        .args([
            "run",
            "--filter",
            "gelu/1m",
            "--samples",
            "500",
            "--processes",
            "3",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    let dir = tmp.path().join("baselines");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map(|r| r.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "files left: {left:?}");
}
