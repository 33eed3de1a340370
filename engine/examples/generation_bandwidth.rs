//! Generation against this core's read bandwidth, in rounds, for a shared, noisy machine.
//!
//! A decoding step (one token through the model with its KV cache, batch 1) reads every
//! weight matrix once and little else, so it is bound by how fast the core reads them:
//! its **effective bandwidth** is the bytes it must read per token (the weights of every
//! layer and of the head, the token's rows of the embeddings, the cached keys and
//! values it attends over) divided by the time per token. Every round times one batch
//! of decoding steps and one batch of a plain read loop (vector sums with eight
//! accumulators) over a buffer of as many bytes as the weights, in an order alternated
//! per round, so both read from the same cache level under the same load; the report
//! is the **median of the per-round ratios** generation ÷ read loop, with its range.
//! Each batch follows an untimed pass over its own bytes — the prompt's prefill reads
//! every weight, and the read loop sums its buffer once — so neither finds its data
//! evicted by the other when the two do not fit in cache together (medium, with the
//! other core busy): without the read loop's pass, rounds alternated between a cold
//! and a warm read loop and their ratios between two modes.
//!
//! ```sh
//! cargo build --release -p smallmind --example generation_bandwidth
//! ROUNDS=41 taskset -c 1 target/release/examples/generation_bandwidth medium
//! ```
//!
//! Arguments: model names (`small`, `medium`; default `medium`). Environment: `ROUNDS`
//! (41), `STEPS` (decoding steps a batch: the cache holds 8 prompt tokens, then up to
//! 8 + STEPS; 16). One thread (`SMALLMIND_THREADS` is overridden). A batch during which
//! the thread was switched out (the number of times it was scheduled onto a CPU,
//! the third field of `/proc/thread-self/schedstat`, changed) is taken again, up to 10
//! times. (Not its on-CPU time, the first field: that is brought up to date only at a
//! scheduler tick or switch, so over a sub-millisecond batch it mostly reads 0.) Pin
//! it to one CPU (`taskset -c 1`) and note the load.

#[path = "common/sched.rs"]
mod sched;

use sched::times_scheduled;
use smallmind::nn::{Decoder, Gpt2, Gpt2Config};
use std::hint::black_box;
use std::time::Instant;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn die(msg: String) -> ! {
    eprintln!("generation_bandwidth: {msg}");
    std::process::exit(2);
}

/// Floats a decoding step at cache length `len` (after the step) must read: every
/// parameter but the embedding rows of other tokens and positions, and the cached
/// keys and values of `len` positions in every layer.
fn floats_per_step(c: &Gpt2Config, params: usize, len: usize) -> usize {
    let unread = (c.vocab_size - 1) * c.n_embd + (c.n_positions - 1) * c.n_embd;
    params - unread + 2 * c.n_layer * len * c.n_embd
}

/// Sum of `x` with eight independent vector accumulators: a read-bandwidth loop.
fn read_sum(x: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F is available (checked above).
        return unsafe { read_sum_avx512(x) };
    }
    let mut acc = [0.0f32; 64];
    let mut chunks = x.chunks_exact(64);
    for c in &mut chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    acc.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

/// # Safety
/// The CPU supports AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn read_sum_avx512(x: &[f32]) -> f32 {
    use core::arch::x86_64::*;
    let mut acc = [_mm512_setzero_ps(); 8];
    let mut chunks = x.chunks_exact(128);
    for c in &mut chunks {
        for (i, a) in acc.iter_mut().enumerate() {
            // SAFETY: 16 floats at 16·i inside a 128-float chunk.
            *a = _mm512_add_ps(*a, unsafe { _mm512_loadu_ps(c.as_ptr().add(16 * i)) });
        }
    }
    let total: f32 = acc.iter().map(|&a| _mm512_reduce_add_ps(a)).sum();
    total + chunks.remainder().iter().sum::<f32>()
}

/// Seconds `f` takes after an untimed `setup`, both taken again (up to 10 times) when
/// the thread was switched out during `f`; returns the time and the number of retakes.
fn timed(mut setup: impl FnMut(), mut f: impl FnMut()) -> (f64, usize) {
    let mut retakes = 0;
    loop {
        setup();
        let (c0, t0) = (times_scheduled(), Instant::now());
        f();
        let wall = t0.elapsed().as_secs_f64();
        let preempted = match (c0, times_scheduled()) {
            (Some(a), Some(b)) => b != a,
            _ => false,
        };
        if !preempted || retakes == 10 {
            return (wall, retakes);
        }
        retakes += 1;
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn main() {
    let rounds = env_or("ROUNDS", 41).max(1);
    let steps = env_or("STEPS", 16).max(1);
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        names.push("medium".into());
    }
    smallmind::threads::set_threads(1).unwrap_or_else(|e| die(e.to_string()));
    const PROMPT: [u32; 8] = [72, 101, 108, 108, 111, 44, 32, 119];
    println!(
        "load {}, {rounds} rounds of {steps} decoding steps after an 8-token prompt, one thread",
        loadavg()
    );
    for name in &names {
        let cfg = Gpt2Config::named(name).unwrap_or_else(|e| die(e.to_string()));
        if PROMPT.len() + steps > cfg.n_positions {
            die(format!(
                "STEPS={steps}: 8 + {steps} positions exceed the context of {name} ({})",
                cfg.n_positions
            ));
        }
        let model = Gpt2::new(cfg.clone(), 7).unwrap_or_else(|e| die(e.to_string()));
        let params = model.param_count();
        let mut dec = Decoder::new(&model);
        // Bytes the timed steps must read: the weights each step, the cache as it grows.
        let gen_bytes: usize = (1..=steps)
            .map(|s| 4 * floats_per_step(&cfg, params, PROMPT.len() + s))
            .sum();
        let weights = floats_per_step(&cfg, params, 0);
        let buf: Vec<f32> = (0..weights).map(|i| (i % 7) as f32).collect();
        let read_bytes = 4 * weights * steps;
        let dec = std::cell::RefCell::new(&mut dec);
        let gen_step = || {
            let mut tok = 0u32;
            let (t, r) = timed(
                || {
                    let mut d = dec.borrow_mut();
                    d.reset();
                    d.prefill(&model, &PROMPT)
                        .unwrap_or_else(|e| die(e.to_string()));
                },
                || {
                    let mut d = dec.borrow_mut();
                    for _ in 0..steps {
                        let logits = d.step(&model, tok).unwrap_or_else(|e| die(e.to_string()));
                        // Greedy: the next token is the most likely one.
                        tok = (0..logits.len())
                            .max_by(|&x, &y| logits[x].total_cmp(&logits[y]))
                            .unwrap_or(0) as u32;
                    }
                },
            );
            black_box(tok);
            (t, r)
        };
        let read = || {
            timed(
                || {
                    black_box(read_sum(black_box(&buf)));
                },
                || {
                    for _ in 0..steps {
                        black_box(read_sum(black_box(&buf)));
                    }
                },
            )
        };
        // Warm-up: both working sets in cache, the decoder's buffers rented.
        gen_step();
        read();
        let (mut gen_bw, mut read_bw, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        let mut retakes = 0;
        for round in 0..rounds {
            let ((tg, rg), (tr, rr)) = if round % 2 == 0 {
                let g = gen_step();
                (g, read())
            } else {
                let r = read();
                (gen_step(), r)
            };
            retakes += rg + rr;
            let (g, r) = (gen_bytes as f64 / tg, read_bytes as f64 / tr);
            gen_bw.push(g);
            read_bw.push(r);
            ratio.push(g / r);
        }
        let (lo, hi) = ratio
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                (l.min(x), h.max(x))
            });
        println!(
            "{name}: {:.1} MB read a step; generation {:.2} GB/s ({:.1} µs a token), read loop {:.2} GB/s; \
             generation ÷ read loop {:.3} [{lo:.3}–{hi:.3}]",
            weights as f64 * 4e-6,
            median(&gen_bw) * 1e-9,
            gen_bytes as f64 / median(&gen_bw) / steps as f64 * 1e6,
            median(&read_bw) * 1e-9,
            median(&ratio),
        );
        println!(
            "load {} at the end; {retakes} preempted batches taken again",
            loadavg()
        );
    }
}
