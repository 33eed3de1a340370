//! The slowdown knob (`SMALLMIND_INJECT_SLOWDOWN_PCT`) adds work, never changes results.
//! Its own test binary: the variable is read once per process, so it is set before
//! the first product.

use smallmind::matmul::inject::slowdown_pct;
use smallmind::matmul::{Trans, sgemm_with_threads};
use smallmind::simd::for_each_available_tier;

#[test]
fn injected_slowdown_keeps_results_exact() {
    // SAFETY: this binary has a single test, so no other thread reads the environment yet.
    unsafe { std::env::set_var("SMALLMIND_INJECT_SLOWDOWN_PCT", "150") };
    assert_eq!(slowdown_pct(), 150);
    for (m, n, k) in [(45, 70, 33), (1, 300, 40), (90, 1, 17)] {
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 19) as f32) - 9.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 3 % 11) as f32) - 5.0).collect();
        // Small integers: every product and sum is exact in f32, so the result must be exact.
        let want: Vec<f32> = (0..m * n)
            .map(|ij| {
                (0..k)
                    .map(|p| a[(ij / n) * k + p] * b[p * n + ij % n])
                    .sum()
            })
            .collect();
        for_each_available_tier(|tier| {
            let mut c = vec![f32::NAN; m * n];
            sgemm_with_threads(
                tier,
                2,
                Trans::No,
                Trans::No,
                m,
                n,
                k,
                1.0,
                &a,
                k,
                &b,
                n,
                0.0,
                &mut c,
                n,
            )
            .unwrap();
            assert_eq!(c, want, "{tier} {m}x{n}x{k}");
        });
    }
}
