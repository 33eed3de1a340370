//! E-divisive change points on synthetic histories: steps of 3 %, 10 % and 50 %
//! under 2 % noise (issue #8: every step of 10 % or more found within ±1 commit),
//! step-free series that must stay quiet (none in 100 series of 100 points), and
//! short histories, where the t-test decides what a permutation test cannot.
//! Seeded, so the figures are reproducible; `--ignored` runs a ten-times larger sweep.

use smprof::stats::edivisive::{ChangePoint, Settings, Significance, detect};
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
#[ignore = "a larger sweep (about a minute) for docs/history.md: -- --ignored"]
fn large_sweep() {
    // Over 1000 series a handful of 2–3 % change points fall outside the tolerances
    // (the 1.5σ step placed loosely, or noise): reported, not asserted.
    check(&sweep(0..1000), 1000, false);
    // α = 0.001 per test: about one series in a thousand may cross it by chance.
    step_free(10_000, 1000, 5);
    // The significance tests alone and together (docs/history.md): reported.
    for (n, at, step) in [
        (15, 5, 0.12),
        (15, 5, 0.06),
        (30, 10, 0.05),
        (100, 50, 0.03),
    ] {
        let [e, t, p] = EVERY_TEST.map(|s| found_in(n, at, step, s, 200));
        eprintln!(
            "{n} points, +{:.0} % after {at}: either {e}/200, t-test {t}/200, permutation {p}/200",
            step * 100.0
        );
    }
    for n in [15, 30, 100] {
        let [e, t, p] = EVERY_TEST.map(|s| found_in(n, n, 0.0, s, 1000));
        eprintln!("step-free, {n} points: either {e}/1000, t-test {t}/1000, permutation {p}/1000");
    }
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

/// Every significance test, the default first.
const EVERY_TEST: [Significance; 3] = [
    Significance::Either,
    Significance::TTest,
    Significance::Permutation,
];

/// Series of `n` points under 2 % Gaussian noise with a step of `step` at `at`
/// (`at = n`: none), `seeds` of them: in how many a change point is found within ±1
/// of the step (or at all, for a step-free series).
fn found_in(n: usize, at: usize, step: f64, significance: Significance, seeds: u64) -> u64 {
    let settings = Settings {
        significance,
        ..Settings::default()
    };
    let mut rng = SplitMix64(77 + at as u64);
    (0..seeds)
        .filter(|_| {
            let xs = noisy(
                &[(at, 100.0), (n - at, 100.0 * (1.0 + step))],
                0.02,
                &mut rng,
            );
            let cps = detect(&xs, &settings).unwrap();
            if at == n {
                !cps.is_empty()
            } else {
                cps.iter().any(|c| (c.index as i64 - at as i64).abs() <= 1)
            }
        })
        .count() as u64
}

/// A step after 5 of 15 stored runs (a real history's shape: seeded `gelu` +12 %
/// five commits into fifteen, docs/history.md). The t-test, corrected for the 55
/// splits it compares, finds it; the permutation test cannot reach a small α on so
/// few arrangements.
#[test]
fn a_step_in_a_short_history_is_found_by_the_t_test() {
    let t12 = found_in(15, 5, 0.12, Significance::Either, 200);
    let t10 = found_in(15, 5, 0.10, Significance::Either, 200);
    let p12 = found_in(15, 5, 0.12, Significance::Permutation, 200);
    eprintln!(
        "15 points, step after 5: +12 % {t12}/200, +10 % {t10}/200 (permutation: +12 % {p12}/200)"
    );
    assert!(t12 >= 190 && t10 >= 170, "{t12} {t10}");
    assert!(p12 <= 40, "{p12}");
}

/// The t-test's correction and the union bound keep step-free series quiet at every
/// length: at most α = 0.001 of them by chance, whichever split is chosen.
#[test]
fn step_free_series_of_any_length_stay_quiet() {
    for n in [15, 30, 100] {
        let found = found_in(n, n, 0.0, Significance::Either, 1000);
        eprintln!("step-free, {n} points: {found}/1000 with a change point");
        assert!(found <= 3, "{n} points: {found}/1000");
    }
}
