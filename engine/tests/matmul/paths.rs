//! Each path of the driver: edge sizes on every tier, operands read in place,
//! transposed A packed or not, deep products, gemv shapes, the default entry.

use super::*;

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
fn wide_threaded_products_read_a_in_place_or_share_one_packed_copy() {
    // n > NC: column chunks read a row-major A in place (rows under and over 4 KiB
    // apart: k = 300, 1030), and share a transposed A packed once, up front, in
    // parallel (several depth passes; several row blocks in the last shape). On one
    // thread a transposed A is packed whenever n > NC.
    for (i, &(m, n, k, ta, tb)) in [
        (70, 1100, 300, Trans::No, Trans::No),
        (40, 1100, 1030, Trans::No, Trans::No),
        (70, 1100, 300, Trans::Yes, Trans::Yes),
        (70, 1100, 300, Trans::Yes, Trans::No),
        (1100, 600, 40, Trans::Yes, Trans::Yes),
    ]
    .iter()
    .enumerate()
    {
        assert!(m * n * k >= PAR_MIN_MNK);
        let case = Case::new(ta, tb, (m, n, k), (0.5, 1.5), (2, 1, 3), 40 + i as u64);
        for_each_available_tier(|tier| case.check_across_threads(tier, &[2, 3]));
    }
}

#[test]
fn row_major_a_is_read_in_place_across_b_blocks() {
    // A row-major A is read in place however many B blocks C spans (NC = 2·NR here: 9
    // to 13 blocks), in one row block (nothing to pack but a ragged last panel of A),
    // with rows under 4 KiB apart and 4 KiB apart (k = 1024), on 2–3 threads too (each
    // column chunk reads it in place). Several depth passes, β = 0
    // over NaN and β ≠ 0, padded rows, 1–3 threads bit-identical.
    for_each_available_tier(|tier| {
        let (t, bl) = (tiles(tier)[0], small_blocks(tier, 2));
        for (i, &(m, n, k, pad)) in [
            (t.mr * 9 + 3, 9 * t.nr + 5, 150, 1),
            (2 * t.mr + 1, 13 * t.nr, 1024, 0),
        ]
        .iter()
        .enumerate()
        {
            for ab in [(1.0, 0.0), (-0.5, 1.5)] {
                let case = Case::new(
                    Trans::No,
                    Trans::No,
                    (m, n, k),
                    ab,
                    (pad, 1, 2),
                    70 + i as u64,
                );
                case.check_blocked_across_threads(tier, &bl, &[2, 3]);
            }
        }
    });
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
fn passes_up_to_a_third_deeper_than_kc_run_with_a_narrower_b_block() {
    // KC 64: k = 80 runs one pass of 80 with NC narrowed (64·4·NR/80 → 3·NR: several B
    // blocks), k = 160 two of 80, k = 86 two of 43 (NC kept); both transposes, β = 0
    // over NaN and β ≠ 0, 1–3 threads bit-identical.
    for_each_available_tier(|tier| {
        let bl = small_blocks(tier, 4);
        assert_eq!(bl.for_product(Trans::No, 1, 80).kc, 80);
        assert_eq!(bl.for_product(Trans::No, 1, 160).kc, 80);
        assert_eq!(bl.for_product(Trans::No, 1, 86).kc, 64);
        let shapes = [(150, 360, 80), (150, 300, 160), (300, 260, 86)];
        for (i, &(m, n, k)) in shapes.iter().enumerate() {
            assert!(m * n * k >= PAR_MIN_MNK);
            for (ta, tb) in [(Trans::No, Trans::No), (Trans::Yes, Trans::Yes)] {
                for ab in [(1.0, 0.0), (0.5, -1.5)] {
                    let case = Case::new(ta, tb, (m, n, k), ab, (1, 0, 2), 80 + i as u64);
                    case.check_blocked_across_threads(tier, &bl, &[2, 3]);
                }
            }
        }
    });
}

/// The tier's default tile with small blocks (KC 64, MC four row panels, NC `nc_panels`
/// column panels), so that modest shapes span several blocks of each.
fn small_blocks(tier: Tier, nc_panels: usize) -> Blocking {
    let t = tiles(tier)[0];
    Blocking {
        kc: 64,
        mc: 4 * t.mr,
        nc: nc_panels * t.nr,
        ..Blocking::for_tile(t.mr, t.nr, Caches::detected())
    }
}
