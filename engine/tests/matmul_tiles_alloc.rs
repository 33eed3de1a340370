//! Every tile the calibration can choose keeps sgemm allocation-free in steady state:
//! after a first product (the pool fills), repeating it rents every packing buffer
//! from the pool. A counting global allocator sees only this test's own thread.

use smallmind::matmul::blocking::Blocking;
use smallmind::matmul::cache::Caches;
use smallmind::matmul::kernel::tiles;
use smallmind::matmul::{Trans, sgemm_with_blocking};
use smallmind::simd::for_each_available_tier;

#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

#[test]
fn every_tile_is_allocation_free_in_steady_state() {
    // Packed A and B over several blocks and passes (transposed A, ragged edges), and
    // the transposed-product path (few rows times a transposed B), with its scratch.
    let shapes = [
        (Trans::Yes, Trans::No, 150, 300, 270),
        (Trans::No, Trans::Yes, 20, 200, 90),
    ];
    let a = vec![0.5f32; 300 * 300];
    let b = vec![0.25f32; 300 * 300];
    let mut c = vec![0.0f32; 300 * 300];
    counting::count_this_thread(true);
    for_each_available_tier(|tier| {
        for t in tiles(tier) {
            let rules = Blocking::for_tile(t.mr, t.nr, Caches::detected());
            let small = Blocking {
                kc: 64,
                mc: 2 * t.mr,
                nc: 2 * t.nr,
                at_pack_stride: 0,
                ..rules
            };
            for bl in [rules, small] {
                for &(ta, tb, m, n, k) in &shapes {
                    let lda = if ta == Trans::No { k } else { m };
                    let ldb = if tb == Trans::No { n } else { k };
                    let mut run = || {
                        sgemm_with_blocking(
                            tier, 1, &bl, ta, tb, m, n, k, 1.0, &a, lda, &b, ldb, 0.0, &mut c, n,
                        )
                        .unwrap()
                    };
                    run();
                    let before = counting::counted().0;
                    for _ in 0..3 {
                        run();
                    }
                    let after = counting::counted().0;
                    assert_eq!(
                        after - before,
                        0,
                        "{tier} {bl:?} {m}x{n}x{k}: steady-state products allocated"
                    );
                }
            }
        }
    });
    // Control: with pooling off the same product allocates, so the counter can fail.
    smallmind::pool::global().set_enabled(false);
    let before = counting::counted().0;
    let t = smallmind::simd::Tier::Scalar;
    let bl = Blocking::for_caches(t, Caches::detected());
    sgemm_with_blocking(
        t,
        1,
        &bl,
        Trans::Yes,
        Trans::No,
        150,
        300,
        270,
        1.0,
        &a,
        150,
        &b,
        300,
        0.0,
        &mut c,
        300,
    )
    .unwrap();
    smallmind::pool::global().set_enabled(true);
    assert!(counting::counted().0 > before, "counter sanity check");
}
