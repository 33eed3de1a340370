//! Softmax and log-softmax over the last axis, numerically stable, and their backward.
// x, out, y, dy, dx: (R, C) with C = cols

use super::{same_len, whole_rows};
use crate::error::Result;

/// out[r] = softmax(x[r]) for each row of `cols`.
pub fn softmax_rows(x: &[f32], out: &mut [f32], cols: usize) -> Result<()> {
    same_len("softmax", x.len(), out.len())?;
    whole_rows("softmax", x.len(), cols)?;
    if cols == 0 {
        return Ok(());
    }
    for (xr, or) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        let m = xr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        // A row of all -inf has no mass anywhere: define it as zeros rather than NaN.
        let m = if m == f32::NEG_INFINITY { 0.0 } else { m };
        let mut sum = 0.0f32;
        for (o, &v) in or.iter_mut().zip(xr) {
            *o = (v - m).exp();
            sum += *o;
        }
        let inv = if sum > 0.0 { 1.0 / sum } else { 0.0 };
        for o in or.iter_mut() {
            *o *= inv;
        }
    }
    Ok(())
}

/// out[r] = log_softmax(x[r]) for each row of `cols`.
pub fn log_softmax_rows(x: &[f32], out: &mut [f32], cols: usize) -> Result<()> {
    same_len("log_softmax", x.len(), out.len())?;
    whole_rows("log_softmax", x.len(), cols)?;
    if cols == 0 {
        return Ok(());
    }
    for (xr, or) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        let m = xr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let m = if m == f32::NEG_INFINITY { 0.0 } else { m };
        let sum: f32 = xr.iter().map(|&v| (v - m).exp()).sum();
        let lse = m + sum.ln();
        for (o, &v) in or.iter_mut().zip(xr) {
            *o = v - lse;
        }
    }
    Ok(())
}

/// dx += y ⊙ (dy − ⟨dy, y⟩) per row, where y = softmax(x).
pub fn softmax_backward(y: &[f32], dy: &[f32], dx: &mut [f32], cols: usize) -> Result<()> {
    same_len("softmax_backward", y.len(), dy.len())?;
    same_len("softmax_backward", y.len(), dx.len())?;
    whole_rows("softmax_backward", y.len(), cols)?;
    if cols == 0 {
        return Ok(());
    }
    for ((yr, gr), dr) in y
        .chunks_exact(cols)
        .zip(dy.chunks_exact(cols))
        .zip(dx.chunks_exact_mut(cols))
    {
        let dot: f32 = yr.iter().zip(gr).map(|(a, b)| a * b).sum();
        for ((d, &yv), &g) in dr.iter_mut().zip(yr).zip(gr) {
            *d += yv * (g - dot);
        }
    }
    Ok(())
}

/// dx += dy − exp(y)·Σdy per row, where y = log_softmax(x).
pub fn log_softmax_backward(y: &[f32], dy: &[f32], dx: &mut [f32], cols: usize) -> Result<()> {
    same_len("log_softmax_backward", y.len(), dy.len())?;
    same_len("log_softmax_backward", y.len(), dx.len())?;
    whole_rows("log_softmax_backward", y.len(), cols)?;
    if cols == 0 {
        return Ok(());
    }
    for ((yr, gr), dr) in y
        .chunks_exact(cols)
        .zip(dy.chunks_exact(cols))
        .zip(dx.chunks_exact_mut(cols))
    {
        let s: f32 = gr.iter().sum();
        for ((d, &yv), &g) in dr.iter_mut().zip(yr).zip(gr) {
            *d += g - yv.exp() * s;
        }
    }
    Ok(())
}
