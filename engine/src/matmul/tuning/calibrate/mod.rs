//! The calibration: which tile and blocks run fastest here, by measurement.
//!
//! A coordinate search on one thread, each stage timing its candidates on reference
//! products in interleaved rounds (every round times every candidate, in a rotated
//! order), so that a slow spell of a shared machine falls on all of them:
//!
//! 1. `tile`: every tile the tier offers, each with the blocks its cache rules give;
//! 2. `kc`: depths 128–512 for the chosen tile (MC and NC re-derived for each);
//! 3. `nc`: the B block as ¼ … 2× L2 (a block larger than L2 streams from L3,
//!    and one block spanning all of C's columns lets A be read in place);
//! 4. `mc`: the A block as ¼ … 2× L2;
//! 5. `kc_kept`: depths 128–512 again with the chosen MC and NC kept;
//! 6. `kc_tn`: the depth of the passes of narrow weight gradients Aᵀ·B;
//! 7. `at_pack_stride`: those gradients with the transposed A read in place against
//!    packed, per row stride; the threshold is the stride from which packing wins on
//!    the whole set;
//! 8. `narrow_b_in_place_rows`: the gradients with a narrow B (n ≤ 4·NR) read in
//!    place against packed, per number of rows m;
//! 9. `b_in_place_max`: squares 64–512, row-major B read in place against packed.
//!
//! (Stage 10, the decoder's `gemv_far_above`, measures the decoder: `crate::tune` runs it
//! after these, from `nn/far_prefetch.rs`.)
//!
//! A candidate's score is its geometric-mean GFLOPS over the stage's products relative
//! to the first candidate's (the incumbent: what is in force so far) in the same round,
//! median over rounds (a slow spell of the machine cancels); a challenger replaces the
//! incumbent only when it scores at least 1 % higher. At the end the choice and the
//! cache-derived defaults are timed against each other in more rounds
//! (`final_check.rs`): unless the choice wins the median per-round ratio, the defaults
//! are kept, or only the choice's gradient part when that wins on the gradients.
//! Every candidate lands in the file's `trials`.

mod changes;
mod final_check;
mod products;

use super::file::{TierTuning, Trial, TuningError};
use crate::matmul::blocking::Blocking;
use crate::matmul::cache::Caches;
use crate::matmul::kernel;
use crate::simd::Tier;
use changes::{Changes, any_product, deeper_than_kc, kc_changes, taller_than_mc, wider_than_nc};
pub(crate) use products::median;
use products::{
    Product, Sets, Times, geomean_gflops, gflops, gradient_set, main_set, measure, square_set,
};

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

/// Whether candidate `best` beats candidate 0 (the incumbent) by [`MARGIN`]: the
/// median over rounds of the ratio of their geometric-mean GFLOPS over the products
/// marked `changed` (`times[candidate][round][product]` in seconds). With no product
/// changed the two are the same, and the incumbent stays.
fn beats_incumbent(flops: &[f64], times: &Times, best: usize, changed: &[bool]) -> bool {
    let picked: Vec<usize> = (0..flops.len()).filter(|&p| changed[p]).collect();
    if picked.is_empty() {
        return false;
    }
    let rate = |secs: &[f64]| geomean_gflops(picked.iter().map(|&p| (flops[p], secs[p])));
    let ratio = median(
        times[best]
            .iter()
            .zip(&times[0])
            .map(|(b, i)| rate(b) / rate(i))
            .collect(),
    );
    ratio > 1.0 + MARGIN
}

/// The depths stages 2 and 5 try after the incumbent's.
const DEPTHS: [usize; 6] = [128, 192, 256, 320, 384, 512];

/// The incumbent `first`, then `rest`: a stage's candidate values.
fn then_each(first: usize, rest: &[usize]) -> Vec<usize> {
    std::iter::once(first).chain(rest.iter().copied()).collect()
}

/// How much better (1 %) a candidate must score than the incumbent to replace it:
/// near-equal candidates otherwise trade places from run to run on a shared machine.
pub(crate) const MARGIN: f64 = 0.01;

/// Whether threshold `pick` beats threshold `incumbent` by [`MARGIN`] in total time
/// over the products whose `keys` fall between the two (packed under one, in place
/// under the other); `med[p]` = [in place, packed] seconds. None between: no.
fn faster_by_margin(med: &[[f64; 2]], keys: &[usize], pick: usize, incumbent: usize) -> bool {
    let between = |k: usize| (k >= pick) != (k >= incumbent);
    let (p, i) = (
        total_time(med, keys, pick, between),
        total_time(med, keys, incumbent, between),
    );
    i > 0.0 && p * (1.0 + MARGIN) < i
}

/// Seconds of the products whose key is `counted`, with the operand packed from key
/// `t` up and read in place below; `med[p]` = [in place, packed] seconds.
fn total_time(med: &[[f64; 2]], keys: &[usize], t: usize, counted: impl Fn(usize) -> bool) -> f64 {
    med.iter()
        .zip(keys)
        .filter(|&(_, &k)| counted(k))
        .map(|(m, &k)| if k >= t { m[1] } else { m[0] })
        .sum()
}

/// What every stage of the search shares besides its candidates and products: the
/// tier, the rounds per stage, the trials recorded so far and where progress goes.
struct Search<'p> {
    tier: Tier,
    rounds: usize,
    trials: Vec<Trial>,
    progress: &'p mut dyn FnMut(&str),
}

impl Search<'_> {
    /// Record one candidate's score as a trial and report it (`from`: a threshold's
    /// value, the one from which the operand is packed).
    fn record(&mut self, name: &str, value: &str, gflops: f64, from: bool) {
        let from = if from { "from " } else { "" };
        (self.progress)(&format!(
            "{} {name} {from}{value}: {gflops:.1} GFLOPS",
            self.tier
        ));
        self.trials.push(Trial {
            stage: name.to_string(),
            value: value.to_string(),
            gflops,
        });
    }

    /// Time `candidates` (the incumbent, what is in force so far, first) and return the index
    /// of the one to keep, recording every score as a trial.
    ///
    /// A candidate's score is its geometric-mean GFLOPS relative to candidate 0 of the same
    /// round (so a slow spell of the machine cancels), median over rounds, times candidate
    /// 0's median GFLOPS. The best score replaces the incumbent only when it also wins by
    /// the margin on the products the choice `changes` ([`beats_incumbent`]).
    fn stage(
        &mut self,
        name: &str,
        candidates: &[(String, Blocking)],
        changes: &Changes,
        products: &mut [Product],
    ) -> Result<usize, TuningError> {
        let blocks: Vec<Blocking> = candidates.iter().map(|c| c.1).collect();
        let times = measure(self.tier, &blocks, products, self.rounds)?;
        let per_round: Vec<Vec<f64>> = times
            .iter()
            .map(|c| c.iter().map(|r| gflops(products, r)).collect())
            .collect();
        let base = median(per_round[0].clone());
        let mut best = (0, f64::NEG_INFINITY);
        for (i, (label, _)) in candidates.iter().enumerate() {
            let rel = median(
                per_round[i]
                    .iter()
                    .zip(&per_round[0])
                    .map(|(c, b)| c / b)
                    .collect(),
            );
            let score = rel * base;
            self.record(name, label, score, false);
            if score > best.1 {
                best = (i, score);
            }
        }
        // A challenger must beat the incumbent by a margin, not by noise, on the products
        // the choice between them changes.
        let flops: Vec<f64> = products.iter().map(Product::flops).collect();
        let changed: Vec<bool> = products
            .iter()
            .map(|p| changes(p, &blocks[0], &blocks[best.0]))
            .collect();
        Ok(if beats_incumbent(&flops, &times, best.0, &changed) {
            best.0
        } else {
            0
        })
    }

    /// A threshold between two ways of running a product: `with(t)` packs an operand of
    /// the products whose `key` is at least `t` and reads the others in place. Both ways
    /// are timed on every product (`with(MAX)`: all in place, `with(0)`: all packed); the
    /// threshold is the one, among 0, each key and twice the largest, with the least total
    /// time, ties going to the larger (no copy), provided it beats the `incumbent` by the
    /// margin.
    fn threshold(
        &mut self,
        name: &str,
        products: &mut [Product],
        key: impl Fn(&Product) -> usize,
        incumbent: usize,
        with: impl Fn(usize) -> Blocking,
    ) -> Result<usize, TuningError> {
        let times = measure(
            self.tier,
            &[with(usize::MAX), with(0)],
            products,
            self.rounds,
        )?;
        // Per product: median seconds in place, and the median over rounds of packed ÷
        // in place in the same round (a slow spell cancels).
        let med: Vec<[f64; 2]> = (0..products.len())
            .map(|p| {
                let inplace = median(times[0].iter().map(|r| r[p]).collect());
                let ratio = median(
                    times[1]
                        .iter()
                        .zip(&times[0])
                        .map(|(pk, ip)| pk[p] / ip[p])
                        .collect(),
                );
                [inplace, inplace * ratio]
            })
            .collect();
        let keys: Vec<usize> = products.iter().map(&key).collect();
        let mut candidates = dedup({
            let mut k = keys.clone();
            k.sort_unstable();
            k
        });
        candidates.insert(0, 0);
        candidates.push(candidates.last().copied().unwrap_or(1) * 2);
        let flops: f64 = products.iter().map(Product::flops).sum();
        let total = |t: usize| total_time(&med, &keys, t, |_| true);
        let mut pick = (usize::MAX, f64::INFINITY);
        for &t in candidates.iter().rev() {
            let total = total(t);
            let score = flops / total / 1e9;
            self.record(name, &t.to_string(), score, true);
            if total < pick.1 {
                pick = (t, total);
            }
        }
        // As in `stage`: the incumbent stays unless the pick is faster by the margin on
        // the products the two thresholds treat differently.
        Ok(if faster_by_margin(&med, &keys, pick.0, incumbent) {
            pick.0
        } else {
            incumbent
        })
    }

    /// [`Self::threshold`] for a bound up to which an operand is read in place: the
    /// largest `key` read in place (packed from bound + 1 up), `current` the incumbent.
    fn in_place_bound(
        &mut self,
        name: &str,
        products: &mut [Product],
        key: impl Fn(&Product) -> usize,
        current: usize,
        with_max: impl Fn(usize) -> Blocking,
    ) -> Result<usize, TuningError> {
        let from = self.threshold(name, products, key, current.saturating_add(1), |t| {
            with_max(t.saturating_sub(1))
        })?;
        Ok(from.saturating_sub(1))
    }
}

/// `values` (the incumbent first; repeats dropped) as labelled candidates.
fn candidates(values: Vec<usize>, make: impl Fn(usize) -> Blocking) -> Vec<(String, Blocking)> {
    dedup(values)
        .into_iter()
        .map(|v| (v.to_string(), make(v)))
        .collect()
}

/// The incumbent, then the blocks of rows `row` bytes long that fill ¼, ½, 1 and 2× an
/// L2 of `l2` bytes, in whole `unit`s (at most 8192 rows).
fn l2_shares(incumbent: usize, l2: usize, row: usize, unit: usize) -> Vec<usize> {
    std::iter::once(incumbent)
        .chain(
            [(1, 4), (1, 2), (1, 1), (2, 1)]
                .iter()
                .map(|&(p, q)| (l2 * p / q / row).clamp(unit, 8192) / unit * unit),
        )
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

    // 2. The depth, MC and NC following it by the cache rules.
    let kcs = candidates(then_each(best.kc, &DEPTHS), |kc| best.with_kc(kc, caches));
    let i = search.stage("kc", &kcs, &kc_changes, &mut main)?;
    best = kcs[i].1;

    // 3. The B block, as a share of L2.
    let row = best.kc * 4;
    let ncs = candidates(l2_shares(best.nc, caches.l2, row, best.nr), |nc| Blocking {
        nc,
        ..best
    });
    let i = search.stage("nc", &ncs, &wider_than_nc, &mut main)?;
    best = ncs[i].1;

    // 4. The A block, as a multiple of L2.
    let mcs = candidates(l2_shares(best.mc, caches.l2, row, best.mr), |mc| Blocking {
        mc,
        ..best
    });
    let i = search.stage("mc", &mcs, &taller_than_mc, &mut main)?;
    best = mcs[i].1;

    // 5. The depth again, MC and NC kept: stage 2 moved them with it by the cache rules,
    // so a depth whose rule-made blocks lost (KC 512 with NC 512 at 1024³, where NC 1024
    // reads A in place) can win with the blocks stages 3 and 4 chose.
    let kcs = candidates(then_each(best.kc, &DEPTHS), |kc| Blocking { kc, ..best });
    let i = search.stage("kc_kept", &kcs, &deeper_than_kc, &mut main)?;
    best = kcs[i].1;

    // 6. The depth of a narrow gradient's passes.
    let mut grads = gradient_set(opts.largest);
    let kcs = candidates(then_each(best.kc_tn, &[64, 128, 256, 512, 1024]), |kc_tn| {
        Blocking { kc_tn, ..best }
    });
    let i = search.stage("kc_tn", &kcs, &any_product, &mut grads)?;
    best = kcs[i].1;

    // 7. Transposed A in place or packed, per row stride.
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

    // 8. A narrow row-major B in place or packed, per number of rows (packed from
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

    // 9. A row-major B in place or packed, per size (packed from k·n = t + 1 up).
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
                "kc",
                "nc",
                "mc",
                "kc_kept",
                "at_pack_stride",
                "narrow_b_in_place_rows",
                "b_in_place_max",
                "kc_tn",
            ] {
                assert!(t.trials.iter().any(|x| x.stage == stage), "{tier} {stage}");
            }
            assert_eq!(
                t.trials.iter().filter(|x| x.stage == "tile").count(),
                kernel::tiles(tier).len()
            );
            assert!(
                t.trials
                    .iter()
                    .all(|x| x.gflops.is_finite() && x.gflops > 0.0)
            );
            assert!(t.speedup > 0.0 && t.default_gflops > 0.0 && t.tuned_gflops > 0.0);
            assert_eq!(t.default, Blocking::for_caches(tier, Caches::detected()));
            let grad_part = Blocking {
                kc_tn: t.blocking.kc_tn,
                at_pack_stride: t.blocking.at_pack_stride,
                narrow_b_in_place_rows: t.blocking.narrow_b_in_place_rows,
                ..t.default
            };
            assert!(t.blocking == t.default || t.speedup > 1.0 || t.blocking == grad_part);
        }
        assert!(calibrate(Tier::Scalar, &opts, &mut |_| {}).is_err());
    }

    #[test]
    fn a_challenger_must_win_by_the_margin_on_the_products_it_changes() {
        // Two products of 1 GFLOP; the challenger (1) is 3 % faster on the second only.
        let flops = [1e9, 1e9];
        let round = |a: f64, b: f64| vec![a, b];
        let times: Times = vec![
            vec![round(1.0, 1.0), round(1.0, 1.0), round(1.0, 1.0)],
            vec![round(1.0, 0.97), round(1.0, 0.97), round(1.0, 0.97)],
        ];
        // Over both: √(1/0.97) = 1.5 % … over the second alone: 3.1 %.
        assert!(beats_incumbent(&flops, &times, 1, &[false, true]));
        assert!(beats_incumbent(&flops, &times, 1, &[true, true]));
        // 1 % faster on the second: 0.5 % over both, under the margin; 1.0101 alone.
        let times: Times = vec![vec![round(1.0, 1.0); 3], vec![round(1.0, 0.99); 3]];
        assert!(!beats_incumbent(&flops, &times, 1, &[true, true]));
        assert!(beats_incumbent(&flops, &times, 1, &[false, true]));
        // A product the choice does not change cannot decide it; nothing changed: stay.
        assert!(!beats_incumbent(&flops, &times, 1, &[true, false]));
        assert!(!beats_incumbent(&flops, &times, 1, &[false, false]));
        // The median over rounds: one lucky round does not win.
        let times: Times = vec![
            vec![round(1.0, 1.0); 3],
            vec![round(1.0, 0.5), round(1.0, 1.0), round(1.0, 1.0)],
        ];
        assert!(!beats_incumbent(&flops, &times, 1, &[false, true]));
    }

    #[test]
    fn a_threshold_must_win_by_the_margin_on_the_products_between_the_two() {
        // [in place, packed] seconds for rows 128, 256 and 512: in place is 4 % faster
        // at 128 and 256, 3 % slower at 512 (as a narrow B on the Zen 4).
        let med = [[0.96, 1.0], [1.92, 2.0], [4.12, 4.0]];
        let keys = [128, 256, 512];
        // Packed from 512 against packed from 65 (all packed): 2.88 against 3.0 s on
        // the two products between them, 4 %; over all three it would be 1.7 %.
        assert!(faster_by_margin(&med, &keys, 512, 65));
        // From 1024 (all in place) changes the 512 product as well: 7.0 against 7.0.
        assert!(!faster_by_margin(&med, &keys, 1024, 65));
        // Nothing between the two: the incumbent stays.
        assert!(!faster_by_margin(&med, &keys, 100, 65));
        assert!(!faster_by_margin(&med, &keys, 65, 65));
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
        assert_eq!(dedup(vec![1, 2, 1, 3, 2]), vec![1, 2, 3]);
    }
}
