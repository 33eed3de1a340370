//! After warm-up, a decoding step allocates nothing from the system allocator.
//! (Its own test binary: the counting allocator sees the whole process.)

use smallmind::nn::{Decoder, Gpt2, Gpt2Config, Sampler, Sampling, generate_into};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
    for mode in modes {
        let mut sampler = Sampler::new(mode, 256).unwrap();
        let mut out = Vec::with_capacity(64);
        let prompt = [10u32, 20, 30, 40, 50, 60, 70, 80];
        // Warm-up: one full generation fills the pool with every buffer size used.
        generate_into(&model, &mut dec, &mut sampler, &prompt, 25, &mut out).unwrap();
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..3 {
            generate_into(&model, &mut dec, &mut sampler, &prompt, 25, &mut out).unwrap();
        }
        let n = ALLOCS.load(Ordering::Relaxed) - before;
        assert_eq!(
            n, 0,
            "{mode:?}: {n} system allocations in 75 generated tokens"
        );
        assert_eq!(out.len(), 25);
    }
}
