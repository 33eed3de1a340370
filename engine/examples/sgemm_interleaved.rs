//! The engine's sgemm against `gemm` (x86-v4) with the two calls *interleaved*, for a
//! shared, noisy machine: criterion measures one library for seconds and then the
//! other, so a change of load in between skews their ratio; here every round times
//! one batch of each, back to back, and the minimum over rounds is kept for both.
//!
//! ```sh
//! cargo run --release -p smallmind --example sgemm_interleaved -- 1024 128x256x128 256x128x128:tn
//! THREADS=2 ROUNDS=30 cargo run --release -p smallmind --example sgemm_interleaved -- 1024
//! THREADS=1,2 cargo run --release -p smallmind --example sgemm_interleaved -- 1024
//! ```
//! `THREADS` may list several counts: every round then times each library at each
//! count back to back, and a `speed-up` line per shape gives each library's time on the
//! first count ÷ its time on the others, measured in the same rounds (issue #3 asks the
//! engine's 2-thread 1024³ for ≥ 1.85× its own single thread).
//! A shape is `n` (square) or `MxNxK`, optionally `:tn`-style transposes of A and B
//! (`n` as stored, `t` transposed). Prints both times, GFLOPS and engine ÷ gemm.
//! `small` and `medium` stand for every product of a GPT-2 training step of that
//! model (B·T = 2048 rows: each linear layer forward, dX = dY·Wᵀ and dW = Xᵀ·dY, the
//! untied head stored (V, C) as the model keeps it). `BETA=1` accumulates into C, as
//! the forward pass with a bias and the backward pass's gradients do.

use smallmind::matmul::{Trans, sgemm_with_threads};
use smallmind::simd::Tier;
use std::time::Instant;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `n`, `MxNxK` or either with `:xy` transposes → (m, n, k, ta, tb).
fn parse(spec: &str) -> Option<(usize, usize, usize, Trans, Trans)> {
    let (dims, ops) = spec.split_once(':').unwrap_or((spec, "nn"));
    let d: Vec<usize> = dims
        .split('x')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let (m, n, k) = match d[..] {
        [s] => (s, s, s),
        [m, n, k] => (m, n, k),
        _ => return None,
    };
    let op = |c: Option<char>| match c {
        Some('n') => Some(Trans::No),
        Some('t') => Some(Trans::Yes),
        _ => None,
    };
    let mut c = ops.chars();
    Some((m, n, k, op(c.next())?, op(c.next())?))
}

/// Every product of a training step of a GPT-2 of width `c` (B·T = 2048, vocabulary 256).
fn training_step(c: usize) -> Vec<String> {
    let bt = 2048;
    let mut out = Vec::new();
    // Linear layers x (BT, in) @ w (in, out): forward, dX = dY·Wᵀ, dW = Xᵀ·dY.
    for (i, o) in [(c, 3 * c), (c, c), (c, 4 * c), (4 * c, c)] {
        out.push(format!("{bt}x{o}x{i}:nn"));
        out.push(format!("{bt}x{i}x{o}:nt"));
        out.push(format!("{i}x{o}x{bt}:tn"));
    }
    // Head w (V, C): logits = X·Wᵀ, dX = dY·W, dW = dYᵀ·X.
    let v = 256;
    out.push(format!("{bt}x{v}x{c}:nt"));
    out.push(format!("{bt}x{c}x{v}:nn"));
    out.push(format!("{v}x{c}x{bt}:tn"));
    out
}

fn main() {
    let counts: Vec<usize> = std::env::var("THREADS")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.split(',')
                .map(|t| t.trim().parse().ok().filter(|&t: &usize| t >= 1))
                .collect::<Option<Vec<usize>>>()
                .unwrap_or_else(|| {
                    eprintln!("sgemm_interleaved: THREADS={v:?}: want counts ≥ 1, e.g. 2 or 1,2");
                    std::process::exit(2);
                })
        })
        .unwrap_or_else(|| vec![1]);
    let rounds = env_or("ROUNDS", 20);
    let beta: f32 = std::env::var("BETA")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let specs: Vec<String> = std::env::args()
        .skip(1)
        .flat_map(|s| match s.as_str() {
            "small" => training_step(128),
            "medium" => training_step(256),
            _ => vec![s],
        })
        .collect();
    let mut totals = vec![[0.0f64; 2]; counts.len()];
    for spec in specs {
        let Some((m, n, k, ta, tb)) = parse(&spec) else {
            eprintln!(
                "sgemm_interleaved: cannot read the shape {spec:?} (want n, MxNxK or MxNxK:tn)"
            );
            std::process::exit(2);
        };
        let mut rng = smallmind::rng::Rng::new(7);
        let a: Vec<f32> = (0..m * k).map(|_| rng.normal()).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.normal()).collect();
        let mut c = vec![0.0f32; m * n];
        let (lda, ldb) = (
            if ta == Trans::No { k } else { m },
            if tb == Trans::No { n } else { k },
        );
        // gemm takes (column stride, row stride) of each operand as stored.
        let (a_cs, a_rs) = if ta == Trans::No { (1, k) } else { (m, 1) };
        let (b_cs, b_rs) = if tb == Trans::No { (1, n) } else { (k, 1) };
        let flops = 2.0 * (m * n * k) as f64;
        // About 2 ms of work per batch.
        let reps = ((3e8 / flops) as usize).clamp(1, 10_000);
        // best[t][lib]: lib 0 the engine, 1 gemm, on thread count counts[t].
        let mut best = vec![[f64::INFINITY; 2]; counts.len()];
        for _ in 0..rounds {
            for (&threads, best) in counts.iter().zip(best.iter_mut()) {
                for (lib, best) in best.iter_mut().enumerate() {
                    let t0 = Instant::now();
                    for _ in 0..reps {
                        if lib == 0 {
                            sgemm_with_threads(
                                Tier::best_available(),
                                threads,
                                ta,
                                tb,
                                m,
                                n,
                                k,
                                1.0,
                                &a,
                                lda,
                                &b,
                                ldb,
                                beta,
                                &mut c,
                                n,
                            )
                            .expect("engine sgemm");
                        } else {
                            // SAFETY: the strides describe the tightly packed slices above.
                            unsafe {
                                gemm::gemm(
                                    m,
                                    n,
                                    k,
                                    c.as_mut_ptr(),
                                    1,
                                    n as isize,
                                    beta != 0.0,
                                    a.as_ptr(),
                                    a_cs as isize,
                                    a_rs as isize,
                                    b.as_ptr(),
                                    b_cs as isize,
                                    b_rs as isize,
                                    beta,
                                    1.0,
                                    false,
                                    false,
                                    false,
                                    if threads == 1 {
                                        gemm::Parallelism::None
                                    } else {
                                        gemm::Parallelism::Rayon(threads)
                                    },
                                )
                            };
                        }
                        std::hint::black_box(&mut c);
                    }
                    *best = best.min(t0.elapsed().as_secs_f64() / reps as f64);
                }
            }
        }
        for (&threads, &[e, g]) in counts.iter().zip(best.iter()) {
            println!(
                "{spec:>18} t{threads}: engine {:10.1} µs {:6.1} GFLOPS | gemm-x86v4 {:10.1} µs {:6.1} GFLOPS | engine ÷ gemm {:.3}×",
                e * 1e6,
                flops / e / 1e9,
                g * 1e6,
                flops / g / 1e9,
                g / e
            );
        }
        for (t, &threads) in counts.iter().enumerate().skip(1) {
            println!(
                "{spec:>18} speed-up t{threads} ÷ t{}: engine {:.3}× | gemm-x86v4 {:.3}×",
                counts[0],
                best[0][0] / best[t][0],
                best[0][1] / best[t][1]
            );
        }
        for (total, &[e, g]) in totals.iter_mut().zip(best.iter()) {
            total[0] += e;
            total[1] += g;
        }
    }
    for (&threads, &[e, g]) in counts.iter().zip(totals.iter()) {
        if e > 0.0 {
            println!(
                "{:>18} t{threads}: engine {:10.1} µs | gemm-x86v4 {:10.1} µs | engine ÷ gemm {:.3}×",
                "sum",
                e * 1e6,
                g * 1e6,
                g / e
            );
        }
    }
}
