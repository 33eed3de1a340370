//! ASCII bars for baseline-vs-current charts: `█` for the value, `░` for the
//! rest of the scale. Correct for zero, equal and huge ratios: both bars share
//! one scale (the larger value), a non-zero value always shows at least one
//! block, and non-finite or negative values draw empty.

/// Filled cells of a `width`-cell bar for `value` on a scale whose full width is `max`.
pub fn cells(value: f64, max: f64, width: usize) -> usize {
    if width == 0 || !value.is_finite() || !max.is_finite() || value <= 0.0 || max <= 0.0 {
        return 0;
    }
    let n = (value / max * width as f64).round() as usize;
    n.clamp(1, width)
}

/// One bar.
pub fn bar(value: f64, max: f64, width: usize) -> String {
    let n = cells(value, max, width);
    format!("{}{}", "█".repeat(n), "░".repeat(width - n))
}

/// The two bars of a comparison on a shared scale.
pub fn pair(baseline: f64, current: f64, width: usize) -> (String, String) {
    let max = [baseline, current]
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    (bar(baseline, max, width), bar(current, max, width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_values() {
        assert_eq!(pair(0.0, 0.0, 5), ("░░░░░".into(), "░░░░░".into()));
        assert_eq!(pair(0.0, 3.0, 5), ("░░░░░".into(), "█████".into()));
        assert_eq!(pair(3.0, 0.0, 4), ("████".into(), "░░░░".into()));
    }

    #[test]
    fn equal_values_draw_equal_full_bars() {
        let (a, b) = pair(7.21, 7.21, 10);
        assert_eq!(a, b);
        assert_eq!(a, "█".repeat(10));
    }

    #[test]
    fn huge_ratio_keeps_the_small_bar_visible() {
        let (a, b) = pair(1.0, 1e12, 8);
        assert_eq!(a, format!("█{}", "░".repeat(7)));
        assert_eq!(b, "█".repeat(8));
        let (a, b) = pair(1e300, 1e-300, 4);
        assert_eq!((a.as_str(), b.as_str()), ("████", "█░░░"));
    }

    #[test]
    fn halves_and_bad_input() {
        assert_eq!(pair(5.0, 10.0, 10).0, "█████░░░░░");
        assert_eq!(bar(f64::NAN, 1.0, 3), "░░░");
        assert_eq!(bar(-1.0, 1.0, 3), "░░░");
        assert_eq!(pair(f64::INFINITY, 2.0, 2), ("░░".into(), "██".into()));
        assert_eq!(bar(1.0, 1.0, 0), "");
    }
}
