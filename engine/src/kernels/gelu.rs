//! GELU in both forms and their derivatives.
// x, out, dy, dx: (N,)

use super::same_len;
use crate::error::Result;

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const GELU_C: f32 = 0.044_715;

/// GPT-2's `gelu_new`: out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
pub fn gelu_tanh(x: &[f32], out: &mut [f32]) -> Result<()> {
    same_len("gelu_tanh", x.len(), out.len())?;
    for (o, &v) in out.iter_mut().zip(x) {
        let u = SQRT_2_OVER_PI * (v + GELU_C * v * v * v);
        *o = 0.5 * v * (1.0 + u.tanh());
    }
    Ok(())
}

/// dx += dy · d/dx gelu_tanh(x)
pub fn gelu_tanh_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<()> {
    same_len("gelu_tanh_backward", x.len(), dy.len())?;
    same_len("gelu_tanh_backward", x.len(), dx.len())?;
    for ((d, &v), &g) in dx.iter_mut().zip(x).zip(dy) {
        let u = SQRT_2_OVER_PI * (v + GELU_C * v * v * v);
        let t = u.tanh();
        let du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * v * v);
        *d += g * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du);
    }
    Ok(())
}

/// Exact GELU: out = 0.5·x·(1 + erf(x/√2))
pub fn gelu_erf(x: &[f32], out: &mut [f32]) -> Result<()> {
    same_len("gelu_erf", x.len(), out.len())?;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = 0.5 * v * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2));
    }
    Ok(())
}

/// dx += dy · (Φ(x) + x·φ(x))
pub fn gelu_erf_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<()> {
    same_len("gelu_erf_backward", x.len(), dy.len())?;
    same_len("gelu_erf_backward", x.len(), dx.len())?;
    let inv_sqrt_2pi = 0.398_942_3_f32;
    for ((d, &v), &g) in dx.iter_mut().zip(x).zip(dy) {
        let cdf = 0.5 * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2));
        let pdf = inv_sqrt_2pi * (-0.5 * v * v).exp();
        *d += g * (cdf + v * pdf);
    }
    Ok(())
}

/// erf(x) for f32 (Abramowitz–Stegun 7.1.26 refined in f64; |error| < 1.5e-7).
pub fn erf(x: f32) -> f32 {
    let x = x as f64;
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    (if x >= 0.0 { y } else { -y }) as f32
}
