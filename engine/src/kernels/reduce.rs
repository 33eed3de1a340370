//! Reductions: sum, mean, max.
// x: (N,)

/// Σ x (0 for an empty slice).
pub fn sum(x: &[f32]) -> f32 {
    x.iter().sum()
}

/// Σ x / N (NaN for an empty slice: the mean of nothing is undefined).
pub fn mean(x: &[f32]) -> f32 {
    if x.is_empty() {
        f32::NAN
    } else {
        sum(x) / x.len() as f32
    }
}

/// max x (−∞ for an empty slice; NaN if any element is NaN).
pub fn max(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, |m, v| {
        if v.is_nan() || m.is_nan() {
            f32::NAN
        } else {
            m.max(v)
        }
    })
}
