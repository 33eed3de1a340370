//! Every SIMD tier against the scalar tier and against an f64 reference, on
//! lengths 0..=300 (every tail of both vector widths) and on special values.
//! Tiers this CPU lacks are skipped with a message (`for_each_available_tier`).

use proptest::prelude::*;
use smallmind::Tier;
use smallmind::kernels::broadcast::{self, Plan};
use smallmind::kernels::elementwise::{self, BinOp};
use smallmind::kernels::{gelu, layernorm, reduce, softmax};
use smallmind::simd::for_each_available_tier;

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;

/// |got − want| ≤ atol + rtol·|want|, with NaN matching NaN and equal infinities matching.
fn close(got: f32, want: f64, rtol: f64, atol: f64) -> bool {
    let g = got as f64;
    if want.is_nan() {
        return g.is_nan();
    }
    if want.is_infinite() || g.is_infinite() {
        return g == want;
    }
    (g - want).abs() <= atol + rtol * want.abs()
}

fn assert_close(what: &str, tier: Tier, got: &[f32], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{what} on {tier}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(g, w, rtol, atol),
            "{what} on {tier}: element {i} of {}: got {g:e}, want {w:e}",
            got.len()
        );
    }
}

fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// Run `f` on the scalar tier and on every SIMD tier; check each against the
/// f64 reference, and the SIMD tiers against the scalar output too.
fn check_tiers(
    what: &str,
    want: &[f64],
    rtol: f64,
    atol: f64,
    mut f: impl FnMut(Tier) -> Vec<f32>,
) {
    let scalar = f(Tier::Scalar);
    assert_close(what, Tier::Scalar, &scalar, want, rtol, atol);
    for_each_available_tier(|tier| {
        if tier == Tier::Scalar {
            return;
        }
        let got = f(tier);
        assert_close(what, tier, &got, want, rtol, atol);
        assert_close(
            &format!("{what} vs scalar"),
            tier,
            &got,
            &widen(&scalar),
            2.0 * rtol,
            2.0 * atol,
        );
    });
}

fn vec_strategy(max: f32) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(-max..max, 0..=300usize)
}

fn gelu_tanh_ref(x: f64) -> f64 {
    0.5 * x * (1.0 + (SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)).tanh())
}

fn gelu_tanh_grad_ref(x: f64) -> f64 {
    let u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
    let t = u.tanh();
    let du = SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x * x);
    0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
}

fn gelu_erf_ref(x: f64) -> f64 {
    0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
}

fn gelu_erf_grad_ref(x: f64) -> f64 {
    let cdf = 0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2));
    cdf + x * (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

fn softmax_ref(x: &[f32], cols: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks(cols) {
        let m = row
            .iter()
            .map(|&v| v as f64)
            .fold(f64::NEG_INFINITY, f64::max);
        let m = if m == f64::NEG_INFINITY { 0.0 } else { m };
        let e: Vec<f64> = row.iter().map(|&v| (v as f64 - m).exp()).collect();
        let s: f64 = e.iter().sum();
        out.extend(e.iter().map(|v| if s == 0.0 { 0.0 } else { v / s }));
    }
    out
}

fn log_softmax_ref(x: &[f32], cols: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks(cols) {
        let m = row
            .iter()
            .map(|&v| v as f64)
            .fold(f64::NEG_INFINITY, f64::max);
        let lse = m + row.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
        out.extend(row.iter().map(|&v| v as f64 - lse));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn elementwise_ops(a in vec_strategy(1e3), seed in 0u32..1000) {
        let n = a.len();
        let b: Vec<f32> = (0..n).map(|i| ((i as u32 * 7919 + seed) % 2001) as f32 * 0.37 - 370.0).collect();
        for op in [BinOp::Add, BinOp::Sub, BinOp::Mul] {
            let want: Vec<f64> = a.iter().zip(&b).map(|(&x, &y)| op.eval(x, y) as f64).collect();
            check_tiers(op.name(), &want, 0.0, 0.0, |t| {
                let mut out = vec![f32::NAN; n];
                match op {
                    BinOp::Add => elementwise::add_with(t, &a, &b, &mut out),
                    BinOp::Sub => elementwise::sub_with(t, &a, &b, &mut out),
                    BinOp::Mul => elementwise::mul_with(t, &a, &b, &mut out),
                }.unwrap();
                out
            });
        }
        let want: Vec<f64> = a.iter().map(|&x| (x * 1.5) as f64).collect();
        check_tiers("scale", &want, 0.0, 0.0, |t| {
            let mut out = vec![0.0; n];
            elementwise::scale_with(t, &a, 1.5, &mut out).unwrap();
            out
        });
        let want: Vec<f64> = a.iter().zip(&b).map(|(&x, &y)| y as f64 + 0.3 * x as f64).collect();
        check_tiers("axpy", &want, 1e-6, 1e-4, |t| {
            let mut y = b.clone();
            elementwise::axpy_with(t, 0.3, &a, &mut y).unwrap();
            y
        });
        let want: Vec<f64> = a.iter().zip(&b).map(|(&x, &y)| (x + y) as f64).collect();
        check_tiers("add_assign", &want, 0.0, 0.0, |t| {
            let mut y = a.clone();
            elementwise::add_assign_with(t, &mut y, &b).unwrap();
            y
        });
    }

    #[test]
    fn gelu_forward_and_backward(x in vec_strategy(12.0)) {
        let n = x.len();
        let dy: Vec<f32> = (0..n).map(|i| (i % 7) as f32 * 0.25 - 0.75).collect();
        let want: Vec<f64> = x.iter().map(|&v| gelu_tanh_ref(v as f64)).collect();
        check_tiers("gelu_tanh", &want, 2e-6, 2e-7, |t| {
            let mut out = vec![0.0; n];
            gelu::gelu_tanh_with(t, &x, &mut out).unwrap();
            out
        });
        let want: Vec<f64> = x.iter().map(|&v| gelu_erf_ref(v as f64)).collect();
        check_tiers("gelu_erf", &want, 2e-6, 1e-6, |t| {
            let mut out = vec![0.0; n];
            gelu::gelu_erf_with(t, &x, &mut out).unwrap();
            out
        });
        // Backward accumulates: start from 1.0.
        let want: Vec<f64> = x.iter().zip(&dy).map(|(&v, &g)| 1.0 + g as f64 * gelu_tanh_grad_ref(v as f64)).collect();
        check_tiers("gelu_tanh_backward", &want, 2e-6, 2e-6, |t| {
            let mut dx = vec![1.0; n];
            gelu::gelu_tanh_backward_with(t, &x, &dy, &mut dx).unwrap();
            dx
        });
        let want: Vec<f64> = x.iter().zip(&dy).map(|(&v, &g)| 1.0 + g as f64 * gelu_erf_grad_ref(v as f64)).collect();
        check_tiers("gelu_erf_backward", &want, 2e-6, 2e-6, |t| {
            let mut dx = vec![1.0; n];
            gelu::gelu_erf_backward_with(t, &x, &dy, &mut dx).unwrap();
            dx
        });
    }

    #[test]
    fn softmax_family(x in vec_strategy(30.0), rows in 1usize..4) {
        let cols = (x.len() / rows).max(1);
        let x: Vec<f32> = x[..(x.len() / cols) * cols].to_vec();
        let n = x.len();
        let want = softmax_ref(&x, cols);
        check_tiers("softmax", &want, 1e-5, 1e-9, |t| {
            let mut out = vec![0.0; n];
            softmax::softmax_rows_with(t, &x, &mut out, cols).unwrap();
            out
        });
        let want = log_softmax_ref(&x, cols);
        check_tiers("log_softmax", &want, 1e-6, 1e-5, |t| {
            let mut out = vec![0.0; n];
            softmax::log_softmax_rows_with(t, &x, &mut out, cols).unwrap();
            out
        });
        let y: Vec<f32> = softmax_ref(&x, cols).iter().map(|&v| v as f32).collect();
        let dy: Vec<f32> = (0..n).map(|i| (i % 5) as f32 - 2.0).collect();
        let mut want = Vec::with_capacity(n);
        for (yr, gr) in y.chunks(cols).zip(dy.chunks(cols)) {
            let dot: f64 = yr.iter().zip(gr).map(|(&a, &b)| a as f64 * b as f64).sum();
            want.extend(yr.iter().zip(gr).map(|(&a, &b)| 0.5 + a as f64 * (b as f64 - dot)));
        }
        check_tiers("softmax_backward", &want, 1e-5, 1e-5, |t| {
            let mut dx = vec![0.5; n];
            softmax::softmax_backward_with(t, &y, &dy, &mut dx, cols).unwrap();
            dx
        });
        let ly: Vec<f32> = log_softmax_ref(&x, cols).iter().map(|&v| v as f32).collect();
        let mut want = Vec::with_capacity(n);
        for (yr, gr) in ly.chunks(cols).zip(dy.chunks(cols)) {
            let s: f64 = gr.iter().map(|&b| b as f64).sum();
            want.extend(yr.iter().zip(gr).map(|(&a, &b)| 0.5 + b as f64 - (a as f64).exp() * s));
        }
        check_tiers("log_softmax_backward", &want, 1e-5, 1e-4, |t| {
            let mut dx = vec![0.5; n];
            softmax::log_softmax_backward_with(t, &ly, &dy, &mut dx, cols).unwrap();
            dx
        });
    }

    #[test]
    fn layer_norm_forward_and_backward(x in vec_strategy(5.0), rows in 1usize..4) {
        let cols = (x.len() / rows).max(1);
        let x: Vec<f32> = x[..(x.len() / cols) * cols].to_vec();
        let (n, r) = (x.len(), x.len() / cols);
        let gamma: Vec<f32> = (0..cols).map(|c| 0.5 + (c % 3) as f32 * 0.25).collect();
        let beta: Vec<f32> = (0..cols).map(|c| (c % 4) as f32 * 0.1).collect();
        let dy: Vec<f32> = (0..n).map(|i| (i % 9) as f32 * 0.2 - 0.8).collect();
        let eps = 1e-5f64;
        // f64 reference, forward and backward.
        let (mut want, mut wmean, mut wrstd) = (vec![], vec![], vec![]);
        let (mut wdx, mut wdg, mut wdb) = (vec![], vec![0.25f64; cols], vec![0.25f64; cols]);
        for (xr, gr) in x.chunks(cols).zip(dy.chunks(cols)) {
            let m = xr.iter().map(|&v| v as f64).sum::<f64>() / cols as f64;
            let var = xr.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / cols as f64;
            let s = 1.0 / (var + eps).sqrt();
            let xhat: Vec<f64> = xr.iter().map(|&v| (v as f64 - m) * s).collect();
            want.extend((0..cols).map(|c| xhat[c] * gamma[c] as f64 + beta[c] as f64));
            wmean.push(m);
            wrstd.push(s);
            let dn: Vec<f64> = (0..cols).map(|c| gamma[c] as f64 * gr[c] as f64).collect();
            let dm = dn.iter().sum::<f64>() / cols as f64;
            let dnm = dn.iter().zip(&xhat).map(|(a, b)| a * b).sum::<f64>() / cols as f64;
            for c in 0..cols {
                wdx.push(0.25 + (dn[c] - dm - xhat[c] * dnm) * s);
                wdg[c] += xhat[c] * gr[c] as f64;
                wdb[c] += gr[c] as f64;
            }
        }
        let mut saved = (vec![0.0f32; r], vec![0.0f32; r]);
        check_tiers("layer_norm", &want, 1e-4, 1e-4, |t| {
            let (mut out, mut mean, mut rstd) = (vec![0.0; n], vec![0.0; r], vec![0.0; r]);
            layernorm::layer_norm_with(t, &x, &gamma, &beta, eps as f32, &mut out, &mut mean, &mut rstd).unwrap();
            assert_close("layer_norm mean", t, &mean, &wmean, 1e-5, 1e-5);
            assert_close("layer_norm rstd", t, &rstd, &wrstd, 1e-3, 1e-3);
            saved = (mean, rstd);
            out
        });
        let (mean, rstd) = saved;
        let grads = |t: Tier| {
            let (mut dx, mut dg, mut db) = (vec![0.25; n], vec![0.25; cols], vec![0.25; cols]);
            layernorm::layer_norm_backward_with(t, &dy, &x, &gamma, &mean, &rstd, &mut dx, &mut dg, &mut db).unwrap();
            (dx, dg, db)
        };
        check_tiers("layer_norm_backward dx", &wdx, 1e-3, 1e-3, |t| grads(t).0);
        check_tiers("layer_norm_backward dgamma", &wdg, 1e-3, 1e-3, |t| grads(t).1);
        check_tiers("layer_norm_backward dbeta", &wdb, 1e-5, 1e-4, |t| grads(t).2);
    }

    #[test]
    fn reductions(x in vec_strategy(100.0)) {
        let s: f64 = x.iter().map(|&v| v as f64).sum();
        let abs: f64 = x.iter().map(|&v| (v as f64).abs()).sum();
        let tol = 2e-5 * abs + 1e-6;
        let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        check_tiers("sum", &[s], 0.0, tol, |t| vec![reduce::sum_with(t, &x).unwrap()]);
        let want_mean = if x.is_empty() { f64::NAN } else { s / x.len() as f64 };
        let mtol = tol / x.len().max(1) as f64;
        check_tiers("mean", &[want_mean], 0.0, mtol, |t| vec![reduce::mean_with(t, &x).unwrap()]);
        check_tiers("max", &[m as f64], 0.0, 0.0, |t| vec![reduce::max_with(t, &x).unwrap()]);
    }

    #[test]
    fn broadcast_row_and_col(x in vec_strategy(50.0), rows in 1usize..6) {
        let cols = (x.len() / rows).max(1);
        let x: Vec<f32> = x[..(x.len() / cols) * cols].to_vec();
        let (n, r) = (x.len(), x.len() / cols);
        let row: Vec<f32> = (0..cols).map(|c| c as f32 * 0.5 - 3.0).collect();
        let col: Vec<f32> = (0..r).map(|i| i as f32 * 1.5 + 0.25).collect();
        for op in [BinOp::Add, BinOp::Sub, BinOp::Mul] {
            let want: Vec<f64> = (0..n).map(|i| op.eval(x[i], row[i % cols]) as f64).collect();
            check_tiers("broadcast row", &want, 0.0, 0.0, |t| {
                let mut out = vec![0.0; n];
                broadcast::row_with(t, op, &x, &row, &mut out).unwrap();
                out
            });
            let want: Vec<f64> = (0..n).map(|i| op.eval(x[i], col[i / cols]) as f64).collect();
            check_tiers("broadcast col", &want, 0.0, 0.0, |t| {
                let mut out = vec![0.0; n];
                broadcast::col_with(t, op, &x, &col, &mut out).unwrap();
                out
            });
            // (1, C) op (R, 1): both operands broadcast.
            let (plan, shape) = Plan::new(op.name(), &[1, cols], &[r, 1]).unwrap();
            assert_eq!(shape.dims(), &[r, cols]);
            let want: Vec<f64> = (0..r * cols).map(|i| op.eval(row[i % cols], col[i / cols]) as f64).collect();
            check_tiers("broadcast outer", &want, 0.0, 0.0, |t| {
                let mut out = vec![0.0; r * cols];
                broadcast::binary_with(t, op, &plan, &row, &col, &mut out).unwrap();
                out
            });
        }
    }
}

const SPECIALS: [f32; 16] = [
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    1e30,
    -1e30,
    1e-40,
    -1e-40,
    f32::MIN_POSITIVE,
    0.0,
    -0.0,
    1.0,
    -1.0,
    20.0,
    -20.0,
    f32::MAX,
    f32::MIN,
];

/// Special values sit at every position of a vector (head, body and tail lanes).
fn specials_of_length(n: usize, shift: usize) -> Vec<f32> {
    (0..n)
        .map(|i| SPECIALS[(i + shift) % SPECIALS.len()])
        .collect()
}

#[test]
fn special_values_agree_with_scalar_and_f64() {
    for n in [1, 7, 16, 17, 33, 47] {
        for shift in 0..SPECIALS.len() {
            let x = specials_of_length(n, shift);
            let want: Vec<f64> = x.iter().map(|&v| gelu_tanh_ref(v as f64)).collect();
            check_tiers("gelu_tanh specials", &want, 2e-6, 1e-30, |t| {
                let mut out = vec![0.0; n];
                gelu::gelu_tanh_with(t, &x, &mut out).unwrap();
                out
            });
            let want: Vec<f64> = x.iter().map(|&v| gelu_erf_ref(v as f64)).collect();
            check_tiers("gelu_erf specials", &want, 2e-6, 1e-30, |t| {
                let mut out = vec![0.0; n];
                gelu::gelu_erf_with(t, &x, &mut out).unwrap();
                out
            });
            let want: Vec<f64> = x.iter().map(|&v| (v + 1.0) as f64).collect();
            check_tiers("add specials", &want, 0.0, 0.0, |t| {
                let mut out = vec![0.0; n];
                elementwise::add_with(t, &x, &vec![1.0; n], &mut out).unwrap();
                out
            });
            let has_nan = x.iter().any(|v| v.is_nan());
            let want_max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            for t in Tier::available() {
                let m = reduce::max_with(t, &x).unwrap();
                let s = reduce::sum_with(t, &x).unwrap();
                if has_nan {
                    assert!(m.is_nan(), "max of a slice with NaN on {t} is {m}");
                    assert!(s.is_nan(), "sum of a slice with NaN on {t} is {s}");
                } else {
                    assert_eq!(m, want_max, "max of {x:?} on {t}");
                }
            }
        }
    }
}

#[test]
fn softmax_masks_extremes_and_nan() {
    let cases: Vec<(Vec<f32>, &str)> = vec![
        (vec![f32::NEG_INFINITY; 37], "all -inf row"),
        (
            (0..37)
                .map(|i| if i % 3 == 0 { 1.0 } else { f32::NEG_INFINITY })
                .collect(),
            "causal-style -inf mask",
        ),
        (
            (0..37)
                .map(|i| if i % 2 == 0 { f32::MAX } else { -f32::MAX })
                .collect(),
            "±f32::MAX",
        ),
        (
            (0..37).map(|i| f32::MAX - i as f32 * 1e32).collect(),
            "near f32::MAX",
        ),
        (
            (0..37).map(|i| 1e30 * (i as f32 - 18.0)).collect(),
            "1e30 magnitudes",
        ),
        ((0..37).map(|i| (i as f32) * 1e-40).collect(), "subnormals"),
    ];
    for (x, what) in cases {
        let want = softmax_ref(&x, x.len());
        check_tiers(what, &want, 2e-6, 1e-30, |t| {
            let mut out = vec![0.0; x.len()];
            softmax::softmax_rows_with(t, &x, &mut out, x.len()).unwrap();
            assert!(out.iter().all(|v| v.is_finite()), "{what} on {t}: {out:?}");
            out
        });
    }
    // A NaN anywhere poisons the whole row and only that row, on every tier.
    let mut x = vec![0.5f32; 2 * 37];
    x[40] = f32::NAN;
    for t in Tier::available() {
        let mut out = vec![0.0; x.len()];
        softmax::softmax_rows_with(t, &x, &mut out, 37).unwrap();
        assert!(
            out[..37].iter().all(|v| (v - 1.0 / 37.0).abs() < 1e-6),
            "{t}"
        );
        assert!(out[37..].iter().all(|v| v.is_nan()), "{t}: NaN row not NaN");
    }
}

#[test]
fn unavailable_tier_is_an_error_not_a_crash() {
    for t in Tier::ALL {
        let mut out = [0.0f32; 3];
        let r = gelu::gelu_tanh_with(t, &[1.0, 2.0, 3.0], &mut out);
        assert_eq!(r.is_ok(), t.is_available(), "{t}");
    }
}

#[test]
fn length_mismatches_are_errors() {
    let mut out = [0.0f32; 3];
    let e = elementwise::add(&[1.0; 3], &[1.0; 4], &mut out)
        .unwrap_err()
        .to_string();
    assert!(e.contains("add"), "{e}");
    assert!(softmax::softmax_rows(&[1.0; 4], &mut [0.0; 4], 3).is_err());
    assert!(broadcast::add_row(&[1.0; 6], &[1.0; 4], &mut [0.0; 6]).is_err());
    assert!(broadcast::add_col(&[1.0; 6], &[1.0; 3], &mut [0.0; 5]).is_err());
}
