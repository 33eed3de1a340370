//! `smprof gate` end to end on stored results: exit codes 0/1/2, the output
//! naming failing workloads and metrics, waivers, limits, JSON output.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

/// A valid result: `entries` = (workload, metric, value); `instructions` metrics are
/// deterministic, `time_ns` ones sampled (12 samples around the value).
fn result(entries: &[(&str, &str, f64)]) -> String {
    let workloads: Vec<serde_json::Value> = entries
        .iter()
        .map(|(w, m, v)| {
            let metric = if *m == "time_ns" {
                let xs: Vec<f64> = (0..12)
                    .map(|i| v * (1.0 + 0.001 * (i % 4) as f64))
                    .collect();
                let mut s = xs.clone();
                s.sort_by(f64::total_cmp);
                let med = (s[5] + s[6]) / 2.0;
                serde_json::json!({
                    "unit": "ns", "better": "lower", "kind": "sampled",
                    "samples": xs, "process": (0..12).map(|i| i / 4).collect::<Vec<u32>>(),
                    "summary": {"n": 12, "median": med, "mean": med, "stddev": 0.0, "min": s[0],
                                "max": s[11], "mad": 0.0, "ci95": [s[0], s[11]], "outliers": 0}
                })
            } else {
                serde_json::json!({
                    "unit": "instructions", "better": "lower", "kind": "deterministic",
                    "summary": {"n": 1, "median": v, "mean": v, "stddev": 0.0, "min": v,
                                "max": v, "mad": 0.0, "ci95": [v, v], "outliers": 0}
                })
            };
            serde_json::json!({
                "name": w, "suite": "code", "group": w.split('/').next().unwrap(),
                "metrics": { *m: metric }
            })
        })
        .collect();
    serde_json::json!({
        "schema_version": 1,
        "tool": {"name": "smprof", "version": "0.1.0"},
        "created_at": "2026-11-21T00:00:00Z",
        "commit": null,
        "env": {"cpu_model": "test", "logical_cores": 2, "simd_tier": "avx2", "threads": 1,
                "os": "linux", "kernel": "6", "rustc": "rustc", "profile": "release",
                "fingerprint": "0123456789abcdef"},
        "settings": {"mode": "quick", "processes": 3, "samples_per_process": 4,
                     "suites": ["code"], "filter": null, "metric_mode": "instructions"},
        "durations_s": {},
        "workloads": workloads
    })
    .to_string()
}

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(base: &[(&str, &str, f64)], cur: &[(&str, &str, f64)], config: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), result(base)).unwrap();
        std::fs::write(dir.path().join("b.json"), result(cur)).unwrap();
        std::fs::write(dir.path().join("smprof.toml"), config).unwrap();
        Case { dir }
    }

    fn gate(&self, extra: &[&str]) -> assert_cmd::assert::Assert {
        Command::cargo_bin("smprof")
            .unwrap()
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("SMALLMIND_SIMD")
            .args(["gate", "--baseline", "a.json", "--current", "b.json"])
            .args(extra)
            .assert()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

const BASE: &[(&str, &str, f64)] = &[
    ("matmul/128", "instructions", 1_000_000.0),
    ("gelu/1k", "instructions", 50_000.0),
];
const SLOWER: &[(&str, &str, f64)] = &[
    ("matmul/128", "instructions", 1_050_000.0),
    ("gelu/1k", "instructions", 50_000.0),
];

#[test]
fn identical_counts_pass_with_exit_0() {
    Case::new(BASE, BASE, "")
        .gate(&[])
        .code(0)
        .stdout(predicate::str::contains("PASS"));
}

#[test]
fn a_regression_fails_with_exit_1_naming_workload_and_metric() {
    Case::new(BASE, SLOWER, "")
        .gate(&[])
        .code(1)
        .stdout(predicate::str::contains(
            "FAIL  matmul/128: instructions +5.0 % (1.00 M instr → 1.05 M instr)",
        ))
        .stdout(predicate::str::contains("gelu").not());
}

#[test]
fn within_the_tolerance_passes() {
    let cur = &[
        ("matmul/128", "instructions", 1_005_000.0),
        ("gelu/1k", "instructions", 50_000.0),
    ];
    Case::new(BASE, cur, "").gate(&[]).code(0);
    // A stricter per-workload tolerance catches it.
    Case::new(
        BASE,
        cur,
        "[workloads.\"matmul/*\".metrics.instructions]\nthreshold_pct = 0.2",
    )
    .gate(&[])
    .code(1);
}

#[test]
fn active_and_expired_waivers() {
    let waiver = |end: &str| {
        format!(
            "[[waivers]]\nworkload = \"matmul/*\"\nmetric = \"instructions\"\nreason = \"bigger tiles\"\n{end}\n"
        )
    };
    Case::new(BASE, SLOWER, &waiver("expires = \"2999-01-01\""))
        .gate(&[])
        .code(0)
        .stdout(predicate::str::contains(
            "waived matmul/128 Instructions/op +5.0 %",
        ))
        .stdout(predicate::str::contains("bigger tiles"));
    Case::new(BASE, SLOWER, &waiver("expires = \"2020-01-01\""))
        .gate(&[])
        .code(1)
        .stdout(predicate::str::contains("expired on 2020-01-01"));
}

#[test]
fn hard_limits_fail_even_without_a_regression() {
    Case::new(
        BASE,
        BASE,
        "[workloads.\"gelu/1k\".metrics.instructions]\nmax = 40000",
    )
    .gate(&[])
    .code(1)
    .stdout(predicate::str::contains(
        "gelu/1k Instructions/op: 50.0 k instr > max 40.0 k instr",
    ));
}

#[test]
fn json_and_markdown_outputs() {
    let case = Case::new(BASE, SLOWER, "");
    let out = case
        .gate(&["--format", "json"])
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["exit_code"], 1);
    assert_eq!(v["decision"]["failures"][0]["workload"], "matmul/128");
    // The decided comparison rides along, each verdict with its change.
    let verdict = v["comparison"]["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["workload"] == "matmul/128" && x["metric"] == "instructions")
        .expect("matmul/128's instructions verdict");
    assert_eq!(verdict["verdict"], "regression");
    assert!((verdict["change"].as_f64().unwrap() - 0.05).abs() < 1e-9);
    case.gate(&["--format", "markdown", "--out-dir", "gate-out"])
        .code(1)
        .stdout(predicate::str::contains(
            "| regression | matmul/128 | instructions +5.0 %",
        ));
    assert!(case.path().join("gate-out/gate.md").is_file());
    assert!(case.path().join("gate-out/gate.json").is_file());
}

#[test]
fn data_and_usage_errors_exit_2() {
    let case = Case::new(BASE, BASE, "");
    Command::cargo_bin("smprof")
        .unwrap()
        .current_dir(case.path())
        .args(["gate", "--baseline", "missing.json", "--current", "b.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.json"));
    std::fs::write(case.path().join("a.json"), "{ not json").unwrap();
    case.gate(&[])
        .code(2)
        .stderr(predicate::str::contains("a.json"));
    let bad = Case::new(
        BASE,
        BASE,
        "[[waivers]]\nworkload = \"x\"\nmetric = \"y\"\nreason = \"z\"\nexpires = \"soon\"",
    );
    bad.gate(&[])
        .code(2)
        .stderr(predicate::str::contains("waivers[0].expires"));
    case.gate(&["--alpha", "3"]).code(2);
}

#[test]
fn wall_time_regressions_need_confirmation_or_no_confirm() {
    let base = &[("matmul/128", "time_ns", 1_000_000.0)];
    let cur = &[("matmul/128", "time_ns", 1_300_000.0)];
    let case = Case::new(base, cur, "");
    // Outside a git repository, no binaries given: both builds cannot be
    // measured, a clear error naming the ways out.
    case.gate(&[])
        .code(2)
        .stderr(predicate::str::contains(
            "measuring both builds needs the git repository",
        ))
        .stderr(predicate::str::contains("--no-confirm"));
    case.gate(&["--no-confirm"])
        .code(1)
        .stdout(predicate::str::contains("FAIL  matmul/128: time +30.0 %"));
}

#[test]
fn with_both_builds_at_hand_wall_time_is_decided_by_measuring_them_in_alternation() {
    // The stored runs claim a 30 % slowdown of gelu/1k; both "builds" are this
    // smprof, so measuring them in alternation finds none and the gate passes.
    let case = Case::new(
        &[("gelu/1k", "time_ns", 1_000.0)],
        &[("gelu/1k", "time_ns", 1_300.0)],
        "",
    );
    let exe = assert_cmd::cargo::cargo_bin("smprof");
    let exe = exe.to_str().unwrap();
    case.gate(&[
        "--baseline-exe",
        exe,
        "--current-exe",
        exe,
        "--out-dir",
        "gate-out",
    ])
    .code(0)
    .stdout(predicate::str::contains(
        "gelu/1k time_ns: the stored runs say regression (+30.0 %), both builds in lockstep stable",
    ))
    .stdout(predicate::str::contains(
        // One workload at α = 0.01, three looks at most: 12 rounds for the first
        // look's paired test at α / 3.
        "wall-time verdicts from both builds sampled in lockstep and compared round by round (12–",
    ));
    let mut pairing = Vec::new();
    for side in ["baseline", "current"] {
        let path = case
            .path()
            .join(format!("gate-out/alternation-{side}.json"));
        let r = smprof::result::load(&path).unwrap();
        let m = &r.workload("gelu/1k").unwrap().metrics["time_ns"];
        let n = m.samples.as_ref().map_or(0, Vec::len);
        assert!(n == 48 || n == 96 || n == 144, "{side}: {n} samples");
        // Both sides are this smprof, which speaks the lockstep protocol.
        assert!(r.settings.paired_samples, "{side}");
        pairing.push(
            r.settings
                .pairing
                .clone()
                .expect("alternation results are paired"),
        );
    }
    assert_eq!(pairing[0], pairing[1]);
    // --no-confirm trusts the stored runs: no measurement, the regression fails.
    case.gate(&["--no-confirm"]).code(1);
}
