//! Every tile and blocking the calibration can choose, on every tier.

use super::*;

/// The blockings the calibration can choose for `tier`, for every tile it offers:
/// the cache rules; tiny blocks (many depth passes, row and column blocks, ragged
/// last blocks); deep passes with wide blocks; a transposed A always packed or
/// always read in place; narrow weight gradients in shallow and deep passes; a narrow
/// B always packed or read in place whatever the rows.
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
            narrow_b_in_place_rows: 0,
            ..rules
        });
        out.push(Blocking {
            kc: 512,
            mc: 64 * t.mr,
            nc: 32 * t.nr,
            at_pack_stride: usize::MAX,
            kc_tn: 512,
            narrow_b_in_place_rows: usize::MAX,
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
                    case.check_blocked_across_threads(tier, &bl, &[2, 3]);
                }
            }
        }
    });
}

#[test]
fn every_tile_takes_the_threaded_and_special_paths() {
    // A row-major A read in place on one thread (rows under and over 4 KiB apart) and,
    // above the thread threshold, column chunks sharing a packed A (n > NC), row chunks
    // sharing a packed B (m > n), a narrow weight gradient Xᵀ·dY with shallow passes,
    // few rows reading a large B in place, and C = A·Bᵀ with few rows run transposed.
    let shapes = [
        (Trans::No, Trans::No, (70, 1100, 300)),
        (Trans::No, Trans::No, (24, 1100, 1030)),
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
                case.check_blocked_across_threads(tier, &bl, &[2]);
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
