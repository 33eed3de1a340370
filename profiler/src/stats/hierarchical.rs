//! Seeded hierarchical bootstrap of the ratio of medians (current / baseline).
//!
//! Samples from one worker process share that process's luck (frequency,
//! placement, page layout), so resampling samples alone understates the
//! spread. Each replicate resamples processes with replacement, then samples
//! within each chosen process, on both sides independently; the interval is
//! the 2.5th and 97.5th percentile of the replicate ratios.

use super::rng::SplitMix64;
use super::summary::quantile_sorted;

/// A labelled sample set: values and the worker process of each.
#[derive(Debug, Clone, Copy)]
pub struct Grouped<'a> {
    pub values: &'a [f64],
    /// Process index per value; `None` means a single process.
    pub process: Option<&'a [u32]>,
}

/// Replicates used by [`ratio_of_medians_ci`].
pub const DEFAULT_REPLICATES: usize = 2000;

/// A stable 64-bit seed from a string (FNV-1a), so each metric gets its own stream.
pub fn seed_for(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// Samples split by process, with each process's index (processes in order of
/// first appearance; without process indices, one group with index 0).
pub fn by_process(g: Grouped<'_>) -> Vec<(u32, Vec<f64>)> {
    match g.process {
        None => vec![(0, g.values.to_vec())],
        Some(p) => {
            let mut out: Vec<(u32, Vec<f64>)> = Vec::new();
            for (&v, &id) in g.values.iter().zip(p) {
                match out.iter_mut().find(|(x, _)| *x == id) {
                    Some((_, values)) => values.push(v),
                    None => out.push((id, vec![v])),
                }
            }
            out
        }
    }
}

/// Samples split by process (processes in order of first appearance).
fn groups(g: Grouped<'_>) -> Vec<Vec<f64>> {
    by_process(g)
        .into_iter()
        .map(|(_, values)| values)
        .collect()
}

/// Median of a slice, reordering it in place. Empty → NaN.
pub fn median_in_place(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    // Selection, not a sort: this runs thousands of times per metric.
    let n = xs.len();
    let (lower, upper, _) = xs.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (below + upper)
    }
}

fn one_replicate(groups: &[Vec<f64>], rng: &mut SplitMix64, buf: &mut Vec<f64>) -> f64 {
    buf.clear();
    for _ in 0..groups.len() {
        let g = &groups[rng.below(groups.len())];
        for _ in 0..g.len() {
            buf.push(g[rng.below(g.len())]);
        }
    }
    median_in_place(buf)
}

/// The percentile interval at `level` of one side's median by hierarchical
/// bootstrap (processes, then samples within them). With one process this is
/// the plain bootstrap of the median; a single value gives a degenerate interval.
pub fn median_ci(g: Grouped<'_>, level: f64, replicates: usize, seed: u64) -> [f64; 2] {
    let mut all = g.values.to_vec();
    if g.values.len() < 2 || replicates < 2 {
        let v = median_in_place(&mut all);
        return [v, v];
    }
    let gs = groups(g);
    let mut rng = SplitMix64::new(seed);
    let mut buf = Vec::new();
    let mut meds: Vec<f64> = (0..replicates)
        .map(|_| one_replicate(&gs, &mut rng, &mut buf))
        .collect();
    meds.sort_by(f64::total_cmp);
    let tail = (1.0 - level.clamp(0.0, 1.0)) / 2.0;
    [
        quantile_sorted(&meds, tail),
        quantile_sorted(&meds, 1.0 - tail),
    ]
}

/// 95 % interval of median(current) / median(baseline) by hierarchical
/// bootstrap. `None` when a side is empty or a replicate's baseline median is
/// zero (the ratio is undefined).
pub fn ratio_of_medians_ci(
    baseline: Grouped<'_>,
    current: Grouped<'_>,
    replicates: usize,
    seed: u64,
) -> Option<[f64; 2]> {
    if baseline.values.is_empty() || current.values.is_empty() || replicates < 2 {
        return None;
    }
    let (gb, gc) = (groups(baseline), groups(current));
    let mut rng = SplitMix64::new(seed);
    let mut buf = Vec::new();
    let mut ratios = Vec::with_capacity(replicates);
    for _ in 0..replicates {
        let b = one_replicate(&gb, &mut rng, &mut buf);
        let c = one_replicate(&gc, &mut rng, &mut buf);
        if b == 0.0 || !b.is_finite() || !c.is_finite() {
            return None;
        }
        ratios.push(c / b);
    }
    ratios.sort_by(f64::total_cmp);
    Some([
        quantile_sorted(&ratios, 0.025),
        quantile_sorted(&ratios, 0.975),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(v: &[f64]) -> Grouped<'_> {
        Grouped {
            values: v,
            process: None,
        }
    }

    #[test]
    fn median_ci_widens_with_between_process_spread() {
        // Five processes whose levels differ by up to 8 %, tight inside each.
        let levels = [100.0, 104.0, 97.0, 108.0, 101.0];
        let mut values = Vec::new();
        let mut process = Vec::new();
        for (p, &l) in levels.iter().enumerate() {
            for i in 0..6 {
                values.push(l + 0.1 * i as f64);
                process.push(p as u32);
            }
        }
        let grouped = Grouped {
            values: &values,
            process: Some(&process),
        };
        let [lo, hi] = median_ci(grouped, 0.95, 2000, 3);
        let [plo, phi] = median_ci(flat(&values), 0.95, 2000, 3);
        assert!(
            lo <= plo && hi >= phi,
            "hierarchical [{lo}, {hi}] vs flat [{plo}, {phi}]"
        );
        assert!(
            hi - lo > 1.5 * (phi - plo),
            "hierarchical [{lo}, {hi}] vs flat [{plo}, {phi}]"
        );
        assert!(lo >= 97.0 && hi <= 108.5);
        assert_eq!(median_ci(grouped, 0.95, 2000, 3), [lo, hi], "seeded");
        assert_eq!(median_ci(flat(&[4.0]), 0.95, 2000, 3), [4.0, 4.0]);
    }

    #[test]
    fn identical_constant_sides_give_ratio_one() {
        let v = [5.0; 12];
        let ci = ratio_of_medians_ci(flat(&v), flat(&v), 500, 1).unwrap();
        assert_eq!(ci, [1.0, 1.0]);
    }

    #[test]
    fn doubled_side_contains_two_and_is_seeded() {
        let b: Vec<f64> = (0..30).map(|i| 100.0 + (i % 7) as f64).collect();
        let c: Vec<f64> = b.iter().map(|x| 2.0 * x).collect();
        let ci = ratio_of_medians_ci(flat(&b), flat(&c), 1000, 7).unwrap();
        assert!(
            ci[0] < 2.0 && ci[1] > 2.0 && ci[0] > 1.9 && ci[1] < 2.1,
            "{ci:?}"
        );
        assert_eq!(
            ci,
            ratio_of_medians_ci(flat(&b), flat(&c), 1000, 7).unwrap()
        );
    }

    #[test]
    fn between_process_spread_widens_the_interval() {
        // Five processes whose levels differ by ±5 %, tight within each process.
        let mut vals = Vec::new();
        let mut procs = Vec::new();
        for p in 0..5u32 {
            let level = 100.0 * (1.0 + 0.05 * (p as f64 - 2.0));
            for s in 0..6 {
                vals.push(level + 0.01 * s as f64);
                procs.push(p);
            }
        }
        let naive = ratio_of_medians_ci(flat(&vals), flat(&vals), 2000, 3).unwrap();
        let g = Grouped {
            values: &vals,
            process: Some(&procs),
        };
        let hier = ratio_of_medians_ci(g, g, 2000, 3).unwrap();
        assert!(
            hier[1] - hier[0] > naive[1] - naive[0],
            "hierarchical {hier:?} naive {naive:?}"
        );
    }

    #[test]
    fn zero_baseline_or_empty_is_none() {
        assert!(ratio_of_medians_ci(flat(&[0.0; 4]), flat(&[1.0; 4]), 100, 1).is_none());
        assert!(ratio_of_medians_ci(flat(&[]), flat(&[1.0]), 100, 1).is_none());
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SplitMix64::new(42);
        for n in 1..50 {
            for _ in 0..100 {
                assert!(r.below(n) < n);
            }
        }
    }
}
