//! After warm-up, a decoding step allocates nothing from the system allocator.
//! (Its own test binary: a counting global allocator, which sees the test's thread.)

use smallmind::nn::{Decoder, Gpt2, Gpt2Config, Sampler, Sampling, generate_into};

#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

#[test]
fn decoding_steps_allocate_nothing_after_warm_up() {
    let model = Gpt2::new(Gpt2Config::small(), 5).unwrap();
    let mut dec = Decoder::new(&model);
    let modes = [
        Sampling::Greedy,
        Sampling::Sample {
            temperature: 0.8,
            top_k: Some(20),
            top_p: Some(0.9),
            seed: 1,
        },
    ];
    counting::count_this_thread(true);
    // The count sees an allocation (zero below then means something).
    let before = counting::counted().0;
    std::hint::black_box(Vec::<u8>::with_capacity(64));
    assert_eq!(counting::counted().0 - before, 1);
    for mode in modes {
        let mut sampler = Sampler::new(mode, 256).unwrap();
        let mut out = Vec::with_capacity(64);
        let prompt = [10u32, 20, 30, 40, 50, 60, 70, 80];
        // Warm-up: one full generation fills the pool with every buffer size used.
        generate_into(&model, &mut dec, &mut sampler, &prompt, 25, &mut out).unwrap();
        let before = counting::counted().0;
        for _ in 0..3 {
            generate_into(&model, &mut dec, &mut sampler, &prompt, 25, &mut out).unwrap();
        }
        let n = counting::counted().0 - before;
        assert_eq!(
            n, 0,
            "{mode:?}: {n} system allocations in 75 generated tokens"
        );
        assert_eq!(out.len(), 25);
    }
}
