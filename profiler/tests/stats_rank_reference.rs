//! Mann–Whitney p-values against SciPy: the outputs of
//! `python3 scripts/mw_reference.py` (scipy 1.17.1,
//! `mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")`), pasted here.

use smprof::stats::mann_whitney::mann_whitney_u;

fn check(name: &str, x: &[f64], y: &[f64], u1: f64, p: f64) {
    let r = mann_whitney_u(x, y).expect(name);
    assert_eq!(r.u1, u1, "{name}: U1");
    let rel = ((r.p_value - p) / p).abs();
    assert!(rel < 1e-9, "{name}: p = {:e}, scipy {p:e}", r.p_value);
}

#[test]
fn matches_scipy_asymptotic_two_sided() {
    check(
        "disjoint_5_5",
        &[1.0, 2.0, 3.0, 4.0, 5.0],
        &[6.0, 7.0, 8.0, 9.0, 10.0],
        0.0,
        0.012185780355344813,
    );
    check(
        "interleaved",
        &[1.0, 2.5, 3.0, 4.0, 7.0],
        &[2.0, 5.0, 6.0, 8.0, 9.0, 9.0],
        6.0,
        0.11984615709682368,
    );
    check(
        "heavy_ties",
        &[1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0],
        &[2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 4.0, 5.0, 5.0],
        14.5,
        0.03800251584234408,
    );
    let x: Vec<f64> = (0..30)
        .map(|i| 1.00 + 0.013 * ((i * 7) % 11) as f64)
        .collect();
    let y: Vec<f64> = (0..30)
        .map(|i| 1.04 + 0.013 * ((i * 5) % 13) as f64)
        .collect();
    check("timings_30", &x, &y, 195.0, 0.00016603220150610337);
    let y: Vec<f64> = (0..40).map(|i| (9 + i % 9) as f64).collect();
    check(
        "unequal_3_40",
        &[10.0, 11.0, 12.5],
        &y,
        40.0,
        0.3496374244621804,
    );
    let x: Vec<f64> = (0..30).map(|i| 1.0 + 0.001 * i as f64).collect();
    let y: Vec<f64> = (0..30).map(|i| 5.0 + 0.001 * i as f64).collect();
    check("far_apart_30", &x, &y, 0.0, 3.019859359162157e-11);
    check("identical_values", &[3.0; 3], &[3.0; 4], 6.0, 1.0);
    check("single_each", &[1.0], &[2.0], 0.0, 1.0);
}
