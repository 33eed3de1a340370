//! The gate's workflow with a measurement double (as hyperfine tests its loop
//! with a mock executor): what the stored runs screen, what the lockstep
//! measurement decides, confirmation, floors by kind, and the exit codes.

use smprof::compare::Floors;
use smprof::compare::model::{Basis, ConfirmationState, VerdictKind};
use smprof::config::{Config, NoiseFloors};
use smprof::decision::PairMeasurer;
use smprof::gate::decision::GateOptions;
use smprof::gate::workflow::{GateRequest, run};
use smprof::result::RunResult;
use smprof::stats::rng::SplitMix64;
use smprof::store::Resolved;
use std::collections::BTreeMap;

/// A time result: per workload, per-round samples; `pairing` marks lockstep sides.
fn result(workloads: &[(&str, Vec<Vec<f64>>)], pairing: Option<&str>) -> RunResult {
    let ws: Vec<serde_json::Value> = workloads
        .iter()
        .map(|(name, rounds)| {
            let samples: Vec<f64> = rounds.iter().flatten().copied().collect();
            let process: Vec<u32> = rounds
                .iter()
                .enumerate()
                .flat_map(|(i, r)| std::iter::repeat_n(i as u32, r.len()))
                .collect();
            let mut sorted = samples.clone();
            sorted.sort_by(f64::total_cmp);
            let med = sorted[sorted.len() / 2];
            serde_json::json!({"name": name, "suite": "code",
                "group": name.split('/').next().unwrap(),
                "metrics": {"time_ns": {"unit": "ns", "better": "lower", "kind": "sampled",
                    "samples": samples, "process": process,
                    "summary": {"n": sorted.len(), "median": med, "mean": med, "stddev": 0.0,
                        "min": sorted[0], "max": sorted[sorted.len() - 1], "mad": 0.0,
                        "ci95": [med, med], "outliers": 0}}}})
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "schema_version": 1,
        "tool": {"name": "smprof", "version": "0"},
        "created_at": "2026-12-06T00:00:00Z",
        "commit": null,
        "env": {"cpu_model": "x", "logical_cores": 2, "simd_tier": "avx512", "threads": 1,
                "os": "linux", "kernel": "6", "rustc": "1.95", "profile": "release",
                "fingerprint": "f"},
        "settings": {"mode": "default", "processes": 3, "samples_per_process": 4,
                     "suites": ["code"], "filter": null, "metric_mode": "time",
                     "pairing": pairing, "paired_samples": pairing.is_some()},
        "durations_s": {},
        "workloads": ws
    }))
    .unwrap()
}

/// Stored runs: three processes of four samples at `level` each, ±1 %.
fn stored(levels: &[(&str, f64)]) -> Resolved {
    let ws: Vec<(&str, Vec<Vec<f64>>)> = levels
        .iter()
        .map(|(n, l)| {
            let rounds = (0..3)
                .map(|p| {
                    (0..4)
                        .map(|i| l * (1.0 + 0.01 * (((p * 4 + i) as f64) * 1.7).sin()))
                        .collect()
                })
                .collect();
            (*n, rounds)
        })
        .collect();
    Resolved {
        reference: "x".into(),
        path: "x.json".into(),
        result: result(&ws, None),
    }
}

/// Both builds in lockstep: a round shares a random spell (1.0–1.4×); the
/// current build costs `ratio` × the baseline; each sample has 2 % noise.
struct Fake {
    ratio: BTreeMap<String, f64>,
    rng: SplitMix64,
    calls: Vec<(Vec<String>, u32)>,
}

impl Fake {
    fn new(ratios: &[(&str, f64)]) -> Fake {
        Fake {
            ratio: ratios.iter().map(|(w, r)| (w.to_string(), *r)).collect(),
            rng: SplitMix64::new(42),
            calls: Vec::new(),
        }
    }
}

impl PairMeasurer for Fake {
    fn measure(
        &mut self,
        workloads: &[String],
        rounds: u32,
    ) -> smprof::Result<(RunResult, RunResult)> {
        self.calls.push((workloads.to_vec(), rounds));
        let (mut b, mut c) = (Vec::new(), Vec::new());
        for w in workloads {
            let (mut rb, mut rc) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let spell = 1.0 + 0.4 * self.rng.unit();
                let (mut xb, mut xc) = (Vec::new(), Vec::new());
                for _ in 0..4 {
                    xb.push(1000.0 * spell * (1.0 + 0.02 * self.rng.normal()));
                    xc.push(1000.0 * spell * self.ratio[w] * (1.0 + 0.02 * self.rng.normal()));
                }
                rb.push(xb);
                rc.push(xc);
            }
            b.push((w.as_str(), rb));
            c.push((w.as_str(), rc));
        }
        Ok((result(&b, Some("fake")), result(&c, Some("fake"))))
    }
}

fn gate(
    base: &Resolved,
    cur: &Resolved,
    config: &Config,
    floors: Option<&Floors>,
    confirm: bool,
    m: &mut Fake,
) -> smprof::gate::workflow::GateOutcome {
    let req = GateRequest {
        baseline: base,
        current: cur,
        config,
        floors,
        waivers: &[],
        options: GateOptions::default(),
        confirm,
    };
    run(&req, Some(m), &mut |_| {}).unwrap()
}

#[test]
fn drift_between_stored_runs_is_screened_out_and_a_real_change_fails() {
    // The stored runs: gelu +30 % (the machine's drift), matmul +10 % (real).
    let base = stored(&[
        ("gelu/1k", 1000.0),
        ("matmul/128", 1000.0),
        ("softmax/256", 1000.0),
    ]);
    let cur = stored(&[
        ("gelu/1k", 1300.0),
        ("matmul/128", 1100.0),
        ("softmax/256", 1000.0),
    ]);
    let mut m = Fake::new(&[("gelu/1k", 1.0), ("matmul/128", 1.10), ("softmax/256", 1.0)]);
    let out = gate(&base, &cur, &Config::default(), None, true, &mut m);
    let verdict = |w: &str| {
        out.decided
            .verdicts
            .iter()
            .find(|v| v.workload == w)
            .map(|v| (v.verdict, v.basis))
            .unwrap()
    };
    assert_eq!(verdict("gelu/1k"), (VerdictKind::Stable, Basis::Paired));
    assert_eq!(
        verdict("matmul/128"),
        (VerdictKind::Regression, Basis::Paired)
    );
    assert_eq!(out.decided.confirmation, ConfirmationState::Confirmed);
    // Every wall-time workload was measured, then the regression once more.
    assert_eq!(m.calls[0].0.len(), 3);
    assert_eq!(m.calls.last().unwrap().0, ["matmul/128"]);
    assert_eq!(out.decision.exit_code(), 1);
    let failing: Vec<&str> = out
        .decision
        .failing()
        .map(|f| f.workload.as_str())
        .collect();
    assert_eq!(failing, ["matmul/128"]);
    assert!(out.decision.failures[0].confirmation.as_ref().unwrap().held);
    assert!(
        out.decision
            .notices
            .iter()
            .any(|n| n.contains("gelu/1k time_ns: the stored runs say regression"))
    );
    // The stored screen is kept for the report, unchanged.
    assert_eq!(
        out.stored.verdicts[0].verdict,
        VerdictKind::Regression,
        "{:?}",
        out.stored.verdicts[0]
    );
}

#[test]
fn a_run_to_run_floor_never_blinds_the_lockstep_decision() {
    // Calibrated stored-run floors of 80 % would hide a +10 % regression;
    // lockstep verdicts take the paired floor (2 %) instead.
    let base = stored(&[("matmul/256", 1000.0)]);
    let cur = stored(&[("matmul/256", 1100.0)]);
    let floor = |f: f64| NoiseFloors {
        fingerprint: "f".into(),
        floors: [(
            "matmul/256".to_string(),
            [("time_ns".to_string(), f)].into_iter().collect(),
        )]
        .into_iter()
        .collect(),
    };
    let floors = Floors {
        stored: Some(floor(0.80)),
        paired: Some(floor(0.02)),
    };
    let mut m = Fake::new(&[("matmul/256", 1.10)]);
    let out = gate(&base, &cur, &Config::default(), Some(&floors), true, &mut m);
    assert_eq!(out.decision.exit_code(), 1);
    let v = &out.decided.verdicts[0];
    assert_eq!(v.verdict, VerdictKind::Regression);
    assert!((v.threshold - 0.05).abs() < 1e-12, "{}", v.threshold);
    // The screen itself took the stored floor.
    assert!((out.stored.verdicts[0].threshold - 0.80).abs() < 1e-12);
}

#[test]
fn no_confirm_decides_from_the_stored_runs_and_says_so() {
    let base = stored(&[("gelu/1k", 1000.0)]);
    let cur = stored(&[("gelu/1k", 1300.0)]);
    let mut m = Fake::new(&[("gelu/1k", 1.0)]);
    let out = gate(&base, &cur, &Config::default(), None, false, &mut m);
    assert!(m.calls.is_empty());
    assert_eq!(out.decision.exit_code(), 1);
    assert_eq!(out.decided.confirmation, ConfirmationState::Unconfirmed);
    assert!(
        out.decision
            .notices
            .iter()
            .any(|n| n.contains("unconfirmed"))
    );
}

#[test]
fn a_change_at_the_threshold_is_inconclusive_or_fails_never_passes_silently() {
    let base = stored(&[("gelu/1k", 1000.0)]);
    let cur = stored(&[("gelu/1k", 1000.0)]);
    let mut m = Fake::new(&[("gelu/1k", 1.05)]);
    let out = gate(&base, &cur, &Config::default(), None, true, &mut m);
    let code = out.decision.exit_code();
    assert!(
        code == 1 || code == 3,
        "exit {code}: {:?}",
        out.decided.verdicts[0]
    );
    if code == 3 {
        assert_eq!(out.decision.inconclusive, ["gelu/1k time_ns"]);
    }
    // It earned the most looks.
    assert!(m.calls.len() as u32 >= smprof::decision::rounds::LOOKS);
}

#[test]
fn without_a_measurer_wall_time_needs_no_confirm() {
    let base = stored(&[("gelu/1k", 1000.0)]);
    let cur = stored(&[("gelu/1k", 1300.0)]);
    let config = Config::default();
    let req = GateRequest {
        baseline: &base,
        current: &cur,
        config: &config,
        floors: None,
        waivers: &[],
        options: GateOptions::default(),
        confirm: true,
    };
    let err = run(&req, None, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("--no-confirm"), "{err}");
}
