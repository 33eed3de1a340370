//! Multimodality: do the samples fall into separated clusters?
//!
//! A workload that flips between two speeds (allocator state, memory layout)
//! must not be summarised by one median as if it were one distribution. But a
//! false "unstable" hides regressions, so the detector is conservative: a split
//! is accepted only when the gap between the clusters is wide against both
//! the clusters' own spread and the median, each cluster holds a real share of
//! the samples, and (with process labels) each cluster was seen by more than
//! one worker process — a single slow process is between-process noise, which
//! the multi-process design already accounts for.

use crate::stats::summary::{mad, median};
use serde::{Deserialize, Serialize};

/// One cluster of a multimodal metric. Stored in results as `modes`
/// (docs/results-format.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mode {
    /// Median of the cluster.
    pub center: f64,
    /// Share of the samples in it, 0–1.
    pub weight: f64,
}

/// Thresholds of the detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Fewer samples than this are never split.
    pub min_samples: usize,
    /// Each cluster holds at least this share of the samples…
    pub min_share: f64,
    /// …and at least this many.
    pub min_cluster: usize,
    /// The gap must exceed this many robust σ (1.4826·MAD) of either cluster.
    pub gap_sigmas: f64,
    /// The gap must exceed this fraction of the overall median.
    pub min_rel_gap: f64,
    /// At most this many modes are reported.
    pub max_modes: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_samples: 8,
            min_share: 0.15,
            min_cluster: 3,
            gap_sigmas: 4.0,
            min_rel_gap: 0.03,
            max_modes: 4,
        }
    }
}

/// The modes of `xs` when they are clearly separated clusters; `None` for one
/// distribution. `process` (same length as `xs`) labels each sample's worker.
pub fn detect(xs: &[f64], process: Option<&[u32]>) -> Option<Vec<Mode>> {
    detect_with(xs, process, &Params::default())
}

/// [`detect`] with explicit thresholds.
pub fn detect_with(xs: &[f64], process: Option<&[u32]>, p: &Params) -> Option<Vec<Mode>> {
    if xs.len() < p.min_samples || xs.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let process = process.filter(|pr| pr.len() == xs.len());
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    idx.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let overall = median(xs).abs();
    let min_size = p
        .min_cluster
        .max((p.min_share * xs.len() as f64).ceil() as usize);
    let distinct_processes = process.map(|pr| {
        let mut v = pr.to_vec();
        v.sort_unstable();
        v.dedup();
        v.len()
    });
    let check_processes = distinct_processes.is_some_and(|d| d >= 3);

    // Split clusters (ranges of the sorted order) until no accepted split remains.
    let mut clusters = vec![(0usize, xs.len())];
    loop {
        if clusters.len() >= p.max_modes {
            break;
        }
        let mut best: Option<(usize, usize, f64)> = None; // (cluster index, split point, gap)
        for (ci, &(lo, hi)) in clusters.iter().enumerate() {
            for cut in (lo + min_size)..=(hi.saturating_sub(min_size)) {
                if cut <= lo || cut >= hi {
                    continue;
                }
                let gap = xs[idx[cut]] - xs[idx[cut - 1]];
                if best.is_none_or(|(_, _, g)| gap > g)
                    && accept(
                        xs,
                        &idx,
                        (lo, cut, hi),
                        gap,
                        overall,
                        process,
                        check_processes,
                        p,
                    )
                {
                    best = Some((ci, cut, gap));
                }
            }
        }
        match best {
            Some((ci, cut, _)) => {
                let (lo, hi) = clusters[ci];
                clusters[ci] = (lo, cut);
                clusters.insert(ci + 1, (cut, hi));
            }
            None => break,
        }
    }
    if clusters.len() < 2 {
        return None;
    }
    let n = xs.len() as f64;
    Some(
        clusters
            .iter()
            .map(|&(lo, hi)| {
                let vals: Vec<f64> = idx[lo..hi].iter().map(|&i| xs[i]).collect();
                Mode {
                    center: median(&vals),
                    weight: vals.len() as f64 / n,
                }
            })
            .collect(),
    )
}

#[allow(clippy::too_many_arguments)]
fn accept(
    xs: &[f64],
    idx: &[usize],
    (lo, cut, hi): (usize, usize, usize),
    gap: f64,
    overall: f64,
    process: Option<&[u32]>,
    check_processes: bool,
    p: &Params,
) -> bool {
    if gap <= 0.0 || gap < p.min_rel_gap * overall {
        return false;
    }
    let left: Vec<f64> = idx[lo..cut].iter().map(|&i| xs[i]).collect();
    let right: Vec<f64> = idx[cut..hi].iter().map(|&i| xs[i]).collect();
    // A floor on σ so that clusters of identical values (clock granularity) are not
    // "infinitely" separated by a tiny gap.
    let floor = 0.002 * overall;
    let sigma = |v: &[f64]| (1.4826 * mad(v)).max(floor);
    if gap < p.gap_sigmas * sigma(&left).max(sigma(&right)) {
        return false;
    }
    if check_processes && let Some(pr) = process {
        let spans = |range: &[usize]| {
            let mut v: Vec<u32> = range.iter().map(|&i| pr[i]).collect();
            v.sort_unstable();
            v.dedup();
            v.len()
        };
        if spans(&idx[lo..cut]) < 2 || spans(&idx[cut..hi]) < 2 {
            return false;
        }
    }
    true
}
