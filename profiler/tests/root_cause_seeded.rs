//! Root causes of seeded changes (`tests/data/seeded_*.json`, written by
//! `data/generate/`): the first finding names the seeded op, with the
//! pattern the change has; a layout-only change whose screen the confirmation
//! did not hold yields no finding; the gate prints one line per cause.

use smprof::compare::model::{
    ActionKind, Basis, Comparison, ConfirmationState, Finding, KernelCheck, SizePattern,
    VerdictKind,
};
use smprof::compare::side_of;
use smprof::compare_workflow::compare_results;
use smprof::config::Config;
use smprof::gate::{GateOptions, decide};
use smprof::result::{MetricKind, RunResult};
use std::path::Path;

fn load(name: &str) -> RunResult {
    smprof::result::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

/// The stored-runs comparison of the seeded change `name` against the seeded baseline.
fn seeded(name: &str) -> (Comparison, RunResult, RunResult) {
    let (b, c) = (
        load("seeded_base.json"),
        load(&format!("seeded_{name}.json")),
    );
    let cmp = compare_results(
        side_of("base", &b),
        side_of(name, &c),
        &b,
        &c,
        &Config::default(),
        None,
        "2026-11-21T12:00:00Z".into(),
    );
    (cmp, b, c)
}

/// The comparison as the decision engine leaves it once every wall-time
/// change held in a lockstep measurement: the same verdicts, paired, and the
/// analysis run again.
fn confirmed(name: &str) -> Comparison {
    let (mut cmp, b, c) = seeded(name);
    for v in &mut cmp.verdicts {
        if v.basis == Basis::Stored {
            v.basis = Basis::Paired;
        }
    }
    cmp.confirmation = ConfirmationState::Confirmed;
    reexplain(&mut cmp, &b, &c);
    cmp
}

fn reexplain(cmp: &mut Comparison, b: &RunResult, c: &RunResult) {
    let e = smprof::analysis::explain(cmp, b, c, &Config::default());
    cmp.root_causes = e.root_causes;
    cmp.actions = e.actions;
    cmp.success_stories = e.success_stories;
}

/// Evidence names verdicts of the comparison, and each workload is listed once.
fn well_formed(cmp: &Comparison) {
    for rc in &cmp.root_causes {
        let mut seen = rc.workloads.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), rc.workloads.len(), "{:?}", rc.workloads);
        for e in &rc.evidence {
            assert!(
                smprof::analysis::verdict(cmp, &e.workload, &e.metric).is_some(),
                "{e:?} names no verdict"
            );
        }
    }
}

#[test]
fn a_gelu_allocation_is_named_with_its_op_first() {
    for cmp in [seeded("gelu_alloc").0, confirmed("gelu_alloc")] {
        well_formed(&cmp);
        let first = &cmp.root_causes[0];
        let Finding::Allocation {
            op,
            per_call: Some([b, c]),
        } = &first.finding
        else {
            panic!("{:?}", first.finding)
        };
        assert_eq!(op.as_deref(), Some("gelu"));
        assert_eq!(c - b, 65_536.0, "64 KiB more per call");
        // Exact figures: confirmed whatever the wall-time verdicts.
        assert!(first.confirmed);
        for w in ["gelu/1k", "gelu/1m", "model/small", "train/mlp"] {
            assert!(first.workloads.iter().any(|x| x == w), "{w}");
        }
        // The time it costs is evidence of the same finding, not a second story.
        assert!(
            first
                .evidence
                .iter()
                .any(|e| e.workload == "gelu/1k" && e.metric == "time_ns")
        );
        assert_eq!(cmp.root_causes.len(), 1, "{:?}", cmp.root_causes);
        // The command bisects the cheapest reproducer: a gelu kernel, on bytes.
        let fix = cmp
            .actions
            .iter()
            .find(|a| {
                matches!(
                    a.what,
                    ActionKind::Fix {
                        finding: Some(0),
                        ..
                    }
                )
            })
            .unwrap();
        let cmd = fix.command.as_deref().unwrap();
        assert!(cmd.starts_with("smprof bisect --workload gelu/"), "{cmd}");
        assert!(cmd.ends_with("--metric alloc_bytes"), "{cmd}");
    }
}

#[test]
fn an_sgemm_slowdown_at_every_size_is_the_kernel() {
    for cmp in [seeded("matmul_slow").0, confirmed("matmul_slow")] {
        well_formed(&cmp);
        let first = &cmp.root_causes[0];
        assert!(
            matches!(
                &first.finding,
                Finding::OpSlower { op, kernel: KernelCheck::AllSizes { sizes: 4, .. } } if op == "matmul"
            ),
            "{:?}",
            first.finding
        );
        // matmul/128 is multimodal, but every mode moved past the threshold like
        // the other sizes: a regression by separation, and evidence for the kernel.
        assert_eq!(
            smprof::analysis::verdict(&cmp, "matmul/128", "time_ns")
                .unwrap()
                .verdict,
            VerdictKind::Regression
        );
        assert!(first.evidence.iter().any(|e| e.workload == "matmul/128"));
        for w in ["model/small", "matmul_backward/128x256x128", "train/mlp"] {
            assert!(first.workloads.iter().any(|x| x == w), "{w}");
        }
    }
    assert!(!seeded("matmul_slow").0.root_causes[0].confirmed);
    let c = confirmed("matmul_slow");
    assert!(c.root_causes[0].confirmed);
    let fix = c
        .actions
        .iter()
        .find(|a| {
            matches!(
                a.what,
                ActionKind::Fix {
                    finding: Some(0),
                    ..
                }
            )
        })
        .unwrap();
    assert!(
        fix.command
            .as_deref()
            .unwrap()
            .starts_with("smprof bisect --workload matmul/"),
        "{fix:?}"
    );
}

#[test]
fn softmax_slower_on_long_rows_only_is_a_size_pattern() {
    for cmp in [seeded("softmax_long").0, confirmed("softmax_long")] {
        well_formed(&cmp);
        assert_eq!(
            cmp.root_causes[0].finding,
            Finding::SizePattern {
                group: "softmax".into(),
                op: Some("softmax".into()),
                pattern: SizePattern::LargestOnly { slower: 2, of: 4 },
            }
        );
        assert_eq!(
            cmp.root_causes[0].workloads,
            vec!["softmax/1024".to_string(), "softmax/2048".to_string()]
        );
        // Every measured size is in the evidence.
        assert_eq!(cmp.root_causes[0].evidence.len(), 4);
    }
}

#[test]
fn layer_norm_without_a_kernel_benchmark_is_found_in_the_models() {
    let cmp = confirmed("layer_norm");
    well_formed(&cmp);
    assert_eq!(
        cmp.root_causes[0].finding,
        Finding::OpSlower {
            op: "layer_norm".into(),
            kernel: KernelCheck::NotMeasured,
        }
    );
    // The composite's evidence carries layer norm's share of its increase.
    let e = &cmp.root_causes[0].evidence[0];
    assert!(e.share.unwrap() > 0.9, "{e:?}");
}

#[test]
fn a_layout_only_change_yields_no_finding_once_confirmation_did_not_hold_it() {
    let (mut cmp, b, c) = seeded("layout");
    // The stored runs screen one workload as slower: an unconfirmed finding.
    assert!(!cmp.root_causes.is_empty());
    assert!(cmp.root_causes.iter().all(|rc| !rc.confirmed));
    // The lockstep measurement did not hold it: its verdict is now a paired stable one.
    for v in &mut cmp.verdicts {
        if v.verdict == VerdictKind::Regression && v.kind == MetricKind::Sampled {
            v.verdict = VerdictKind::Stable;
            v.severity = None;
            v.basis = Basis::Paired;
        }
    }
    cmp.confirmation = ConfirmationState::Confirmed;
    reexplain(&mut cmp, &b, &c);
    assert!(cmp.root_causes.is_empty(), "{:?}", cmp.root_causes);
    // And a stored regression left in a confirmed comparison supports nothing.
    let (mut cmp, b, c) = seeded("layout");
    cmp.confirmation = ConfirmationState::Confirmed;
    reexplain(&mut cmp, &b, &c);
    assert!(cmp.root_causes.is_empty(), "{:?}", cmp.root_causes);
}

#[test]
fn the_seeded_op_is_the_first_root_cause_in_every_case() {
    let cases = [
        ("gelu_alloc", "gelu"),
        ("matmul_slow", "matmul"),
        ("softmax_long", "softmax"),
        ("layer_norm", "layer_norm"),
    ];
    for (name, op) in cases {
        for cmp in [seeded(name).0, confirmed(name)] {
            assert_eq!(
                cmp.root_causes.first().and_then(|rc| rc.finding.op()),
                Some(op),
                "{name}: {:?}",
                cmp.root_causes
            );
        }
    }
}

/// Failing metrics and FAIL lines of the gate on a comparison.
fn gate_lines(cmp: &Comparison) -> (usize, usize, String) {
    let d = decide(cmp, &[], &Config::default(), GateOptions::default(), false);
    let text = smprof::report::gate::render_text(&d, cmp);
    let fails = text.lines().filter(|l| l.starts_with("  FAIL")).count();
    (d.failing().count(), fails, text)
}

#[test]
fn the_gate_prints_one_line_per_cause() {
    // A GELU allocation: dozens of failing metrics (time, throughput, bytes,
    // counts, peaks of 8 workloads), one cause.
    let (failing, fails, text) = gate_lines(&confirmed("gelu_alloc"));
    assert!(failing > 20, "{failing}");
    assert_eq!(fails, 1, "{text}");
    // Layer norm: the models' time (their latency and throughput are derived
    // from it and fail through it), one cause.
    let (failing, fails, text) = gate_lines(&confirmed("layer_norm"));
    assert!(failing >= 1, "{failing}");
    assert_eq!(fails, 1, "{text}");
    assert!(
        !text.contains("tokens_per_s") && !text.contains("Tokens/second"),
        "{text}"
    );
}

#[test]
fn diagnostics_never_gate() {
    let (mut cmp, _, _) = seeded("gelu_alloc");
    let pooled = cmp
        .verdicts
        .iter()
        .filter(|v| v.metric.ends_with("_unpooled") && v.verdict == VerdictKind::Regression)
        .count();
    assert!(pooled > 0, "the fixture has regressed *_unpooled figures");
    // Only the diagnostics regress: the gate passes.
    for v in &mut cmp.verdicts {
        if !v.metric.ends_with("_unpooled") {
            v.verdict = VerdictKind::Stable;
        }
    }
    let d = decide(&cmp, &[], &Config::default(), GateOptions::default(), false);
    assert!(d.passed(), "{:?}", d.failures);
}
