use super::*;

#[test]
fn modes_wholly_beyond_the_threshold_decide() {
    // gelu/1k: 340 ns → modes at 17.9 µs and 28.7 µs: a regression, not a pardon.
    assert_eq!(
        modes_apart(&[340.0], &[17_900.0, 28_700.0], Better::Lower, 0.05),
        Some(VerdictKind::Regression)
    );
    // Both re-measured modes above the baseline (218.7 µs): still a regression.
    assert_eq!(
        modes_apart(&[218.7], &[267.6, 418.2], Better::Lower, 0.05),
        Some(VerdictKind::Regression)
    );
    // Overlapping modes: unstable.
    assert_eq!(
        modes_apart(&[100.0, 140.0], &[104.0, 150.0], Better::Lower, 0.05),
        None
    );
    // Beyond, but only by less than the threshold: unstable.
    assert_eq!(
        modes_apart(&[100.0], &[103.0, 104.0], Better::Lower, 0.05),
        None
    );
    // Faster in every mode: an improvement; throughput reverses the sense.
    assert_eq!(
        modes_apart(&[100.0, 120.0], &[50.0, 60.0], Better::Lower, 0.05),
        Some(VerdictKind::Improvement)
    );
    assert_eq!(
        modes_apart(&[100.0, 120.0], &[50.0, 60.0], Better::Higher, 0.05),
        Some(VerdictKind::Regression)
    );
    assert_eq!(modes_apart(&[], &[1.0], Better::Lower, 0.05), None);
    assert_eq!(modes_apart(&[f64::NAN], &[1.0], Better::Lower, 0.05), None);
}

#[test]
fn effect_is_time_like() {
    assert_eq!(effect(0.5, Better::Lower), 0.5);
    assert!((effect(-0.5, Better::Higher) - 1.0).abs() < 1e-12);
    assert!((effect(1.0, Better::Higher) + 0.5).abs() < 1e-12);
    assert_eq!(effect(-1.0, Better::Higher), f64::MAX);
}

#[test]
fn both_conditions_are_needed() {
    assert!(is_significant_change(0.001, 0.10, 0.05, 0.01));
    assert!(!is_significant_change(0.02, 0.50, 0.05, 0.01));
    assert!(!is_significant_change(1e-9, 0.03, 0.05, 0.01));
    assert!(is_significant_change(1e-9, -0.06, 0.05, 0.01));
}

/// A one-workload result whose `time_ns` samples come from the given processes.
fn result(per_process: &[&[f64]]) -> RunResult {
    result_paired(per_process, None)
}

/// The same, as one side of the alternating measurement `pairing`.
fn result_paired(per_process: &[&[f64]], pairing: Option<&str>) -> RunResult {
    result_lockstep(per_process, pairing, false)
}

/// The same, its samples taken in lockstep with the other side's if `by_sample`.
fn result_lockstep(per_process: &[&[f64]], pairing: Option<&str>, by_sample: bool) -> RunResult {
    let samples: Vec<f64> = per_process.iter().flat_map(|p| p.iter().copied()).collect();
    let process: Vec<u32> = per_process
        .iter()
        .enumerate()
        .flat_map(|(i, p)| std::iter::repeat_n(i as u32, p.len()))
        .collect();
    let mut sorted = samples.clone();
    let median = hierarchical::median_in_place(&mut sorted);
    let json = serde_json::json!({
        "schema_version": 1,
        "tool": {"name": "smprof", "version": "0"},
        "created_at": "2026-01-01T00:00:00Z",
        "commit": null,
        "env": {"cpu_model": "x", "logical_cores": 2, "simd_tier": "avx2", "threads": 1,
                "os": "linux", "kernel": "6", "rustc": "1.95", "profile": "release",
                "fingerprint": "f"},
        "settings": {"mode": "default", "processes": per_process.len(),
                     "samples_per_process": per_process[0].len(), "suites": ["code"],
                     "filter": null, "metric_mode": "time", "pairing": pairing,
                     "paired_samples": by_sample},
        "durations_s": {},
        "workloads": [{"name": "gelu/10k", "suite": "code", "group": "gelu", "metrics": {
            "time_ns": {"unit": "ns", "better": "lower", "kind": "sampled",
                "samples": samples, "process": process,
                "summary": {"n": 12, "median": median, "mean": median, "stddev": 0.0,
                    "min": median, "max": median, "mad": 0.0, "ci95": [median, median],
                    "outliers": 0}}}}]
    });
    serde_json::from_value(json).unwrap()
}

#[test]
fn processes_that_disagree_make_a_decision_borderline() {
    let steady: &[f64] = &[100.0, 101.0, 99.0, 100.5];
    let base = result(&[steady, steady, steady]);
    // One process unchanged, two 20 % faster: the rank test pools them and
    // is sure; resampling processes is not.
    let fast: &[f64] = &[80.0, 80.5, 79.0, 81.0];
    let cur = result(&[steady, fast, fast]);
    let d = decide_all(&base, &cur, &Config::default(), None);
    let v = &d.verdicts[0];
    assert_eq!(v.verdict, VerdictKind::Improvement);
    let [lo, hi] = v.ci95.unwrap();
    assert!(lo < -0.05 && hi > -0.05, "{:?}", v.ci95);
    assert!(v.borderline);
    // All three processes agree: a clear decision.
    let cur = result(&[fast, fast, fast]);
    let v = &decide_all(&base, &cur, &Config::default(), None).verdicts[0];
    assert_eq!((v.verdict, v.borderline), (VerdictKind::Improvement, false));
}

/// Processes of `levels`, six samples each around the level.
fn levels(levels: &[f64]) -> Vec<Vec<f64>> {
    levels
        .iter()
        .map(|&l| vec![l * 0.995, l, l * 1.004, l * 0.998, l * 1.002, l * 1.007])
        .collect()
}

fn slices(v: &[Vec<f64>]) -> Vec<&[f64]> {
    v.iter().map(|p| p.as_slice()).collect()
}

#[test]
fn paired_rounds_do_not_mistake_process_levels_for_a_change() {
    // Two levels drawn per process, 1 of 6 slow on one side and 4 of 6 on the
    // other: pooled samples read as a significant +30 %, the rounds disagree.
    let b = levels(&[100.0, 100.0, 100.0, 100.0, 130.0, 100.0]);
    let c = levels(&[130.0, 100.0, 130.0, 130.0, 100.0, 130.0]);
    let pooled = decide_all(
        &result(&slices(&b)),
        &result(&slices(&c)),
        &Config::default(),
        None,
    );
    assert_eq!(
        pooled.verdicts[0].verdict,
        VerdictKind::Regression,
        "{:?}",
        pooled.verdicts[0]
    );
    let paired = decide_all(
        &result_paired(&slices(&b), Some("r1")),
        &result_paired(&slices(&c), Some("r1")),
        &Config::default(),
        None,
    );
    let v = &paired.verdicts[0];
    assert_eq!(v.verdict, VerdictKind::Stable, "{v:?}");
    assert!(v.p_value.unwrap() > 0.1);
    // Results of different measurements are not paired.
    let unpaired = decide_all(
        &result_paired(&slices(&b), Some("r1")),
        &result_paired(&slices(&c), Some("r2")),
        &Config::default(),
        None,
    );
    assert_eq!(unpaired.verdicts[0].verdict, VerdictKind::Regression);
}

#[test]
fn paired_rounds_find_a_change_that_levels_hide() {
    // Each round draws one level for both builds (a slow spell of the host);
    // the current build is 10 % slower in every round.
    let l = [
        100.0, 140.0, 100.0, 150.0, 100.0, 100.0, 160.0, 100.0, 145.0, 100.0,
    ];
    let b = levels(&l);
    let c = levels(&l.iter().map(|x| x * 1.10).collect::<Vec<_>>());
    let v = &decide_all(
        &result_paired(&slices(&b), Some("r")),
        &result_paired(&slices(&c), Some("r")),
        &Config::default(),
        None,
    )
    .verdicts[0];
    assert_eq!(v.verdict, VerdictKind::Regression, "{v:?}");
    assert!((v.change - 0.10).abs() < 1e-9);
    assert!((v.p_value.unwrap() - 2.0 / 1024.0).abs() < 1e-12);
    let [lo, hi] = v.ci95.unwrap();
    assert!(lo <= 0.1 + 1e-9 && 0.1 - 1e-9 <= hi, "{:?}", v.ci95);
}

#[test]
fn lockstep_rounds_compare_sample_pairs() {
    // In every round two of three sample pairs say +10 %; the third pair's
    // baseline half ran in a spell. Sample pairs give +10 %; the process
    // medians (200 → 150) would give −25 %.
    let b = vec![vec![100.0, 200.0, 300.0]; 10];
    let c = vec![vec![110.0, 220.0, 150.0]; 10];
    let decide = |by_sample| {
        decide_all(
            &result_lockstep(&slices(&b), Some("r"), by_sample),
            &result_lockstep(&slices(&c), Some("r"), by_sample),
            &Config::default(),
            None,
        )
        .verdicts[0]
            .clone()
    };
    let v = decide(true);
    assert_eq!(v.verdict, VerdictKind::Regression, "{v:?}");
    assert!((v.change - 0.10).abs() < 1e-9, "{v:?}");
    let v = decide(false);
    assert_eq!(v.verdict, VerdictKind::Improvement, "{v:?}");
    assert!((v.change + 0.25).abs() < 1e-9, "{v:?}");
}

#[test]
fn zero_baselines_stay_finite() {
    assert_eq!(relative_change(0.0, 0.0), 0.0);
    assert_eq!(relative_change(0.0, 5.0), 1.0);
    assert_eq!(relative_change(0.0, -5.0), -1.0);
    assert_eq!(relative_change(4.0, 5.0), 0.25);
    assert_eq!(relative_change(4.0, 0.0), -1.0);
}

#[test]
fn the_sign_is_the_direction_the_value_moved() {
    // Negative baselines: down is negative, up is positive.
    assert!((relative_change(-0.007, -0.010) + 3.0 / 7.0).abs() < 1e-12);
    assert!((relative_change(-0.010, -0.007) - 0.3).abs() < 1e-12);
    assert!((relative_change(-4.0, -2.0) - 0.5).abs() < 1e-12);
    // Mixed signs.
    assert!((relative_change(-2.0, 2.0) - 2.0).abs() < 1e-12);
    assert!((relative_change(2.0, -2.0) + 2.0).abs() < 1e-12);
    // Positive baselines as before.
    assert!((relative_change(2.0, 3.0) - 0.5).abs() < 1e-12);
    assert!((relative_change(2.0, 1.0) + 0.5).abs() < 1e-12);
}

/// A one-workload result with one deterministic metric of the given direction.
fn deterministic(value: f64, better: &str) -> RunResult {
    let json = serde_json::json!({
        "schema_version": 1,
        "tool": {"name": "smprof", "version": "0"},
        "created_at": "2026-01-01T00:00:00Z",
        "commit": null,
        "env": {"cpu_model": "x", "logical_cores": 2, "simd_tier": "avx2", "threads": 1,
                "os": "linux", "kernel": "6", "rustc": "1.95", "profile": "release",
                "fingerprint": "f"},
        "settings": {"mode": "default", "processes": 1, "samples_per_process": 1,
                     "suites": ["alloc"], "filter": null, "metric_mode": "time"},
        "durations_s": {},
        "workloads": [{"name": "train/mlp", "suite": "alloc", "group": "train", "metrics": {
            "pool_reduction_unpooled": {"unit": "ratio", "better": better,
                "kind": "deterministic",
                "summary": {"n": 1, "median": value, "mean": value, "stddev": 0.0,
                    "min": value, "max": value, "mad": 0.0, "ci95": [value, value],
                    "outliers": 0}}}}]
    });
    serde_json::from_value(json).unwrap()
}

#[test]
fn negative_zero_and_mixed_sign_metrics_are_judged_by_their_direction() {
    let judge = |b: f64, c: f64, better: &str| {
        let d = decide_all(
            &deterministic(b, better),
            &deterministic(c, better),
            &Config::default(),
            None,
        );
        let v = d.verdicts[0].clone();
        (v.verdict, v.change)
    };
    // −0.7 % → −1.0 % of a higher-is-better ratio is worse: a regression.
    let (k, change) = judge(-0.007, -0.010, "higher");
    assert_eq!(k, VerdictKind::Regression);
    assert!(change < 0.0, "{change}");
    // and the way back an improvement.
    assert_eq!(judge(-0.010, -0.007, "higher").0, VerdictKind::Improvement);
    // Lower is better: a negative value falling further is an improvement.
    assert_eq!(judge(-0.007, -0.010, "lower").0, VerdictKind::Improvement);
    // Crossing zero.
    assert_eq!(judge(-0.02, 0.03, "higher").0, VerdictKind::Improvement);
    assert_eq!(judge(0.03, -0.02, "higher").0, VerdictKind::Regression);
    assert_eq!(judge(-0.02, 0.03, "lower").0, VerdictKind::Regression);
    // From and to zero.
    assert_eq!(judge(0.0, -0.01, "higher").0, VerdictKind::Regression);
    assert_eq!(judge(0.0, 0.01, "higher").0, VerdictKind::Improvement);
    assert_eq!(judge(0.01, 0.0, "higher").0, VerdictKind::Regression);
    assert_eq!(judge(0.0, 0.0, "higher").0, VerdictKind::Stable);
    assert_eq!(judge(-0.5, -0.5, "higher").0, VerdictKind::Stable);
}
