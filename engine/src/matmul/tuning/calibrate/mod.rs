//! The calibration: which tile and blocks run fastest here, by measurement.
//!
//! A coordinate search on one thread, each stage timing its candidates on reference
//! products in interleaved rounds (every round times every candidate, in an order
//! drawn afresh per round), so that a slow spell of a shared machine falls on all of them:
//!
//! 1. `tile`: every tile the tier offers, each with the blocks its cache rules give;
//! 2. `kc_nc`: depths 128–512, each with B blocks of ¼ … 2× L2 (a block larger than
//!    L2 streams from L3, and one block spanning all of C's columns lets A be read in
//!    place), MC following the depth by the cache rule;
//! 3. `mc`: the A block as ¼ … 2× L2;
//! 4. `kc_tn`: the depth of the passes of narrow weight gradients Aᵀ·B, each with the
//!    kernel's prefetch of a far transposed A 2–16 steps ahead (`a_ahead`);
//! 5. `at_pack_stride`: those gradients with the transposed A read in place against
//!    packed, per row stride; the threshold is the stride from which packing wins on
//!    the whole set;
//! 6. `narrow_b_in_place_rows`: the gradients with a narrow B (n ≤ 4·NR) read in
//!    place against packed, per number of rows m;
//! 7. `b_in_place_max`: squares 64–512 and two tall products with a small B, row-major
//!    B read in place against packed.
//!
//! (Stage 8, the decoder's `gemv_far_above`, measures the decoder: `crate::tune` runs it
//! after these, from `nn/far_prefetch.rs`.)
//!
//! A candidate's score is its geometric-mean GFLOPS over the stage's products relative
//! to the first candidate's (the incumbent: what is in force so far) in the same round,
//! median over rounds (a slow spell of the machine cancels); a stage's best challengers
//! are timed again (`search.rs`), and one replaces the incumbent only when it scores at
//! least 1 % higher on the products the choice changes and runs none of them more than
//! 2 % slower (`verdict.rs`). At the end the choice and the
//! cache-derived defaults are timed against each other in more rounds
//! (`final_check.rs`): unless the choice wins the median per-round ratio, the defaults
//! are kept, or only the choice's gradient part when that wins on the gradients.
//! Every candidate lands in the file's `trials`.

mod changes;
mod final_check;
mod products;
mod search;
mod verdict;

use super::file::{TierTuning, TuningError};
use crate::matmul::blocking::Blocking;
use crate::matmul::cache::Caches;
use crate::matmul::kernel;
use crate::simd::Tier;
use changes::{any_product, kc_changes, taller_than_mc};
pub(crate) use products::median;
use products::{Product, Sets, gradient_set, main_set, measure, square_set};
use search::Search;
pub(crate) use verdict::MARGIN;

/// How long to measure.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Rounds per stage (each round times every candidate once).
    pub rounds: usize,
    /// Rounds of the final comparison with the defaults.
    pub final_rounds: usize,
    /// Side of the largest square reference product (1024); the other products scale
    /// with it. Smaller only for quick tests.
    pub largest: usize,
}

impl Options {
    /// One round of each stage on products of side 64 at most: for tests of the workflow.
    pub fn quick() -> Options {
        Options {
            rounds: 1,
            final_rounds: 1,
            largest: 64,
        }
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            rounds: 9,
            final_rounds: 11,
            largest: 1024,
        }
    }
}

/// How many steps ahead stage 4 tries prefetching a far transposed A.
const AHEADS: [usize; 4] = [2, 4, 8, 16];

/// The depths stage 2 tries.
const DEPTHS: [usize; 6] = [128, 192, 256, 320, 384, 512];

/// The incumbent `first`, then `rest`: a stage's candidate values.
fn then_each(first: usize, rest: &[usize]) -> Vec<usize> {
    std::iter::once(first).chain(rest.iter().copied()).collect()
}

/// `values` (the incumbent first; repeats dropped) as labelled candidates.
fn candidates(values: Vec<usize>, make: impl Fn(usize) -> Blocking) -> Vec<(String, Blocking)> {
    dedup(values)
        .into_iter()
        .map(|v| (v.to_string(), make(v)))
        .collect()
}

/// The incumbent, then `grid` (repeats dropped), each labelled `x/y` by the two values
/// `pair` reads from it (a joint stage's candidates).
fn labelled_pairs(
    incumbent: Blocking,
    pair: impl Fn(&Blocking) -> (usize, usize),
    grid: impl IntoIterator<Item = Blocking>,
) -> Vec<(String, Blocking)> {
    dedup(std::iter::once(incumbent).chain(grid).collect())
        .into_iter()
        .map(|b| {
            let (x, y) = pair(&b);
            (format!("{x}/{y}"), b)
        })
        .collect()
}

/// The blocks of rows `row` bytes long that fill ¼, ½, ⅝, ¾, 1 and 2× an L2 of `l2`
/// bytes, in whole `unit`s (at most 8192 rows): a block larger than L2 streams from L3,
/// and one B block spanning all of C's columns lets A be read in place.
fn l2_shares(l2: usize, row: usize, unit: usize) -> Vec<usize> {
    [(1, 4), (1, 2), (5, 8), (3, 4), (1, 1), (2, 1)]
        .iter()
        .map(|&(p, q)| (l2 * p / q / row).clamp(unit, 8192) / unit * unit)
        .collect()
}

/// Distinct values, in order.
fn dedup<T: PartialEq>(v: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// Calibrate `tier` on this CPU (one thread, a few seconds), reporting each measured
/// candidate through `progress`. The tier must be available.
pub fn calibrate(
    tier: Tier,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<TierTuning, TuningError> {
    if !tier.is_available() {
        return Err(TuningError::Calibration(format!(
            "tier {tier} is not available on this CPU"
        )));
    }
    if tier == Tier::Scalar {
        return Err(TuningError::Calibration(
            "the scalar tier is the specification and is not tuned".into(),
        ));
    }
    let caches = Caches::detected();
    let default = Blocking::for_caches(tier, caches);
    let mut main = main_set(opts.largest);
    let mut search = Search {
        tier,
        rounds: opts.rounds.max(1),
        trials: Vec::new(),
        progress,
        timer: |blocks: &[Blocking], products: &mut [Product], rounds| {
            measure(tier, blocks, products, rounds)
        },
    };

    // 1. The tile, each with its own cache-derived blocks.
    let tiles: Vec<(String, Blocking)> = kernel::tiles(tier)
        .iter()
        .map(|t| {
            (
                format!("{}x{}", t.mr, t.nr),
                Blocking::for_tile(t.mr, t.nr, caches),
            )
        })
        .collect();
    let i = search.stage("tile", &tiles, &any_product, &mut main)?;
    let mut best = tiles[i].1;

    // 2. The depth and the B block together, MC following the depth by the cache rule:
    // the best B block depends on the depth (on the Zen 5, KC 512 won 1–2 % on 512³,
    // 1024³ and the k = 512 forward with NC 320–384, ⅝–¾ of L2, and lost 1–3 % with the
    // rule's NC 512, a full L2), so a stage for each alone never reached the pair.
    let grid = labelled_pairs(
        best,
        |b| (b.kc, b.nc),
        DEPTHS.iter().flat_map(|&kc| {
            let at_depth = best.with_kc(kc, caches);
            l2_shares(caches.l2, kc * 4, best.nr)
                .into_iter()
                .map(move |nc| Blocking { nc, ..at_depth })
        }),
    );
    let i = search.stage("kc_nc", &grid, &kc_changes, &mut main)?;
    best = grid[i].1;

    // 3. The A block, as a share of L2.
    let mcs = candidates(
        then_each(best.mc, &l2_shares(caches.l2, best.kc * 4, best.mr)),
        |mc| Blocking { mc, ..best },
    );
    let i = search.stage("mc", &mcs, &taller_than_mc, &mut main)?;
    best = mcs[i].1;

    // 4. The depth of a narrow gradient's passes and how far ahead the kernel prefetches
    // a far transposed A, together: the best depth moves with the distance (on the Zen
    // 5, 512×128×2048 against `gemm`: passes of 192 prefetching 8 steps ahead 0.97–0.99×,
    // the best depth at 8; passes of 384 prefetching 4 ahead 1.00–1.02×).
    let mut grads = gradient_set(opts.largest);
    let pairs = labelled_pairs(
        best,
        |b| (b.kc_tn, b.a_ahead),
        then_each(best.kc_tn, &[64, 128, 256, 384, 512, 1024])
            .into_iter()
            .flat_map(|kc_tn| {
                AHEADS.map(|a_ahead| Blocking {
                    kc_tn,
                    a_ahead,
                    ..best
                })
            }),
    );
    let i = search.stage("kc_tn", &pairs, &any_product, &mut grads)?;
    best = pairs[i].1;

    // 5. Transposed A in place or packed, per row stride.
    best.at_pack_stride = search.threshold(
        "at_pack_stride",
        &mut grads,
        |g| g.m * 4,
        best.at_pack_stride,
        |t| Blocking {
            at_pack_stride: t,
            ..best
        },
    )?;

    // 6. A narrow row-major B in place or packed, per number of rows (packed from
    // m = t up), on the gradients whose B is narrow (n ≤ 4·NR).
    grads.sort_by_key(|g| g.n > 4 * best.nr);
    let narrow = grads.iter().take_while(|g| g.n <= 4 * best.nr).count();
    if narrow > 0 {
        best.narrow_b_in_place_rows = search.in_place_bound(
            "narrow_b_in_place_rows",
            &mut grads[..narrow],
            |g| g.m,
            best.narrow_b_in_place_rows,
            |max| Blocking {
                narrow_b_in_place_rows: max,
                ..best
            },
        )?;
    }

    // 7. A row-major B in place or packed, per size (packed from k·n = t + 1 up).
    let mut squares = square_set(opts.largest);
    best.b_in_place_max = search.in_place_bound(
        "b_in_place_max",
        &mut squares,
        |p| p.k * p.n,
        best.b_in_place_max,
        |max| Blocking {
            b_in_place_max: max,
            ..best
        },
    )?;

    // The choice against the defaults, on everything (`final_check.rs`).
    let checked = final_check::decide(
        tier,
        default,
        best,
        Sets {
            main,
            grads,
            squares,
        },
        opts.final_rounds.max(1),
        search.progress,
    )?;
    Ok(TierTuning {
        blocking: checked.blocking,
        default,
        default_gflops: checked.default_gflops,
        tuned_gflops: checked.tuned_gflops,
        speedup: checked.speedup,
        trials: search.trials,
    })
}

#[cfg(test)]
mod tests {
    use super::search::FINALISTS;
    use super::*;

    #[test]
    fn a_quick_calibration_chooses_a_valid_blocking_and_records_every_stage() {
        let mut lines = Vec::new();
        let opts = Options::quick();
        for tier in [Tier::Avx2, Tier::Avx512] {
            if !tier.is_available() {
                assert!(calibrate(tier, &opts, &mut |_| {}).is_err());
                continue;
            }
            let t = calibrate(tier, &opts, &mut |l| lines.push(l.to_string())).unwrap();
            t.blocking.validate(tier).unwrap();
            for stage in [
                "tile",
                "kc_nc",
                "mc",
                "at_pack_stride",
                "narrow_b_in_place_rows",
                "b_in_place_max",
                "kc_tn",
            ] {
                assert!(t.trials.iter().any(|x| x.stage == stage), "{tier} {stage}");
            }
            // Every tile once, then at most the finalists again, each a tile seen before.
            let tiles: Vec<&str> = t
                .trials
                .iter()
                .filter(|x| x.stage == "tile")
                .map(|x| x.value.as_str())
                .collect();
            let n = kernel::tiles(tier).len();
            assert_eq!(dedup(tiles[..n].to_vec()).len(), n);
            assert!(tiles.len() <= n + 1 + FINALISTS, "{tiles:?}");
            assert!(tiles[n..].iter().all(|v| tiles[..n].contains(v)));
            assert!(
                t.trials
                    .iter()
                    .all(|x| x.gflops.is_finite() && x.gflops > 0.0)
            );
            assert!(t.speedup > 0.0 && t.default_gflops > 0.0 && t.tuned_gflops > 0.0);
            assert_eq!(t.default, Blocking::for_caches(tier, Caches::detected()));
            let grad_part = Blocking {
                kc_tn: t.blocking.kc_tn,
                a_ahead: t.blocking.a_ahead,
                at_pack_stride: t.blocking.at_pack_stride,
                narrow_b_in_place_rows: t.blocking.narrow_b_in_place_rows,
                ..t.default
            };
            assert!(t.blocking == t.default || t.speedup > 1.0 || t.blocking == grad_part);
        }
        assert!(calibrate(Tier::Scalar, &opts, &mut |_| {}).is_err());
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
        assert_eq!(dedup(vec![1, 2, 1, 3, 2]), vec![1, 2, 3]);
    }
}
