//! Benjamini–Hochberg false-discovery-rate control: q-values (adjusted p-values).
//!
//! A comparison runs dozens of tests; at α = 0.01 each, some would fire by
//! chance. Declaring "q < α" keeps the expected share of false alarms among
//! the reported changes below α.

/// BH-adjusted p-values, in the order of `p`: q₍ᵢ₎ = min over j ≥ i of p₍ⱼ₎·m/j
/// (sorted ascending, 1-based), capped at 1. NaN p-values stay NaN and do not
/// count as tests.
pub fn q_values(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = idx.len() as f64;
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![f64::NAN; p.len()];
    let mut running = 1.0_f64;
    for (rank0, &i) in idx.iter().enumerate().rev() {
        let adjusted = p[i] * m / (rank0 + 1) as f64;
        running = running.min(adjusted);
        q[i] = running.min(1.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of Benjamini & Hochberg (1995), 15 p-values; at
    /// q < 0.05 the first four are discoveries. Adjusted values computed by hand
    /// (and equal to R's `p.adjust(p, "BH")`).
    #[test]
    fn benjamini_hochberg_1995_example() {
        let p = [
            0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262,
            0.5719, 0.6528, 0.7590, 1.0000,
        ];
        let want = [
            0.0015,
            0.0030,
            0.0095,
            0.035625,
            0.0603,
            0.06385714285714286,
            0.06385714285714286,
            0.0645,
            0.0765,
            0.486,
            0.5811818181818182,
            0.714875,
            0.7532307692307693,
            0.8132142857142857,
            1.0,
        ];
        let q = q_values(&p);
        for (i, (a, b)) in q.iter().zip(want).enumerate() {
            assert!((a - b).abs() < 1e-12, "q[{i}] = {a}, want {b}");
        }
        assert_eq!(q.iter().filter(|&&v| v < 0.05).count(), 4);
    }

    #[test]
    fn order_is_preserved_and_nan_ignored() {
        let q = q_values(&[0.04, f64::NAN, 0.01, 0.03]);
        // m = 3: sorted 0.01, 0.03, 0.04 → 0.03, 0.045, 0.04 → monotone: 0.03, 0.04, 0.04
        assert!((q[2] - 0.03).abs() < 1e-15);
        assert!((q[3] - 0.04).abs() < 1e-15);
        assert!((q[0] - 0.04).abs() < 1e-15);
        assert!(q[1].is_nan());
        assert!(q_values(&[]).is_empty());
    }
}
