//! The paired decision for results of one alternating measurement.
//!
//! Round k of an alternating measurement ran the baseline's and the current
//! build's worker process k back to back, so whatever the machine was doing
//! then (a slow spell lasting seconds) weighs on both. Each process also draws
//! its own level (memory layout, placement): on this project's shared VM the
//! per-process medians of one build spread by ±7 % to ±30 %. Pooling samples and
//! ranking them as if independent (Mann–Whitney) lets a 4:2 split of processes
//! into a slow level read as a significant change. Here the unit is the round:
//! one log-ratio of per-process medians per round, tested with the exact
//! Wilcoxon signed-rank test, the change estimated by Hodges–Lehmann.
//!
//! When the sides took their samples in lockstep (`settings.paired_samples`,
//! [`crate::measure::lockstep`]), a round's log-ratio is instead the median of
//! its sample pairs' log-ratios: the two halves of a sample pair ran a few
//! milliseconds apart, under the same spell of the machine.

use crate::result::{Metric, RunResult};
use crate::stats::hierarchical::{Grouped, by_process, median_in_place};
use crate::stats::wilcoxon;

/// Whether two results are the two sides of one alternating measurement.
pub fn is_paired(baseline: &RunResult, current: &RunResult) -> bool {
    matches!(
        (&baseline.settings.pairing, &current.settings.pairing),
        (Some(a), Some(b)) if a == b
    )
}

/// The decision's inputs from the paired rounds of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedChange {
    /// Rounds with a positive median on both sides.
    pub rounds: usize,
    /// Two-sided exact signed-rank p-value of the per-round log-ratios.
    pub p_value: f64,
    /// exp(Hodges–Lehmann estimate of the log-ratios) − 1.
    pub change: f64,
    /// Its 95 % distribution-free interval, as relative changes.
    pub ci95: Option<[f64; 2]>,
}

/// Whether the two sides of a paired comparison took their samples in lockstep.
pub fn pairs_samples(baseline: &RunResult, current: &RunResult) -> bool {
    is_paired(baseline, current)
        && baseline.settings.paired_samples
        && current.settings.paired_samples
}

/// Samples per process, keyed by process index, in the order taken (none
/// without process indices).
fn rounds(m: &Metric) -> Vec<(u32, Vec<f64>)> {
    let (Some(values), Some(process)) = (&m.samples, &m.process) else {
        return Vec::new();
    };
    by_process(Grouped {
        values,
        process: Some(process),
    })
}

fn usable(x: f64) -> bool {
    x > 0.0 && x.is_finite()
}

/// One log-ratio per round present on both sides: ln(current median / baseline
/// median), or with `by_sample` the median of ln(current_i / baseline_i) over
/// the round's sample pairs. Rounds without a usable (positive, finite) pair
/// are left out.
pub fn round_log_ratios(baseline: &Metric, current: &Metric, by_sample: bool) -> Vec<f64> {
    let c = rounds(current);
    rounds(baseline)
        .into_iter()
        .filter_map(|(id, mut b)| {
            let (_, cs) = c.iter().find(|(k, _)| *k == id)?;
            if by_sample {
                let mut d: Vec<f64> = b
                    .iter()
                    .zip(cs)
                    .filter(|&(&x, &y)| usable(x) && usable(y))
                    .map(|(&x, &y)| (y / x).ln())
                    .collect();
                (!d.is_empty()).then(|| median_in_place(&mut d))
            } else {
                let (mb, mc) = (median_in_place(&mut b), median_in_place(&mut cs.clone()));
                (usable(mb) && usable(mc)).then(|| (mc / mb).ln())
            }
        })
        .collect()
}

/// The paired test of one metric (`by_sample`: see [`round_log_ratios`]);
/// `None` with fewer than two usable rounds (or no round that differs), when
/// the caller falls back to the pooled test.
pub fn paired_change(baseline: &Metric, current: &Metric, by_sample: bool) -> Option<PairedChange> {
    let d = round_log_ratios(baseline, current, by_sample);
    if d.len() < 2 {
        return None;
    }
    let test = wilcoxon::signed_rank(&d)?;
    let ci95 = wilcoxon::hodges_lehmann_interval(&d, 0.95)
        .map(|[lo, hi]| [lo.exp() - 1.0, hi.exp() - 1.0]);
    Some(PairedChange {
        rounds: d.len(),
        p_value: test.p_two_sided,
        change: wilcoxon::hodges_lehmann(&d).exp() - 1.0,
        ci95,
    })
}

/// Rounds an alternating measurement needs so that a change seen in every round
/// but the closest one can pass `alpha` after Benjamini–Hochberg over `tests`
/// tests: the two-sided exact p of n rounds with the smallest rank discordant is
/// 4/2ⁿ, so n ≥ log₂(4·tests/α). At least `at_least` and even (each side runs
/// first in half of the rounds), at most 24.
pub fn rounds_for(tests: usize, alpha: f64, at_least: u32) -> u32 {
    let need = (4.0 * tests.max(1) as f64 / alpha.clamp(1e-6, 1.0))
        .log2()
        .ceil() as u32;
    let r = need.max(at_least).min(24);
    r + r % 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{Better, MetricKind, Summary};

    fn metric(per_process: &[&[f64]]) -> Metric {
        let samples: Vec<f64> = per_process.iter().flat_map(|p| p.iter().copied()).collect();
        let process = per_process
            .iter()
            .enumerate()
            .flat_map(|(i, p)| std::iter::repeat_n(i as u32, p.len()))
            .collect();
        Metric {
            unit: "ns".into(),
            better: Better::Lower,
            kind: MetricKind::Sampled,
            derived_from: None,
            samples: Some(samples),
            process: Some(process),
            summary: Summary {
                n: 0,
                median: 0.0,
                mean: 0.0,
                stddev: 0.0,
                min: 0.0,
                max: 0.0,
                mad: 0.0,
                ci95: [0.0, 0.0],
                outliers: 0,
            },
            modes: None,
        }
    }

    #[test]
    fn rounds_pair_by_process_index() {
        let b = metric(&[&[100.0, 102.0, 98.0], &[200.0, 200.0, 200.0]]);
        let c = metric(&[&[110.0, 110.0, 111.0], &[220.0, 219.0, 221.0]]);
        let d = round_log_ratios(&b, &c, false);
        assert_eq!(d.len(), 2);
        assert!((d[0] - (110.0f64 / 100.0).ln()).abs() < 1e-12);
        assert!((d[1] - (220.0f64 / 200.0).ln()).abs() < 1e-12);
    }

    #[test]
    fn process_levels_cancel_within_rounds() {
        // Levels 100 and 150 drawn per round; the current build 10 % slower in each.
        let levels = [100.0, 150.0, 100.0, 150.0, 150.0, 100.0, 100.0, 150.0];
        let b: Vec<Vec<f64>> = levels.iter().map(|&l| vec![l, l + 1.0, l - 1.0]).collect();
        let c: Vec<Vec<f64>> = b
            .iter()
            .map(|p| p.iter().map(|x| x * 1.1).collect())
            .collect();
        let (rb, rc): (Vec<&[f64]>, Vec<&[f64]>) = (
            b.iter().map(Vec::as_slice).collect(),
            c.iter().map(Vec::as_slice).collect(),
        );
        let r = paired_change(&metric(&rb), &metric(&rc), false).unwrap();
        assert_eq!(r.rounds, 8);
        assert!((r.change - 0.1).abs() < 1e-9, "{r:?}");
        assert!((r.p_value - 2.0 / 256.0).abs() < 1e-12);
        let [lo, hi] = r.ci95.unwrap();
        assert!(lo <= r.change && r.change <= hi);
    }

    #[test]
    fn sample_pairs_cancel_spells_that_medians_keep() {
        // Round 0: a slow spell (×1.4) covers the middle two sample pairs on both
        // sides; round 1: the baseline's process median is caught by a spell the
        // current side missed. Per sample pair the current build is 10 % slower.
        let b = metric(&[&[100.0, 140.0, 140.0, 100.0], &[140.0, 140.0, 100.0, 140.0]]);
        let c = metric(&[&[110.0, 154.0, 154.0, 110.0], &[154.0, 154.0, 110.0, 154.0]]);
        let by_sample = round_log_ratios(&b, &c, true);
        assert_eq!(by_sample.len(), 2);
        assert!(by_sample.iter().all(|d| (d - 1.1f64.ln()).abs() < 1e-12));
        // A sample missing on one side (or unusable) only drops that pair.
        let c_short = metric(&[&[110.0, f64::NAN, 154.0], &[154.0]]);
        let d = round_log_ratios(&b, &c_short, true);
        assert_eq!(d.len(), 2);
        assert!(d.iter().all(|d| (d - 1.1f64.ln()).abs() < 1e-12), "{d:?}");
    }

    #[test]
    fn too_few_rounds_fall_back() {
        let b = metric(&[&[100.0]]);
        let c = metric(&[&[110.0]]);
        assert!(paired_change(&b, &c, false).is_none());
        assert!(paired_change(&b, &c, true).is_none());
    }

    #[test]
    fn rounds_grow_with_the_number_of_tests() {
        // α = 0.01: one test needs 9 rounds (4/2⁹ < 0.01), 17 tests 13; both made even.
        assert_eq!(rounds_for(1, 0.01, 6), 10);
        assert_eq!(rounds_for(4, 0.01, 6), 12);
        assert_eq!(rounds_for(17, 0.01, 6), 14);
        assert_eq!(rounds_for(1, 0.05, 6), 8);
        assert_eq!(rounds_for(10_000, 1e-6, 6), 24);
        assert_eq!(rounds_for(1, 0.01, 15), 16);
    }
}
