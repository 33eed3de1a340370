//! GELU in both forms and their derivatives.
// x, out, dy, dx: (N,)
//
// SIMD form of the tanh approximation: 0.5·x·(1 + tanh u) = x·σ(2u), which
// needs one exp and one reciprocal and has no cancellation; the derivative
// follows from 1 + tanh u = 2σ(2u) and 1 − tanh²u = 4σ(1 − σ). σ(2u) is taken
// as 1/(1 + 2ᵗ) with t = −2u·log₂e, the factor folded into the constants of u.
//
// SIMD form of the exact GELU: erf by a rational function (no exp) where every
// lane of a vector has |x/√2| < 2.5, the exp-based erf otherwise (≈ 0.6 % of
// vectors of N(0, 1) activations).

use super::lanewise::{Ternary, Unary, map1, update2};
use super::same_len;
use crate::error::Result;
use crate::profile::{Op, scope};
use crate::simd::vector::SimdF32;
use crate::simd::{self, Tier, math, simd_kernel};

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const GELU_C: f32 = 0.044_715;
const INV_SQRT_2PI: f32 = 0.398_942_3;

/// GPT-2's `gelu_new`: out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
pub fn gelu_tanh(x: &[f32], out: &mut [f32]) -> Result<()> {
    gelu_tanh_with(simd::active(), x, out)
}

/// [`gelu_tanh`] on a chosen tier.
pub fn gelu_tanh_with(tier: Tier, x: &[f32], out: &mut [f32]) -> Result<()> {
    same_len("gelu_tanh", x.len(), out.len())?;
    simd::ensure_available(tier)?;
    let _s = scope(Op::Gelu);
    gelu_tanh_dispatch(tier, x, out);
    #[cfg(any(feature = "seed-gelu-10", feature = "seed-gelu-5"))]
    {
        let k = crate::seed::prefix(
            x.len(),
            if cfg!(feature = "seed-gelu-5") {
                16
            } else {
                10
            },
        );
        crate::seed::into_scratch(k, |s| gelu_tanh_dispatch(tier, &x[..k], s));
    }
    #[cfg(feature = "seed-gelu-alloc")]
    std::hint::black_box(vec![0u8; 64 * 1024]);
    Ok(())
}

/// dx += dy · d/dx gelu_tanh(x)
pub fn gelu_tanh_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<()> {
    gelu_tanh_backward_with(simd::active(), x, dy, dx)
}

/// [`gelu_tanh_backward`] on a chosen tier.
pub fn gelu_tanh_backward_with(tier: Tier, x: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<()> {
    same_len("gelu_tanh_backward", x.len(), dy.len())?;
    same_len("gelu_tanh_backward", x.len(), dx.len())?;
    simd::ensure_available(tier)?;
    let _s = scope(Op::Gelu);
    gelu_tanh_backward_dispatch(tier, x, dy, dx);
    Ok(())
}

/// Exact GELU: out = 0.5·x·(1 + erf(x/√2))
pub fn gelu_erf(x: &[f32], out: &mut [f32]) -> Result<()> {
    gelu_erf_with(simd::active(), x, out)
}

/// [`gelu_erf`] on a chosen tier.
pub fn gelu_erf_with(tier: Tier, x: &[f32], out: &mut [f32]) -> Result<()> {
    same_len("gelu_erf", x.len(), out.len())?;
    simd::ensure_available(tier)?;
    let _s = scope(Op::Gelu);
    gelu_erf_dispatch(tier, x, out);
    Ok(())
}

/// dx += dy · (Φ(x) + x·φ(x))
pub fn gelu_erf_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<()> {
    gelu_erf_backward_with(simd::active(), x, dy, dx)
}

/// [`gelu_erf_backward`] on a chosen tier.
pub fn gelu_erf_backward_with(tier: Tier, x: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<()> {
    same_len("gelu_erf_backward", x.len(), dy.len())?;
    same_len("gelu_erf_backward", x.len(), dx.len())?;
    simd::ensure_available(tier)?;
    let _s = scope(Op::Gelu);
    gelu_erf_backward_dispatch(tier, x, dy, dx);
    Ok(())
}

/// erf(x) for f32 (Abramowitz–Stegun 7.1.26 evaluated in f64; |error| < 1.5e-7).
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

// ---------------------------------------------------------------------------
// Scalar specification.

/// gelu_tanh(v), the scalar specification (shared with fused kernels).
#[inline]
pub(crate) fn gelu_tanh_one(v: f32) -> f32 {
    let u = SQRT_2_OVER_PI * (v + GELU_C * v * v * v);
    0.5 * v * (1.0 + u.tanh())
}

/// d/dv gelu_tanh(v), the scalar specification (shared with fused kernels).
#[inline]
pub(crate) fn gelu_tanh_grad_one(v: f32) -> f32 {
    let u = SQRT_2_OVER_PI * (v + GELU_C * v * v * v);
    let t = u.tanh();
    let du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * v * v);
    0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du
}

fn gelu_tanh_scalar(x: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = gelu_tanh_one(v);
    }
}

fn gelu_tanh_backward_scalar(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    for ((d, &v), &g) in dx.iter_mut().zip(x).zip(dy) {
        *d += g * gelu_tanh_grad_one(v);
    }
}

fn gelu_erf_scalar(x: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = 0.5 * v * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

fn gelu_erf_backward_scalar(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    for ((d, &v), &g) in dx.iter_mut().zip(x).zip(dy) {
        let cdf = 0.5 * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2));
        let pdf = INV_SQRT_2PI * (-0.5 * v * v).exp();
        *d += g * (cdf + v * pdf);
    }
}

// ---------------------------------------------------------------------------
// SIMD bodies.

/// t = −2u·log₂e = −2·√(2/π)·log₂e·x·(1 + 0.044715·x²), so that σ(2u) = 1/(1 + 2ᵗ).
#[inline(always)]
unsafe fn neg_two_u_log2e<S: SimdF32>(x: S::V) -> S::V {
    const C1: f32 = -2.0 * SQRT_2_OVER_PI * std::f32::consts::LOG2_E;
    unsafe {
        let x2 = S::mul(x, x);
        let k = S::fma(S::splat(C1 * GELU_C), x2, S::splat(C1));
        S::mul(k, x)
    }
}

/// σ(2u) for the tanh form.
#[inline(always)]
unsafe fn sigma_two_u<S: SimdF32>(x: S::V) -> S::V {
    unsafe { math::sigmoid_exp2::<S>(neg_two_u_log2e::<S>(x)) }
}

/// erf(y): the rational form when every lane is central, else lane by lane.
#[inline(always)]
unsafe fn erf_mixed<S: SimdF32>(y: S::V) -> S::V {
    unsafe {
        let e = math::erf_central::<S>(y);
        // NaN lanes count as outer (nlt is true for unordered).
        let outer = S::nlt(S::abs(y), S::splat(2.5));
        if S::mask_any(outer) {
            S::select(outer, math::erf::<S>(y), e)
        } else {
            e
        }
    }
}

struct GeluTanh;
impl Unary for GeluTanh {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, x: S::V) -> S::V {
        unsafe { gelu_tanh_v::<S>(x) }
    }
}

/// gelu_tanh(x) on one vector (shared with fused kernels).
#[inline(always)]
pub(crate) unsafe fn gelu_tanh_v<S: SimdF32>(x: S::V) -> S::V {
    unsafe { S::mul(x, sigma_two_u::<S>(x)) }
}

/// d/dx gelu_tanh(x) on one vector (shared with fused kernels).
#[inline(always)]
pub(crate) unsafe fn gelu_tanh_grad_v<S: SimdF32>(x: S::V) -> S::V {
    unsafe {
        let s = sigma_two_u::<S>(x);
        let x2 = S::mul(x, x);
        // du/dx = √(2/π)·(1 + 3·0.044715·x²)
        let du = S::fma(
            S::splat(3.0 * SQRT_2_OVER_PI * GELU_C),
            x2,
            S::splat(SQRT_2_OVER_PI),
        );
        // σ + 2·x·σ·(1 − σ)·du
        let one_minus = S::sub(S::splat(1.0), s);
        let t = S::mul(S::mul(S::add(x, x), S::mul(s, one_minus)), du);
        S::add(s, t)
    }
}

struct GeluTanhBackward;
impl Ternary for GeluTanhBackward {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, x: S::V, dy: S::V, dx: S::V) -> S::V {
        unsafe { S::fma(dy, gelu_tanh_grad_v::<S>(x), dx) }
    }
}

struct GeluErf;
impl Unary for GeluErf {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, x: S::V) -> S::V {
        unsafe {
            let e = erf_mixed::<S>(S::mul(x, S::splat(std::f32::consts::FRAC_1_SQRT_2)));
            let half_x = S::mul(x, S::splat(0.5));
            S::fma(half_x, e, half_x)
        }
    }
}

struct GeluErfBackward;
impl Ternary for GeluErfBackward {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, x: S::V, dy: S::V, dx: S::V) -> S::V {
        unsafe {
            let e = erf_mixed::<S>(S::mul(x, S::splat(std::f32::consts::FRAC_1_SQRT_2)));
            let cdf = S::fma(S::splat(0.5), e, S::splat(0.5));
            let g = math::exp_nonpositive::<S>(S::mul(S::splat(-0.5), S::mul(x, x)));
            let pdf = S::mul(S::splat(INV_SQRT_2PI), g);
            S::fma(dy, S::fma(x, pdf, cdf), dx)
        }
    }
}

#[inline(always)]
unsafe fn gelu_tanh_simd<S: SimdF32>(x: &[f32], out: &mut [f32]) {
    unsafe { map1::<S, _>(&GeluTanh, x, out) }
}

#[inline(always)]
unsafe fn gelu_tanh_backward_simd<S: SimdF32>(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    unsafe { update2::<S, _>(&GeluTanhBackward, x, dy, dx) }
}

#[inline(always)]
unsafe fn gelu_erf_simd<S: SimdF32>(x: &[f32], out: &mut [f32]) {
    unsafe { map1::<S, _>(&GeluErf, x, out) }
}

#[inline(always)]
unsafe fn gelu_erf_backward_simd<S: SimdF32>(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    unsafe { update2::<S, _>(&GeluErfBackward, x, dy, dx) }
}

simd_kernel! {
    fn gelu_tanh_dispatch(x: &[f32], out: &mut [f32]);
    scalar = gelu_tanh_scalar;
    simd = gelu_tanh_simd;
}

simd_kernel! {
    fn gelu_tanh_backward_dispatch(x: &[f32], dy: &[f32], dx: &mut [f32]);
    scalar = gelu_tanh_backward_scalar;
    simd = gelu_tanh_backward_simd;
}

simd_kernel! {
    fn gelu_erf_dispatch(x: &[f32], out: &mut [f32]);
    scalar = gelu_erf_scalar;
    simd = gelu_erf_simd;
}

simd_kernel! {
    fn gelu_erf_backward_dispatch(x: &[f32], dy: &[f32], dx: &mut [f32]);
    scalar = gelu_erf_backward_scalar;
    simd = gelu_erf_backward_simd;
}
