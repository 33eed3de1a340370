//! Merging the results of interleaved rounds (one fresh process each) into one
//! result per side: samples are concatenated and tagged with their round, so the
//! comparison's hierarchical bootstrap treats rounds as it treats processes.

use crate::error::{Error, Result};
use crate::result::{Metric, MetricKind, RunResult, Summary};
use crate::stats::hierarchical::median_in_place;
use crate::stats::rng::SplitMix64;

/// Merge `rounds` (same commit, same settings) into one result; workloads missing
/// from any round are dropped (they cannot be compared round for round).
pub fn merge_rounds(rounds: &[RunResult]) -> Result<RunResult> {
    let first = rounds.first().ok_or_else(|| Error::Other {
        what: "merging rounds".into(),
        reason: "no round was measured".into(),
    })?;
    let mut out = first.clone();
    out.workloads
        .retain(|w| rounds.iter().all(|r| r.workload(&w.name).is_some()));
    for w in &mut out.workloads {
        for (name, metric) in &mut w.metrics {
            let parts: Vec<&Metric> = rounds
                .iter()
                .filter_map(|r| r.workload(&w.name).and_then(|x| x.metrics.get(name)))
                .collect();
            *metric = merge_metric(&parts);
        }
        // Per-op attribution is per operation: average it over rounds.
        for (op, fig) in &mut w.ops {
            let figs: Vec<_> = rounds
                .iter()
                .filter_map(|r| r.workload(&w.name).and_then(|x| x.ops.get(op)))
                .collect();
            let n = figs.len() as f64;
            fig.calls = figs.iter().map(|f| f.calls).sum::<f64>() / n;
            fig.time_ns = figs.iter().map(|f| f.time_ns).sum::<f64>() / n;
            fig.alloc_bytes = figs.iter().map(|f| f.alloc_bytes).sum::<f64>() / n;
        }
    }
    out.settings.processes = rounds.len() as u32;
    for (k, v) in &mut out.durations_s {
        *v = rounds.iter().filter_map(|r| r.durations_s.get(k)).sum();
    }
    Ok(out)
}

fn merge_metric(parts: &[&Metric]) -> Metric {
    let mut m = parts[0].clone();
    match m.kind {
        MetricKind::Sampled | MetricKind::Derived => {
            let mut samples = Vec::new();
            let mut process = Vec::new();
            for (round, p) in parts.iter().enumerate() {
                let xs = p.samples.as_deref().unwrap_or(&[]);
                samples.extend_from_slice(xs);
                process.extend(std::iter::repeat_n(round as u32, xs.len()));
            }
            m.summary = summarize(&samples);
            m.samples = Some(samples);
            m.process = Some(process);
            // Modes were found per round; they do not survive merging.
            m.modes = None;
        }
        MetricKind::Deterministic => {
            let mut values: Vec<f64> = parts.iter().map(|p| p.value()).collect();
            let v = median_in_place(&mut values);
            m.summary = Summary {
                n: 1,
                median: v,
                mean: v,
                stddev: 0.0,
                min: v,
                max: v,
                mad: 0.0,
                ci95: [v, v],
                outliers: 0,
            };
        }
    }
    m
}

/// Summary statistics of samples; the median's 95 % interval by a seeded bootstrap.
pub fn summarize(xs: &[f64]) -> Summary {
    if xs.is_empty() {
        return Summary {
            n: 0,
            median: 0.0,
            mean: 0.0,
            stddev: 0.0,
            min: 0.0,
            max: 0.0,
            mad: 0.0,
            ci95: [0.0, 0.0],
            outliers: 0,
        };
    }
    let n = xs.len();
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = median_in_place(&mut sorted.clone());
    let mean = xs.iter().sum::<f64>() / n as f64;
    let stddev = if n > 1 {
        (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let mut dev: Vec<f64> = xs.iter().map(|x| (x - median).abs()).collect();
    let mad = median_in_place(&mut dev);
    let q = |p: f64| {
        let pos = p * (n - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
    };
    let (q1, q3) = (q(0.25), q(0.75));
    let iqr = q3 - q1;
    let outliers = xs
        .iter()
        .filter(|&&x| x < q1 - 1.5 * iqr || x > q3 + 1.5 * iqr)
        .count() as u32;
    let mut rng = SplitMix64(0x6d65_7267_6564 ^ n as u64);
    let mut meds = Vec::with_capacity(1000);
    let mut buf = vec![0.0; n];
    for _ in 0..1000 {
        for b in buf.iter_mut() {
            *b = xs[(rng.next_u64() % n as u64) as usize];
        }
        meds.push(median_in_place(&mut buf));
    }
    meds.sort_by(f64::total_cmp);
    Summary {
        n: n as u32,
        median,
        mean,
        stddev,
        min: sorted[0],
        max: sorted[n - 1],
        mad,
        ci95: [meds[24], meds[974]],
        outliers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_known_samples() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0, 100.0]);
        assert_eq!(
            (s.n, s.median, s.min, s.max, s.mad),
            (5, 3.0, 1.0, 100.0, 1.0)
        );
        assert_eq!(s.outliers, 1);
        assert!((s.mean - 22.0).abs() < 1e-12);
        assert!(s.ci95[0] <= 3.0 && s.ci95[1] >= 3.0);
    }
}
