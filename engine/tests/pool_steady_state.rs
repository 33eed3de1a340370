//! Proof that steady-state tensor work is allocation-free: a counting global
//! allocator sees no system allocation after a loop's first iteration, because
//! every output is rented from the pool and returned on drop.
//!
//! The allocator counts only threads that opted in (the test's own thread): the
//! harness's threads allocate on their own schedule (seen once under heavy load:
//! 4 allocations, 900 bytes, mid-loop) and the loop under test is single-threaded.

use smallmind::Tensor;
use smallmind::rng::Rng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

thread_local! {
    // Const-initialised and without a destructor, so reading it never allocates.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn note(bytes: usize) {
    if COUNTED.with(Cell::get) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> (u64, u64) {
    (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

/// One "step": the tensor ops a transformer block repeats, each output dropped
/// (returned to the pool) before the next iteration.
fn step(x: &Tensor, bias: &Tensor, col: &Tensor, gamma: &Tensor, beta: &Tensor) -> f32 {
    let h = x.add(bias).unwrap();
    let g = h.gelu().unwrap();
    let m = g.mul(col).unwrap();
    let s = m.softmax().unwrap();
    let ln = s.layer_norm(gamma, beta, 1e-5).unwrap();
    let l = ln.log_softmax().unwrap();
    let d = l.sub(&h).unwrap().scale(0.5).unwrap();
    let e = d.gelu_erf().unwrap();
    e.sum() + e.max() + e.mean()
}

#[test]
fn repeated_tensor_ops_allocate_nothing_after_the_first_iteration() {
    COUNTED.with(|c| c.set(true));
    let mut rng = Rng::new(7);
    let x = Tensor::randn(&[8, 33, 100], 1.0, &mut rng).unwrap();
    let bias = Tensor::randn(&[100], 1.0, &mut rng).unwrap();
    let col = Tensor::randn(&[8, 33, 1], 1.0, &mut rng).unwrap();
    let gamma = Tensor::full(&[100], 1.0).unwrap();
    let beta = Tensor::zeros(&[100]).unwrap();

    // First iteration: the pool allocates its buffers (and its free lists grow).
    let first = step(&x, &bias, &col, &gamma, &beta);
    let (a0, b0) = allocs();
    assert!(
        a0 > 0,
        "the counting allocator must see the setup's allocations"
    );
    let before = smallmind::pool::global().stats();

    let mut last = first;
    for _ in 0..20 {
        last = step(&x, &bias, &col, &gamma, &beta);
    }
    let (a1, b1) = allocs();
    let after = smallmind::pool::global().stats().since(&before);

    assert_eq!(
        last.to_bits(),
        first.to_bits(),
        "the steady loop must compute the same thing"
    );
    assert_eq!(
        (a1 - a0, b1 - b0),
        (0, 0),
        "steady-state iterations allocated {} times ({} bytes) from the system allocator",
        a1 - a0,
        b1 - b0
    );
    assert!(
        after.rents > 0 && after.misses == 0,
        "pool stats: {after:?}"
    );
    assert_eq!(after.bytes_allocated, 0);

    // Control: with pooling off the same loop does allocate, so the counter can fail.
    smallmind::pool::global().set_enabled(false);
    let (c0, _) = allocs();
    step(&x, &bias, &col, &gamma, &beta);
    let (c1, _) = allocs();
    smallmind::pool::global().set_enabled(true);
    assert!(
        c1 > c0,
        "with pooling off the loop must allocate (counter sanity check)"
    );
}
