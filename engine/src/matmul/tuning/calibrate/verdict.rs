//! When a challenger replaces the incumbent (what is in force so far) in a stage of the
//! search: it must be faster by [`MARGIN`] on the products the choice changes, and
//! slower by more than [`GUARD`] on none of them. The margin keeps near-equal
//! candidates from trading places from run to run; the guard keeps a blocking that
//! wins on most products from costing one of them much (on the Zen 5, NC 128 with
//! KC 512 won 1 % on the geometric mean of the reference products and ran a GPT-2 MLP's
//! second layer, 2048×256×1024, 5–6 % slower).

use super::products::{Times, geomean_gflops, median};

/// How much better (1 %) a candidate must score than the incumbent to replace it:
/// near-equal candidates otherwise trade places from run to run on a shared machine.
pub(crate) const MARGIN: f64 = 0.01;

/// How much slower (2 %) than the incumbent a challenger may run any product it
/// changes: twice the margin, so that one product's noise (about 1 % in nine rounds)
/// does not veto a real gain, while a real loss of a few percent does.
pub(super) const GUARD: f64 = 0.02;

/// Whether candidate `c` replaces candidate 0 (the incumbent): [`beats_incumbent`] and
/// not [`slower_on_any`].
pub(super) fn replaces(flops: &[f64], times: &Times, c: usize, changed: &[bool]) -> bool {
    beats_incumbent(flops, times, c, changed) && !slower_on_any(times, c, changed)
}

/// Whether candidate `best` beats candidate 0 (the incumbent) by [`MARGIN`]: the
/// median over rounds of the ratio of their geometric-mean GFLOPS over the products
/// marked `changed` (`times[candidate][round][product]` in seconds). With no product
/// changed the two are the same, and the incumbent stays.
pub(super) fn beats_incumbent(flops: &[f64], times: &Times, best: usize, changed: &[bool]) -> bool {
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

/// Whether candidate `c` runs some product marked `changed` more than [`GUARD`] slower
/// than candidate 0: the median over rounds of its time ÷ the incumbent's in the same
/// round (a slow spell cancels).
pub(super) fn slower_on_any(times: &Times, c: usize, changed: &[bool]) -> bool {
    (0..changed.len()).filter(|&p| changed[p]).any(|p| {
        let ratio = median(
            times[c]
                .iter()
                .zip(&times[0])
                .map(|(x, i)| x[p] / i[p])
                .collect(),
        );
        ratio > 1.0 + GUARD
    })
}

/// Whether threshold `pick` replaces threshold `incumbent`: [`faster_by_margin`] and
/// no product between the two more than [`GUARD`] slower under `pick`.
pub(super) fn threshold_replaces(
    med: &[[f64; 2]],
    keys: &[usize],
    pick: usize,
    incumbent: usize,
) -> bool {
    let slower = med
        .iter()
        .zip(keys)
        .any(|(m, &k)| seconds(m, k, pick) > seconds(m, k, incumbent) * (1.0 + GUARD));
    faster_by_margin(med, keys, pick, incumbent) && !slower
}

/// Whether threshold `pick` beats threshold `incumbent` by [`MARGIN`] in total time
/// over the products whose `keys` fall between the two (packed under one, in place
/// under the other); `med[p]` = [in place, packed] seconds. None between: no.
pub(super) fn faster_by_margin(
    med: &[[f64; 2]],
    keys: &[usize],
    pick: usize,
    incumbent: usize,
) -> bool {
    let between = |k: usize| (k >= pick) != (k >= incumbent);
    let (p, i) = (
        total_time(med, keys, pick, between),
        total_time(med, keys, incumbent, between),
    );
    i > 0.0 && p * (1.0 + MARGIN) < i
}

/// Seconds of the products whose key is `counted`, with the operand packed from key
/// `t` up and read in place below; `med[p]` = [in place, packed] seconds.
pub(super) fn total_time(
    med: &[[f64; 2]],
    keys: &[usize],
    t: usize,
    counted: impl Fn(usize) -> bool,
) -> f64 {
    med.iter()
        .zip(keys)
        .filter(|&(_, &k)| counted(k))
        .map(|(m, &k)| seconds(m, k, t))
        .sum()
}

/// Seconds of one product whose key is `k` under threshold `t` (packed from `t` up):
/// `m` = [in place, packed].
fn seconds(m: &[f64; 2], k: usize, t: usize) -> f64 {
    if k >= t { m[1] } else { m[0] }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_threshold_may_not_cost_any_product_between_the_two_more_than_the_guard() {
        // [in place, packed] seconds: in place 10 % faster on two small products, 3 %
        // slower on a third (a tall product reading B in place, roughly).
        let med = [[0.9, 1.0], [0.9, 1.0], [1.03, 1.0]];
        let keys = [100, 200, 300];
        // All in place (from 301 up packed) against all packed (from 0): 2.83 against
        // 3.0 s, 6 % faster, but the third product 3 % slower: the incumbent stays.
        assert!(faster_by_margin(&med, &keys, 301, 0));
        assert!(!threshold_replaces(&med, &keys, 301, 0));
        // Packed from 300 up leaves the third product as it was.
        assert!(threshold_replaces(&med, &keys, 300, 0));
    }

    #[test]
    fn a_challenger_may_not_cost_any_product_it_changes_more_than_the_guard() {
        // Three products of 1 GFLOP. The challenger is 8 % faster on the first two and
        // 5 % slower on the third (NC 128 against NC 672 on the Zen 5, roughly).
        let flops = [1e9; 3];
        let times: Times = vec![
            vec![vec![1.0, 1.0, 1.0]; 3],
            vec![vec![0.92, 0.92, 1.05]; 3],
        ];
        let all = [true; 3];
        // The geometric mean gains 3.8 %, over the margin …
        assert!(beats_incumbent(&flops, &times, 1, &all));
        // … but the third product runs 5 % slower: the incumbent stays.
        assert!(slower_on_any(&times, 1, &all));
        assert!(!replaces(&flops, &times, 1, &all));
        // A product the choice does not change cannot veto it.
        let first_two = [true, true, false];
        assert!(!slower_on_any(&times, 1, &first_two));
        assert!(replaces(&flops, &times, 1, &first_two));
        // 1.5 % slower is within the guard; the median over rounds, not one round, counts.
        let times: Times = vec![
            vec![vec![1.0, 1.0, 1.0]; 3],
            vec![
                vec![0.92, 0.92, 1.015],
                vec![0.92, 0.92, 1.5],
                vec![0.92, 0.92, 1.015],
            ],
        ];
        assert!(!slower_on_any(&times, 1, &all));
        assert!(replaces(&flops, &times, 1, &all));
    }
}
