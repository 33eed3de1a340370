//! Summary statistics, the bootstrap interval and multimodality against values
//! computed by hand.

use smprof::result::Mode;
use smprof::stats::bootstrap::{SplitMix64, median_ci};
use smprof::stats::modality::{self, Params};
use smprof::stats::summary::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn summary_of_five_values_with_an_outlier() {
    // xs = 1 2 3 4 100: mean 22; squared deviations 441 400 361 324 6084 = 7610,
    // /4 = 1902.5, sqrt = 43.617656…; |x − 3| = 2 1 0 1 97 → MAD 1;
    // Q1 = 2, Q3 = 4 (type 7), IQR 2, fences −1 and 7 → one outlier (100).
    let xs = [3.0, 1.0, 100.0, 2.0, 4.0];
    let s = summarize(&xs);
    assert_eq!(s.n, 5);
    assert_eq!(s.median, 3.0);
    assert_eq!(s.mean, 22.0);
    assert!(close(s.stddev, 1902.5f64.sqrt()), "{}", s.stddev);
    assert_eq!((s.min, s.max), (1.0, 100.0));
    assert_eq!(s.mad, 1.0);
    assert_eq!(tukey_fences(&xs), (-1.0, 7.0));
    assert_eq!(s.outliers, 1);
    assert!(s.ci95[0] <= s.median && s.median <= s.ci95[1]);
}

#[test]
fn even_count_median_and_quartiles_interpolate() {
    // 10 20 30 40: median 25; Q1 at h = 0.75 → 17.5; Q3 at h = 2.25 → 32.5.
    let xs = [40.0, 10.0, 30.0, 20.0];
    assert_eq!(median(&xs), 25.0);
    let s = sorted(&xs);
    assert_eq!(quantile_sorted(&s, 0.25), 17.5);
    assert_eq!(quantile_sorted(&s, 0.75), 32.5);
    // |x − 25| = 15 5 5 15 → MAD 10. stddev: squared deviations 225·2 + 25·2 = 500, /3.
    assert_eq!(mad(&xs), 10.0);
    assert!(close(stddev(&xs), (500.0f64 / 3.0).sqrt()));
    assert_eq!(tukey_outliers(&xs), 0);
}

#[test]
fn degenerate_inputs() {
    assert_eq!(stddev(&[5.0]), 0.0);
    assert!(median(&[]).is_nan());
    let s = summarize(&[7.0]);
    assert_eq!(
        (s.n, s.median, s.min, s.max, s.mad, s.outliers),
        (1, 7.0, 7.0, 7.0, 0.0, 0)
    );
    assert_eq!(s.ci95, [7.0, 7.0]);
    let d = deterministic(42.0);
    assert_eq!(
        (d.median, d.mean, d.stddev, d.ci95),
        (42.0, 42.0, 0.0, [42.0, 42.0])
    );
    // Three values never have outliers: too few to place fences.
    assert_eq!(tukey_outliers(&[1.0, 2.0, 1000.0]), 0);
}

#[test]
fn bootstrap_of_two_values_spans_both() {
    // Resampling [1, 3]: medians 1 (p = 1/4), 2 (1/2), 3 (1/4). Over 2000 resamples the
    // 2.5 % and 97.5 % quantiles are 1 and 3.
    assert_eq!(median_ci(&[1.0, 3.0], 0.95, 2000, 7), [1.0, 3.0]);
    // A constant sample has a zero-width interval.
    assert_eq!(median_ci(&[4.0; 9], 0.95, 500, 1), [4.0, 4.0]);
}

#[test]
fn bootstrap_is_seeded_and_sensible() {
    let mut rng = SplitMix64::new(3);
    let xs: Vec<f64> = (0..40)
        .map(|_| 100.0 + (rng.below(1000) as f64) / 100.0)
        .collect();
    let a = median_ci(&xs, 0.95, 2000, 11);
    let b = median_ci(&xs, 0.95, 2000, 11);
    assert_eq!(a, b, "same seed, same interval");
    let m = median(&xs);
    assert!(a[0] <= m && m <= a[1]);
    // Uniform on [100, 110), n = 40: the median's standard error is about 0.8.
    assert!(a[1] - a[0] > 0.2 && a[1] - a[0] < 6.0, "{a:?}");
    let narrow = median_ci(&xs, 0.5, 2000, 11);
    assert!(narrow[0] >= a[0] && narrow[1] <= a[1]);
}

fn cluster(center: f64, n: usize, seed: u64) -> Vec<f64> {
    let mut r = SplitMix64::new(seed);
    (0..n)
        .map(|_| center * (1.0 + (r.below(1000) as f64 - 500.0) / 50_000.0))
        .collect()
}

#[test]
fn two_separated_clusters_are_two_modes() {
    // 100 ± 1 % and 150 ± 1 %, 15 samples each, from 5 processes mixing both.
    let mut xs = cluster(100.0, 15, 1);
    xs.extend(cluster(150.0, 15, 2));
    let process: Vec<u32> = (0..30).map(|i| i % 5).collect();
    let modes = modality::detect(&xs, Some(&process)).expect("bimodal");
    assert_eq!(modes.len(), 2);
    let Mode { center, weight } = modes[0];
    assert!((center - 100.0).abs() < 1.0 && weight == 0.5, "{modes:?}");
    assert!((modes[1].center - 150.0).abs() < 1.5 && modes[1].weight == 0.5);
}

#[test]
fn one_distribution_is_not_split() {
    let xs = cluster(100.0, 30, 5);
    assert_eq!(modality::detect(&xs, None), None);
    // Fewer samples than the detector needs.
    assert_eq!(
        modality::detect(&[1.0, 1.0, 1.0, 9.0, 9.0, 9.0], None),
        None
    );
}

#[test]
fn conservative_rules_hold_back_a_split() {
    // A 1 % gap is below the relative threshold (3 %) however tight the clusters.
    let mut xs = vec![100.0; 10];
    xs.extend(vec![101.0; 10]);
    assert_eq!(modality::detect(&xs, None), None);
    // Two far samples out of 30 are outliers, not a mode (min share 15 %).
    let mut xs = cluster(100.0, 28, 3);
    xs.extend([200.0, 201.0]);
    assert_eq!(modality::detect(&xs, None), None);
    // One slow process (all its 6 samples) is between-process noise, not a mode.
    let mut xs = cluster(100.0, 24, 4);
    xs.extend(cluster(130.0, 6, 6));
    let process: Vec<u32> = (0..24).map(|i| i % 4).chain([4; 6]).collect();
    assert_eq!(modality::detect(&xs, Some(&process)), None);
    // …but without process labels the same samples are two modes.
    let p = Params::default();
    assert!(modality::detect_with(&xs, None, &p).is_some());
}
