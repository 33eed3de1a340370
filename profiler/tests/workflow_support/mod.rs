//! The measurement double of the workflow tests (as hyperfine tests its loop
//! with a mock executor): stored runs with ±1 % spread, and both builds
//! measured in lockstep with a shared random spell per round.
#![allow(dead_code)] // each test file uses part of it

use smprof::decision::PairMeasurer;
use smprof::result::RunResult;
use smprof::stats::rng::SplitMix64;
use smprof::store::Resolved;
use std::collections::BTreeMap;

/// A time result: per workload, per-round samples; `pairing` marks lockstep sides.
pub fn result(workloads: &[(&str, Vec<Vec<f64>>)], pairing: Option<&str>) -> RunResult {
    let ws: Vec<serde_json::Value> = workloads
        .iter()
        .map(|(name, rounds)| {
            let samples: Vec<f64> = rounds.iter().flatten().copied().collect();
            let process: Vec<u32> = rounds
                .iter()
                .enumerate()
                .flat_map(|(i, r)| std::iter::repeat_n(i as u32, r.len()))
                .collect();
            let mut sorted = samples.clone();
            sorted.sort_by(f64::total_cmp);
            let med = sorted[sorted.len() / 2];
            serde_json::json!({"name": name, "suite": "code",
                "group": name.split('/').next().unwrap(),
                "metrics": {"time_ns": {"unit": "ns", "better": "lower", "kind": "sampled",
                    "samples": samples, "process": process,
                    "summary": {"n": sorted.len(), "median": med, "mean": med, "stddev": 0.0,
                        "min": sorted[0], "max": sorted[sorted.len() - 1], "mad": 0.0,
                        "ci95": [med, med], "outliers": 0}}}})
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "schema_version": 1,
        "tool": {"name": "smprof", "version": "0"},
        "created_at": "2026-12-06T00:00:00Z",
        "commit": null,
        "env": {"cpu_model": "x", "logical_cores": 2, "simd_tier": "avx512", "threads": 1,
                "os": "linux", "kernel": "6", "rustc": "1.95", "profile": "release",
                "fingerprint": "f"},
        "settings": {"mode": "default", "processes": 3, "samples_per_process": 4,
                     "suites": ["code"], "filter": null, "metric_mode": "time",
                     "pairing": pairing, "paired_samples": pairing.is_some()},
        "durations_s": {},
        "workloads": ws
    }))
    .unwrap()
}

/// Stored runs: three processes of four samples at `level` each, ±1 %.
pub fn stored(levels: &[(&str, f64)]) -> Resolved {
    let ws: Vec<(&str, Vec<Vec<f64>>)> = levels
        .iter()
        .map(|(n, l)| {
            let rounds = (0..3)
                .map(|p| {
                    (0..4)
                        .map(|i| l * (1.0 + 0.01 * (((p * 4 + i) as f64) * 1.7).sin()))
                        .collect()
                })
                .collect();
            (*n, rounds)
        })
        .collect();
    Resolved {
        reference: "x".into(),
        path: "x.json".into(),
        result: result(&ws, None),
    }
}

/// Both builds in lockstep: a round shares a random spell (1.0–1.4×); the
/// current build costs `ratio` × the baseline; each sample has 2 % noise.
#[derive(Debug)]
pub struct Fake {
    pub ratio: BTreeMap<String, f64>,
    rng: SplitMix64,
    pub calls: Vec<(Vec<String>, u32)>,
}

impl Fake {
    pub fn new(ratios: &[(&str, f64)]) -> Fake {
        Fake {
            ratio: ratios.iter().map(|(w, r)| (w.to_string(), *r)).collect(),
            rng: SplitMix64::new(42),
            calls: Vec::new(),
        }
    }
}

impl PairMeasurer for Fake {
    fn measure(
        &mut self,
        workloads: &[String],
        rounds: u32,
    ) -> smprof::Result<(RunResult, RunResult)> {
        self.calls.push((workloads.to_vec(), rounds));
        let (mut b, mut c) = (Vec::new(), Vec::new());
        for w in workloads {
            let (mut rb, mut rc) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let spell = 1.0 + 0.4 * self.rng.unit();
                let (mut xb, mut xc) = (Vec::new(), Vec::new());
                for _ in 0..4 {
                    xb.push(1000.0 * spell * (1.0 + 0.02 * self.rng.normal()));
                    xc.push(1000.0 * spell * self.ratio[w] * (1.0 + 0.02 * self.rng.normal()));
                }
                rb.push(xb);
                rc.push(xc);
            }
            b.push((w.as_str(), rb));
            c.push((w.as_str(), rc));
        }
        Ok((result(&b, Some("fake")), result(&c, Some("fake"))))
    }
}
