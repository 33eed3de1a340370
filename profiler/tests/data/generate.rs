//! The generator of the checked-in comparison fixtures (`tests/data/*.json`).
//!
//! Realistic and deterministic: every workload of the catalogue with
//! per-operation samples from 5 worker processes × 6 samples, log-normal noise
//! (2 % within a process, 1 % between processes, an occasional 15 % outlier),
//! derived throughputs computed per sample, deterministic allocation figures,
//! and per-op attribution for the composite workloads. `compare_fixtures.rs`
//! checks the files match; `SMPROF_REGENERATE_FIXTURES=1 cargo test -p smprof
//! --test compare_fixtures` rewrites them.

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

/// What one workload costs and how a scenario scales it.
struct Spec {
    name: &'static str,
    suite: &'static str,
    /// Median time per operation, ns.
    time_ns: f64,
    /// Derived throughput: (metric, unit, work per op).
    throughput: Option<(&'static str, &'static str, f64)>,
    /// Derived latency per unit (metric, units per op).
    per_unit: Option<(&'static str, f64)>,
    /// Allocated bytes per operation (allocation pass).
    alloc_bytes: Option<f64>,
    /// Pool reduction (0–1) for alloc-suite workloads.
    pool_reduction: Option<f64>,
    /// Per-op share of time (composite workloads).
    ops: &'static [(&'static str, f64)],
}

const MODEL_OPS: &[(&str, f64)] = &[
    ("matmul", 0.68),
    ("attention", 0.10),
    ("gelu", 0.07),
    ("layer_norm", 0.05),
    ("softmax", 0.04),
    ("embedding", 0.02),
    ("add", 0.02),
    ("other", 0.02),
];
const TRAIN_OPS: &[(&str, f64)] = &[
    ("matmul", 0.62),
    ("optimizer", 0.14),
    ("gelu", 0.08),
    ("add", 0.06),
    ("cross_entropy", 0.05),
    ("other", 0.05),
];

fn specs() -> Vec<Spec> {
    let kernel = |name, time_ns, tp: (&'static str, &'static str, f64)| Spec {
        name,
        suite: "code",
        time_ns,
        throughput: Some(tp),
        per_unit: None,
        alloc_bytes: None,
        pool_reduction: None,
        ops: &[],
    };
    let mm = |n: f64| ("gflops", "GFLOP/s", 2.0 * n * n * n * 1e-9);
    let el = |n: f64| ("elements_per_s", "elem/s", n);
    vec![
        kernel("matmul/128", 41_300.0, mm(128.0)),
        kernel("matmul/256", 262_000.0, mm(256.0)),
        kernel("matmul/512", 1_930_000.0, mm(512.0)),
        kernel("matmul/1024", 15_800_000.0, mm(1024.0)),
        kernel("gelu/1k", 1_210.0, el(1e3)),
        kernel("gelu/10k", 10_900.0, el(1e4)),
        kernel("gelu/100k", 108_000.0, el(1e5)),
        kernel("gelu/1m", 1_150_000.0, el(1e6)),
        kernel("softmax/256", 310.0, el(256.0)),
        kernel("softmax/512", 560.0, el(512.0)),
        kernel("softmax/1024", 1_070.0, el(1024.0)),
        kernel("softmax/2048", 2_090.0, el(2048.0)),
        kernel("tensor/add_10k", 2_400.0, el(1e4)),
        kernel("tensor/mul_10k", 2_450.0, el(1e4)),
        kernel("tensor/broadcast_100x100", 3_100.0, el(1e4)),
        Spec {
            name: "model/small",
            suite: "code",
            time_ns: 9_800_000.0,
            throughput: Some(("tokens_per_s", "tok/s", 25.0)),
            per_unit: Some(("latency_per_token_ns", 25.0)),
            alloc_bytes: Some(25.0 * 4_096.0),
            pool_reduction: None,
            ops: MODEL_OPS,
        },
        Spec {
            name: "model/medium",
            suite: "code",
            time_ns: 52_000_000.0,
            throughput: Some(("tokens_per_s", "tok/s", 25.0)),
            per_unit: Some(("latency_per_token_ns", 25.0)),
            alloc_bytes: Some(25.0 * 12_288.0),
            pool_reduction: None,
            ops: MODEL_OPS,
        },
        Spec {
            name: "matmul_backward/128x256x128",
            suite: "alloc",
            time_ns: 1_260_000.0,
            throughput: None,
            per_unit: None,
            alloc_bytes: Some(262_144.0),
            pool_reduction: Some(0.471),
            ops: &[("matmul", 0.93), ("other", 0.07)],
        },
        Spec {
            name: "train/mlp",
            suite: "alloc",
            time_ns: 740_000.0,
            throughput: Some(("samples_per_s", "samples/s", 32.0)),
            per_unit: None,
            alloc_bytes: Some(78_400.0),
            pool_reduction: Some(0.94),
            ops: TRAIN_OPS,
        },
        Spec {
            name: "train/gpt_small",
            suite: "alloc",
            time_ns: 61_000_000.0,
            throughput: Some(("tokens_per_s", "tok/s", 512.0)),
            per_unit: None,
            alloc_bytes: Some(1_572_864.0),
            pool_reduction: Some(0.91),
            ops: TRAIN_OPS,
        },
    ]
}

/// How a scenario changes the current side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scenario {
    /// Same code, another run (A/A).
    Same,
    /// The mixed change used for the golden reports.
    Mixed,
    /// The engine forced to its scalar tier (`SMALLMIND_SIMD=scalar`).
    Scalar,
    /// Seeded: GELU allocates a 64 KiB scratch buffer on every call.
    GeluAlloc,
    /// Seeded: the sgemm kernel 20 % slower at every size (`matmul/128`
    /// unstable as well).
    MatmulSlow,
    /// Seeded: softmax slower on long rows only (1024 and 2048 elements).
    SoftmaxLong,
    /// Seeded: layer norm slower; it has no kernel benchmark, only the models call it.
    LayerNormSlow,
    /// Seeded: code moved, nothing else: a few workloads shift by a few percent
    /// (alignment), one of them past the threshold in the stored runs.
    LayoutOnly,
}

impl Scenario {
    /// The seeded scenarios carry what a real run carries: allocation figures
    /// for every workload and per-op attribution for kernels too.
    fn seeded(self) -> bool {
        matches!(
            self,
            Scenario::GeluAlloc
                | Scenario::MatmulSlow
                | Scenario::SoftmaxLong
                | Scenario::LayerNormSlow
                | Scenario::LayoutOnly
        )
    }
}

/// Bytes an op allocates per call on top of the baseline under a scenario.
fn op_extra_bytes(s: Scenario, op: &str) -> f64 {
    match (s, op) {
        (Scenario::GeluAlloc, "gelu") => 65_536.0,
        _ => 0.0,
    }
}

/// Time factor of an engine op under a scenario.
fn op_factor(s: Scenario, op: &str) -> f64 {
    match (s, op) {
        (Scenario::GeluAlloc, "gelu") => 1.18,
        (Scenario::MatmulSlow, "matmul") => 1.2,
        (Scenario::LayerNormSlow, "layer_norm") => 2.0,
        (Scenario::Scalar, "matmul") => 6.2,
        (Scenario::Scalar, "gelu") => 3.1,
        (Scenario::Scalar, "softmax") => 2.6,
        (Scenario::Scalar, "layer_norm") => 2.2,
        (Scenario::Scalar, "add" | "mul") => 2.0,
        (Scenario::Scalar, "attention") => 2.4,
        (Scenario::Mixed, "softmax") => 0.64,
        _ => 1.0,
    }
}

/// Time factor of a whole workload under a scenario.
fn workload_factor(s: Scenario, spec: &Spec) -> f64 {
    if !spec.ops.is_empty() {
        return spec.ops.iter().map(|(op, w)| w * op_factor(s, op)).sum();
    }
    let group = spec.name.split('/').next().unwrap_or("");
    match (s, spec.name) {
        (Scenario::Mixed, "gelu/1m") => 1.085,
        (Scenario::Mixed, "gelu/100k") => 1.056,
        // A 64 KiB allocation per call costs small calls most.
        (Scenario::GeluAlloc, "gelu/1k") => 2.6,
        (Scenario::GeluAlloc, "gelu/10k") => 1.3,
        (Scenario::GeluAlloc, "gelu/100k") => 1.04,
        (Scenario::GeluAlloc, "gelu/1m") => 1.01,
        (Scenario::SoftmaxLong, "softmax/1024") => 1.14,
        (Scenario::SoftmaxLong, "softmax/2048") => 1.31,
        (Scenario::SoftmaxLong, _) => 1.0,
        (Scenario::LayoutOnly, "softmax/256") => 1.07,
        (Scenario::LayoutOnly, "matmul/256") => 0.97,
        (Scenario::LayoutOnly, "gelu/10k") => 1.03,
        (Scenario::LayoutOnly, _) => 1.0,
        (Scenario::Scalar, "tensor/broadcast_100x100") => 2.1,
        (Scenario::Scalar, n) if n.starts_with("tensor/add") => op_factor(s, "add"),
        (Scenario::Scalar, n) if n.starts_with("tensor/mul") => op_factor(s, "mul"),
        _ => op_factor(s, group),
    }
}

struct Noise(SplitMix64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        ((self.0.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

const PROCESSES: u32 = 5;
const SAMPLES: u32 = 6;

/// Seven significant digits: what a real timer resolves, and exact through JSON.
fn sig(x: f64) -> f64 {
    format!("{x:.6e}").parse().unwrap()
}

fn summary_of(xs: &[f64]) -> Summary {
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

fn sampled(unit: &str, better: Better, xs: Vec<f64>, procs: Vec<u32>) -> Metric {
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

fn deterministic(unit: &str, better: Better, v: f64) -> Metric {
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

fn env(simd: &str) -> Env {
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

fn commit(sha: &str, subject: &str, time: &str) -> CommitInfo {
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
