//! The Wilcoxon signed-rank test on paired differences, exact, with the
//! Hodges–Lehmann estimate of their centre and its distribution-free interval.
//!
//! Used where the unit of a comparison is a *pair* (round k of an alternating
//! measurement ran the baseline's and the current build's worker processes back
//! to back): each pair gives one difference, drift shared by the pair cancels,
//! and a process's many samples count once, as its median, instead of as many
//! independent draws. The null distribution is the exact sign-flip permutation
//! distribution of the observed ranks (midranks for ties), so the p-values are
//! exact for any n and the smallest possible two-sided p is 2/2ⁿ.

/// The outcome of one test.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedRank {
    /// Non-zero differences tested (zeros are dropped, as Wilcoxon did).
    pub n: usize,
    /// Sum of the ranks of the positive differences.
    pub w_plus: f64,
    /// P(W⁺ ≥ observed): evidence that the differences tend to be positive.
    pub p_greater: f64,
    /// P(W⁺ ≤ observed): evidence that they tend to be negative.
    pub p_less: f64,
    /// Two-sided p-value, min(1, 2·min(p_greater, p_less)).
    pub p_two_sided: f64,
}

/// Test whether the differences `d` are centred on zero. `None` when `d` holds
/// a non-finite value or no non-zero difference: there is nothing to test.
pub fn signed_rank(d: &[f64]) -> Option<SignedRank> {
    if d.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let mut nz: Vec<f64> = d.iter().copied().filter(|&x| x != 0.0).collect();
    let n = nz.len();
    if n == 0 {
        return None;
    }
    nz.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    // Doubled midranks are integers: ties at 1-based ranks i+1..=j share (i+1+j)/2.
    let mut doubled = vec![0usize; n];
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && nz[j].abs() == nz[i].abs() {
            j += 1;
        }
        doubled[i..j].fill(i + 1 + j);
        i = j;
    }
    let observed: usize = doubled
        .iter()
        .zip(&nz)
        .filter(|(_, x)| **x > 0.0)
        .map(|(r, _)| r)
        .sum();
    let dist = null_distribution(&doubled);
    let p_less: f64 = dist[..=observed].iter().sum();
    let p_greater: f64 = dist[observed..].iter().sum();
    Some(SignedRank {
        n,
        w_plus: observed as f64 / 2.0,
        p_greater: p_greater.min(1.0),
        p_less: p_less.min(1.0),
        p_two_sided: (2.0 * p_greater.min(p_less)).min(1.0),
    })
}

/// P(2·W⁺ = s) for s in 0..=Σ ranks when every rank's sign is a fair coin:
/// the sign-flip distribution, by dynamic programming over the ranks.
fn null_distribution(doubled_ranks: &[usize]) -> Vec<f64> {
    let total: usize = doubled_ranks.iter().sum();
    let mut p = vec![0.0; total + 1];
    p[0] = 1.0;
    let mut reach = 0;
    for &r in doubled_ranks {
        // Each rank joins W⁺ with probability ½; walk down so p[s − r] is the old value.
        for s in (0..=reach + r).rev() {
            let without = p[s];
            let with = if s >= r { p[s - r] } else { 0.0 };
            p[s] = 0.5 * (without + with);
        }
        reach += r;
    }
    p
}

/// The Walsh averages (dᵢ + dⱼ)/2, i ≤ j, sorted ascending.
fn walsh_averages(d: &[f64]) -> Vec<f64> {
    let mut w = Vec::with_capacity(d.len() * (d.len() + 1) / 2);
    for i in 0..d.len() {
        for j in i..d.len() {
            w.push(0.5 * (d[i] + d[j]));
        }
    }
    w.sort_by(f64::total_cmp);
    w
}

/// The Hodges–Lehmann estimate of the centre of `d`: the median of its Walsh
/// averages (robust like the median, nearly as efficient as the mean). NaN
/// when `d` is empty.
pub fn hodges_lehmann(d: &[f64]) -> f64 {
    let w = walsh_averages(d);
    match w.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => w[n / 2],
        n => 0.5 * (w[n / 2 - 1] + w[n / 2]),
    }
}

/// The distribution-free interval of the centre at confidence `level` (Hollander
/// & Wolfe): the c-th smallest and c-th largest Walsh averages, with c the
/// largest count such that P(W⁺ < c) ≤ (1 − level)/2 under the null. With too
/// few differences for that (n < 6 at 95 %), c = 1 and the interval is
/// [min, max] of the Walsh averages, whose coverage is then lower than `level`.
/// `None` when `d` is empty or not finite.
pub fn hodges_lehmann_interval(d: &[f64], level: f64) -> Option<[f64; 2]> {
    if d.is_empty() || d.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let w = walsh_averages(d);
    let ranks: Vec<usize> = (1..=d.len()).map(|r| 2 * r).collect();
    let dist = null_distribution(&ranks);
    let tail = (1.0 - level) / 2.0;
    // dist is indexed by 2·W⁺; W⁺ < c means index < 2c.
    let mut c = 0;
    let mut below = 0.0;
    while 2 * c < dist.len() {
        let next = below + dist[2 * c];
        if next > tail {
            break;
        }
        below = next;
        c += 1;
    }
    let c = c.clamp(1, w.len().div_ceil(2));
    Some([w[c - 1], w[w.len() - c]])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn all_positive_gives_the_smallest_p() {
        let r = signed_rank(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]).unwrap();
        assert_eq!(r.n, 6);
        assert!(close(r.w_plus, 21.0));
        assert!(close(r.p_greater, 1.0 / 64.0));
        assert!(close(r.p_two_sided, 2.0 / 64.0));
        assert!(close(r.p_less, 1.0));
    }

    #[test]
    fn matches_the_textbook_table() {
        // n = 10, W⁺ = 8: P(W⁺ ≤ 8) = 25/1024 (exact tables; scipy
        // `wilcoxon(d, alternative="less", method="exact")` gives 0.0244140625).
        let d = [-1.0, -2.0, 3.0, -4.0, 5.0, -6.0, -7.0, -8.0, -9.0, -10.0];
        let r = signed_rank(&d).unwrap();
        assert!(close(r.w_plus, 8.0));
        assert!(close(r.p_less, 25.0 / 1024.0), "{}", r.p_less);
        assert!(close(r.p_two_sided, 50.0 / 1024.0));
    }

    #[test]
    fn null_distribution_sums_to_one_and_is_symmetric() {
        let ranks: Vec<usize> = (1..=12).map(|r| 2 * r).collect();
        let p = null_distribution(&ranks);
        assert!(close(p.iter().sum::<f64>(), 1.0));
        for s in 0..p.len() {
            assert!(close(p[s], p[p.len() - 1 - s]));
        }
        // W⁺ = 5 from ranks 1..=12: the subsets {5}, {1, 4} and {2, 3}.
        assert!(close(p[10], 3.0 / 4096.0));
    }

    #[test]
    fn ties_take_midranks_and_zeros_are_dropped() {
        // |d| = 1, 1, 2 → ranks 1.5, 1.5, 3; positives are the 1.5 and the 3.
        let r = signed_rank(&[0.0, 1.0, -1.0, 2.0]).unwrap();
        assert_eq!(r.n, 3);
        assert!(close(r.w_plus, 4.5));
        // Sign flips of {1.5, 1.5, 3}: sums 0, 1.5, 1.5, 3, 3, 4.5, 4.5, 6 → P(W⁺ ≥ 4.5) = 3/8.
        assert!(close(r.p_greater, 3.0 / 8.0));
        assert!(signed_rank(&[0.0, 0.0]).is_none());
        assert!(signed_rank(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn hodges_lehmann_is_the_median_of_walsh_averages() {
        // Walsh averages of 1, 2, 9: 1, 1.5, 2, 5, 5.5, 9 → median 3.5.
        assert!(close(hodges_lehmann(&[1.0, 2.0, 9.0]), 3.5));
        assert!(close(hodges_lehmann(&[4.0]), 4.0));
        assert!(hodges_lehmann(&[]).is_nan());
        // One wild pair moves it little.
        let h = hodges_lehmann(&[0.10, 0.11, 0.09, 0.10, 0.12, 3.0]);
        assert!(h > 0.09 && h < 0.13, "{h}");
    }

    #[test]
    fn interval_uses_the_exact_critical_count() {
        // n = 6 at 95 %: P(W⁺ ≤ 0) = 1/64 ≤ 0.025 < P(W⁺ ≤ 1) = 2/64, so c = 1: [min, max].
        let d = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(hodges_lehmann_interval(&d, 0.95), Some([1.0, 6.0]));
        // n = 10 at 95 %: the textbook critical value gives c = 9 (P(W⁺ ≤ 8) = 25/1024 ≤ 0.025).
        let d: Vec<f64> = (1..=10).map(f64::from).collect();
        let w = walsh_averages(&d);
        let [lo, hi] = hodges_lehmann_interval(&d, 0.95).unwrap();
        assert_eq!((lo, hi), (w[8], w[w.len() - 9]));
        let h = hodges_lehmann(&d);
        assert!(lo < h && h < hi);
        assert!(hodges_lehmann_interval(&[], 0.95).is_none());
    }

    #[test]
    fn a_consistent_shift_is_found_and_noise_is_not() {
        let noise = [
            0.03, -0.05, 0.02, -0.01, 0.04, -0.03, 0.01, -0.02, 0.05, -0.04,
        ];
        let r = signed_rank(&noise).unwrap();
        assert!(r.p_two_sided > 0.5, "{r:?}");
        let shifted: Vec<f64> = noise.iter().map(|x| x + 0.10).collect();
        let r = signed_rank(&shifted).unwrap();
        assert!(close(r.p_greater, 1.0 / 1024.0), "{r:?}");
    }
}
