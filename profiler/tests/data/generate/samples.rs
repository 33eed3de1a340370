//! Noise, samples and the plain records (environment, commit) of the fixtures.

use super::*;

pub struct Noise(pub SplitMix64);

impl Noise {
    pub fn uniform(&mut self) -> f64 {
        ((self.0.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

pub const PROCESSES: u32 = 5;
pub const SAMPLES: u32 = 6;

/// Seven significant digits: what a real timer resolves, and exact through JSON.
pub fn sig(x: f64) -> f64 {
    format!("{x:.6e}").parse().unwrap()
}

pub fn summary_of(xs: &[f64]) -> Summary {
    let n = xs.len();
    let mut s = xs.to_vec();
    let median = median_in_place(&mut s);
    s.sort_by(f64::total_cmp);
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
    let mut dev: Vec<f64> = xs.iter().map(|x| (x - median).abs()).collect();
    let mad = median_in_place(&mut dev);
    let q = |p: f64| {
        let h = (n - 1) as f64 * p;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        s[lo] + (h - lo as f64) * (s[hi] - s[lo])
    };
    let (q1, q3) = (q(0.25), q(0.75));
    let iqr = q3 - q1;
    let outliers = xs
        .iter()
        .filter(|&&x| x < q1 - 1.5 * iqr || x > q3 + 1.5 * iqr)
        .count() as u32;
    let half = 1.2533 * var.sqrt() / (n as f64).sqrt() * 1.96;
    Summary {
        n: n as u32,
        median: sig(median),
        mean: sig(mean),
        stddev: sig(var.sqrt()),
        min: s[0],
        max: s[n - 1],
        mad: sig(mad),
        ci95: [sig(median - half), sig(median + half)],
        outliers,
    }
}

pub fn sampled(unit: &str, better: Better, xs: Vec<f64>, procs: Vec<u32>) -> Metric {
    let xs: Vec<f64> = xs.into_iter().map(sig).collect();
    Metric {
        unit: unit.into(),
        better,
        kind: MetricKind::Sampled,
        derived_from: None,
        summary: summary_of(&xs),
        samples: Some(xs),
        process: Some(procs),
        modes: None,
    }
}

pub fn deterministic(unit: &str, better: Better, v: f64) -> Metric {
    Metric {
        unit: unit.into(),
        better,
        kind: MetricKind::Deterministic,
        derived_from: None,
        samples: None,
        process: None,
        summary: Summary {
            n: 1,
            median: v,
            mean: v,
            stddev: 0.0,
            min: v,
            max: v,
            mad: 0.0,
            ci95: [v, v],
            outliers: 0,
        },
        modes: None,
    }
}

pub fn env(simd: &str) -> Env {
    Env {
        cpu_model: "AMD EPYC 9R45 (Zen 5)".into(),
        logical_cores: 2,
        simd_tier: simd.into(),
        threads: 1,
        os: "linux x86_64".into(),
        kernel: "6.12.48".into(),
        rustc: "rustc 1.95.0 (59807616e 2026-04-14)".into(),
        profile: "release".into(),
        fingerprint: format!(
            "{:016x}",
            seed_for(&format!("zen5-2-{simd}-1-1.95.0-release"))
        ),
    }
}

pub fn commit(sha: &str, subject: &str, time: &str) -> CommitInfo {
    CommitInfo {
        sha: sha.into(),
        short: sha[..10].into(),
        dirty: false,
        branch: Some("main".into()),
        subject: subject.into(),
        time: time.into(),
        stale: false,
    }
}
