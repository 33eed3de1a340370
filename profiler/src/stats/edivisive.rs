//! Change points by E-divisive means (Matteson & James 2014), as Apache Otava
//! (formerly Hunter) applies it to performance histories: the energy statistic
//! chooses each split, a significance test decides it.
//!
//! For a segment `x[0..n)` and a split `τ`, with left `A = x[..τ]` (m points) and right
//! `B = x[τ..]` (k points), the energy statistic is
//!
//! ```text
//! Q(τ) = m·k/n · ( 2/(m·k) Σ|a−b|  −  1/C(m,2) Σ|a−a'|  −  1/C(k,2) Σ|b−b'| )
//! ```
//!
//! The best split maximises `Q`; segments are split recursively until no candidate
//! is significant. A candidate is decided by either of two tests, each at α/2
//! ([`Significance::Either`], the default; the union bound keeps the chance that a
//! step-free segment is split at ≤ α), or by one of them alone:
//!
//! - **Student's t-test** (pooled variance) of `A` against `B`, its p-value multiplied by
//!   the number of splits the candidate was chosen from (Bonferroni), so that under
//!   Gaussian noise the chosen split is significant by chance with probability ≤ α
//!   however it was chosen. Otava decides with a t-test too (uncorrected, with its
//!   α = 0.001); it reaches a small α on a few points, which a permutation test
//!   cannot: with 5 points before a step and 10 after, only C(15, 5) = 3003
//!   arrangements exist and several of them score as high as the step itself.
//! - **Permutation** (Matteson & James's own): `(1 + #{perm: max Q ≥ observed}) /
//!   (1 + perms)`, free of any assumption on the noise but unable to go below
//!   ~1/C(n, m); it stops early as soon as significance is out of reach. On long
//!   series it finds small steps the corrected t-test misses (a 1.5σ step in 60
//!   points), whose dilution of the neighbouring means then mis-sizes the next step.
//!
//! Detection and location are separate questions. The energy statistic (with
//! `|a − b|`) is robust for *whether* there is a change, but its arg-max can sit two
//! points off a clear step when one noisy sample lies next to it. Once the splits
//! are accepted, each is therefore moved within ±[`REFINE_RADIUS`] to the position
//! that maximises the least-squares mean-shift statistic `m·k/n·(mean_A − mean_B)²`
//! over the ±[`REFINE_WINDOW`] points around it (cut at the neighbouring change
//! points) — the maximum-likelihood location of a single shift in mean under
//! Gaussian noise, as binary segmentation uses. The window is local so that a
//! smaller, undetected shift further away does not bias the means.

use super::rng::SplitMix64;
use super::ttest::student;

/// How a candidate split is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Significance {
    /// Either test below at α/2 (p-value: twice the smaller of theirs): by the union
    /// bound a step-free segment is split with probability ≤ α, with the t-test's
    /// power on short series and the permutation test's on long ones.
    #[default]
    Either,
    /// Student's t-test of the two sides, Bonferroni-corrected for the splits compared.
    TTest,
    /// The permutation test of the energy statistic.
    Permutation,
}

impl Significance {
    /// The test's name, as reports print it.
    pub fn label(self) -> &'static str {
        match self {
            Significance::Either => "t-test or permutation test",
            Significance::TTest => "t-test",
            Significance::Permutation => "permutation test",
        }
    }
}

/// Settings of the detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Largest p-value accepted (Otava's default is 0.001).
    pub alpha: f64,
    /// The test that decides a split.
    pub significance: Significance,
    /// Maximum number of permutations per test (≥ 1/level − 1 for the level to be
    /// reachable: α, or α/2 with [`Significance::Either`]).
    pub permutations: u32,
    /// Fewest points on either side of a change point.
    pub min_size: usize,
    /// Smallest relative shift of the segment means reported (0 = any significant shift).
    pub min_magnitude: f64,
    /// Seed of the permutation generator (results are reproducible).
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            alpha: 0.001,
            significance: Significance::Either,
            permutations: 1999,
            min_size: 3,
            min_magnitude: 0.0,
            seed: 0x5eed_cafe_f00d_d00d,
        }
    }
}

/// How far (in points) an accepted split may move when its location is refined.
pub const REFINE_RADIUS: usize = 3;
/// Points on each side of a split whose means decide its refined location: enough
/// for means within ≈σ/4, few enough that a smaller undetected shift 30 points
/// away does not pull them (on the sweep in `tests/history_changepoints.rs`, 10 and
/// the whole segment both leave one 10 % step two points off; 20 and 30 none).
pub const REFINE_WINDOW: usize = 20;

/// A detected shift of level.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChangePoint {
    /// Index of the first point of the new level.
    pub index: usize,
    /// p-value of the split when it was accepted (by [`Settings::significance`]).
    pub p_value: f64,
    /// The energy statistic `Q` at the split.
    pub statistic: f64,
    /// Mean of the [`REFINE_WINDOW`] points before (fewer after the previous change point).
    pub mean_before: f64,
    /// Mean of the [`REFINE_WINDOW`] points from it (fewer before the next change point).
    pub mean_after: f64,
    /// Relative shift: `mean_after / mean_before − 1`.
    pub change: f64,
}

/// An accepted split: (index, p-value, statistic).
type Split = (usize, f64, f64);

/// Change points of `xs`, in index order. Non-finite values are a caller error:
/// they are rejected with `None` rather than silently skewing the statistic.
pub fn detect(xs: &[f64], settings: &Settings) -> Option<Vec<ChangePoint>> {
    if xs.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let min = settings.min_size.max(2);
    // Accepted splits with their p-value and statistic.
    let mut accepted: Vec<Split> = Vec::new();
    // Each segment's tested candidate: a segment keeps its verdict until it is split.
    let mut tested: std::collections::HashMap<(usize, usize), Option<Split>> =
        std::collections::HashMap::new();
    loop {
        let mut bounds: Vec<usize> = accepted.iter().map(|a| a.0).collect();
        bounds.push(0);
        bounds.push(xs.len());
        bounds.sort_unstable();
        let mut best: Option<(usize, f64, f64)> = None;
        for w in bounds.windows(2) {
            let (lo, hi) = (w[0], w[1]);
            if hi - lo < 2 * min {
                continue;
            }
            let candidate = *tested.entry((lo, hi)).or_insert_with(|| {
                let seg = &xs[lo..hi];
                let (tau, kappa, q) = best_split_in(seg, min, &mut Vec::new())?;
                let seed = settings.seed ^ ((lo as u64) << 32) ^ hi as u64;
                let (alpha, perms) = (settings.alpha, settings.permutations);
                let t_p = || {
                    let t = student(&seg[..tau], &seg[tau..kappa]).map_or(1.0, |t| t.p);
                    (t * splits_compared(seg.len(), min) as f64).min(1.0)
                };
                let p = match settings.significance {
                    Significance::TTest => t_p(),
                    Significance::Permutation => permutation_p(seg, min, q, alpha, perms, seed),
                    Significance::Either => {
                        // The permutations only when the t-test alone does not decide.
                        let t = t_p();
                        let p = if 2.0 * t <= alpha {
                            t
                        } else {
                            t.min(permutation_p(seg, min, q, alpha / 2.0, perms, seed))
                        };
                        (2.0 * p).min(1.0)
                    }
                };
                (p <= settings.alpha).then_some((lo + tau, p, q))
            });
            if let Some(c) = candidate
                && best.is_none_or(|b| c.2 > b.2)
            {
                best = Some(c);
            }
        }
        match best {
            Some(b) => accepted.push(b),
            None => break,
        }
    }
    accepted.sort_by_key(|a| a.0);
    let mut positions: Vec<usize> = accepted.iter().map(|a| a.0).collect();
    refine_locations(xs, &mut positions, min);
    for (a, p) in accepted.iter_mut().zip(positions) {
        a.0 = p;
    }
    let mut out = Vec::with_capacity(accepted.len());
    for (i, &(index, p_value, statistic)) in accepted.iter().enumerate() {
        // The step's size from the REFINE_WINDOW points on each side (cut at the
        // neighbours), as its location: a smaller shift further away that was not
        // detected would otherwise bias it (a 1.5σ step 30 points before a +10 %
        // one made it +13 %).
        let start =
            if i == 0 { 0 } else { accepted[i - 1].0 }.max(index.saturating_sub(REFINE_WINDOW));
        let end = accepted
            .get(i + 1)
            .map_or(xs.len(), |a| a.0)
            .min(index + REFINE_WINDOW);
        let mean_before = mean(&xs[start..index]);
        let mean_after = mean(&xs[index..end]);
        let change = if mean_before != 0.0 {
            mean_after / mean_before - 1.0
        } else {
            0.0
        };
        if change.abs() < settings.min_magnitude {
            continue;
        }
        out.push(ChangePoint {
            index,
            p_value,
            statistic,
            mean_before,
            mean_after,
            change,
        });
    }
    Some(out)
}

/// Move each change point in `cps` (sorted) within ±[`REFINE_RADIUS`] to the
/// position maximising `m·k/n·(mean_A − mean_B)²` over the ±[`REFINE_WINDOW`]
/// points around it (no further than its neighbours), keeping `min` points on
/// each side and the order. Sweeps until nothing moves (a few at most).
pub fn refine_locations(xs: &[f64], cps: &mut [usize], min: usize) {
    let n = xs.len();
    let mut prefix = vec![0.0; n + 1];
    for (i, x) in xs.iter().enumerate() {
        prefix[i + 1] = prefix[i] + x;
    }
    let sum = |a: usize, b: usize| prefix[b] - prefix[a];
    // Least-squares gain of splitting x[l..r) at t.
    let gain = |l: usize, t: usize, r: usize| {
        let (m, k) = ((t - l) as f64, (r - t) as f64);
        let d = sum(l, t) / m - sum(t, r) / k;
        m * k / (m + k) * d * d
    };
    for _sweep in 0..4 {
        let mut moved = false;
        for i in 0..cps.len() {
            let tau = cps[i];
            let l = if i == 0 { 0 } else { cps[i - 1] };
            let r = cps.get(i + 1).copied().unwrap_or(n);
            // The candidates' bounds keep `min` points from the neighbours; the
            // fixed window [wl, wr) makes their gains comparable.
            let (wl, wr) = (
                l.max(tau.saturating_sub(REFINE_WINDOW)),
                r.min(tau + REFINE_WINDOW),
            );
            let lo = tau.saturating_sub(REFINE_RADIUS).max(l + min);
            let hi = (tau + REFINE_RADIUS).min(r.saturating_sub(min));
            if lo > tau || tau > hi {
                continue;
            }
            // Ties keep the current position.
            let (lo, hi) = (lo.max(wl + 1), hi.min(wr.saturating_sub(1)));
            if lo > tau || tau > hi {
                continue;
            }
            let mut best = (tau, gain(wl, tau, wr));
            for t in lo..=hi {
                let g = gain(wl, t, wr);
                if g > best.1 {
                    best = (t, g);
                }
            }
            if best.0 != tau {
                cps[i] = best.0;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The split maximising `Q` with at least `min` points on each side: `(τ, Q)`.
///
/// As in Matteson & James, the right part may end before the segment does
/// (`B = x[τ..κ)`): a regression that is later fixed is a bump that no split with
/// `κ = n` isolates well. `d[κ][t] = Σ_{i<t} |x_i − x_κ|` makes every `(τ, κ)` O(1).
pub fn best_split(x: &[f64], min: usize) -> Option<(usize, f64)> {
    best_split_in(x, min, &mut Vec::new()).map(|(tau, _, q)| (tau, q))
}

/// The number of splits `(τ, κ)` [`best_split`] compares on `n` points: `min` or
/// more points in `x[..τ]` and in `x[τ..κ)`, κ ≤ n.
pub fn splits_compared(n: usize, min: usize) -> usize {
    (min..=n.saturating_sub(min))
        .map(|tau| n + 1 - tau - min)
        .sum()
}

/// [`best_split`] with the right part's end κ (exclusive), with a reusable scratch
/// buffer (permutations call it often): `(τ, κ, Q)`.
fn best_split_in(x: &[f64], min: usize, prefix: &mut Vec<f64>) -> Option<(usize, usize, f64)> {
    let n = x.len();
    if n < 2 * min || min < 2 {
        return None;
    }
    // prefix[k * (n + 1) + t] = Σ_{i<t} |x_i − x_k|.
    prefix.clear();
    prefix.resize(n * (n + 1), 0.0);
    for k in 0..n {
        let row = &mut prefix[k * (n + 1)..(k + 1) * (n + 1)];
        for i in 0..n {
            row[i + 1] = row[i] + (x[i] - x[k]).abs();
        }
    }
    let at = |k: usize, t: usize| prefix[k * (n + 1) + t];
    let mut best: Option<(usize, usize, f64)> = None;
    // Within-left sum of x[..τ], grown as τ moves right.
    let mut w_left = 0.0;
    for tau in 1..n {
        w_left += at(tau - 1, tau - 1);
        if tau < min || n - tau < min {
            continue;
        }
        let m = tau as f64;
        let within_left = w_left / (m * (m - 1.0) / 2.0);
        let (mut between, mut w_right) = (0.0, 0.0);
        for kappa in tau..n {
            // Add x[κ] to the right part B = x[τ..=κ].
            between += at(kappa, tau);
            w_right += at(kappa, kappa) - at(kappa, tau);
            let k = (kappa + 1 - tau) as f64;
            if (kappa + 1 - tau) < min {
                continue;
            }
            let e = 2.0 * between / (m * k) - within_left - w_right / (k * (k - 1.0) / 2.0);
            let q = m * k / (m + k) * e;
            if best.is_none_or(|b| q > b.2) {
                best = Some((tau, kappa + 1, q));
            }
        }
    }
    best
}

/// Permutation p-value of the best split's statistic `observed` in `seg`, at most
/// `perms` permutations, stopping once it cannot reach `level`.
fn permutation_p(seg: &[f64], min: usize, observed: f64, level: f64, perms: u32, seed: u64) -> f64 {
    let perms = perms.max(1);
    // Once (exceed + 1) / (perms + 1) > level, more permutations cannot make it significant.
    let limit = level * f64::from(perms + 1);
    let mut rng = SplitMix64(seed);
    let mut buf = seg.to_vec();
    let mut exceed = 0u32;
    let mut scratch = Vec::new();
    for done in 1..=perms {
        shuffle(&mut buf, &mut rng);
        let q = best_split_in(&buf, min, &mut scratch).map_or(f64::NEG_INFINITY, |b| b.2);
        // A relative tolerance: ties (e.g. a constant series) count as exceeding.
        if q >= observed - 1e-12 * observed.abs() {
            exceed += 1;
            if f64::from(exceed + 1) > limit {
                return f64::from(exceed + 1) / f64::from(done + 1);
            }
        }
    }
    f64::from(exceed + 1) / f64::from(perms + 1)
}

/// Fisher–Yates.
fn shuffle(xs: &mut [f64], rng: &mut SplitMix64) {
    for i in (1..xs.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        xs.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_q(x: &[f64], tau: usize) -> f64 {
        let (a, b) = x.split_at(tau);
        let (m, k, n) = (a.len() as f64, b.len() as f64, x.len() as f64);
        let mut between = 0.0;
        for p in a {
            for q in b {
                between += (p - q).abs();
            }
        }
        let within = |s: &[f64]| {
            let mut t = 0.0;
            for i in 0..s.len() {
                for j in 0..i {
                    t += (s[i] - s[j]).abs();
                }
            }
            t
        };
        m * k / n
            * (2.0 * between / (m * k)
                - within(a) / (m * (m - 1.0) / 2.0)
                - within(b) / (k * (k - 1.0) / 2.0))
    }

    #[test]
    fn incremental_statistic_matches_the_definition() {
        let mut rng = SplitMix64(7);
        let x: Vec<f64> = (0..23)
            .map(|i| rng.normal() + if i > 9 { 2.0 } else { 0.0 })
            .collect();
        let (tau, q) = best_split(&x, 3).unwrap();
        let brute = (3..=20)
            .flat_map(|t| (t + 3..=23).map(move |k| (t, k)))
            .map(|(t, k)| (t, brute_q(&x[..k], t)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        assert_eq!(tau, brute.0);
        assert!((q - brute.1).abs() < 1e-9 * brute.1.abs().max(1.0));
    }

    #[test]
    fn a_clear_step_is_found_where_it_is_by_either_test() {
        let mut rng = SplitMix64(11);
        let x: Vec<f64> = (0..40)
            .map(|i| 100.0 * (1.0 + 0.02 * rng.normal()) * if i >= 25 { 1.2 } else { 1.0 })
            .collect();
        for significance in [Significance::TTest, Significance::Permutation] {
            let settings = Settings {
                significance,
                ..Settings::default()
            };
            let cps = detect(&x, &settings).unwrap();
            assert_eq!(cps.len(), 1, "{significance:?}: {cps:?}");
            assert!((cps[0].index as i64 - 25).abs() <= 1);
            assert!((cps[0].change - 0.2).abs() < 0.03, "{}", cps[0].change);
            assert!(cps[0].p_value <= 0.001);
        }
    }

    #[test]
    fn splits_compared_counts_the_splits_best_split_scores() {
        for n in 0..30 {
            for min in 2..5 {
                let brute = (1..n)
                    .filter(|&t| t >= min && n - t >= min)
                    .map(|t| (t..n).filter(|&k| k + 1 - t >= min).count())
                    .sum::<usize>();
                assert_eq!(splits_compared(n, min), brute, "n {n} min {min}");
            }
        }
    }

    #[test]
    fn refinement_moves_a_split_to_the_least_squares_step() {
        // A clean step at 10; a split placed two points late moves back, within bounds.
        let x: Vec<f64> = (0..20).map(|i| if i < 10 { 1.0 } else { 2.0 }).collect();
        let mut cps = [12];
        refine_locations(&x, &mut cps, 3);
        assert_eq!(cps, [10]);
        // Never closer than `min` to a neighbour or an end, never past the radius.
        let mut cps = [4, 16];
        refine_locations(&x, &mut cps, 3);
        assert!(cps[0] >= 3 && cps[1] <= 17 && cps[0] < cps[1], "{cps:?}");
        let mut far = [2 + REFINE_RADIUS + 10];
        let before = far[0];
        refine_locations(&[1.0; 40], &mut far, 3);
        assert_eq!(far[0], before, "a flat series gives no reason to move");
    }

    #[test]
    fn constant_and_short_series_have_no_change_point() {
        assert!(detect(&[5.0; 30], &Settings::default()).unwrap().is_empty());
        assert!(
            detect(&[1.0, 9.0, 1.0], &Settings::default())
                .unwrap()
                .is_empty()
        );
        assert!(detect(&[], &Settings::default()).unwrap().is_empty());
        assert!(detect(&[1.0, f64::NAN], &Settings::default()).is_none());
    }
}
