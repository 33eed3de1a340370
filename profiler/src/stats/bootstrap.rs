//! Seeded bootstrap confidence intervals (percentile method).
//!
//! Seeded so that the same samples always give the same interval: a result file
//! can be re-summarised and checked, and two runs differ only by their data.

use crate::stats::summary::{quantile_sorted, sorted};

pub use super::rng::SplitMix64;

/// The percentile bootstrap interval at `level` (e.g. 0.95) of `stat` over `xs`:
/// `resamples` resamples with replacement, seeded. A single value (or none)
/// gives a degenerate interval at the statistic itself.
pub fn ci(
    xs: &[f64],
    stat: impl Fn(&mut [f64]) -> f64,
    level: f64,
    resamples: usize,
    seed: u64,
) -> [f64; 2] {
    let mut buf = xs.to_vec();
    if xs.len() < 2 || resamples == 0 {
        let v = if xs.is_empty() {
            f64::NAN
        } else {
            stat(&mut buf)
        };
        return [v, v];
    }
    let mut rng = SplitMix64::new(seed);
    let mut stats = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for slot in buf.iter_mut() {
            *slot = xs[rng.below(xs.len())];
        }
        stats.push(stat(&mut buf));
    }
    let s = sorted(&stats);
    let tail = (1.0 - level.clamp(0.0, 1.0)) / 2.0;
    [quantile_sorted(&s, tail), quantile_sorted(&s, 1.0 - tail)]
}

/// The median of a scratch buffer (reorders it).
fn median_in_place(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    quantile_sorted(v, 0.5)
}

/// The percentile bootstrap interval of the median.
pub fn median_ci(xs: &[f64], level: f64, resamples: usize, seed: u64) -> [f64; 2] {
    ci(xs, median_in_place, level, resamples, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range() {
        let mut r = SplitMix64::new(1);
        assert!((0..10_000).all(|_| r.below(7) < 7));
    }
}
