//! A linear layer's bias add fused with the tanh GELU that follows it,
//! forward and backward side by side.
// pre, out, d: (R, N) row-major; bias, dbias: (N,)
//
// Forward: the product is written without its bias (sgemm β = 0) and this one
// pass reads it, adds the bias and applies GELU: no pass that fills the
// output with the broadcast bias first. Backward: the upstream gradient is
// turned into the pre-activation gradient in place and the bias gradient
// (its column sums) is gathered in the same pass: no zero-filled gradient
// buffer and no separate pass over it for the bias.

use super::gelu::{gelu_tanh_grad_one, gelu_tanh_grad_v, gelu_tanh_one, gelu_tanh_v};
use super::{same_len, whole_rows};
use crate::error::Result;
use crate::profile::{Op, scope};
use crate::simd::vector::{SimdF32, load_n, store_n};
use crate::simd::{self, Tier, simd_kernel};

/// out = gelu_tanh(pre + bias), the bias repeated on every row.
pub fn bias_gelu(pre: &[f32], bias: &[f32], out: &mut [f32]) -> Result<()> {
    bias_gelu_with(simd::active(), pre, bias, out)
}

/// [`bias_gelu`] on a chosen tier.
pub fn bias_gelu_with(tier: Tier, pre: &[f32], bias: &[f32], out: &mut [f32]) -> Result<()> {
    same_len("bias_gelu", pre.len(), out.len())?;
    whole_rows("bias_gelu", pre.len(), bias.len())?;
    simd::ensure_available(tier)?;
    if bias.is_empty() {
        return Ok(());
    }
    let _s = scope(Op::Gelu);
    forward(tier, pre, bias, out);
    Ok(())
}

/// In place, `d` = dy on entry: d ← dy ⊙ gelu_tanh′(pre + bias), the gradient
/// of the pre-activation; dbias = (or, with `accumulate`, +=) the column sums of it.
pub fn bias_gelu_backward(
    pre: &[f32],
    bias: &[f32],
    d: &mut [f32],
    dbias: &mut [f32],
    accumulate: bool,
) -> Result<()> {
    bias_gelu_backward_with(simd::active(), pre, bias, d, dbias, accumulate)
}

/// [`bias_gelu_backward`] on a chosen tier.
pub fn bias_gelu_backward_with(
    tier: Tier,
    pre: &[f32],
    bias: &[f32],
    d: &mut [f32],
    dbias: &mut [f32],
    accumulate: bool,
) -> Result<()> {
    same_len("bias_gelu_backward", pre.len(), d.len())?;
    same_len("bias_gelu_backward", bias.len(), dbias.len())?;
    whole_rows("bias_gelu_backward", pre.len(), bias.len())?;
    simd::ensure_available(tier)?;
    if !accumulate {
        dbias.fill(0.0);
    }
    if bias.is_empty() {
        return Ok(());
    }
    let _s = scope(Op::Gelu);
    backward(tier, pre, bias, d, dbias);
    Ok(())
}

// ---------------------------------------------------------------------------
// Scalar specification.

fn forward_scalar(pre: &[f32], bias: &[f32], out: &mut [f32]) {
    let n = bias.len();
    for (pr, or) in pre.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
        for ((o, &p), &b) in or.iter_mut().zip(pr).zip(bias) {
            *o = gelu_tanh_one(p + b);
        }
    }
}

fn backward_scalar(pre: &[f32], bias: &[f32], d: &mut [f32], dbias: &mut [f32]) {
    let n = bias.len();
    for (pr, dr) in pre.chunks_exact(n).zip(d.chunks_exact_mut(n)) {
        for (((g, &p), &b), db) in dr.iter_mut().zip(pr).zip(bias).zip(dbias.iter_mut()) {
            *g *= gelu_tanh_grad_one(p + b);
            *db += *g;
        }
    }
}

// ---------------------------------------------------------------------------
// SIMD bodies: each row in whole vectors and one masked tail (tail lanes read
// 0 and are never stored).

#[inline(always)]
unsafe fn forward_simd<S: SimdF32>(pre: &[f32], bias: &[f32], out: &mut [f32]) {
    let n = bias.len();
    let bp = bias.as_ptr();
    for (pr, or) in pre.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
        let (pp, op) = (pr.as_ptr(), or.as_mut_ptr());
        let mut j = 0;
        // SAFETY: j < n; every access stays in its row of n (masked past n).
        unsafe {
            while j < n {
                let x = S::add(load_n::<S>(pp.add(j), n - j), load_n::<S>(bp.add(j), n - j));
                store_n::<S>(op.add(j), n - j, gelu_tanh_v::<S>(x));
                j += S::LANES;
            }
        }
    }
}

#[inline(always)]
unsafe fn backward_simd<S: SimdF32>(pre: &[f32], bias: &[f32], d: &mut [f32], dbias: &mut [f32]) {
    let n = bias.len();
    let (bp, dbp) = (bias.as_ptr(), dbias.as_mut_ptr());
    for (pr, dr) in pre.chunks_exact(n).zip(d.chunks_exact_mut(n)) {
        let (pp, dp) = (pr.as_ptr(), dr.as_mut_ptr());
        let mut j = 0;
        // SAFETY: as in forward_simd; dbias has n elements.
        unsafe {
            while j < n {
                let m = n - j;
                let x = S::add(load_n::<S>(pp.add(j), m), load_n::<S>(bp.add(j), m));
                let g = S::mul(load_n::<S>(dp.add(j), m), gelu_tanh_grad_v::<S>(x));
                store_n::<S>(dp.add(j), m, g);
                store_n::<S>(dbp.add(j), m, S::add(load_n::<S>(dbp.add(j), m), g));
                j += S::LANES;
            }
        }
    }
}

simd_kernel! {
    fn forward(pre: &[f32], bias: &[f32], out: &mut [f32]);
    scalar = forward_scalar;
    simd = forward_simd;
}

simd_kernel! {
    fn backward(pre: &[f32], bias: &[f32], d: &mut [f32], dbias: &mut [f32]);
    scalar = backward_scalar;
    simd = backward_simd;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::gelu;

    fn randv(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = crate::rng::Rng::new(seed);
        (0..n).map(|_| 2.0 * rng.normal()).collect()
    }

    /// Widths below, at and past a vector, and with tails on both tiers.
    const WIDTHS: [usize; 6] = [1, 7, 8, 16, 37, 64];

    #[test]
    fn equals_bias_add_then_gelu_on_every_tier() {
        for n in WIDTHS {
            let rows = 5;
            let (pre, bias) = (randv(rows * n, 1), randv(n, 2));
            let added: Vec<f32> = pre
                .chunks_exact(n)
                .flat_map(|r| r.iter().zip(&bias).map(|(p, b)| p + b))
                .collect();
            crate::simd::for_each_available_tier(|tier| {
                let mut want = vec![0.0; rows * n];
                gelu::gelu_tanh_with(tier, &added, &mut want).unwrap();
                let mut got = vec![f32::NAN; rows * n];
                bias_gelu_with(tier, &pre, &bias, &mut got).unwrap();
                assert_eq!(got, want, "{tier:?} width {n}");
            });
        }
    }

    #[test]
    fn backward_equals_gelu_backward_and_column_sums_on_every_tier() {
        for n in WIDTHS {
            let rows = 6;
            let (pre, bias, dy) = (randv(rows * n, 3), randv(n, 4), randv(rows * n, 5));
            let added: Vec<f32> = pre
                .chunks_exact(n)
                .flat_map(|r| r.iter().zip(&bias).map(|(p, b)| p + b))
                .collect();
            crate::simd::for_each_available_tier(|tier| {
                let mut want = vec![0.0; rows * n];
                gelu::gelu_tanh_backward_with(tier, &added, &dy, &mut want).unwrap();
                let mut want_db = vec![0.5; n];
                for r in want.chunks_exact(n) {
                    for (d, &v) in want_db.iter_mut().zip(r) {
                        *d += v;
                    }
                }
                let mut d = dy.clone();
                let mut db = vec![0.5; n];
                bias_gelu_backward_with(tier, &pre, &bias, &mut d, &mut db, true).unwrap();
                assert_eq!(d, want, "{tier:?} width {n}");
                for (a, b) in db.iter().zip(&want_db) {
                    assert!(
                        (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                        "{tier:?} {a} vs {b}"
                    );
                }
                // Not accumulating: stale contents are replaced.
                let mut d = dy.clone();
                let mut db2 = vec![f32::NAN; n];
                bias_gelu_backward_with(tier, &pre, &bias, &mut d, &mut db2, false).unwrap();
                for (a, b) in db2.iter().zip(&want_db) {
                    assert!((a - (b - 0.5)).abs() <= 1e-5 * (1.0 + b.abs()), "{tier:?}");
                }
            });
        }
    }

    #[test]
    fn mismatched_lengths_are_errors() {
        let mut out = vec![0.0; 6];
        assert!(bias_gelu(&[0.0; 6], &[0.0; 4], &mut out).is_err());
        assert!(bias_gelu(&[0.0; 6], &[0.0; 3], &mut out[..5]).is_err());
        let mut db = vec![0.0; 2];
        assert!(bias_gelu_backward(&[0.0; 6], &[0.0; 3], &mut out, &mut db, true).is_err());
    }
}
