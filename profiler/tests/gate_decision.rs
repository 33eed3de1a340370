//! The gate's pure logic over a comparison: waivers (active, expired by date,
//! expired by commit), hard limits, which verdicts gate, confirmation, exit codes.

use smprof::compare::model::*;
use smprof::config::{Config, Waiver};
use smprof::decision::confirm as engine_confirm;
use smprof::gate::{confirm, decision, limits, waivers};
use smprof::report::gate as render;
use smprof::result::{Better, Env, MetricKind};

fn env() -> Env {
    Env {
        cpu_model: "test cpu".into(),
        logical_cores: 2,
        simd_tier: "avx2".into(),
        threads: 1,
        os: "linux".into(),
        kernel: "6".into(),
        rustc: "rustc 1.90".into(),
        profile: "release".into(),
        fingerprint: "f00d".into(),
    }
}

fn side(label: &str) -> Side {
    Side {
        reference: label.into(),
        label: label.into(),
        commit: None,
        env: env(),
        created_at: "2026-11-21T00:00:00Z".into(),
        settings: None,
    }
}

fn verdict(workload: &str, metric: &str, change: f64, kind: VerdictKind, wall: bool) -> Verdict {
    Verdict {
        workload: workload.into(),
        group: workload.split('/').next().unwrap().into(),
        suite: "code".into(),
        metric: metric.into(),
        unit: if metric == "instructions" {
            "instructions".into()
        } else {
            "ns".into()
        },
        better: Better::Lower,
        baseline: 1000.0,
        current: 1000.0 * (1.0 + change),
        change,
        ci95: wall.then_some([change - 0.01, change + 0.01]),
        p_value: wall.then_some(1e-4),
        q_value: wall.then_some(1e-3),
        verdict: kind,
        severity: (kind == VerdictKind::Regression).then_some(Severity::Regression),
        threshold: 0.05,
        threshold_source: ThresholdSource::Default,
        modes: None,
        waiver: None,
        borderline: false,
        kind: if wall {
            MetricKind::Sampled
        } else {
            MetricKind::Deterministic
        },
        derived_from: None,
        n: if wall { [12, 12] } else { [1, 1] },
        basis: if wall {
            Basis::Stored
        } else {
            Basis::Deterministic
        },
    }
}

fn comparison(verdicts: Vec<Verdict>) -> Comparison {
    Comparison {
        schema_version: COMPARISON_SCHEMA_VERSION,
        created_at: "2026-11-21T00:00:00Z".into(),
        baseline: side("base"),
        current: side("head"),
        env_differences: Vec::new(),
        settings: DecisionSettings {
            alpha: 0.01,
            threshold: 0.05,
            count_tolerance: 0.0,
            bytes_tolerance: 0.01,
            instructions_tolerance: 0.01,
        },
        verdicts,
        added: Vec::new(),
        removed: Vec::new(),
        root_causes: Vec::new(),
        actions: Vec::new(),
        success_stories: Vec::new(),
        summary: ComparisonSummary {
            regressions: 0,
            improvements: 0,
            stable: 0,
            unstable: 0,
            inconclusive: 0,
            critical: 0,
            headline: String::new(),
        },
        confirmation: ConfirmationState::Unconfirmed,
    }
}

fn waiver(workload: &str, expires: Option<&str>, until: Option<&str>) -> Waiver {
    Waiver {
        workload: workload.into(),
        metric: "instructions".into(),
        reason: "new blocking accepted".into(),
        expires: expires.map(str::to_string),
        until_commit: until.map(str::to_string),
    }
}

fn day(s: &str) -> i64 {
    smprof::timefmt::parse_date(s).unwrap()
}

fn gate(cmp: &Comparison, config: &Config, critical_only: bool) -> decision::GateDecision {
    decision::decide(
        cmp,
        &[],
        config,
        decision::GateOptions { critical_only },
        true,
    )
}

#[test]
fn a_regression_fails_and_is_named_with_figures() {
    let cmp = comparison(vec![
        verdict(
            "matmul/64",
            "instructions",
            0.12,
            VerdictKind::Regression,
            false,
        ),
        verdict("gelu/1k", "instructions", 0.0, VerdictKind::Stable, false),
        verdict(
            "softmax/256",
            "instructions",
            -0.2,
            VerdictKind::Improvement,
            false,
        ),
    ]);
    let d = gate(&cmp, &Config::default(), false);
    assert_eq!(d.exit_code(), 1);
    let text = render::render_text(&d, &cmp);
    assert!(
        text.contains("FAIL  matmul/64: instructions +12.0 %"),
        "{text}"
    );
    assert!(text.contains("(1,000 instr → 1,120 instr)"), "{text}");
    assert!(!text.contains("gelu"), "{text}");
    let md = render::render_markdown(&d, &cmp);
    assert!(
        md.contains("| regression | matmul/64 | instructions +12.0 %"),
        "{md}"
    );
}

#[test]
fn nothing_gating_passes_and_unstable_does_not_gate() {
    let cmp = comparison(vec![
        verdict("matmul/64", "time_ns", 0.3, VerdictKind::Unstable, true),
        verdict("gelu/1k", "time_ns", 0.01, VerdictKind::Stable, true),
    ]);
    let d = gate(&cmp, &Config::default(), false);
    assert_eq!(d.exit_code(), 0);
    assert_eq!(d.unstable, vec!["matmul/64 time_ns".to_string()]);
    let text = render::render_text(&d, &cmp);
    assert!(text.contains("PASS"), "{text}");
    assert!(
        text.contains("unstable (multimodal, not gating): matmul/64 Time/op +30.0 %"),
        "{text}"
    );
}

#[test]
fn an_active_waiver_waives() {
    let mut cmp = comparison(vec![verdict(
        "matmul/64",
        "instructions",
        0.12,
        VerdictKind::Regression,
        false,
    )]);
    let st = waivers::evaluate(
        &[waiver("matmul/*", Some("2026-12-31"), None)],
        day("2026-11-21"),
        &|_| Ok(false),
    );
    assert!(waivers::apply(&mut cmp, &st).is_empty());
    let d = gate(&cmp, &Config::default(), false);
    assert_eq!(d.exit_code(), 0);
    assert_eq!(d.waived.len(), 1);
    assert!(d.waived[0].waiver.contains("new blocking accepted"));
    assert!(render::render_text(&d, &cmp).contains("waived matmul/64"));
}

#[test]
fn a_waiver_expired_by_date_stops_waiving_and_says_so() {
    let mut cmp = comparison(vec![verdict(
        "matmul/64",
        "instructions",
        0.12,
        VerdictKind::Regression,
        false,
    )]);
    let st = waivers::evaluate(
        &[waiver("matmul/64", Some("2026-11-20"), None)],
        day("2026-11-21"),
        &|_| Ok(false),
    );
    let notes = waivers::apply(&mut cmp, &st);
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("expired on 2026-11-20"), "{}", notes[0]);
    assert_eq!(gate(&cmp, &Config::default(), false).exit_code(), 1);
}

#[test]
fn a_waiver_expired_by_commit_stops_waiving_and_says_so() {
    let mut cmp = comparison(vec![verdict(
        "matmul/64",
        "instructions",
        0.12,
        VerdictKind::Regression,
        false,
    )]);
    let st = waivers::evaluate(&[waiver("matmul/64", None, Some("abc1234"))], 0, &|c| {
        Ok(c == "abc1234")
    });
    let notes = waivers::apply(&mut cmp, &st);
    assert!(notes[0].contains("contains abc1234"), "{}", notes[0]);
    assert_eq!(gate(&cmp, &Config::default(), false).exit_code(), 1);
}

#[test]
fn waivers_expire_by_commit_in_a_real_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
    let tree = repo
        .find_tree(repo.index().unwrap().write_tree().unwrap())
        .unwrap();
    let c1 = repo
        .commit(Some("HEAD"), &sig, &sig, "one", &tree, &[])
        .unwrap();
    let p1 = repo.find_commit(c1).unwrap();
    let c2 = repo
        .commit(Some("HEAD"), &sig, &sig, "two", &tree, &[&p1])
        .unwrap();
    let (s1, s2) = (c1.to_string(), c2.to_string());
    // At c1, a waiver until c2 is active; at c2 (which contains c2) it has ended.
    let at1 = waivers::git_contains(&repo, Some(&s1));
    let at2 = waivers::git_contains(&repo, Some(&s2));
    let w = waiver("matmul/64", None, Some(&s2[..10]));
    assert_eq!(
        waivers::waiver_state(&w, 0, &at1),
        waivers::WaiverState::Active
    );
    assert!(matches!(
        waivers::waiver_state(&w, 0, &at2),
        waivers::WaiverState::ExpiredByCommit { .. }
    ));
    // Until c1, seen from c2 (a descendant): ended.
    let w1 = waiver("matmul/64", None, Some(&s1));
    assert!(matches!(
        waivers::waiver_state(&w1, 0, &at2),
        waivers::WaiverState::ExpiredByCommit { .. }
    ));
    // An unknown commit cannot be checked: the waiver does not apply.
    let unknown = waiver("matmul/64", None, Some("deadbeefdeadbeef"));
    assert!(matches!(
        waivers::waiver_state(&unknown, 0, &at2),
        waivers::WaiverState::Unverifiable { .. }
    ));
}

#[test]
fn critical_only_gates_critical_workloads_and_critical_severity() {
    let mut big = verdict("gelu/1k", "time_ns", 0.8, VerdictKind::Regression, true);
    big.severity = Some(Severity::Critical);
    let cmp = comparison(vec![
        verdict(
            "matmul/64",
            "instructions",
            0.12,
            VerdictKind::Regression,
            false,
        ),
        verdict(
            "model/forward",
            "instructions",
            0.03,
            VerdictKind::Regression,
            false,
        ),
        big,
    ]);
    let config: Config = toml::from_str("[workloads.\"model/*\"]\ncritical = true").unwrap();
    let d = gate(&cmp, &config, true);
    let failing: Vec<&str> = d.failing().map(|f| f.workload.as_str()).collect();
    assert_eq!(failing, ["model/forward", "gelu/1k"]);
    assert_eq!(d.not_gating.len(), 1);
    assert!(
        d.failures
            .iter()
            .all(|f| f.kind == decision::FailureKind::Critical)
    );
}

#[test]
fn hard_limits_fail_whatever_the_baseline() {
    let config: Config = toml::from_str(
        "[metrics.time_ns]\nmax = 1500\n[workloads.\"matmul/*\".metrics.instructions]\nmin = 2000",
    )
    .unwrap();
    let result = smprof::result::from_str(
        &result_json(&[
            ("matmul/64", "instructions", 1000.0),
            ("gelu/1k", "time_ns", 1600.0),
        ]),
        std::path::Path::new("r.json"),
    )
    .unwrap();
    let breaches = limits::check_limits(&result, &config);
    assert_eq!(breaches.len(), 2, "{breaches:?}");
    let d = decision::decide(
        &comparison(Vec::new()),
        &breaches,
        &config,
        decision::GateOptions {
            critical_only: true,
        },
        true,
    );
    assert_eq!(d.exit_code(), 1);
    let text = render::render_text(&d, &comparison(Vec::new()));
    assert!(
        text.contains("gelu/1k Time/op: 1.60 µs > max 1.50 µs"),
        "{text}"
    );
    assert!(text.contains("< min 2,000 instr"), "{text}");
    assert!(
        text.contains("workloads.\"matmul/*\".metrics.instructions"),
        "{text}"
    );
}

#[test]
fn wall_time_regressions_fail_only_if_confirmed() {
    let cmp = comparison(vec![
        verdict("matmul/64", "time_ns", 0.12, VerdictKind::Regression, true),
        verdict("matmul/128", "time_ns", 0.15, VerdictKind::Regression, true),
        verdict(
            "gelu/1k",
            "instructions",
            0.12,
            VerdictKind::Regression,
            false,
        ),
    ]);
    let mut d = gate(&cmp, &Config::default(), false);
    assert_eq!(d.pending_confirmation().len(), 2);
    // The re-measurement: matmul/64 was noise, matmul/128 holds.
    let recheck = comparison(vec![
        verdict("matmul/64", "time_ns", 0.01, VerdictKind::Stable, true),
        verdict("matmul/128", "time_ns", 0.14, VerdictKind::Regression, true),
    ]);
    confirm::apply_confirmation(&mut d, &recheck, "both");
    let failing: Vec<&str> = d.failing().map(|f| f.workload.as_str()).collect();
    assert_eq!(failing, ["matmul/128", "gelu/1k"]);
    let text = render::render_text(&d, &cmp);
    assert!(
        text.contains("confirmed (both sides re-measured in alternation)"),
        "{text}"
    );
    assert!(text.contains("Cleared by re-measurement"), "{text}");
    assert!(text.contains("not confirmed"), "{text}");
    // All noise: the gate passes.
    let mut d = gate(
        &comparison(vec![cmp.verdicts[0].clone()]),
        &Config::default(),
        false,
    );
    confirm::apply_confirmation(&mut d, &recheck, "current");
    assert_eq!(d.exit_code(), 0);
    // Unconfirmed (no recheck for it) keeps failing: no evidence, no clearing.
    let mut d = gate(
        &comparison(vec![cmp.verdicts[0].clone()]),
        &Config::default(),
        false,
    );
    confirm::apply_confirmation(&mut d, &comparison(Vec::new()), "current");
    assert_eq!(d.exit_code(), 1);
}

#[test]
fn only_a_stable_or_better_re_measurement_clears_a_regression() {
    let flagged = comparison(vec![verdict(
        "matmul_backward/128x256x128",
        "time_ns",
        0.22,
        VerdictKind::Regression,
        true,
    )]);
    for (recheck, clears) in [
        (VerdictKind::Stable, true),
        (VerdictKind::Improvement, true),
        (VerdictKind::Regression, false),
        // Bimodal (267.6 µs and 418.2 µs against 218.7 µs) or undecided: no evidence of a pass.
        (VerdictKind::Unstable, false),
        (VerdictKind::Inconclusive, false),
    ] {
        let mut d = gate(&flagged, &Config::default(), false);
        let again = comparison(vec![verdict(
            "matmul_backward/128x256x128",
            "time_ns",
            0.5,
            recheck,
            true,
        )]);
        confirm::apply_confirmation(&mut d, &again, "both");
        assert_eq!(d.exit_code(), if clears { 0 } else { 1 }, "{recheck:?}");
    }
}

#[test]
fn derived_and_diagnostic_metrics_never_gate_on_their_own() {
    let mut derived = verdict(
        "gelu/1k",
        "elements_per_s",
        -0.2,
        VerdictKind::Regression,
        true,
    );
    derived.kind = MetricKind::Derived;
    derived.derived_from = Some("time_ns".into());
    let d = gate(
        &comparison(vec![
            verdict("gelu/1k", "time_ns", 0.25, VerdictKind::Regression, true),
            derived,
            verdict(
                "gelu/1k",
                "alloc_bytes_unpooled",
                0.5,
                VerdictKind::Regression,
                false,
            ),
        ]),
        &Config::default(),
        false,
    );
    let failing: Vec<String> = d
        .failures
        .iter()
        .map(|f| format!("{} {}", f.workload, f.metric))
        .collect();
    assert_eq!(failing, ["gelu/1k time_ns"]);
}

#[test]
fn an_inconclusive_verdict_exits_3_when_nothing_fails() {
    let d = gate(
        &comparison(vec![verdict(
            "gelu/1k",
            "time_ns",
            0.05,
            VerdictKind::Inconclusive,
            true,
        )]),
        &Config::default(),
        false,
    );
    assert_eq!(d.inconclusive, ["gelu/1k time_ns"]);
    assert_eq!(d.exit_code(), 3);
    let d = gate(
        &comparison(vec![
            verdict("gelu/1k", "time_ns", 0.05, VerdictKind::Inconclusive, true),
            verdict(
                "matmul/128",
                "instructions",
                0.3,
                VerdictKind::Regression,
                false,
            ),
        ]),
        &Config::default(),
        false,
    );
    assert_eq!(d.exit_code(), 1);
}

/// A minimal valid result with one deterministic metric per entry.
fn result_json(entries: &[(&str, &str, f64)]) -> String {
    let workloads: Vec<serde_json::Value> = entries
        .iter()
        .map(|(w, m, v)| {
            serde_json::json!({
                "name": w, "suite": "code", "group": w.split('/').next().unwrap(),
                "metrics": { *m: {
                    "unit": if *m == "time_ns" { "ns" } else { "instructions" },
                    "better": "lower", "kind": "deterministic",
                    "summary": {"n": 1, "median": v, "mean": v, "stddev": 0.0, "min": v,
                                "max": v, "mad": 0.0, "ci95": [v, v], "outliers": 0}
                }}
            })
        })
        .collect();
    serde_json::json!({
        "schema_version": 1,
        "tool": {"name": "smprof", "version": "0"},
        "created_at": "2026-11-21T00:00:00Z",
        "commit": null,
        "env": env(),
        "settings": {"mode": "default", "processes": 1, "samples_per_process": 1,
                     "suites": ["code"], "filter": null, "metric_mode": "instructions"},
        "durations_s": {},
        "workloads": workloads
    })
    .to_string()
}

#[test]
fn wall_time_verdicts_come_from_the_alternation_and_disagreements_are_noted() {
    use VerdictKind::{Regression, Stable};
    let mut stored = comparison(vec![
        verdict("matmul/128", "time_ns", 0.01, Stable, true),
        verdict("matmul/128", "allocations", 0.5, Regression, false),
        verdict("gelu/1k", "time_ns", 0.12, Regression, true),
        verdict("softmax/256", "time_ns", 0.0, Stable, true),
    ]);
    assert_eq!(
        engine_confirm::wall_time_workloads(&stored),
        ["matmul/128", "gelu/1k", "softmax/256"]
    );
    let alternating = comparison(vec![
        verdict("matmul/128", "time_ns", 0.09, Regression, true),
        verdict("gelu/1k", "time_ns", 0.002, Stable, true),
    ]);
    let notes: Vec<String> = engine_confirm::apply(&mut stored, &alternating)
        .iter()
        .map(|d| d.describe())
        .collect();
    let v = &stored.verdicts;
    assert_eq!((v[0].verdict, v[0].change), (Regression, 0.09));
    // Deterministic metrics are exact: never replaced.
    assert_eq!((v[1].verdict, v[1].change), (Regression, 0.5));
    assert_eq!((v[2].verdict, v[2].change), (Stable, 0.002));
    // Not re-measured: kept as stored.
    assert_eq!((v[3].verdict, v[3].change), (Stable, 0.0));
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("matmul/128 time_ns: the stored runs say stable (+1.0 %)"));
    assert!(notes[1].contains("gelu/1k time_ns: the stored runs say regression (+12.0 %)"));
    // The decision follows: matmul fails (pending confirmation), gelu does not.
    let d = gate(&stored, &Config::default(), false);
    let failing: Vec<_> = d
        .failures
        .iter()
        .map(|f| format!("{} {}", f.workload, f.metric))
        .collect();
    assert_eq!(failing, ["matmul/128 time_ns", "matmul/128 allocations"]);
    assert_eq!(
        d.pending_confirmation(),
        [("matmul/128".to_string(), "time_ns".to_string())]
    );
}
