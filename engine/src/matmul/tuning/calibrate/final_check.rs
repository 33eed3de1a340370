//! The calibration's last step: the search's choice against the cache-derived defaults.
//!
//! Every candidate written is timed against the defaults on every reference product in
//! the final rounds. The whole choice is kept when the median per-round ratio over all
//! of them favours it and it runs none of them more than 2 % slower (`verdict.rs`).
//! Otherwise its **gradient part** alone (the defaults with the choice's `kc_tn`,
//! `a_ahead`, `at_pack_stride` and `narrow_b_in_place_rows`, which act only on narrow
//! products or products with a transposed A) is kept when it wins so on the gradient
//! set, the products those stages chose on: a few percent on three narrow gradients is
//! below the noise of a ratio over every product, so an all-or-nothing check discarded
//! it whenever the rest of the choice did not win too (on a loaded Zen 4, two
//! calibrations in four).

use super::products::gflops;
use super::verdict::slower_on_any;
use super::{Product, Sets, TuningError, measure, median};
use crate::matmul::blocking::Blocking;
use crate::simd::Tier;

/// What the final check writes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Checked {
    /// The blocking kept: the choice, its gradient part or the defaults.
    pub(super) blocking: Blocking,
    /// Geometric-mean GFLOPS over every product, median of the rounds: the defaults…
    pub(super) default_gflops: f64,
    /// … and the blocking kept (the whole choice when the defaults are kept).
    pub(super) tuned_gflops: f64,
    /// Median per-round ratio (kept ÷ defaults, or choice ÷ defaults when the defaults
    /// are kept) over every product.
    pub(super) speedup: f64,
}

/// Time the defaults, the choice `best` and its gradient part on every product of
/// `sets` and decide which is written (see the module docs).
pub(super) fn decide(
    tier: Tier,
    default: Blocking,
    best: Blocking,
    sets: Sets,
    rounds: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<Checked, TuningError> {
    let grad_part = Blocking {
        kc_tn: best.kc_tn,
        a_ahead: best.a_ahead,
        at_pack_stride: best.at_pack_stride,
        narrow_b_in_place_rows: best.narrow_b_in_place_rows,
        ..default
    };
    let mut candidates = vec![default, best];
    if grad_part != default && grad_part != best {
        candidates.push(grad_part);
    }
    let grads = sets.main.len()..sets.main.len() + sets.grads.len();
    let mut all: Vec<Product> = sets.main;
    all.extend(sets.grads);
    all.extend(sets.squares);
    let times = measure(tier, &candidates, &mut all, rounds)?;
    let everything = 0..all.len();
    // Median over rounds of candidate c's geometric-mean GFLOPS over `range`, relative
    // to the defaults' in the same round.
    let ratio = |c: usize, range: std::ops::Range<usize>| {
        median(
            times[c]
                .iter()
                .zip(&times[0])
                .map(|(x, d)| {
                    gflops(&all[range.clone()], &x[range.clone()])
                        / gflops(&all[range.clone()], &d[range.clone()])
                })
                .collect(),
        )
    };
    let score = |c: usize| median(times[c].iter().map(|r| gflops(&all, r)).collect());
    let full = ratio(1, everything.clone());
    // No product more than the guard slower than under the defaults (`verdict.rs`): a
    // choice can win the mean by a few products and lose more on one (B read in place
    // up to 147,455 elements won on squares 64–384 and ran 2048×512×128 4 % slower).
    let in_range = |r: std::ops::Range<usize>| -> Vec<bool> {
        (0..all.len()).map(|p| r.contains(&p)).collect()
    };
    let whole = full > 1.0 && !slower_on_any(&times, 1, &in_range(everything.clone()));
    progress(&format!(
        "{tier} final: defaults {:.1} GFLOPS, chosen {:.1} GFLOPS, per-round ratio {full:.3}{}",
        score(0),
        score(1),
        if full > 1.0 && !whole {
            ", but a product more than 2 % slower"
        } else {
            ""
        }
    ));
    // The gradient part: the choice itself when it differs from the defaults only there.
    let part = candidates
        .iter()
        .position(|&c| c == grad_part)
        .filter(|&p| p > 0 && !whole)
        .map(|p| {
            let on_grads = ratio(p, grads.clone());
            progress(&format!(
                "{tier} final, gradient part (kc_tn {}, a_ahead {}, at_pack_stride {}, narrow_b_in_place_rows {}) on the gradients: per-round ratio {on_grads:.3}",
                grad_part.kc_tn, grad_part.a_ahead, grad_part.at_pack_stride, grad_part.narrow_b_in_place_rows
            ));
            (
                p,
                on_grads > 1.0 && !slower_on_any(&times, p, &in_range(grads.clone())),
            )
        });
    let kept = pick(whole, part);
    let shown = if kept == 0 { 1 } else { kept };
    Ok(Checked {
        blocking: candidates[kept],
        default_gflops: score(0),
        tuned_gflops: score(shown),
        speedup: ratio(shown, everything),
    })
}

/// Which candidate is written (0 the defaults, 1 the whole choice, `p` its gradient
/// part): the choice when it wins over every product (`whole`: its ratio exceeds 1 and
/// no product runs more than the guard slower), else the gradient part when it wins so
/// on the gradients, else the defaults.
fn pick(whole: bool, part: Option<(usize, bool)>) -> usize {
    if whole {
        return 1;
    }
    match part {
        Some((p, true)) => p,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::pick;

    #[test]
    fn the_choice_then_its_gradient_part_then_the_defaults() {
        assert_eq!(pick(true, Some((2, true))), 1);
        assert_eq!(pick(false, Some((2, true))), 2);
        assert_eq!(pick(false, Some((1, true))), 1);
        assert_eq!(pick(false, Some((2, false))), 0);
        assert_eq!(pick(false, None), 0);
    }
}
