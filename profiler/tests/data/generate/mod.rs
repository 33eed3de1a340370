//! The generator of the checked-in comparison fixtures (`tests/data/*.json`).
//!
//! Realistic and deterministic: every workload of the catalogue with
//! per-operation samples from 5 worker processes × 6 samples, log-normal noise
//! (2 % within a process, 1 % between processes, an occasional 15 % outlier),
//! derived throughputs computed per sample, deterministic allocation figures,
//! and per-op attribution for the composite workloads. `compare_fixtures.rs`
//! checks the files match; `SMPROF_REGENERATE_FIXTURES=1 cargo test -p smprof
//! --test integration compare_fixtures` rewrites them.

#![allow(dead_code)]

use smprof::result::{
    Better, CommitInfo, Env, Metric, MetricKind, Mode, OpFigures, RunResult, RunSettings, Summary,
    Tool, WorkloadResult,
};
use smprof::stats::hierarchical::{median_in_place, seed_for};
use smprof::stats::rng::SplitMix64;
use std::collections::BTreeMap;

pub const BASE_SHA: &str = "3f9c2a71d4e85b06c1a9f2e37d58b4c0a6e19d27";
pub const HEAD_SHA: &str = "b71e04c95a2d3f68e0c4b19a7d25f83e6c0a4b19";

mod samples;
mod specs;

use samples::*;
pub use specs::*;

/// One side of a scenario. `current == false` gives the baseline.
pub fn result(scenario: Scenario, current: bool, seed: &str) -> RunResult {
    let mut noise = Noise(SplitMix64::new(seed_for(seed)));
    let mut workloads = Vec::new();
    for spec in specs() {
        // The mixed scenario retires train/gpt_small and adds softmax/4096.
        if scenario == Scenario::Mixed && current && spec.name == "train/gpt_small" {
            continue;
        }
        let factor = if current {
            workload_factor(scenario, &spec)
        } else {
            1.0
        };
        let median = spec.time_ns * factor;
        // tensor/broadcast in the mixed current run and matmul/128 in the slow
        // sgemm run: two clusters (bimodal).
        let bimodal = current
            && ((scenario == Scenario::Mixed && spec.name == "tensor/broadcast_100x100")
                || (scenario == Scenario::MatmulSlow && spec.name == "matmul/128"));
        let mut xs = Vec::new();
        let mut procs = Vec::new();
        for p in 0..PROCESSES {
            let level = 0.01 * noise.normal();
            for _ in 0..SAMPLES {
                let mut x = median * (level + 0.02 * noise.normal()).exp();
                if noise.uniform() < 0.05 {
                    x *= 1.15;
                }
                if bimodal && p % 2 == 1 {
                    x *= 1.45;
                }
                xs.push(x);
                procs.push(p);
            }
        }
        let mut metrics = BTreeMap::new();
        if let Some((name, unit, work)) = spec.throughput {
            let ys: Vec<f64> = xs.iter().map(|t| work / (t * 1e-9)).collect();
            let mut m = sampled(unit, Better::Higher, ys, procs.clone());
            m.kind = MetricKind::Derived;
            m.derived_from = Some("time_ns".into());
            metrics.insert(name.to_string(), m);
        }
        if let Some((name, units)) = spec.per_unit {
            let ys: Vec<f64> = xs.iter().map(|t| t / units).collect();
            let mut m = sampled("ns", Better::Lower, ys, procs.clone());
            m.kind = MetricKind::Derived;
            m.derived_from = Some("time_ns".into());
            metrics.insert(name.to_string(), m);
        }
        // The ops a seeded run attributes: a kernel is its own op, one call per operation.
        let own_op = [(kernel_op_of(spec.name), 1.0)];
        let ops_of: &[(&str, f64)] = if !spec.ops.is_empty() {
            spec.ops
        } else if scenario.seeded() {
            &own_op
        } else {
            &[]
        };
        let calls_of = |share: f64| {
            if spec.ops.is_empty() {
                1.0
            } else {
                (share * 400.0).round()
            }
        };
        // Bytes the scenario adds per operation of the workload.
        let added: f64 = if current {
            ops_of
                .iter()
                .map(|(op, share)| calls_of(*share) * op_extra_bytes(scenario, op))
                .sum()
        } else {
            0.0
        };
        if scenario.seeded() && spec.suite == "code" {
            let bytes = spec.alloc_bytes.unwrap_or(0.0) + added;
            metrics.insert(
                "alloc_bytes".into(),
                deterministic("B", Better::Lower, bytes),
            );
            metrics.insert(
                "alloc_count".into(),
                deterministic("allocs", Better::Lower, (bytes / 16_384.0).ceil()),
            );
            metrics.insert(
                "peak_bytes".into(),
                deterministic("B", Better::Lower, bytes * 0.75),
            );
        }
        if let Some(bytes) = spec.alloc_bytes {
            let bytes = bytes + if spec.suite == "alloc" { added } else { 0.0 };
            // The mixed change adds a copy to the backward pass.
            let extra = if scenario == Scenario::Mixed
                && current
                && spec.suite == "alloc"
                && spec.name.starts_with("matmul_backward")
            {
                1.5
            } else {
                1.0
            };
            if spec.suite == "alloc" {
                let count = (bytes / 16_384.0).round() * extra;
                metrics.insert(
                    "alloc_bytes".into(),
                    deterministic("B", Better::Lower, bytes * extra),
                );
                metrics.insert(
                    "alloc_count".into(),
                    deterministic("allocs", Better::Lower, count),
                );
                metrics.insert(
                    "peak_bytes".into(),
                    deterministic("B", Better::Lower, bytes * 0.75 * extra),
                );
                // What the same operation allocates with the pool disabled.
                let reduction = if extra > 1.0 {
                    0.353
                } else {
                    spec.pool_reduction.unwrap_or(0.0)
                };
                let unpooled = (bytes * extra / (1.0 - reduction)).round();
                metrics.insert(
                    "alloc_bytes_unpooled".into(),
                    deterministic("B", Better::Lower, unpooled),
                );
                metrics.insert(
                    "alloc_count_unpooled".into(),
                    deterministic("allocs", Better::Lower, (unpooled / 16_384.0).round()),
                );
            } else {
                metrics.insert(
                    "alloc_bytes_per_token".into(),
                    deterministic(
                        "B",
                        Better::Lower,
                        (bytes + if current { added } else { 0.0 }) / 25.0,
                    ),
                );
            }
        }
        if let Some(r) = spec.pool_reduction {
            let r = if scenario == Scenario::Mixed
                && current
                && spec.name.starts_with("matmul_backward")
            {
                0.353
            } else {
                r
            };
            metrics.insert(
                "pool_reduction".into(),
                deterministic("ratio", Better::Higher, r),
            );
        }
        let mut time = sampled("ns", Better::Lower, xs, procs);
        if bimodal {
            time.modes = Some(vec![
                Mode {
                    center: median,
                    weight: 0.6,
                },
                Mode {
                    center: median * 1.45,
                    weight: 0.4,
                },
            ]);
        }
        // Extra copies in the backward pass cost time as well.
        if scenario == Scenario::Mixed
            && current
            && spec.name.starts_with("matmul_backward")
            && let Some(s) = time.samples.as_mut()
        {
            for x in s.iter_mut() {
                *x = sig(*x * 1.12);
            }
            time.summary = summary_of(s);
        }
        let time_median = time.summary.median;
        metrics.insert("time_ns".into(), time);
        let ops = ops_of
            .iter()
            .map(|(op, share)| {
                let f = if !current {
                    1.0
                } else if spec.ops.is_empty() {
                    factor
                } else {
                    op_factor(scenario, op)
                };
                let t = spec.time_ns * share * f;
                let calls = calls_of(*share);
                let extra = if current {
                    calls * op_extra_bytes(scenario, op)
                } else {
                    0.0
                };
                (
                    op.to_string(),
                    OpFigures {
                        calls,
                        time_ns: (t * time_median / median).round(),
                        alloc_bytes: (spec.alloc_bytes.unwrap_or(0.0) * share + extra).round(),
                    },
                )
            })
            .collect();
        workloads.push(WorkloadResult {
            name: spec.name.into(),
            suite: spec.suite.into(),
            group: spec.name.split('/').next().unwrap_or("").into(),
            metrics,
            ops,
        });
    }
    if scenario == Scenario::Mixed && current {
        let mut noise2 = Noise(SplitMix64::new(seed_for("softmax/4096")));
        let xs: Vec<f64> = (0..PROCESSES * SAMPLES)
            .map(|_| 2_650.0 * (0.02 * noise2.normal()).exp())
            .collect();
        let procs = (0..PROCESSES)
            .flat_map(|p| std::iter::repeat_n(p, SAMPLES as usize))
            .collect();
        let mut metrics = BTreeMap::new();
        metrics.insert("time_ns".into(), sampled("ns", Better::Lower, xs, procs));
        workloads.insert(
            12,
            WorkloadResult {
                name: "softmax/4096".into(),
                suite: "code".into(),
                group: "softmax".into(),
                metrics,
                ops: BTreeMap::new(),
            },
        );
    }
    let (sha, subject, time) = match (scenario, current) {
        (Scenario::Mixed, true) => (
            HEAD_SHA,
            "softmax: *online* max | sum in one pass <fused> [#42]",
            "2026-11-20T17:05:12Z",
        ),
        (s, true) if s.seeded() => (
            HEAD_SHA,
            match s {
                Scenario::GeluAlloc => "gelu: tanh table in a scratch buffer",
                Scenario::MatmulSlow => "sgemm: narrower micro-kernel",
                Scenario::SoftmaxLong => "softmax: two passes over long rows",
                Scenario::LayerNormSlow => "layer_norm: variance in f64",
                _ => "move kernels into their own modules",
            },
            "2026-11-20T17:05:12Z",
        ),
        _ => (
            BASE_SHA,
            "matmul: pack B panels once per call",
            "2026-11-19T09:41:03Z",
        ),
    };
    let mut durations_s = BTreeMap::new();
    durations_s.insert("code".to_string(), if current { 97.4 } else { 95.8 });
    durations_s.insert("alloc".to_string(), 4.2);
    RunResult {
        schema_version: smprof::result::SCHEMA_VERSION,
        tool: Tool {
            name: "smprof".into(),
            version: "0.1.0".into(),
            source_hash: None,
        },
        created_at: if current {
            "2026-11-20T17:20:44Z"
        } else {
            "2026-11-19T10:02:31Z"
        }
        .into(),
        commit: Some(commit(sha, subject, time)),
        env: env(if scenario == Scenario::Scalar && current {
            "scalar"
        } else {
            "avx512"
        }),
        settings: RunSettings {
            mode: "default".into(),
            processes: PROCESSES,
            samples_per_process: SAMPLES,
            suites: vec!["code".into(), "alloc".into()],
            filter: None,
            metric_mode: "time".into(),
            pairing: None,
            paired_samples: false,
        },
        durations_s,
        workloads,
    }
}

/// The op a kernel workload benchmarks.
fn kernel_op_of(name: &str) -> &'static str {
    match name.split('/').next().unwrap_or("") {
        "matmul" => "matmul",
        "gelu" => "gelu",
        "softmax" => "softmax",
        _ if name.starts_with("tensor/mul") => "mul",
        _ => "add",
    }
}

/// Every fixture file: (file name, result).
pub fn fixtures() -> Vec<(&'static str, RunResult)> {
    vec![
        (
            "seeded_base.json",
            result(Scenario::GeluAlloc, false, "seeded-base"),
        ),
        (
            "seeded_gelu_alloc.json",
            result(Scenario::GeluAlloc, true, "seeded-gelu"),
        ),
        (
            "seeded_matmul_slow.json",
            result(Scenario::MatmulSlow, true, "seeded-matmul"),
        ),
        (
            "seeded_softmax_long.json",
            result(Scenario::SoftmaxLong, true, "seeded-softmax"),
        ),
        (
            "seeded_layer_norm.json",
            result(Scenario::LayerNormSlow, true, "seeded-layer-norm"),
        ),
        (
            "seeded_layout.json",
            result(Scenario::LayoutOnly, true, "seeded-layout"),
        ),
        ("baseline.json", result(Scenario::Mixed, false, "base")),
        ("current.json", result(Scenario::Mixed, true, "head")),
        ("aa_first.json", result(Scenario::Same, false, "aa-1")),
        ("aa_second.json", result(Scenario::Same, true, "aa-2")),
        (
            "scalar_avx512.json",
            result(Scenario::Scalar, false, "simd-1"),
        ),
        (
            "scalar_scalar.json",
            result(Scenario::Scalar, true, "simd-2"),
        ),
    ]
}
