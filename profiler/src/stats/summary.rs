//! Descriptive statistics of per-operation samples: median, mean, standard
//! deviation, extremes, MAD, Tukey-fence outliers, and the [`Summary`] a result
//! stores (with a seeded bootstrap interval of the median).
//!
//! Quantiles use linear interpolation between order statistics (Hyndman & Fan
//! type 7, the default of R and NumPy), so hand computation is easy to check.

use crate::stats::bootstrap;
use serde::{Deserialize, Serialize};

/// Summary statistics. For a deterministic metric only `median` (= the value) is meaningful
/// and every other field equals it or is zero. Stored in results as `summary`
/// (docs/results-format.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub n: u32,
    pub median: f64,
    pub mean: f64,
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
    /// Median absolute deviation (unscaled).
    pub mad: f64,
    /// Seeded bootstrap 95 % interval of the median.
    pub ci95: [f64; 2],
    /// Samples beyond Tukey's fences (1.5 IQR), reported, not dropped.
    pub outliers: u32,
}

/// Resamples drawn for the bootstrap interval of the median in a [`Summary`].
pub const BOOTSTRAP_RESAMPLES: usize = 2000;
/// Seed of the bootstrap in [`summarize`]: fixed, so a result is reproducible from its samples.
pub const BOOTSTRAP_SEED: u64 = 0x05ee_d5a3_b1e5_u64;

/// A sorted copy of `xs` (NaN sorts last; callers validate finiteness first).
pub fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// The `p`-quantile (0 ≤ p ≤ 1) of already sorted data, type 7. NaN when empty.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// The median. NaN when empty.
pub fn median(xs: &[f64]) -> f64 {
    quantile_sorted(&sorted(xs), 0.5)
}

/// The arithmetic mean. NaN when empty.
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The sample standard deviation (n − 1 in the denominator); 0 for fewer than two values.
pub fn stddev(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (xs.len() - 1) as f64).sqrt()
}

/// The median absolute deviation from the median, unscaled (multiply by 1.4826
/// for a normal-consistent estimate of σ). NaN when empty.
pub fn mad(xs: &[f64]) -> f64 {
    let m = median(xs);
    let dev: Vec<f64> = xs.iter().map(|x| (x - m).abs()).collect();
    median(&dev)
}

/// Tukey's fences: values below Q1 − 1.5·IQR or above Q3 + 1.5·IQR.
pub fn tukey_fences(xs: &[f64]) -> (f64, f64) {
    let s = sorted(xs);
    let q1 = quantile_sorted(&s, 0.25);
    let q3 = quantile_sorted(&s, 0.75);
    let iqr = q3 - q1;
    (q1 - 1.5 * iqr, q3 + 1.5 * iqr)
}

/// How many values lie beyond Tukey's fences (reported, never dropped).
pub fn tukey_outliers(xs: &[f64]) -> u32 {
    if xs.len() < 4 {
        return 0;
    }
    let (lo, hi) = tukey_fences(xs);
    xs.iter().filter(|&&x| x < lo || x > hi).count() as u32
}

/// The full summary of a non-empty set of finite samples, with the seeded
/// bootstrap 95 % interval of the median.
pub fn summarize(xs: &[f64]) -> Summary {
    summarize_with(xs, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED)
}

/// [`summarize`] for samples from several worker processes (`process[i]` is
/// sample i's process): the interval of the median comes from the hierarchical
/// bootstrap (processes, then samples), because samples of one process share
/// its luck and a plain bootstrap would understate the run's uncertainty.
pub fn summarize_grouped(xs: &[f64], process: Option<&[u32]>) -> Summary {
    match process.filter(|p| p.len() == xs.len() && p.iter().any(|&id| id != p[0])) {
        Some(p) if !xs.is_empty() => {
            let g = super::hierarchical::Grouped {
                values: xs,
                process: Some(p),
            };
            let ci = super::hierarchical::median_ci(g, 0.95, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED);
            with_ci(xs, ci)
        }
        _ => summarize(xs),
    }
}

/// [`summarize`] with an explicit number of bootstrap resamples and seed.
pub fn summarize_with(xs: &[f64], resamples: usize, seed: u64) -> Summary {
    if xs.is_empty() {
        return deterministic(0.0);
    }
    with_ci(xs, bootstrap::median_ci(xs, 0.95, resamples, seed))
}

/// The summary of non-empty `xs` with a given interval of the median.
fn with_ci(xs: &[f64], ci95: [f64; 2]) -> Summary {
    let s = sorted(xs);
    Summary {
        n: xs.len() as u32,
        median: quantile_sorted(&s, 0.5),
        mean: mean(xs),
        stddev: stddev(xs),
        min: s[0],
        max: s[s.len() - 1],
        mad: mad(xs),
        ci95,
        outliers: tukey_outliers(xs),
    }
}

/// The summary of an exact figure (bytes, counts): every statistic is the value,
/// spread and outliers are zero.
pub fn deterministic(value: f64) -> Summary {
    Summary {
        n: 1,
        median: value,
        mean: value,
        stddev: 0.0,
        min: value,
        max: value,
        mad: 0.0,
        ci95: [value, value],
        outliers: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_linearly() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&s, 0.5), 2.5);
        assert_eq!(quantile_sorted(&s, 0.25), 1.75);
        assert_eq!(quantile_sorted(&s, 0.0), 1.0);
        assert_eq!(quantile_sorted(&s, 1.0), 4.0);
        assert!(quantile_sorted(&[], 0.5).is_nan());
    }
}
