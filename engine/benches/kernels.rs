//! Kernel benchmarks, every available tier side by side (ids `<op>/<tier>/<size>`).
//!
//! Run: `cargo bench -p smallmind --bench kernels` (single thread; the kernels
//! themselves never spawn threads). `scripts/bench_peers_ops.py` runs this and
//! NumPy on the same ops and prints the ratios.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use smallmind::Tier;
use smallmind::kernels::attention::{self, AttnShape};
use smallmind::kernels::broadcast;
use smallmind::kernels::elementwise::{self, BinOp};
use smallmind::kernels::{gelu, softmax};
use smallmind::rng::Rng;
use std::hint::black_box;

fn randn(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.normal()).collect()
}

fn gelu_benches(c: &mut Criterion) {
    for (name, f) in [
        (
            "gelu_tanh",
            gelu::gelu_tanh_with as fn(Tier, &[f32], &mut [f32]) -> _,
        ),
        ("gelu_erf", gelu::gelu_erf_with),
    ] {
        let mut g = c.benchmark_group(name);
        for n in [1_000usize, 10_000, 100_000, 1_000_000] {
            let x = randn(n, 1);
            let mut out = vec![0.0f32; n];
            g.throughput(Throughput::Elements(n as u64));
            for tier in Tier::available() {
                g.bench_with_input(BenchmarkId::new(tier.as_str(), n), &n, |b, _| {
                    b.iter(|| f(tier, black_box(&x), black_box(&mut out)).unwrap())
                });
            }
        }
        g.finish();
    }
}

fn softmax_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("softmax");
    for rows in [1usize, 64] {
        for cols in [256usize, 512, 1024, 2048] {
            let x = randn(rows * cols, 2);
            let mut out = vec![0.0f32; rows * cols];
            for tier in Tier::available() {
                let id = BenchmarkId::new(tier.as_str(), format!("{rows}x{cols}"));
                g.bench_with_input(id, &cols, |b, &cols| {
                    b.iter(|| {
                        softmax::softmax_rows_with(tier, black_box(&x), black_box(&mut out), cols)
                            .unwrap()
                    })
                });
            }
        }
    }
    g.finish();
}

fn elementwise_benches(c: &mut Criterion) {
    let n = 10_000;
    let (a, b) = (randn(n, 3), randn(n, 4));
    let mut out = vec![0.0f32; n];
    for (name, op) in [("add", BinOp::Add), ("mul", BinOp::Mul)] {
        let mut g = c.benchmark_group(name);
        for tier in Tier::available() {
            g.bench_with_input(BenchmarkId::new(tier.as_str(), n), &op, |bch, &op| {
                bch.iter(|| {
                    let (a, b) = (black_box(&a), black_box(&b));
                    match op {
                        BinOp::Mul => elementwise::mul_with(tier, a, b, &mut out),
                        _ => elementwise::add_with(tier, a, b, &mut out),
                    }
                    .unwrap()
                })
            });
        }
        g.finish();
    }
    // The memory floor under add 10K: copying one input into the output (glibc's
    // memcpy: 40 KB read, 40 KB written with its read-for-ownership). Above L1, an
    // out-of-place add, which reads twice as much, cannot beat it.
    let mut g = c.benchmark_group("memory_floor");
    g.bench_function(BenchmarkId::new("copy", n), |bch| {
        bch.iter(|| out.copy_from_slice(black_box(&a)))
    });
    g.finish();
    // x (100, 100) + row (100,) into an existing buffer.
    let (rows, cols) = (100, 100);
    let x = randn(rows * cols, 5);
    let row = randn(cols, 6);
    let mut out = vec![0.0f32; rows * cols];
    let mut g = c.benchmark_group("broadcast_add");
    for tier in Tier::available() {
        g.bench_function(BenchmarkId::new(tier.as_str(), "100x100"), |bch| {
            bch.iter(|| {
                broadcast::row_with(tier, BinOp::Add, black_box(&x), black_box(&row), &mut out)
                    .unwrap()
            })
        });
    }
    g.finish();
}

/// Causal self-attention at the two training shapes, forward then backward, as a
/// training step runs them: with the caches first flushed by writing 64 MiB, since
/// in a step a layer's Q, K, V and the saved probabilities come from L3 or DRAM.
/// SIMD tiers only (the scalar body is the specification, ~20× slower).
fn attention_benches(c: &mut Criterion) {
    let mut flush = vec![0u8; 64 << 20];
    for (model, (batch, seq, channels, heads)) in
        [("small", (32, 64, 128, 4)), ("medium", (8, 256, 256, 8))]
    {
        let s = AttnShape {
            batch,
            seq,
            channels,
            heads,
        };
        let qkv = randn(batch * seq * 3 * channels, 7);
        let dout = randn(batch * seq * channels, 8);
        let mut att = vec![0.0f32; batch * heads * seq * seq];
        let mut out = vec![0.0f32; batch * seq * channels];
        let mut dqkv = vec![0.0f32; qkv.len()];
        let mut scratch = vec![0.0f32; s.scratch_len()];
        let mut g = c.benchmark_group("attention_step");
        g.sample_size(20);
        for tier in Tier::available().into_iter().filter(|&t| t != Tier::Scalar) {
            g.bench_function(BenchmarkId::new(tier.as_str(), model), |b| {
                b.iter_batched(
                    || {
                        flush
                            .iter_mut()
                            .step_by(64)
                            .for_each(|x| *x = x.wrapping_add(1))
                    },
                    |()| {
                        attention::causal_attention_for_backward_with(
                            tier,
                            &qkv,
                            &mut att,
                            &mut out,
                            s,
                            &mut scratch,
                        )
                        .unwrap();
                        attention::causal_attention_backward_overwrite_with(
                            tier,
                            &dout,
                            &qkv,
                            &att,
                            &mut dqkv,
                            s,
                            &mut scratch,
                        )
                        .unwrap();
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        g.finish();
    }
}

/// One query over a KV cache at the decoder's shapes (small: 4 heads of 32, context
/// 64; medium: 8 heads, context 512), 24 cached positions, every tier; warm caches.
fn attend_cached_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("attend_cached");
    for (model, heads, positions) in [("small", 4, 64), ("medium", 8, 512)] {
        let (n, ch) = (24, heads * 32);
        let q = randn(ch, 9);
        let (k, v) = (randn(ch * positions, 10), randn(ch * positions, 11));
        let (mut scores, mut out) = (vec![0.0f32; heads * n], vec![0.0f32; ch]);
        for tier in Tier::available() {
            g.bench_function(BenchmarkId::new(tier.as_str(), model), |b| {
                b.iter(|| {
                    attention::attend_cached_with(
                        tier,
                        black_box(&q),
                        &k,
                        &v,
                        heads,
                        positions,
                        n,
                        &mut scores,
                        &mut out,
                    )
                    .unwrap()
                })
            });
        }
    }
    g.finish();
}

criterion_group!(
    benches,
    attend_cached_benches,
    gelu_benches,
    softmax_benches,
    elementwise_benches,
    attention_benches
);
criterion_main!(benches);
