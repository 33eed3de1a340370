//! Reductions: sum, mean, max.
// x: (N,)
//
// The SIMD sum adds in a different order from the scalar loop (several lane
// accumulators), so tiers agree to rounding, not bit for bit.

use super::lanewise::{First, sum_of};
use crate::error::Result;
use crate::profile::{Op, scope};
use crate::simd::vector::SimdF32;
use crate::simd::{self, Tier, simd_kernel};

/// Σ x (0 for an empty slice).
pub fn sum(x: &[f32]) -> f32 {
    let _s = scope(Op::Other);
    sum_dispatch(simd::active(), x)
}

/// [`sum`] on a chosen tier.
pub fn sum_with(tier: Tier, x: &[f32]) -> Result<f32> {
    simd::ensure_available(tier)?;
    let _s = scope(Op::Other);
    Ok(sum_dispatch(tier, x))
}

/// Σ x / N (NaN for an empty slice: the mean of nothing is undefined).
pub fn mean(x: &[f32]) -> f32 {
    mean_of(sum(x), x.len())
}

/// [`mean`] on a chosen tier.
pub fn mean_with(tier: Tier, x: &[f32]) -> Result<f32> {
    Ok(mean_of(sum_with(tier, x)?, x.len()))
}

fn mean_of(sum: f32, n: usize) -> f32 {
    if n == 0 { f32::NAN } else { sum / n as f32 }
}

/// max x (−∞ for an empty slice; NaN if any element is NaN).
pub fn max(x: &[f32]) -> f32 {
    let _s = scope(Op::Other);
    max_dispatch(simd::active(), x)
}

/// [`max`] on a chosen tier.
pub fn max_with(tier: Tier, x: &[f32]) -> Result<f32> {
    simd::ensure_available(tier)?;
    let _s = scope(Op::Other);
    Ok(max_dispatch(tier, x))
}

// ---------------------------------------------------------------------------
// Scalar specification.

fn sum_scalar(x: &[f32]) -> f32 {
    x.iter().sum()
}

fn max_scalar(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, |m, v| {
        if v.is_nan() || m.is_nan() {
            f32::NAN
        } else {
            m.max(v)
        }
    })
}

// ---------------------------------------------------------------------------
// SIMD bodies.

#[inline(always)]
unsafe fn sum_simd<S: SimdF32>(x: &[f32]) -> f32 {
    unsafe { sum_of::<S, _>(&First, x, x) }
}

/// Lane maxima plus a NaN flag: `max` alone would drop a NaN in its first operand.
#[inline(always)]
unsafe fn max_simd<S: SimdF32>(x: &[f32]) -> f32 {
    let (n, p, l) = (x.len(), x.as_ptr(), S::LANES);
    let mut i = 0;
    unsafe {
        let ninf = S::splat(f32::NEG_INFINITY);
        let (mut m0, mut m1) = (ninf, ninf);
        let mut nan = S::lt(ninf, ninf);
        while i + 2 * l <= n {
            let (a, b) = (S::load(p.add(i)), S::load(p.add(i + l)));
            nan = S::mask_or(nan, S::unord(a, b));
            m0 = S::max(m0, a);
            m1 = S::max(m1, b);
            i += 2 * l;
        }
        while i + l <= n {
            let a = S::load(p.add(i));
            nan = S::mask_or(nan, S::unord(a, a));
            m0 = S::max(m0, a);
            i += l;
        }
        if i < n {
            let a = S::load_masked(p.add(i), S::first(n - i), ninf);
            nan = S::mask_or(nan, S::unord(a, a));
            m1 = S::max(m1, a);
        }
        if S::mask_any(nan) {
            f32::NAN
        } else {
            S::hmax(S::max(m0, m1))
        }
    }
}

simd_kernel! {
    fn sum_dispatch(x: &[f32]) -> f32;
    scalar = sum_scalar;
    simd = sum_simd;
}

simd_kernel! {
    fn max_dispatch(x: &[f32]) -> f32;
    scalar = max_scalar;
    simd = max_simd;
}
