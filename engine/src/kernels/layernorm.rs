//! Layer norm over the last axis, forward and backward side by side.
// x, out, dy, dx: (R, C); gamma, beta, dgamma, dbeta: (C,); mean, rstd: (R,)

use super::{same_len, whole_rows};
use crate::error::{Error, Result};

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
    Ok(())
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
    Ok(())
}
