//! `compare`'s confirmation with a measurement double: the stored runs are a
//! screen, every wall-time workload is decided again in lockstep (a change the
//! screen hides included), the root causes are explained from the confirmed
//! verdicts, and without a measurer the report stays unconfirmed.

use smprof::compare::model::{Basis, ConfirmationState, VerdictKind};
use smprof::compare_workflow::compare;
use smprof::config::Config;
use smprof::decision::screen::{Screened, confirm_screen};
use smprof::store::Resolved;

use crate::workflow_support;
use workflow_support::{Fake, stored};

fn confirm(
    base: &Resolved,
    cur: &Resolved,
    m: Option<&mut Fake>,
) -> (smprof::compare::model::Comparison, Screened) {
    let config = Config::default();
    let mut cmp = compare(base, cur, &config, None);
    let m = m.map(|m| m as &mut dyn smprof::decision::PairMeasurer);
    let out = confirm_screen(
        &mut cmp,
        m,
        (&base.result, &cur.result),
        &config,
        None,
        &mut |_| {},
    )
    .unwrap();
    (cmp, out)
}

fn verdict(cmp: &smprof::compare::model::Comparison, w: &str) -> (VerdictKind, Basis) {
    cmp.verdicts
        .iter()
        .find(|v| v.workload == w && v.metric == "time_ns")
        .map(|v| (v.verdict, v.basis))
        .unwrap()
}

#[test]
fn a_change_the_stored_runs_hide_is_found_and_their_drift_is_not_reported() {
    // Stored: gelu looks unchanged (drift cancelled a real +12 %), softmax +30 %
    // (drift only). In lockstep: gelu 1.12×, softmax 1.0×.
    let base = stored(&[("gelu/1k", 1000.0), ("softmax/256", 1000.0)]);
    let cur = stored(&[("gelu/1k", 1000.0), ("softmax/256", 1300.0)]);
    let mut m = Fake::new(&[("gelu/1k", 1.12), ("softmax/256", 1.0)]);
    let (cmp, out) = confirm(&base, &cur, Some(&mut m));
    // Both measured, though the screen flagged softmax only.
    assert_eq!(m.calls[0].0, ["gelu/1k", "softmax/256"]);
    let Screened::Confirmed {
        flagged,
        disagreements,
        ..
    } = out
    else {
        panic!("not confirmed: {out:?}");
    };
    assert_eq!(flagged, ["softmax/256"]);
    assert_eq!(disagreements.len(), 2, "{disagreements:?}");
    assert_eq!(
        verdict(&cmp, "gelu/1k"),
        (VerdictKind::Regression, Basis::Paired)
    );
    assert_eq!(
        verdict(&cmp, "softmax/256"),
        (VerdictKind::Stable, Basis::Paired)
    );
    assert_eq!(cmp.confirmation, ConfirmationState::Confirmed);
    // The analysis ran again on the confirmed verdicts: the cause is gelu's.
    let first = cmp.root_causes.first().expect("a root cause");
    assert!(first.confirmed);
    assert_eq!(first.finding.op(), Some("gelu"), "{:?}", first.finding);
    assert!(!first.workloads.iter().any(|w| w.starts_with("softmax")));
}

#[test]
fn an_unchanged_build_has_no_finding_after_confirmation() {
    let base = stored(&[("gelu/1k", 1000.0), ("softmax/256", 1000.0)]);
    let cur = stored(&[("gelu/1k", 1250.0), ("softmax/256", 800.0)]);
    let mut m = Fake::new(&[("gelu/1k", 1.0), ("softmax/256", 1.0)]);
    let (cmp, _) = confirm(&base, &cur, Some(&mut m));
    assert_eq!(cmp.summary.regressions + cmp.summary.improvements, 0);
    assert!(cmp.root_causes.is_empty(), "{:?}", cmp.root_causes);
}

#[test]
fn without_a_measurer_the_screen_stays_unconfirmed() {
    let base = stored(&[("gelu/1k", 1000.0)]);
    let cur = stored(&[("gelu/1k", 1300.0)]);
    let (cmp, out) = confirm(&base, &cur, None);
    assert_eq!(
        out,
        Screened::Skipped {
            workloads: vec!["gelu/1k".into()],
            flagged: vec!["gelu/1k".into()],
        }
    );
    assert_eq!(cmp.confirmation, ConfirmationState::Unconfirmed);
    assert_eq!(
        verdict(&cmp, "gelu/1k"),
        (VerdictKind::Regression, Basis::Stored)
    );
}
