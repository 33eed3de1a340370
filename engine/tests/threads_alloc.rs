//! On two threads, a training step and products split among the team (by columns, by
//! rows, with a shared packed operand) reach a steady state without system
//! allocations: the team's workers park between calls and every call reuses one
//! static slot (a rayon pool allocated twice in every call).
//! Every thread's allocations count, the workers' too, so this binary has no test
//! harness (whose threads allocate on their own schedule) and runs its checks in `main`.

use smallmind::matmul::{Trans, sgemm};
use smallmind::nn::{Gpt2, Gpt2Config};
use smallmind::train::{ByteCorpus, TrainConfig, Trainer};

#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// System allocations, on any thread, during one call of `step`.
fn allocations(step: &mut impl FnMut()) -> u64 {
    let before = counting::counted().0;
    counting::count_every_thread(true);
    step();
    counting::count_every_thread(false);
    counting::counted().0 - before
}

/// Calls in a row without a system allocation that make a steady state.
const STEADY: usize = 10;

/// How many calls of `step` it takes until [`STEADY`] calls in a row allocate
/// nothing, or `None` if that does not happen within `limit` calls. Which thread
/// runs which chunk, and so how many packing buffers are live at once, depends on
/// when the worker wakes (under load it may take part only after many calls), so the
/// pool may still grow after any fixed warm-up; but it retains what it grew, so only a
/// recurring allocation, the kind this guards against, never reaches a steady state.
fn calls_to_steady(mut step: impl FnMut(), limit: usize) -> Option<usize> {
    let mut clean = 0;
    for call in 1..=limit {
        clean = if allocations(&mut step) == 0 {
            clean + 1
        } else {
            0
        };
        if clean == STEADY {
            return Some(call);
        }
    }
    None
}

fn main() {
    smallmind::threads::set_threads(2).unwrap();
    let mut failures = Vec::new();
    // The count sees another thread's allocation (a steady state then means something).
    let mut spawn = || {
        std::thread::scope(|s| {
            s.spawn(|| std::hint::black_box(Vec::<u8>::with_capacity(64)));
        })
    };
    let n = allocations(&mut spawn);
    if n == 0 || calls_to_steady(spawn, 50).is_some() {
        println!("the count itself: a scoped thread's allocation was not seen ... FAILED");
        failures.push("the count itself".into());
    }

    let mut check = |what: &str, calls: Option<usize>, limit: usize| match calls {
        Some(n) => println!("{what}: steady after {n} calls ... ok"),
        None => {
            println!("{what}: a system allocation in every {STEADY} calls of {limit} ... FAILED");
            failures.push(what.to_string());
        }
    };

    // (trans A, m, n, k): column chunks reading A in place; column chunks sharing a
    // packed transposed A; row chunks sharing a packed B.
    let shapes = [
        (Trans::No, 256, 256, 256),
        (Trans::Yes, 256, 768, 256),
        (Trans::No, 2048, 128, 512),
    ];
    for (ta, m, n, k) in shapes {
        let a = vec![0.5f32; m * k];
        let b = vec![0.25f32; k * n];
        let mut c = vec![0.0f32; m * n];
        let lda = if ta == Trans::No { k } else { m };
        let calls = calls_to_steady(
            || sgemm(ta, Trans::No, m, n, k, 1.0, &a, lda, &b, n, 0.0, &mut c, n).unwrap(),
            1000,
        );
        check(
            &format!("sgemm {ta:?} {m}×{n}×{k} on 2 threads"),
            calls,
            1000,
        );
    }

    let corpus = ByteCorpus::new(b"allocation-free training of a small GPT-2 on bytes. ".repeat(8));
    let mut tr = Trainer::new(
        Gpt2::new(Gpt2Config::small(), 1).unwrap(),
        TrainConfig::new(4, 64, 10),
    )
    .unwrap();
    let calls = calls_to_steady(
        || {
            tr.step(&corpus).unwrap();
        },
        200,
    );
    check("GPT-2 small training step (4×64) on 2 threads", calls, 200);

    if !failures.is_empty() {
        eprintln!(
            "{} check(s) failed: {}",
            failures.len(),
            failures.join("; ")
        );
        std::process::exit(1);
    }
}
