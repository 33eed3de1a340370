//! Model-level benchmarks against the PyTorch anchors (1 thread unless
//! `SMALLMIND_THREADS` says otherwise):
//! - greedy generation of 25 tokens after an 8-token prompt with the KV cache (small, medium);
//! - one AdamW training step: small at batch 32 × 64, medium at 8 × 256;
//! - 50 AdamW steps of the MLP 256 → 256 → 256 → 10 at batch 32;
//! - one layer's causal self-attention, forward and backward, at the training
//!   shapes: the fused kernel against the per-(batch, head) sgemm path it
//!   replaced, in the same run (a ratio that survives a noisy machine);
//! - one MLP projection with GELU, forward and backward, at the training shapes:
//!   `linear_gelu` against `linear` then `gelu`, in the same run;
//! - the MLP's output projection onto the residual stream, forward and
//!   backward: `linear_residual` against `linear` then `add`, in the same run.
//!
//! `cargo bench -p smallmind --bench model`

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use smallmind::Tensor;
use smallmind::autograd::{Graph, Var};
use smallmind::nn::{Decoder, Gpt2, Gpt2Config, Mlp, Sampler, Sampling, generate_into};
use smallmind::rng::Rng;
use smallmind::train::{AdamW, AdamWConfig, TrainConfig, Trainer, optimize};
use std::hint::black_box;

fn single_thread_unless_asked() {
    if std::env::var_os("SMALLMIND_THREADS").is_none() {
        smallmind::threads::set_threads(1).expect("1 thread is valid");
    }
}

const PROMPT: [u32; 8] = [84, 104, 101, 32, 112, 114, 111, 102];

fn generation(c: &mut Criterion) {
    single_thread_unless_asked();
    let mut g = c.benchmark_group("model/generate_25_after_8");
    g.throughput(Throughput::Elements(25));
    for (name, cfg) in [
        ("small", Gpt2Config::small()),
        ("medium", Gpt2Config::medium()),
    ] {
        let model = Gpt2::new(cfg, 1).expect("model");
        let mut dec = Decoder::new(&model);
        let mut sampler = Sampler::new(Sampling::Greedy, 256).expect("sampler");
        let mut out = Vec::with_capacity(25);
        g.bench_function(name, |b| {
            b.iter(|| {
                generate_into(&model, &mut dec, &mut sampler, &PROMPT, 25, &mut out)
                    .expect("generate");
                black_box(&out);
            })
        });
    }
    g.finish();
}

fn random_batch(n: usize, seed: u64) -> (Vec<u32>, Vec<u32>) {
    let mut rng = Rng::new(seed);
    let ids: Vec<u32> = (0..n).map(|_| rng.below(256) as u32).collect();
    let targets: Vec<u32> = (0..n).map(|_| rng.below(256) as u32).collect();
    (ids, targets)
}

fn training(c: &mut Criterion) {
    single_thread_unless_asked();
    let mut g = c.benchmark_group("model/train_step");
    g.sample_size(10);
    for (name, cfg, batch, seq) in [
        ("small_32x64", Gpt2Config::small(), 32, 64),
        ("medium_8x256", Gpt2Config::medium(), 8, 256),
    ] {
        let mut tr = Trainer::new(
            Gpt2::new(cfg, 1).expect("model"),
            TrainConfig::new(batch, seq, 1000),
        )
        .expect("trainer");
        let (ids, targets) = random_batch(batch * seq, 2);
        g.throughput(Throughput::Elements((batch * seq) as u64));
        g.bench_function(name, |b| {
            b.iter(|| black_box(tr.step_on(&ids, &targets, batch).expect("step")))
        });
    }
    g.finish();
}

fn mlp(c: &mut Criterion) {
    single_thread_unless_asked();
    let mut g = c.benchmark_group("model/mlp_256_256_256_10");
    g.throughput(Throughput::Elements(50 * 32));
    let x = Tensor::randn(&[32, 256], 1.0, &mut Rng::new(3)).expect("x");
    let y: Vec<u32> = (0..32).map(|i| i % 10).collect();
    g.bench_function("adamw_50_steps_batch32", |b| {
        b.iter_batched(
            || {
                let m = Mlp::new(&[256, 256, 256, 10], 1).expect("mlp");
                let opt = AdamW::new(m.graph(), AdamWConfig::default()).expect("adamw");
                (m, opt)
            },
            |(mut m, mut opt)| {
                for _ in 0..50 {
                    let loss = m.loss(&x, &y).expect("loss");
                    black_box(optimize(m.graph_mut(), loss, &mut opt, 1e-3, None).expect("step"));
                }
                (m, opt)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// The head split, per-head sgemm attention and merge that `self_attention` fuses.
fn split_sgemm_merge(g: &mut Graph, qkv: Var, h: usize, c: usize) -> smallmind::Result<Var> {
    let q = g.split_heads(qkv, h, 0, c)?;
    let k = g.split_heads(qkv, h, c, c)?;
    let v = g.split_heads(qkv, h, 2 * c, c)?;
    let y = g.attention(q, k, v)?;
    g.merge_heads(y)
}

fn attention(c: &mut Criterion) {
    single_thread_unless_asked();
    let mut g = c.benchmark_group("model/attention_fwd_bwd");
    g.sample_size(10);
    for (name, b, t, ch, h) in [
        ("small_32x64", 32, 64, 128, 4),
        ("medium_8x256", 8, 256, 256, 8),
    ] {
        let x = Tensor::randn(&[b, t, 3 * ch], 1.0, &mut Rng::new(4)).expect("qkv");
        let seed = Tensor::randn(&[b, t, ch], 1.0, &mut Rng::new(5)).expect("seed");
        let mut graph = Graph::new();
        g.throughput(Throughput::Elements((b * t) as u64));
        for fused in [true, false] {
            let id = format!(
                "{name}/{}",
                if fused { "fused" } else { "split_sgemm_merge" }
            );
            g.bench_function(id, |bn| {
                bn.iter(|| {
                    graph.clear();
                    let v = graph.input_with_grad(x.clone());
                    let y = if fused {
                        graph.self_attention(v, h)
                    } else {
                        split_sgemm_merge(&mut graph, v, h, ch)
                    }
                    .expect("attention");
                    graph.backward_with(y, seed.clone()).expect("backward");
                    black_box(graph.grad(v).is_some())
                })
            });
        }
    }
    g.finish();
}

fn linear_gelu(c: &mut Criterion) {
    single_thread_unless_asked();
    let mut g = c.benchmark_group("model/linear_gelu_fwd_bwd");
    g.sample_size(10);
    for (name, rows, ch) in [
        ("small_2048x128", 2048, 128),
        ("medium_2048x256", 2048, 256),
    ] {
        let x = Tensor::randn(&[rows, ch], 1.0, &mut Rng::new(6)).expect("x");
        let seed = Tensor::randn(&[rows, 4 * ch], 1.0, &mut Rng::new(7)).expect("seed");
        let mut graph = Graph::new();
        let w = graph
            .param(Tensor::randn(&[ch, 4 * ch], 0.02, &mut Rng::new(8)).expect("w"))
            .expect("param");
        let b = graph
            .param(Tensor::zeros(&[4 * ch]).expect("b"))
            .expect("param");
        g.throughput(Throughput::Elements(rows as u64));
        for fused in [true, false] {
            let id = format!(
                "{name}/{}",
                if fused { "fused" } else { "linear_then_gelu" }
            );
            g.bench_function(id, |bn| {
                bn.iter(|| {
                    graph.clear();
                    let xv = graph.input_with_grad(x.clone());
                    let y = if fused {
                        graph.linear_gelu(xv, w, b)
                    } else {
                        graph.linear(xv, w, Some(b)).and_then(|h| graph.gelu(h))
                    }
                    .expect("forward");
                    graph.backward_with(y, seed.clone()).expect("backward");
                    black_box(graph.grad(xv).is_some())
                })
            });
        }
    }
    g.finish();
}

fn linear_residual(c: &mut Criterion) {
    single_thread_unless_asked();
    let mut g = c.benchmark_group("model/linear_residual_fwd_bwd");
    g.sample_size(10);
    // The MLP's output projection at the training shapes: (rows, 4C) → (rows, C).
    for (name, rows, ch) in [
        ("small_2048x128", 2048, 128),
        ("medium_2048x256", 2048, 256),
    ] {
        let res = Tensor::randn(&[rows, ch], 1.0, &mut Rng::new(9)).expect("res");
        let x = Tensor::randn(&[rows, 4 * ch], 1.0, &mut Rng::new(10)).expect("x");
        let seed = Tensor::randn(&[rows, ch], 1.0, &mut Rng::new(11)).expect("seed");
        let mut graph = Graph::new();
        let w = graph
            .param(Tensor::randn(&[4 * ch, ch], 0.02, &mut Rng::new(12)).expect("w"))
            .expect("param");
        let b = graph
            .param(Tensor::zeros(&[ch]).expect("b"))
            .expect("param");
        g.throughput(Throughput::Elements(rows as u64));
        for fused in [true, false] {
            let id = format!("{name}/{}", if fused { "fused" } else { "linear_then_add" });
            g.bench_function(id, |bn| {
                bn.iter(|| {
                    graph.clear();
                    let rv = graph.input_with_grad(res.clone());
                    let xv = graph.input_with_grad(x.clone());
                    let y = if fused {
                        graph.linear_residual(rv, xv, w, b)
                    } else {
                        graph.linear(xv, w, Some(b)).and_then(|h| graph.add(rv, h))
                    }
                    .expect("forward");
                    graph.backward_with(y, seed.clone()).expect("backward");
                    black_box(graph.grad(rv).is_some())
                })
            });
        }
    }
    g.finish();
}

criterion_group!(
    benches,
    generation,
    training,
    mlp,
    attention,
    linear_gelu,
    linear_residual
);
criterion_main!(benches);
