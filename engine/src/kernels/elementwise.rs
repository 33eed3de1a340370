//! Elementwise kernels: add, sub, mul, scale, axpy.
// a, b, out: (N,)

use super::same_len;
use crate::error::Result;
use crate::simd::{self, Tier};

/// out = a + b
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    add_with(simd::active(), a, b, out)
}

/// out = a + b on a chosen tier.
pub fn add_with(_tier: Tier, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    same_len("add", a.len(), b.len())?;
    same_len("add", a.len(), out.len())?;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x + y;
    }
    Ok(())
}

/// out = a - b
pub fn sub(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    same_len("sub", a.len(), b.len())?;
    same_len("sub", a.len(), out.len())?;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x - y;
    }
    Ok(())
}

/// out = a * b
pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    same_len("mul", a.len(), b.len())?;
    same_len("mul", a.len(), out.len())?;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x * y;
    }
    Ok(())
}

/// out = s * x
pub fn scale(x: &[f32], s: f32, out: &mut [f32]) -> Result<()> {
    same_len("scale", x.len(), out.len())?;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = s * v;
    }
    Ok(())
}

/// y += alpha * x
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) -> Result<()> {
    same_len("axpy", x.len(), y.len())?;
    for (o, &v) in y.iter_mut().zip(x) {
        *o += alpha * v;
    }
    Ok(())
}
