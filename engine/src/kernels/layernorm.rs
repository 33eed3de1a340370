//! Layer norm over the last axis, forward and backward side by side.
// x, out, dy, dx: (R, C); gamma, beta, dgamma, dbeta: (C,); mean, rstd: (R,)

use super::lanewise::{Binary, First, Ternary, map3, sum_of};
use super::{same_len, whole_rows};
use crate::error::{Error, Result};
use crate::profile::{Op, scope};
use crate::simd::vector::SimdF32;
use crate::simd::{self, Tier, simd_kernel};

/// out = (x − mean)·rstd·gamma + beta per row; saves mean and rstd for backward.
pub fn layer_norm(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
    out: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
) -> Result<()> {
    layer_norm_with(simd::active(), x, gamma, beta, eps, out, mean, rstd)
}

/// [`layer_norm`] on a chosen tier.
pub fn layer_norm_with(
    tier: Tier,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
    out: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
) -> Result<()> {
    let cols = gamma.len();
    same_len("layer_norm", gamma.len(), beta.len())?;
    same_len("layer_norm", x.len(), out.len())?;
    let rows = whole_rows("layer_norm", x.len(), cols)?;
    if mean.len() != rows || rstd.len() != rows {
        return Err(Error::shape(
            "layer_norm",
            &[rows],
            &[mean.len(), rstd.len()],
        ));
    }
    simd::ensure_available(tier)?;
    if rows == 0 {
        return Ok(());
    }
    let _s = scope(Op::LayerNorm);
    layer_norm_dispatch(tier, x, gamma, beta, eps, out, mean, rstd);
    Ok(())
}

fn layer_norm_scalar(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
    out: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
) {
    let cols = gamma.len();
    let rows = mean.len();
    for r in 0..rows {
        let xr = &x[r * cols..(r + 1) * cols];
        let m = xr.iter().sum::<f32>() / cols as f32;
        let var = xr.iter().map(|&v| (v - m) * (v - m)).sum::<f32>() / cols as f32;
        let s = 1.0 / (var + eps).sqrt();
        for (c, o) in out[r * cols..(r + 1) * cols].iter_mut().enumerate() {
            *o = (xr[c] - m) * s * gamma[c] + beta[c];
        }
        mean[r] = m;
        rstd[r] = s;
    }
}

/// dx += …, dgamma += Σ dy·x̂, dbeta += Σ dy (accumulating, as all backward kernels).
pub fn layer_norm_backward(
    dy: &[f32],
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    rstd: &[f32],
    dx: &mut [f32],
    dgamma: &mut [f32],
    dbeta: &mut [f32],
) -> Result<()> {
    layer_norm_backward_with(simd::active(), dy, x, gamma, mean, rstd, dx, dgamma, dbeta)
}

/// [`layer_norm_backward`] on a chosen tier.
pub fn layer_norm_backward_with(
    tier: Tier,
    dy: &[f32],
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    rstd: &[f32],
    dx: &mut [f32],
    dgamma: &mut [f32],
    dbeta: &mut [f32],
) -> Result<()> {
    let cols = gamma.len();
    same_len("layer_norm_backward", x.len(), dy.len())?;
    same_len("layer_norm_backward", x.len(), dx.len())?;
    same_len("layer_norm_backward", cols, dgamma.len())?;
    same_len("layer_norm_backward", cols, dbeta.len())?;
    let rows = whole_rows("layer_norm_backward", x.len(), cols)?;
    if mean.len() != rows || rstd.len() != rows {
        return Err(Error::shape(
            "layer_norm_backward",
            &[rows],
            &[mean.len(), rstd.len()],
        ));
    }
    simd::ensure_available(tier)?;
    if rows == 0 {
        return Ok(());
    }
    let _s = scope(Op::LayerNorm);
    layer_norm_backward_dispatch(tier, dy, x, gamma, mean, rstd, dx, dgamma, dbeta);
    Ok(())
}

fn layer_norm_backward_scalar(
    dy: &[f32],
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    rstd: &[f32],
    dx: &mut [f32],
    dgamma: &mut [f32],
    dbeta: &mut [f32],
) {
    let cols = gamma.len();
    let rows = mean.len();
    for r in 0..rows {
        let (xr, gr) = (&x[r * cols..(r + 1) * cols], &dy[r * cols..(r + 1) * cols]);
        let (m, s) = (mean[r], rstd[r]);
        let mut dnorm_mean = 0.0f32;
        let mut dnorm_norm_mean = 0.0f32;
        for c in 0..cols {
            let xhat = (xr[c] - m) * s;
            let dnorm = gamma[c] * gr[c];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * xhat;
        }
        dnorm_mean /= cols as f32;
        dnorm_norm_mean /= cols as f32;
        let dxr = &mut dx[r * cols..(r + 1) * cols];
        for c in 0..cols {
            let xhat = (xr[c] - m) * s;
            let dnorm = gamma[c] * gr[c];
            dbeta[c] += gr[c];
            dgamma[c] += xhat * gr[c];
            dxr[c] += (dnorm - dnorm_mean - xhat * dnorm_norm_mean) * s;
        }
    }
}

// ---------------------------------------------------------------------------
// SIMD bodies (rows ≥ 1, cols ≥ 1, lengths checked).

/// (a − m)², the second operand ignored.
struct SqDev(f32);
impl Binary for SqDev {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, a: S::V, _b: S::V) -> S::V {
        unsafe {
            let d = S::sub(a, S::splat(self.0));
            S::mul(d, d)
        }
    }
}

/// (x − m)·s·gamma + beta
struct Normalize(f32, f32);
impl Ternary for Normalize {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, x: S::V, gamma: S::V, beta: S::V) -> S::V {
        unsafe {
            let xhat = S::mul(S::sub(x, S::splat(self.0)), S::splat(self.1));
            S::fma(xhat, gamma, beta)
        }
    }
}

#[inline(always)]
unsafe fn layer_norm_simd<S: SimdF32>(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
    out: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
) {
    let cols = gamma.len();
    for (r, (xr, or)) in x
        .chunks_exact(cols)
        .zip(out.chunks_exact_mut(cols))
        .enumerate()
    {
        unsafe {
            // Two passes (mean, then squared deviations): exact where E[x²] − m² cancels.
            let m = sum_of::<S, _>(&First, xr, xr) / cols as f32;
            let var = sum_of::<S, _>(&SqDev(m), xr, xr) / cols as f32;
            let s = 1.0 / (var + eps).sqrt();
            map3::<S, _>(&Normalize(m, s), xr, gamma, beta, or);
            mean[r] = m;
            rstd[r] = s;
        }
    }
}

#[inline(always)]
unsafe fn layer_norm_backward_simd<S: SimdF32>(
    dy: &[f32],
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    rstd: &[f32],
    dx: &mut [f32],
    dgamma: &mut [f32],
    dbeta: &mut [f32],
) {
    let cols = gamma.len();
    let l = S::LANES;
    let (gp, dgp, dbp) = (gamma.as_ptr(), dgamma.as_mut_ptr(), dbeta.as_mut_ptr());
    for (r, ((xr, gr), dr)) in x
        .chunks_exact(cols)
        .zip(dy.chunks_exact(cols))
        .zip(dx.chunks_exact_mut(cols))
        .enumerate()
    {
        let (xp, yp, dp) = (xr.as_ptr(), gr.as_ptr(), dr.as_mut_ptr());
        unsafe {
            let (mv, sv, z) = (S::splat(mean[r]), S::splat(rstd[r]), S::splat(0.0));
            // Pass 1: Σ gamma·dy and Σ gamma·dy·x̂ (tail lanes load dy = 0, adding nothing).
            let (mut a0, mut a1) = (z, z);
            let mut i = 0;
            while i < cols {
                let (xv, gv, yv) = if i + l <= cols {
                    (S::load(xp.add(i)), S::load(gp.add(i)), S::load(yp.add(i)))
                } else {
                    let mk = S::first(cols - i);
                    (
                        S::load_masked(xp.add(i), mk, z),
                        S::load_masked(gp.add(i), mk, z),
                        S::load_masked(yp.add(i), mk, z),
                    )
                };
                let xhat = S::mul(S::sub(xv, mv), sv);
                let dnorm = S::mul(gv, yv);
                a0 = S::add(a0, dnorm);
                a1 = S::fma(dnorm, xhat, a1);
                i += l;
            }
            let dnorm_mean = S::splat(S::hsum(a0) / cols as f32);
            let dnorm_norm_mean = S::splat(S::hsum(a1) / cols as f32);
            // Pass 2: dbeta += dy, dgamma += x̂·dy, dx += (dnorm − mean(dnorm) − x̂·mean(dnorm·x̂))·rstd.
            let mut i = 0;
            while i < cols {
                let full = i + l <= cols;
                let mk = S::first(if full { 0 } else { cols - i });
                let ld = |p: *const f32| {
                    if full {
                        S::load(p)
                    } else {
                        S::load_masked(p, mk, z)
                    }
                };
                let st = |p: *mut f32, v| {
                    if full {
                        S::store(p, v)
                    } else {
                        S::store_masked(p, mk, v)
                    }
                };
                let (xv, gv, yv) = (ld(xp.add(i)), ld(gp.add(i)), ld(yp.add(i)));
                let xhat = S::mul(S::sub(xv, mv), sv);
                let dnorm = S::mul(gv, yv);
                st(dbp.add(i), S::add(ld(dbp.add(i)), yv));
                st(dgp.add(i), S::fma(xhat, yv, ld(dgp.add(i))));
                let t = S::fnma(xhat, dnorm_norm_mean, S::sub(dnorm, dnorm_mean));
                st(dp.add(i), S::fma(t, sv, ld(dp.add(i))));
                i += l;
            }
        }
    }
}

simd_kernel! {
    fn layer_norm_dispatch(
        x: &[f32],
        gamma: &[f32],
        beta: &[f32],
        eps: f32,
        out: &mut [f32],
        mean: &mut [f32],
        rstd: &mut [f32],
    );
    scalar = layer_norm_scalar;
    simd = layer_norm_simd;
}

simd_kernel! {
    fn layer_norm_backward_dispatch(
        dy: &[f32],
        x: &[f32],
        gamma: &[f32],
        mean: &[f32],
        rstd: &[f32],
        dx: &mut [f32],
        dgamma: &mut [f32],
        dbeta: &mut [f32],
    );
    scalar = layer_norm_backward_scalar;
    simd = layer_norm_backward_simd;
}
