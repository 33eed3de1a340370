//! The gate's workflow with a measurement double (as hyperfine tests its loop
//! with a mock executor): what the stored runs screen, what the lockstep
//! measurement decides, confirmation, floors by kind, and the exit codes.

use smprof::compare::Floors;
use smprof::compare::model::{Basis, ConfirmationState, VerdictKind};
use smprof::config::{Config, NoiseFloors};
use smprof::gate::decision::GateOptions;
use smprof::gate::workflow::{GateRequest, run};
use smprof::store::Resolved;

use crate::workflow_support;
use workflow_support::{Fake, stored};

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
