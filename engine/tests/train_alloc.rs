//! After the first step, a training step allocates nothing from the system
//! allocator, and the pool serves ≥ 99 % of the bytes requested.
//! (Its own test binary: the counting allocator sees the whole process.)

use smallmind::Tensor;
use smallmind::nn::{Gpt2, Gpt2Config, Mlp};
use smallmind::pool;
use smallmind::rng::Rng;
use smallmind::train::{AdamW, AdamWConfig, ByteCorpus, TrainConfig, Trainer, optimize};
use std::sync::Mutex;

// Tests in one binary run on threads; measure one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

fn measure(mut step: impl FnMut()) -> (u64, f64) {
    // One thread: the counting sees only this thread, and the team's workers would
    // rent from the pool on their own schedule (two threads: `threads_alloc.rs`).
    smallmind::threads::set_threads(1).unwrap();
    step(); // first step: fills the pool and the tape's vectors
    let before = counting::counted().0;
    let stats = pool::global().stats();
    counting::count_this_thread(true);
    for _ in 0..3 {
        step();
    }
    counting::count_this_thread(false);
    let n = counting::counted().0 - before;
    (n, pool::global().stats().since(&stats).reduction())
}

#[test]
fn gpt_training_step_allocates_nothing_after_the_first() {
    let _g = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let corpus = ByteCorpus::new(b"allocation-free training of a small GPT-2 on bytes. ".repeat(8));
    let mut tr = Trainer::new(
        Gpt2::new(Gpt2Config::small(), 1).unwrap(),
        TrainConfig::new(2, 64, 10),
    )
    .unwrap();
    let (n, red) = measure(|| {
        tr.step(&corpus).unwrap();
    });
    assert_eq!(n, 0, "{n} system allocations in 3 steps");
    assert!(red >= 0.99, "pool reduction {red}");
}

#[test]
fn mlp_training_step_allocates_nothing_after_the_first() {
    let _g = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let mut mlp = Mlp::new(&[256, 256, 256, 10], 1).unwrap();
    let mut opt = AdamW::new(mlp.graph(), AdamWConfig::default()).unwrap();
    let x = Tensor::randn(&[32, 256], 1.0, &mut Rng::new(3)).unwrap();
    let y: Vec<u32> = (0..32).map(|i| i % 10).collect();
    let (n, red) = measure(|| {
        let loss = mlp.loss(&x, &y).unwrap();
        optimize(mlp.graph_mut(), loss, &mut opt, 1e-3, Some(1.0)).unwrap();
    });
    assert_eq!(n, 0, "{n} system allocations in 3 steps");
    assert!(red >= 0.99, "pool reduction {red}");
}

#[test]
fn the_count_sees_the_measuring_threads_allocations() {
    // The zero counts above mean something only if an allocation would be counted.
    let _g = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (n, _) = measure(|| {
        std::hint::black_box(Vec::<u8>::with_capacity(64));
    });
    assert_eq!(n, 3, "one allocation per step, three steps");
}
