//! sgemm against an f64 reference: random shapes, every transpose pair, α/β,
//! strided views, every SIMD tier, 1 and 2 threads, and every tile and kind of
//! blocking the calibration can choose.

use proptest::prelude::*;
use smallmind::matmul::blocking::Blocking;
use smallmind::matmul::cache::Caches;
use smallmind::matmul::kernel::tiles;
use smallmind::matmul::{
    PAR_MIN_MNK, Trans, sgemm, sgemm_with, sgemm_with_blocking, sgemm_with_threads,
};
use smallmind::rng::Rng;
use smallmind::simd::{Tier, for_each_available_tier};

/// One sgemm problem with its stored operands.
#[derive(Debug, Clone)]
struct Case {
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    beta: f32,
    lda: usize,
    ldb: usize,
    ldc: usize,
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
}

impl Case {
    #[allow(clippy::too_many_arguments)]
    fn new(
        ta: Trans,
        tb: Trans,
        (m, n, k): (usize, usize, usize),
        (alpha, beta): (f32, f32),
        pad: (usize, usize, usize),
        seed: u64,
    ) -> Case {
        let mut rng = Rng::new(seed);
        let (ar, ac) = if ta == Trans::No { (m, k) } else { (k, m) };
        let (br, bc) = if tb == Trans::No { (k, n) } else { (n, k) };
        let (lda, ldb, ldc) = (ac + pad.0, bc + pad.1, n + pad.2);
        let mut fill =
            |rows: usize, ld: usize| -> Vec<f32> { (0..rows * ld).map(|_| rng.normal()).collect() };
        let a = fill(ar, lda);
        let b = fill(br, ldb);
        // β = 0 must not read C: fill it with NaN then.
        let c = if beta == 0.0 {
            vec![f32::NAN; m * ldc]
        } else {
            fill(m, ldc)
        };
        Case {
            ta,
            tb,
            m,
            n,
            k,
            alpha,
            beta,
            lda,
            ldb,
            ldc,
            a,
            b,
            c,
        }
    }

    fn at(&self, i: usize, p: usize) -> f32 {
        match self.ta {
            Trans::No => self.a[i * self.lda + p],
            Trans::Yes => self.a[p * self.lda + i],
        }
    }

    fn bt(&self, p: usize, j: usize) -> f32 {
        match self.tb {
            Trans::No => self.b[p * self.ldb + j],
            Trans::Yes => self.b[j * self.ldb + p],
        }
    }

    /// Run on `tier` with `threads`, returning the new C.
    fn run(&self, tier: Tier, threads: usize) -> Vec<f32> {
        let mut c = self.c.clone();
        sgemm_with_threads(
            tier, threads, self.ta, self.tb, self.m, self.n, self.k, self.alpha, &self.a, self.lda,
            &self.b, self.ldb, self.beta, &mut c, self.ldc,
        )
        .unwrap();
        c
    }

    /// Run on `tier` with `threads` and an explicit tile and blocks, returning the new C.
    fn run_blocked(&self, tier: Tier, threads: usize, blocking: &Blocking) -> Vec<f32> {
        let mut c = self.c.clone();
        sgemm_with_blocking(
            tier, threads, blocking, self.ta, self.tb, self.m, self.n, self.k, self.alpha, &self.a,
            self.lda, &self.b, self.ldb, self.beta, &mut c, self.ldc,
        )
        .unwrap();
        c
    }

    /// Run on one thread and check against the f64 definition, then on each of
    /// `threads`: the result must be bit-identical to the one-thread result.
    fn check_across_threads(&self, tier: Tier, threads: &[usize]) {
        let one = self.run(tier, 1);
        self.check(&one, tier.as_str());
        for &t in threads {
            assert!(
                bits(&self.run(tier, t)) == bits(&one),
                "{tier} t={t} {}×{}×{}",
                self.m,
                self.n,
                self.k
            );
        }
    }

    /// Check `got` against the f64 definition, with a bound that scales with k and magnitudes;
    /// padding columns of C must be untouched.
    fn check(&self, got: &[f32], what: &str) {
        for i in 0..self.m {
            for j in 0..self.ldc {
                let idx = i * self.ldc + j;
                if j >= self.n {
                    assert!(
                        got[idx].to_bits() == self.c[idx].to_bits(),
                        "{what}: padding C[{i},{j}] was written"
                    );
                    continue;
                }
                let (mut s, mut mag) = (0.0f64, 0.0f64);
                for p in 0..self.k {
                    let t = self.at(i, p) as f64 * self.bt(p, j) as f64;
                    s += t;
                    mag += t.abs();
                }
                let old = if self.beta == 0.0 {
                    0.0
                } else {
                    self.c[idx] as f64
                };
                let want = self.alpha as f64 * s + self.beta as f64 * old;
                let scale = self.alpha.abs() as f64 * mag + (self.beta as f64 * old).abs();
                let tol = 4e-7 * (self.k as f64 + 4.0) * scale + 1e-30;
                let g = got[idx] as f64;
                assert!(
                    (g - want).abs() <= tol,
                    "{what}: C[{i},{j}] = {g}, want {want} (tol {tol}); case {:?}",
                    (
                        self.ta, self.tb, self.m, self.n, self.k, self.alpha, self.beta
                    )
                );
            }
        }
    }
}

fn trans() -> impl Strategy<Value = Trans> {
    prop_oneof![Just(Trans::No), Just(Trans::Yes)]
}

fn scalars() -> impl Strategy<Value = (f32, f32)> {
    prop_oneof![
        Just((1.0f32, 0.0f32)),
        Just((1.0, 1.0)),
        Just((-0.5, 0.0)),
        Just((2.0, -1.5)),
        Just((0.0, 0.5)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_shapes_match_the_reference_on_every_tier(
        ta in trans(), tb in trans(),
        m in 0usize..=300, n in 0usize..=300, k in 0usize..=300,
        ab in scalars(),
        pad in (0usize..3, 0usize..3, 0usize..3),
        seed in any::<u64>(),
    ) {
        let case = Case::new(ta, tb, (m, n, k), ab, pad, seed);
        for_each_available_tier(|tier| {
            let got = case.run(tier, 1);
            case.check(&got, tier.as_str());
            // Thread count never changes a result (tiles are split, never shared).
            let two = case.run(tier, 2);
            assert!(bits(&got) == bits(&two), "{tier}: 2 threads differ from 1");
        });
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn edge_sizes_all_transposes_every_tier() {
    let sizes = [0usize, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 65];
    let mut seed = 0;
    for (si, &m) in sizes.iter().enumerate() {
        // Pair each m with a few n and k so the test stays quick.
        for &n in &sizes[si % 4..][..5.min(sizes.len() - si % 4)] {
            for &k in &[0usize, 1, 5, 33] {
                for ta in [Trans::No, Trans::Yes] {
                    for tb in [Trans::No, Trans::Yes] {
                        seed += 1;
                        let case = Case::new(ta, tb, (m, n, k), (1.5, 0.0), (1, 2, 3), seed);
                        for_each_available_tier(|tier| {
                            case.check(&case.run(tier, 1), tier.as_str())
                        });
                        let case = Case::new(ta, tb, (m, n, k), (-1.0, 0.25), (0, 0, 0), seed);
                        for_each_available_tier(|tier| {
                            case.check(&case.run(tier, 1), tier.as_str())
                        });
                    }
                }
            }
        }
    }
}

#[test]
fn small_row_major_b_read_in_place() {
    // k·n up to 64² is read in place (no packing): full panels straight from B with its
    // leading dimension, a ragged last panel packed; also split among threads by rows.
    for (i, &(m, n, k)) in [(64, 64, 64), (50, 70, 58), (9, 96, 40), (2048, 64, 64)]
        .iter()
        .enumerate()
    {
        for (pad, beta) in [((0, 0, 0), 0.0), ((3, 5, 1), 0.5)] {
            let case = Case::new(Trans::No, Trans::No, (m, n, k), (1.25, beta), pad, i as u64);
            for_each_available_tier(|tier| case.check_across_threads(tier, &[2]));
        }
    }
}

#[test]
fn few_rows_read_a_large_row_major_b_in_place() {
    // m ≤ 64 reads B in place whatever k·n while its rows are under 4 KiB apart (a
    // ragged last panel packed); 1030 columns (4 KiB+ rows) are packed again.
    for (i, &(m, n, k)) in [
        (32, 256, 256),
        (61, 300, 290),
        (8, 1000, 40),
        (20, 1030, 30),
    ]
    .iter()
    .enumerate()
    {
        for (pad, beta) in [((0, 0, 0), 0.0), ((3, 7, 1), 0.5)] {
            let case = Case::new(
                Trans::No,
                Trans::No,
                (m, n, k),
                (1.25, beta),
                pad,
                40 + i as u64,
            );
            for_each_available_tier(|tier| case.check_across_threads(tier, &[2]));
        }
    }
}

#[test]
fn few_rows_times_a_transposed_b_run_as_the_transposed_product() {
    // C = A·Bᵀ with m ≤ 64 < n (k·n > 64²) runs as T = B·Aᵀ, then C = Tᵀ (+ β·C): odd
    // sizes (column tails of the 8×8 transposition, ragged panels), padded strides, β.
    for (i, &(m, n, k)) in [(32, 256, 256), (37, 300, 70), (64, 65, 90), (5, 203, 33)]
        .iter()
        .enumerate()
    {
        for (pad, beta) in [((0, 0, 0), 0.0), ((3, 7, 2), 0.5)] {
            let case = Case::new(
                Trans::No,
                Trans::Yes,
                (m, n, k),
                (0.75, beta),
                pad,
                60 + i as u64,
            );
            for_each_available_tier(|tier| case.check_across_threads(tier, &[2]));
        }
    }
}

#[test]
fn wide_threaded_products_share_one_packed_a() {
    // n > NC: column chunks use A packed once, up front, in parallel (several depth
    // passes; several row blocks in the second shape).
    for (i, &(m, n, k)) in [(70, 1100, 300), (1100, 600, 40)].iter().enumerate() {
        assert!(m * n * k >= PAR_MIN_MNK);
        for (ta, tb) in [(Trans::No, Trans::No), (Trans::Yes, Trans::Yes)] {
            let case = Case::new(ta, tb, (m, n, k), (0.5, 1.5), (2, 1, 3), 40 + i as u64);
            for_each_available_tier(|tier| case.check_across_threads(tier, &[2, 3]));
        }
    }
}

#[test]
fn tall_threaded_products_share_one_packed_b() {
    // m > n: row chunks use B packed once, up front, in parallel (B too large to be read
    // in place; several depth passes; several column blocks of B in the second shape).
    for (i, &(m, n, k)) in [(600, 200, 300), (1100, 560, 40)].iter().enumerate() {
        assert!(m * n * k >= PAR_MIN_MNK && m > n);
        for (ta, tb) in [(Trans::No, Trans::No), (Trans::Yes, Trans::Yes)] {
            let case = Case::new(ta, tb, (m, n, k), (1.0, 0.0), (1, 2, 0), 60 + i as u64);
            for_each_available_tier(|tier| case.check_across_threads(tier, &[2, 3]));
        }
    }
}

#[test]
fn transposed_a_with_page_apart_rows_is_packed() {
    // Aᵀ·B with A stored (k, m), m ≥ 1024: its rows are a page apart, so A is packed even
    // though one B block covers C (the weight-gradient shape Xᵀ·dY of a 1024-wide layer);
    // one and several threads, β = 0 over NaN and β = 1 accumulating.
    for (i, &(m, n, k, pad)) in [(1030, 40, 70, 0), (1000, 33, 300, 30)].iter().enumerate() {
        for (alpha, beta) in [(1.0, 0.0), (0.5, 1.0)] {
            let case = Case::new(
                Trans::Yes,
                Trans::No,
                (m, n, k),
                (alpha, beta),
                (pad, 1, 3),
                80 + i as u64,
            );
            for_each_available_tier(|tier| case.check_across_threads(tier, &[2]));
        }
    }
}

#[test]
fn narrow_weight_gradients_run_shallower_passes() {
    // Xᵀ·dY with n ≤ 4 tiles and a long k: depth passes of KC = 128 on AVX-512 (16 of
    // them here), accumulating into C as a gradient does; threads split the rows.
    let (m, n, k) = (200, 100, 2050);
    let case = Case::new(Trans::Yes, Trans::No, (m, n, k), (1.0, 1.0), (2, 0, 5), 90);
    for_each_available_tier(|tier| case.check_across_threads(tier, &[2]));
}

#[test]
fn deep_products_cross_cache_blocks() {
    // k > KC (several passes, β' = 1 after the first) and m, n > one block of B.
    for (ta, tb) in [(Trans::No, Trans::No), (Trans::Yes, Trans::Yes)] {
        let case = Case::new(ta, tb, (37, 530, 700), (0.75, -2.0), (3, 0, 1), 7);
        for_each_available_tier(|tier| case.check(&case.run(tier, 1), tier.as_str()));
    }
}

#[test]
fn threaded_results_are_bit_identical_run_to_run() {
    // Large enough to be split among threads, with edge tiles on both axes.
    let (m, n, k) = (203, 301, 150);
    assert!(m * n * k >= PAR_MIN_MNK);
    for (ta, tb) in [
        (Trans::No, Trans::No),
        (Trans::Yes, Trans::No),
        (Trans::No, Trans::Yes),
    ] {
        let case = Case::new(ta, tb, (m, n, k), (1.0, 0.5), (1, 0, 2), 11);
        for_each_available_tier(|tier| {
            let one = case.run(tier, 1);
            case.check(&one, tier.as_str());
            for threads in [2, 3] {
                for _ in 0..3 {
                    assert!(
                        bits(&case.run(tier, threads)) == bits(&one),
                        "{tier} t={threads}"
                    );
                }
            }
        });
        // A narrow C is split by rows instead.
        const { assert!(700 * 40 * 200 >= PAR_MIN_MNK) };
        let narrow = Case::new(ta, tb, (700, 40, 200), (1.0, 0.0), (0, 0, 0), 12);
        for_each_available_tier(|tier| {
            let one = narrow.run(tier, 1);
            narrow.check(&one, tier.as_str());
            assert!(bits(&narrow.run(tier, 2)) == bits(&one), "{tier} narrow");
        });
    }
}

#[test]
fn concurrent_threaded_callers_with_shared_packing_agree() {
    // Several callers at once: one gets the team, the others find it busy and run every
    // packing unit and chunk themselves; chunks waiting for shared blocks must neither
    // hang nor read unpacked ones. Column chunks share A (n > NC), row chunks share B.
    let cases = [
        Case::new(
            Trans::No,
            Trans::No,
            (70, 1100, 300),
            (1.0, 0.0),
            (0, 0, 0),
            80,
        ),
        Case::new(
            Trans::Yes,
            Trans::No,
            (1100, 560, 40),
            (1.0, 0.5),
            (0, 0, 0),
            81,
        ),
    ];
    let tier = Tier::best_available();
    let want: Vec<Vec<u32>> = cases.iter().map(|c| bits(&c.run(tier, 1))).collect();
    std::thread::scope(|s| {
        for t in 0..3 {
            let (cases, want) = (&cases, &want);
            s.spawn(move || {
                for r in 0..4 {
                    let i = (t + r) % cases.len();
                    assert!(
                        bits(&cases[i].run(tier, 2)) == want[i],
                        "caller {t} case {i}"
                    );
                }
            });
        }
    });
}

#[test]
fn gemv_shapes_every_transpose_and_stride() {
    for (m, n, k) in [
        (1, 768, 256),
        (1, 1, 300),
        (300, 1, 257),
        (1, 131, 5),
        (77, 1, 1),
    ] {
        for ta in [Trans::No, Trans::Yes] {
            for tb in [Trans::No, Trans::Yes] {
                for ab in [(1.0, 0.0), (0.5, 2.0)] {
                    let case = Case::new(ta, tb, (m, n, k), ab, (2, 1, 3), (m + n + k) as u64);
                    for_each_available_tier(|tier| case.check(&case.run(tier, 2), tier.as_str()));
                }
            }
        }
    }
}

#[test]
fn default_entry_point_uses_the_active_tier() {
    let case = Case::new(
        Trans::No,
        Trans::Yes,
        (19, 23, 29),
        (1.0, 0.0),
        (0, 0, 0),
        5,
    );
    let mut c = case.c.clone();
    sgemm(
        case.ta, case.tb, case.m, case.n, case.k, case.alpha, &case.a, case.lda, &case.b, case.ldb,
        case.beta, &mut c, case.ldc,
    )
    .unwrap();
    case.check(&c, "sgemm");
}

#[test]
fn bad_operands_are_errors_that_name_the_operand() {
    let a = vec![0.0f32; 12];
    let b = vec![0.0f32; 12];
    let mut c = vec![0.0f32; 9];
    let tier = Tier::Scalar;
    let err = sgemm_with(
        tier,
        Trans::No,
        Trans::No,
        3,
        3,
        4,
        1.0,
        &a,
        3,
        &b,
        3,
        0.0,
        &mut c,
        3,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("sgemm") && err.contains("A") && err.contains("leading dimension 3"),
        "{err}"
    );
    let err = sgemm_with(
        tier,
        Trans::No,
        Trans::No,
        3,
        3,
        4,
        1.0,
        &a,
        4,
        &b,
        3,
        0.0,
        &mut c[..8],
        3,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("C") && err.contains("needs 9 elements, got 8"),
        "{err}"
    );
    let err = sgemm_with(
        tier,
        Trans::No,
        Trans::Yes,
        3,
        3,
        4,
        1.0,
        &a,
        4,
        &b[..10],
        4,
        0.0,
        &mut c,
        3,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("B"), "{err}");
    assert!(
        sgemm_with_threads(
            tier,
            0,
            Trans::No,
            Trans::No,
            1,
            1,
            1,
            1.0,
            &a,
            1,
            &b,
            1,
            0.0,
            &mut c,
            1
        )
        .is_err()
    );
    for t in Tier::ALL {
        let r = sgemm_with(
            t,
            Trans::No,
            Trans::No,
            1,
            1,
            1,
            1.0,
            &a,
            1,
            &b,
            1,
            0.0,
            &mut c,
            1,
        );
        assert_eq!(r.is_ok(), t.is_available());
    }
}

/// The blockings the calibration can choose for `tier`, for every tile it offers:
/// the cache rules; tiny blocks (many depth passes, row and column blocks, ragged
/// last blocks); deep passes with wide blocks; a transposed A always packed or
/// always read in place; narrow weight gradients in shallow and deep passes.
fn choosable_blockings(tier: Tier) -> Vec<Blocking> {
    let mut out = Vec::new();
    for t in tiles(tier) {
        let rules = Blocking::for_tile(t.mr, t.nr, Caches::detected());
        out.push(rules);
        out.push(Blocking {
            kc: 8,
            mc: t.mr,
            nc: t.nr,
            kc_tn: 8,
            ..rules
        });
        out.push(Blocking {
            kc: 24,
            mc: 3 * t.mr,
            nc: 2 * t.nr,
            at_pack_stride: 0,
            kc_tn: 40,
            ..rules
        });
        out.push(Blocking {
            kc: 512,
            mc: 64 * t.mr,
            nc: 32 * t.nr,
            at_pack_stride: usize::MAX,
            kc_tn: 512,
            ..rules
        });
    }
    out
}

#[test]
fn every_choosable_tile_and_blocking_matches_the_reference_on_every_tier() {
    // Odd sizes with edge tiles on both axes and a depth tail, every transpose pair, α/β
    // (β = 0 over NaN), padded leading dimensions; 1, 2 and 3 threads bit-identical.
    let shapes = [(37, 53, 29), (70, 97, 300), (130, 33, 70), (5, 160, 41)];
    let mut seed = 500;
    for_each_available_tier(|tier| {
        for bl in choosable_blockings(tier) {
            for &(m, n, k) in &shapes {
                for (ta, tb) in [
                    (Trans::No, Trans::No),
                    (Trans::Yes, Trans::No),
                    (Trans::No, Trans::Yes),
                    (Trans::Yes, Trans::Yes),
                ] {
                    seed += 1;
                    let ab = if seed % 2 == 0 {
                        (1.0, 0.0)
                    } else {
                        (-0.5, 1.5)
                    };
                    let case = Case::new(ta, tb, (m, n, k), ab, (1, 0, 3), seed);
                    let one = case.run_blocked(tier, 1, &bl);
                    case.check(&one, &format!("{tier} {bl:?}"));
                    for t in [2, 3] {
                        assert!(
                            bits(&case.run_blocked(tier, t, &bl)) == bits(&one),
                            "{tier} {bl:?} t={t} {m}x{n}x{k} {ta:?}{tb:?}"
                        );
                    }
                }
            }
        }
    });
}

#[test]
fn every_tile_takes_the_threaded_and_special_paths() {
    // Above the thread threshold: column chunks sharing a packed A (n > NC), row chunks
    // sharing a packed B (m > n), a narrow weight gradient Xᵀ·dY with shallow passes,
    // few rows reading a large B in place, and C = A·Bᵀ with few rows run transposed.
    let shapes = [
        (Trans::No, Trans::No, (70, 1100, 300)),
        (Trans::Yes, Trans::Yes, (1100, 200, 60)),
        (Trans::Yes, Trans::No, (200, 100, 700)),
        (Trans::No, Trans::No, (40, 300, 290)),
        (Trans::No, Trans::Yes, (37, 300, 70)),
    ];
    for_each_available_tier(|tier| {
        for t in tiles(tier) {
            let bl = Blocking::for_tile(t.mr, t.nr, Caches::detected());
            for (i, &(ta, tb, mnk)) in shapes.iter().enumerate() {
                let case = Case::new(ta, tb, mnk, (0.75, 0.5), (2, 1, 1), 900 + i as u64);
                let one = case.run_blocked(tier, 1, &bl);
                case.check(&one, &format!("{tier} {bl:?}"));
                assert!(
                    bits(&case.run_blocked(tier, 2, &bl)) == bits(&one),
                    "{tier} {bl:?} {mnk:?}"
                );
            }
        }
    });
}

#[test]
fn blockings_a_tier_cannot_run_are_errors() {
    let case = Case::new(Trans::No, Trans::No, (9, 9, 9), (1.0, 0.0), (0, 0, 0), 3);
    let mut c = case.c.clone();
    let rules = Blocking::for_tile(4, 4, Caches::detected());
    for (bl, want) in [
        (Blocking { mr: 5, ..rules }, "no 5x4 tile"),
        (Blocking { kc: 0, ..rules }, "kc 0"),
        (Blocking { mc: 6, ..rules }, "mc 6"),
    ] {
        let err = sgemm_with_blocking(
            Tier::Scalar,
            1,
            &bl,
            Trans::No,
            Trans::No,
            9,
            9,
            9,
            1.0,
            &case.a,
            9,
            &case.b,
            9,
            0.0,
            &mut c,
            9,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("sgemm") && err.contains(want), "{err}");
    }
}
