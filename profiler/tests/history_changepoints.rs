//! E-divisive change points on synthetic histories: steps of 3 %, 10 % and 50 %
//! under 2 % noise (issue #8: every step of 10 % or more found within ±1 commit),
//! and step-free series that must stay quiet (none in 100 series of 100 points).
//! Seeded, so the figures are reproducible; `--ignored` runs a ten-times larger sweep.

use smprof::stats::edivisive::{ChangePoint, Settings, detect};
use smprof::stats::rng::SplitMix64;

fn noisy(levels: &[(usize, f64)], noise: f64, rng: &mut SplitMix64) -> Vec<f64> {
    levels
        .iter()
        .flat_map(|&(len, level)| (0..len).map(move |_| level))
        .map(|level| level * (1.0 + noise * rng.normal()))
        .collect()
}

/// Figures of a sweep over seeded series with steps at 30 (+3 %), 60 (+10 %) and
/// 90 (+50 %), 30 points a level.
#[derive(Debug, Default)]
struct Sweep {
    /// Steps of 10 % or more: (seed, position, change point found nearest, if any).
    big: Vec<(u64, usize, Option<ChangePoint>)>,
    /// Series where the 3 % step (1.5σ) was found within ±3.
    small_found: usize,
    /// Change points not near a step (±3 of the big ones; the 1.5σ step at 30 is
    /// located loosely, so ±10 there).
    spurious: Vec<(u64, ChangePoint)>,
}

fn sweep(seeds: std::ops::Range<u64>) -> Sweep {
    let settings = Settings::default();
    let mut out = Sweep::default();
    for seed in seeds {
        let mut rng = SplitMix64(1000 + seed);
        let xs = noisy(
            &[(30, 100.0), (30, 103.0), (30, 113.3), (30, 170.0)],
            0.02,
            &mut rng,
        );
        let cps = detect(&xs, &settings).unwrap();
        for at in [60usize, 90] {
            let nearest = cps
                .iter()
                .min_by_key(|c| (c.index as i64 - at as i64).abs())
                .copied();
            out.big.push((seed, at, nearest));
        }
        if cps.iter().any(|c| (c.index as i64 - 30).abs() <= 3) {
            out.small_found += 1;
        }
        for c in &cps {
            if [(30i64, 10i64), (60, 3), (90, 3)]
                .iter()
                .all(|&(s, tol)| (c.index as i64 - s).abs() > tol)
            {
                out.spurious.push((seed, *c));
            }
        }
    }
    out
}

fn check(s: &Sweep, series: usize, strict: bool) {
    let misses: Vec<_> = s
        .big
        .iter()
        .filter(|(_, at, c)| c.is_none_or(|c| (c.index as i64 - *at as i64).abs() > 1))
        .collect();
    eprintln!(
        "steps ≥ 10 %: {}/{} within ±1 commit; 3 % step found in {}/{series} series; {} spurious",
        s.big.len() - misses.len(),
        s.big.len(),
        s.small_found,
        s.spurious.len()
    );
    assert!(misses.is_empty(), "steps not within ±1: {misses:?}");
    for (seed, at, c) in &s.big {
        let c = c.unwrap();
        let size = if *at == 60 { 0.10 } else { 0.50 };
        assert!(
            (c.change - size).abs() < size * 0.3,
            "seed {seed}: step at {at} measured {:.3}, expected ≈{size}",
            c.change
        );
    }
    if strict {
        assert!(s.spurious.is_empty(), "spurious: {:?}", s.spurious);
    }
    // Whatever else is found is small: nothing of 5 % or more away from the steps.
    let big_spurious: Vec<_> = s
        .spurious
        .iter()
        .filter(|(_, c)| c.change.abs() >= 0.05)
        .collect();
    assert!(big_spurious.is_empty(), "spurious: {big_spurious:?}");
}

/// 40 series, each with one step of each size: 80 steps of 10 % or more.
#[test]
fn every_step_of_ten_percent_or_more_is_found_within_one_commit() {
    check(&sweep(0..20), 20, true);
}

#[test]
fn every_step_of_ten_percent_or_more_is_found_within_one_commit_more_seeds() {
    // A second test so the harness runs the halves on two threads.
    check(&sweep(20..40), 20, true);
}

#[test]
#[ignore = "a larger sweep (about 2 minutes) for docs/history.md: -- --ignored"]
fn large_sweep() {
    // Over 1000 series a handful of 2–3 % change points fall outside the tolerances
    // (the 1.5σ step placed loosely, or noise): reported, not asserted.
    check(&sweep(0..1000), 1000, false);
    // α = 0.001 per test: about one series in a thousand may cross it by chance.
    step_free(10_000, 1000, 5);
}

fn step_free(seed: u64, series: usize, allowed: usize) {
    let settings = Settings::default();
    let mut rng = SplitMix64(seed);
    let mut found = Vec::new();
    for i in 0..series {
        let xs = noisy(&[(100, 250.0)], 0.02, &mut rng);
        let cps = detect(&xs, &settings).unwrap();
        if !cps.is_empty() {
            found.push((i, cps));
        }
    }
    eprintln!(
        "step-free: {} of {series} series of 100 points with a change point",
        found.len()
    );
    assert!(found.len() <= allowed, "false change points: {found:?}");
}

#[test]
fn no_change_point_in_step_free_series() {
    step_free(42, 100, 0);
}

#[test]
fn a_regression_then_its_fix_gives_two_change_points() {
    let mut rng = SplitMix64(9);
    let xs = noisy(&[(20, 50.0), (15, 65.0), (20, 50.0)], 0.02, &mut rng);
    let cps = detect(&xs, &Settings::default()).unwrap();
    let idx: Vec<usize> = cps.iter().map(|c| c.index).collect();
    assert_eq!(cps.len(), 2, "{cps:?}");
    assert!(
        (idx[0] as i64 - 20).abs() <= 1 && (idx[1] as i64 - 35).abs() <= 1,
        "{idx:?}"
    );
    assert!(cps[0].change > 0.2 && cps[1].change < -0.15);
}
