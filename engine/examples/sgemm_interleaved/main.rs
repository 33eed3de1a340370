//! The engine's sgemm against `gemm` (x86-v4) in rounds, for a shared, noisy machine:
//! every round times one batch (≈ 0.2 GFLOP, at least one call) of each contender back
//! to back, in an order drawn at random per round, and each shape reports the **median
//! of the per-round ratios** (a slow spell of the host falls on both halves of a
//! round) with its range, and each side's median and best throughput. On one thread
//! every round also times the core's FMA peak (24 independent FMAs on the widest
//! vectors of the tier), so the engine's share of peak is a per-round ratio too.
//!
//! ```sh
//! cargo run --release -p smallmind --example sgemm_interleaved -- 128 256 512 1024
//! ROUNDS=31 cargo run --release -p smallmind --example sgemm_interleaved -- small medium
//! THREADS=1,2 cargo run --release -p smallmind --example sgemm_interleaved -- 1024
//! BLOCKINGS=8x32,8x48/kc=256 cargo run --release -p smallmind --example sgemm_interleaved -- 512
//! PROCESSES=8 ROUNDS=101 cargo run --release -p smallmind --example sgemm_interleaved -- 512
//! ```
//!
//! A batch during which the thread was switched out (the number of times it was
//! scheduled onto a CPU, the third field of `/proc/thread-self/schedstat`, changed) is
//! taken again, up to 10 times; the number of retakes is printed. (Not its on-CPU
//! time, the first field: that is brought up to date only at a scheduler tick or a
//! switch, so it retook about half of all 2 ms batches on an idle core.) With several
//! threads that test reads nothing (the work runs on other threads) and is not made;
//! instead each batch follows ≥ 10 ms of untimed calls of its own contender, so that it
//! times back-to-back calls with that library's threads awake, as a caller that uses one
//! library would see.
//!
//! A shape is `n` (square) or `MxNxK`, optionally `:tn`-style transposes of A and B
//! (`n` as stored, `t` transposed). `small` and `medium` stand for every product of
//! a GPT-2 training step of that model (B·T = 2048 rows: each linear layer forward,
//! dX = dY·Wᵀ and dW = Xᵀ·dY, the untied head stored (V, C) as the model keeps it);
//! `grads` for the narrow weight gradients Aᵀ·B alone.
//!
//! Environment: `ROUNDS` (21), `THREADS` (`1`; a list such as `1,2` times each count
//! in the same rounds and prints each library's speed-up), `BETA=1` (accumulate into
//! C, as gradients do), `BLOCKINGS` (extra engine contenders with an explicit tile and
//! blocks: `MRxNR[/field=value…]`, e.g. `8x32/kc=512/nc=1024`, fields `kc`, `mc`, `nc`,
//! `at_pack_stride`, `kc_tn`, `a_ahead`, `b_in_place_max`, `narrow_b_in_place_rows`, unset ones
//! from the cache rules).
//! `PROCESSES` (1; N > 1 runs the command as N processes one after another and pools
//! their per-round ratios, each child's table going to stderr: see `pooled.rs`).
//! The plain `engine` contender uses the tuning in force (`SMALLMIND_SGEMM_TUNING`,
//! printed first). Pin it to one CPU (`taskset -c 1`) and note the load.

mod peak;
mod pooled;
#[path = "../common/sched.rs"]
mod sched;
mod shapes;

use smallmind::matmul::blocking::Blocking;
use smallmind::matmul::cache::Caches;
use smallmind::matmul::tuning;
use smallmind::matmul::{Trans, sgemm_with_blocking};
use smallmind::simd::Tier;
use std::time::Instant;

use peak::*;
use sched::times_scheduled;
use shapes::*;

/// One contender of a round.
#[derive(Debug, Clone)]
enum Who {
    /// The FMA peak loop (one thread).
    Peak,
    /// The engine with the tuning in force, or an explicit blocking.
    Engine(Option<(String, Blocking)>),
    Gemm,
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

fn range(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn main() {
    let processes = env_or("PROCESSES", 1).max(1);
    if processes > 1 {
        return pooled::run(processes);
    }
    let mut record = pooled::Record::default();
    let counts: Vec<usize> = std::env::var("THREADS")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.split(',')
                .map(|t| t.trim().parse().ok().filter(|&t: &usize| t >= 1))
                .collect::<Option<Vec<usize>>>()
                .unwrap_or_else(|| die(format!("THREADS={v:?}: want counts ≥ 1, e.g. 2 or 1,2")))
        })
        .unwrap_or_else(|| vec![1]);
    let rounds = env_or("ROUNDS", 21).max(1);
    let beta: f32 = std::env::var("BETA")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let tier = Tier::best_available();
    let mut engines: Vec<Option<(String, Blocking)>> = vec![None];
    if let Ok(v) = std::env::var("BLOCKINGS") {
        for spec in v.split(',').filter(|s| !s.trim().is_empty()) {
            let b = blocking(tier, spec.trim()).unwrap_or_else(|e| die(format!("BLOCKINGS: {e}")));
            engines.push(Some((spec.trim().to_string(), b)));
        }
    }
    let specs: Vec<String> = std::env::args()
        .skip(1)
        .flat_map(|s| match s.as_str() {
            "small" => training_step(128),
            "medium" => training_step(256),
            "grads" => gradients(),
            _ => vec![s],
        })
        .collect();
    // The peak loop exists for AVX-512 (the tier the figures are about), on one thread.
    let peak_ok = tier == Tier::Avx512 && counts == [1];
    let utc = std::process::Command::new("date")
        .args(["-u", "+%H:%M:%S"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!(
        "{utc} UTC, load {}, tier {tier}, {rounds} rounds; engine = {}",
        loadavg(),
        tuning::active().describe(tier)
    );
    // Per thread count and contender: the sum of per-shape times of each round.
    let mut sums: Vec<Vec<Vec<f64>>> =
        vec![vec![vec![0.0; rounds]; engines.len() + 1]; counts.len()];
    let mut retakes = 0usize;
    for spec in specs {
        let Some((m, n, k, ta, tb)) = parse(&spec) else {
            die(format!(
                "cannot read the shape {spec:?} (want n, MxNxK or MxNxK:tn, small, medium, grads)"
            ));
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
        // About 0.2 GFLOP a batch (2 ms at 100 GFLOPS), at least one call.
        let reps = ((2e8 / flops) as usize).clamp(1, 10_000);
        let peak_iters = 200_000;
        // Contenders: every engine and gemm at every thread count, then the peak loop.
        let mut who: Vec<(usize, Who)> = Vec::new();
        for (ti, _) in counts.iter().enumerate() {
            who.extend(engines.iter().cloned().map(|e| (ti, Who::Engine(e))));
            who.push((ti, Who::Gemm));
        }
        if peak_ok {
            who.push((0, Who::Peak));
        }
        // secs[contender][round]: seconds per call (per loop iteration for the peak).
        let mut secs = vec![Vec::with_capacity(rounds); who.len()];
        // Each round runs the contenders in an order drawn afresh (seeded, so a command
        // repeats its orders), so that none always follows the same one: a batch finds
        // the operands, and the host's L3, as its predecessor left them. Rotated only,
        // the engine always ran after the peak loop and gemm after the engine.
        let mut shuffle = smallmind::rng::Rng::new(0x5eed);
        let mut order: Vec<usize> = (0..who.len()).collect();
        for r in 0..=rounds {
            shuffle.shuffle(&mut order);
            for &w in &order {
                let threads = counts[who[w].0];
                let mut batch = |reps: usize| {
                    let t0 = Instant::now();
                    match &who[w].1 {
                        Who::Peak => fma_loop(tier, peak_iters) / peak_iters as f64,
                        Who::Engine(bl) => {
                            let tuned = tuning::tuned(tier).blocking;
                            let bl = bl.as_ref().map_or(&tuned, |(_, b)| b);
                            for _ in 0..reps {
                                sgemm_with_blocking(
                                    tier, threads, bl, ta, tb, m, n, k, 1.0, &a, lda, &b, ldb,
                                    beta, &mut c, n,
                                )
                                .expect("engine sgemm");
                                std::hint::black_box(&mut c);
                            }
                            t0.elapsed().as_secs_f64() / reps as f64
                        }
                        Who::Gemm => {
                            for _ in 0..reps {
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
                                std::hint::black_box(&mut c);
                            }
                            t0.elapsed().as_secs_f64() / reps as f64
                        }
                    }
                };
                // With several threads the work runs on threads other than this one (gemm's
                // caller sleeps while rayon's workers compute), so whether this thread was
                // switched out says nothing about preemption: no retakes, and ≥ 10 ms of
                // untimed calls first, so that the batch finds its own library's threads
                // awake, not the other's still spinning. (Before, every gemm batch was retaken ten times,
                // hence timed warm, and the engine's cold: 0.65–0.93× at 256³–1024³. With one
                // untimed call, gemm ran at its one-thread speed in most rounds at 256³ and
                // 512³: its rayon workers need a few milliseconds to be all awake again.)
                if threads > 1 {
                    let warm = Instant::now();
                    while warm.elapsed().as_secs_f64() < 0.010 {
                        batch(1);
                    }
                }
                let mut tries = 0;
                let per = loop {
                    let s0 = times_scheduled();
                    let per = batch(reps);
                    let switched = matches!((s0, times_scheduled()), (Some(a), Some(b)) if b != a);
                    if threads == 1 && switched && tries < 10 {
                        tries += 1;
                        retakes += 1;
                    } else {
                        break per;
                    }
                };
                // Round 0 warms up (page faults, pools, the peak loop's clock).
                if r > 0 {
                    secs[w].push(per);
                }
            }
        }
        let per_count = engines.len() + 1;
        let gf = |s: &[f64]| flops / median(s) / 1e9;
        let best = |s: &[f64]| flops / range(s).0 / 1e9;
        for (ti, &threads) in counts.iter().enumerate() {
            let base = ti * per_count;
            let g = &secs[base + engines.len()];
            let mut line = format!(
                "{spec:>18} t{threads}: gemm {:6.1} GF (best {:6.1})",
                gf(g),
                best(g)
            );
            for (e, eng) in engines.iter().enumerate() {
                let mine = &secs[base + e];
                let ratios: Vec<f64> = mine.iter().zip(g).map(|(e, g)| g / e).collect();
                let (lo, hi) = range(&ratios);
                let name = eng.as_ref().map_or("engine", |(s, _)| s.as_str());
                line += &format!(
                    " | {name} {:6.1} GF (best {:6.1}) ÷ gemm {:.3}× [{lo:.2}–{hi:.2}]",
                    gf(mine),
                    best(mine),
                    median(&ratios)
                );
                let mut share = None;
                if peak_ok && e == 0 {
                    // 24 FMAs of 16 lanes, 2 flops each, per iteration.
                    let p = &secs[who.len() - 1];
                    let s: Vec<f64> = mine
                        .iter()
                        .zip(p)
                        .map(|(e, p)| (flops / e) / (24.0 * 32.0 / p))
                        .collect();
                    line += &format!(
                        ", {:.1} % of peak (peak {:.1} GF)",
                        100.0 * median(&s),
                        24.0 * 32.0 / median(p) / 1e9
                    );
                    share = Some(s);
                }
                record.rows.push(pooled::Row {
                    spec: spec.clone(),
                    threads,
                    name: name.to_string(),
                    ratios,
                    share,
                    gflops: Some((gf(mine), gf(g))),
                });
                for (r, s) in mine.iter().enumerate() {
                    sums[ti][e][r] += s;
                }
            }
            for (r, s) in g.iter().enumerate() {
                sums[ti][engines.len()][r] += s;
            }
            println!("{line}");
        }
        for ti in 1..counts.len() {
            let speedup = |e: usize| {
                let r: Vec<f64> = secs[e]
                    .iter()
                    .zip(&secs[ti * per_count + e])
                    .map(|(one, many)| one / many)
                    .collect();
                median(&r)
            };
            println!(
                "{spec:>18} speed-up t{} ÷ t{} (per-round median): engine {:.3}× | gemm {:.3}×",
                counts[ti],
                counts[0],
                speedup(0),
                speedup(engines.len())
            );
        }
    }
    for (ti, &threads) in counts.iter().enumerate() {
        let g = &sums[ti][engines.len()];
        if g.iter().all(|&s| s == 0.0) {
            continue;
        }
        let mut line = format!("{:>18} t{threads}: gemm {:10.1} µs", "sum", median(g) * 1e6);
        for (e, eng) in engines.iter().enumerate() {
            let ratios: Vec<f64> = sums[ti][e].iter().zip(g).map(|(e, g)| g / e).collect();
            let (lo, hi) = range(&ratios);
            let name = eng.as_ref().map_or("engine", |(s, _)| s.as_str());
            line += &format!(
                " | {name} {:10.1} µs ÷ gemm {:.3}× [{lo:.2}–{hi:.2}]",
                median(&sums[ti][e]) * 1e6,
                median(&ratios)
            );
            record.rows.push(pooled::Row {
                spec: "sum".into(),
                threads,
                name: name.to_string(),
                ratios,
                share: None,
                gflops: None,
            });
        }
        println!("{line}");
    }
    println!(
        "load {} at the end; {retakes} preempted batches taken again",
        loadavg()
    );
    record.save_if_asked();
}
