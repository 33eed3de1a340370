//! Proof that steady-state tensor work is allocation-free: a counting global
//! allocator sees no system allocation after a loop's first iteration, because
//! every output is rented from the pool and returned on drop.
//!
//! The allocator counts only the test's own thread: the loop under test is
//! single-threaded (see `support/counting.rs`).

use smallmind::Tensor;
use smallmind::rng::Rng;
#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

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
    counting::count_this_thread(true);
    let mut rng = Rng::new(7);
    let x = Tensor::randn(&[8, 33, 100], 1.0, &mut rng).unwrap();
    let bias = Tensor::randn(&[100], 1.0, &mut rng).unwrap();
    let col = Tensor::randn(&[8, 33, 1], 1.0, &mut rng).unwrap();
    let gamma = Tensor::full(&[100], 1.0).unwrap();
    let beta = Tensor::zeros(&[100]).unwrap();

    // First iteration: the pool allocates its buffers (and its free lists grow).
    let first = step(&x, &bias, &col, &gamma, &beta);
    let (a0, b0) = counting::counted();
    assert!(
        a0 > 0,
        "the counting allocator must see the setup's allocations"
    );
    let before = smallmind::pool::global().stats();

    let mut last = first;
    for _ in 0..20 {
        last = step(&x, &bias, &col, &gamma, &beta);
    }
    let (a1, b1) = counting::counted();
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
    let (c0, _) = counting::counted();
    step(&x, &bias, &col, &gamma, &beta);
    let (c1, _) = counting::counted();
    smallmind::pool::global().set_enabled(true);
    assert!(
        c1 > c0,
        "with pooling off the loop must allocate (counter sanity check)"
    );
}
