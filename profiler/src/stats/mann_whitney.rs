//! The two-sided Mann–Whitney U test (Wilcoxon rank-sum), asymptotic normal
//! approximation with tie correction and continuity correction. It gives the
//! same p-value as `scipy.stats.mannwhitneyu(x, y, alternative="two-sided",
//! method="asymptotic")` (checked in tests against `scripts/mw_reference.py`).
//!
//! A rank test because timings are skewed and carry outliers; it asks whether
//! one side tends to be larger, without assuming a distribution.

use super::normal;

/// The outcome of one test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U statistic of the first sample (scipy's `statistic`).
    pub u1: f64,
    /// Standardised statistic (continuity-corrected), ≥ 0.
    pub z: f64,
    /// Two-sided p-value in [0, 1].
    pub p_value: f64,
}

/// Test `x` against `y`. Returns `None` when either side is empty or holds a
/// non-finite value: there is nothing to test.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    // Pool, sort, and give tied values their average rank.
    let mut pooled: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = pooled.len();
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0; // Σ (t³ − t) over tie groups
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && pooled[j].0 == pooled[i].0 {
            j += 1;
        }
        let t = (j - i) as f64;
        let avg_rank = (i + 1 + j) as f64 / 2.0; // ranks i+1 ..= j
        rank_sum_x += avg_rank * pooled[i..j].iter().filter(|p| p.1).count() as f64;
        tie_term += t * t * t - t;
        i = j;
    }
    let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
    let u1 = rank_sum_x - n1f * (n1f + 1.0) / 2.0;
    let u2 = n1f * n2f - u1;
    let u = u1.max(u2);
    let mu = n1f * n2f / 2.0;
    let var = n1f * n2f / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    if var <= 0.0 || nf < 2.0 {
        // Every value tied: no evidence of any difference.
        return Some(MannWhitney {
            u1,
            z: 0.0,
            p_value: 1.0,
        });
    }
    let z = (u - mu - 0.5) / var.sqrt();
    let p = (2.0 * normal::sf(z)).clamp(0.0, 1.0);
    Some(MannWhitney {
        u1,
        z: z.max(0.0),
        p_value: p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_nan_is_none() {
        assert!(mann_whitney_u(&[], &[1.0]).is_none());
        assert!(mann_whitney_u(&[1.0, f64::NAN], &[1.0]).is_none());
    }

    #[test]
    fn all_tied_is_p_one() {
        let r = mann_whitney_u(&[2.0; 5], &[2.0; 4]).unwrap();
        assert_eq!(r.p_value, 1.0);
        assert_eq!(r.u1, 10.0);
    }

    #[test]
    fn symmetric_in_its_arguments() {
        let x = [1.0, 2.5, 3.0, 4.0, 7.0];
        let y = [2.0, 5.0, 6.0, 8.0, 9.0, 9.0];
        let a = mann_whitney_u(&x, &y).unwrap();
        let b = mann_whitney_u(&y, &x).unwrap();
        assert!((a.p_value - b.p_value).abs() < 1e-15);
        assert_eq!(a.u1 + b.u1, 30.0);
    }
}
