//! `matmul` and `matmul_backward` on tensors: batching, broadcasting, gradients
//! against an f64 reference and finite differences, errors that name the shapes.

use smallmind::Tensor;
use smallmind::matmul::{matmul, matmul_backward, matmul_backward_with, matmul_with};
use smallmind::rng::Rng;
use smallmind::simd::for_each_available_tier;

fn randn(dims: &[usize], seed: u64) -> Tensor {
    Tensor::randn(dims, 1.0, &mut Rng::new(seed)).unwrap()
}

/// Batch index → offset of that batch's matrix, broadcasting size-1 / missing axes.
fn batch_offset(dims: &[usize], out_batch: &[usize], idx: usize) -> usize {
    let r = dims.len() - 2;
    let plane = dims[r] * dims[r + 1];
    let mut coords = vec![0; out_batch.len()];
    let mut rest = idx;
    for s in (0..out_batch.len()).rev() {
        coords[s] = rest % out_batch[s];
        rest /= out_batch[s];
    }
    let lead = out_batch.len() - r;
    let mut off = 0;
    for s in 0..r {
        let c = if dims[s] == 1 { 0 } else { coords[lead + s] };
        off = off * dims[s] + c;
    }
    off * plane
}

/// f64 reference C = A·B (with broadcasting), given the expected output batch dims.
fn reference(a: &Tensor, b: &Tensor, out_batch: &[usize]) -> Vec<f64> {
    let (ad, bd) = (a.dims(), b.dims());
    let (m, k, n) = (ad[ad.len() - 2], ad[ad.len() - 1], bd[bd.len() - 1]);
    let batches: usize = out_batch.iter().product();
    let mut c = vec![0.0f64; batches * m * n];
    for bi in 0..batches {
        let (ao, bo) = (
            batch_offset(ad, out_batch, bi),
            batch_offset(bd, out_batch, bi),
        );
        for i in 0..m {
            for j in 0..n {
                c[bi * m * n + i * n + j] = (0..k)
                    .map(|p| a.data()[ao + i * k + p] as f64 * b.data()[bo + p * n + j] as f64)
                    .sum();
            }
        }
    }
    c
}

fn close(got: &[f32], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g as f64 - w).abs() <= tol * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

const CASES: &[(&[usize], &[usize], &[usize])] = &[
    // (A dims, B dims, output batch dims)
    (&[5, 7], &[7, 3], &[]),
    (&[2, 3, 17, 9], &[9, 33], &[2, 3]),
    (&[4, 6, 10], &[4, 10, 5], &[4]),
    (&[1, 6, 10], &[3, 10, 5], &[3]),
    (&[2, 1, 6, 4], &[3, 4, 5], &[2, 3]),
    (&[6, 4], &[2, 4, 5], &[2]),
    (&[3, 0, 4], &[4, 2], &[3]),
];

#[test]
fn forward_matches_reference_with_batching_and_broadcast() {
    for (ci, &(ad, bd, ob)) in CASES.iter().enumerate() {
        let (a, b) = (randn(ad, ci as u64), randn(bd, 100 + ci as u64));
        let want = reference(&a, &b, ob);
        for_each_available_tier(|tier| {
            let c = matmul_with(tier, &a, &b).unwrap();
            let mut dims = ob.to_vec();
            dims.extend([ad[ad.len() - 2], bd[bd.len() - 1]]);
            assert_eq!(c.dims(), &dims[..], "case {ci}");
            close(c.data(), &want, 1e-5, &format!("{tier} case {ci}"));
        });
    }
    let c = matmul(&randn(&[3, 4], 1), &randn(&[4, 2], 2)).unwrap();
    assert_eq!(c.dims(), &[3, 2]);
}

/// Σ(C ⊙ G) as a scalar loss, in f64.
fn loss(a: &Tensor, b: &Tensor, g: &Tensor) -> f64 {
    let c = matmul(a, b).unwrap();
    c.data()
        .iter()
        .zip(g.data())
        .map(|(&x, &y)| x as f64 * y as f64)
        .sum()
}

#[test]
fn backward_matches_finite_differences() {
    for (ci, &(ad, bd, _)) in CASES.iter().enumerate() {
        let (a, b) = (randn(ad, ci as u64), randn(bd, 100 + ci as u64));
        let c = matmul(&a, &b).unwrap();
        let g = randn(c.dims(), 200 + ci as u64);
        for_each_available_tier(|tier| {
            let (da, db) = matmul_backward_with(tier, &a, &b, &g).unwrap();
            assert_eq!(da.dims(), a.dims());
            assert_eq!(db.dims(), b.dims());
            // The loss is bilinear, so central differences are exact up to rounding.
            let h = 1e-2f32;
            for (which, x, grad) in [("dA", &a, &da), ("dB", &b, &db)] {
                for idx in (0..x.numel()).step_by(x.numel() / 7 + 1) {
                    let bump = |d: f32| {
                        let mut y = x.clone();
                        y.data_mut()[idx] += d;
                        if which == "dA" {
                            loss(&y, &b, &g)
                        } else {
                            loss(&a, &y, &g)
                        }
                    };
                    let fd = (bump(h) - bump(-h)) / (2.0 * h as f64);
                    let an = grad.data()[idx] as f64;
                    assert!(
                        (fd - an).abs() <= 2e-2 * (1.0 + an.abs()),
                        "{tier} case {ci} {which}[{idx}]: {an} vs {fd}"
                    );
                }
            }
        });
    }
}

#[test]
fn backward_of_a_linear_layer_sums_over_the_batch() {
    // x: (B, T, C) @ w: (C, OC): dW = Σ over B·T rows of xᵀ·dy, computed as one product.
    let (x, w) = (randn(&[3, 5, 8], 1), randn(&[8, 6], 2));
    let dy = randn(&[3, 5, 6], 3);
    let (dx, dw) = matmul_backward(&x, &w, &dy).unwrap();
    let mut want_dw = vec![0.0f64; 8 * 6];
    let mut want_dx = vec![0.0f64; 3 * 5 * 8];
    for r in 0..15 {
        for p in 0..8 {
            for j in 0..6 {
                let (xv, dyv, wv) = (
                    x.data()[r * 8 + p] as f64,
                    dy.data()[r * 6 + j] as f64,
                    w.data()[p * 6 + j] as f64,
                );
                want_dw[p * 6 + j] += xv * dyv;
                want_dx[r * 8 + p] += dyv * wv;
            }
        }
    }
    close(dw.data(), &want_dw, 1e-5, "dW");
    close(dx.data(), &want_dx, 1e-5, "dX");
}

#[test]
fn errors_name_the_op_and_both_shapes() {
    let err = matmul(&randn(&[2, 3], 1), &randn(&[4, 5], 2))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("matmul") && err.contains("[2, 3]") && err.contains("[4, 5]"),
        "{err}"
    );
    let err = matmul(&randn(&[2, 3, 4], 1), &randn(&[5, 4, 6], 2))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("[2, 3, 4]") && err.contains("[5, 4, 6]"),
        "{err}"
    );
    let err = matmul(&randn(&[3], 1), &randn(&[3, 2], 2))
        .unwrap_err()
        .to_string();
    assert!(err.contains("[3]") && err.contains("[3, 2]"), "{err}");
    let err = matmul_backward(&randn(&[2, 3], 1), &randn(&[3, 4], 2), &randn(&[2, 5], 3))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("matmul_backward") && err.contains("[2, 5]") && err.contains("[2, 4]"),
        "{err}"
    );
}
