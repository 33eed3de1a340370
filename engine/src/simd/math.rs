//! exp, sigmoid, tanh and erf approximations, generic over [`SimdF32`].
//!
//! Each states its maximum error, measured against f64 over the whole f32
//! range that matters and enforced by the tests at the bottom of this file
//! (run on every tier this CPU has). NaN in gives NaN out.

use super::vector::SimdF32;

const LOG2E: f32 = std::f32::consts::LOG2_E;
// ln 2 split in two so that n·LN2_HI is exact for |n| ≤ 2⁹ (Cody–Waite reduction).
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
// Below this, eˣ is under half the smallest subnormal (rounds to 0); above, it overflows.
const EXP_LO: f32 = -104.0;
const EXP_HI: f32 = 88.8;

/// eˣ. Max relative error 3e-7 (≈ 2.5 ulp) where the result is a normal f32
/// (x ≥ −87.3); subnormal results are correct to 1.5e-45 absolute; exp(−∞) = 0,
/// exp(+∞) = +∞, exp(NaN) = NaN.
///
/// # Safety
/// The CPU supports the tier `S` (the caller runs under its `#[target_feature]`).
#[inline(always)]
pub unsafe fn exp<S: SimdF32>(x: S::V) -> S::V {
    unsafe {
        // max(lo, x) and min(hi, ·) return x itself when x is NaN (second operand).
        let x = S::min(S::splat(EXP_HI), S::max(S::splat(EXP_LO), x));
        let n = S::round(S::mul(x, S::splat(LOG2E)));
        let r = S::fnma(n, S::splat(LN2_HI), x);
        let r = S::fnma(n, S::splat(LN2_LO), r);
        // e^r on |r| ≤ ln2/2 (Cephes expf minimax coefficients).
        let mut p = S::splat(1.987_569_1e-4);
        p = S::fma(p, r, S::splat(1.398_199_9e-3));
        p = S::fma(p, r, S::splat(8.333_452e-3));
        p = S::fma(p, r, S::splat(4.166_579_6e-2));
        p = S::fma(p, r, S::splat(1.666_666_5e-1));
        p = S::fma(p, r, S::splat(0.5));
        let y = S::add(S::fma(p, S::mul(r, r), r), S::splat(1.0));
        // 2ⁿ with n in [−150, 128]: overflow gives +∞, deep underflow rounds to 0.
        S::ldexp(y, n)
    }
}

/// 1 / (1 + e⁻ˣ). Max relative error 4e-7 for x ≥ −87; exactly 0 below
/// (true value < 1.7e-38); σ(−∞) = 0, σ(+∞) = 1. No divider: a refined reciprocal.
///
/// # Safety
/// The CPU supports the tier `S` (the caller runs under its `#[target_feature]`).
#[inline(always)]
pub unsafe fn sigmoid<S: SimdF32>(x: S::V) -> S::V {
    unsafe {
        let one = S::splat(1.0);
        let nx = S::sub(S::splat(0.0), x);
        // Keep 1 + e⁻ˣ finite for the reciprocal; the clamped lanes are zeroed after.
        let e = exp::<S>(S::min(S::splat(87.0), nx));
        let r = S::recip(S::add(one, e));
        S::select(S::lt(S::splat(87.0), nx), S::splat(0.0), r)
    }
}

/// tanh x. Max relative error 3e-7 for |x| < 0.625 (odd minimax polynomial),
/// max absolute error 3e-7 above (1 − 2/(e²ˣ + 1)); tanh(±∞) = ±1.
///
/// # Safety
/// The CPU supports the tier `S` (the caller runs under its `#[target_feature]`).
#[inline(always)]
pub unsafe fn tanh<S: SimdF32>(x: S::V) -> S::V {
    unsafe {
        let a = S::abs(x);
        let s = S::mul(a, a);
        let mut p = S::splat(-5.660_126_5e-3);
        p = S::fma(p, s, S::splat(2.059_113_8e-2));
        p = S::fma(p, s, S::splat(-5.372_112_6e-2));
        p = S::fma(p, s, S::splat(1.333_112_9e-1));
        p = S::fma(p, s, S::splat(-3.333_326e-1));
        let small = S::fma(S::mul(p, s), a, a);
        let one = S::splat(1.0);
        // tanh(10) rounds to 1; clamping keeps e²ˣ finite (min keeps NaN).
        let ac = S::min(S::splat(10.0), a);
        let e = exp::<S>(S::add(ac, ac));
        let big = S::fnma(S::splat(2.0), S::recip(S::add(e, one)), one);
        let t = S::select(S::lt(a, S::splat(0.625)), small, big);
        S::copysign(t, x)
    }
}

/// erf x. Max relative error 3e-7 for |x| < 1 (odd minimax polynomial), max
/// absolute error 4e-7 above (Abramowitz–Stegun 7.1.26); erf(±∞) = ±1.
///
/// # Safety
/// The CPU supports the tier `S` (the caller runs under its `#[target_feature]`).
#[inline(always)]
pub unsafe fn erf<S: SimdF32>(x: S::V) -> S::V {
    unsafe {
        let a = S::abs(x);
        let s = S::mul(a, a);
        let mut p = S::splat(-5.631_558_6e-4);
        p = S::fma(p, s, S::splat(4.917_589_5e-3));
        p = S::fma(p, s, S::splat(-2.671_135e-2));
        p = S::fma(p, s, S::splat(1.128_018_2e-1));
        p = S::fma(p, s, S::splat(-3.761_232_8e-1));
        p = S::fma(p, s, S::splat(std::f32::consts::FRAC_2_SQRT_PI));
        let small = S::mul(p, a);
        let one = S::splat(1.0);
        // erf(10) rounds to 1; clamping keeps t finite and non-zero (min keeps NaN).
        let ac = S::min(S::splat(10.0), a);
        let t = S::recip(S::fma(S::splat(0.327_591_1), ac, one));
        let mut q = S::splat(1.061_405_4);
        q = S::fma(q, t, S::splat(-1.453_152_1));
        q = S::fma(q, t, S::splat(1.421_413_7));
        q = S::fma(q, t, S::splat(-0.284_496_72));
        q = S::fma(q, t, S::splat(0.254_829_6));
        let e = exp::<S>(S::sub(S::splat(0.0), S::mul(ac, ac)));
        let big = S::fnma(S::mul(q, t), e, one);
        let r = S::select(S::lt(a, one), small, big);
        S::copysign(r, x)
    }
}

// 2^f on |f| ≤ 1/2: degree-5 polynomial fitted for relative error (Lawson-weighted
// least squares on Chebyshev nodes); c0 = 1 so that 2⁰ is exactly 1. c1 is a fitted
// value that only happens to be close to ln 2.
#[allow(clippy::approx_constant)]
const EXP2_C: [f32; 6] = [
    1.0,
    0.693_147,
    0.240_221_19,
    0.055_506_95,
    0.009_675_59,
    0.001_328_23,
];

/// 2ᵗ for t in [−150, 128] or NaN (callers clamp; outside, the result is unspecified). Max relative error 2.5e-7
/// where the result is a normal f32; below 2⁻¹²⁶ the error is under 3e-45
/// absolute (two subnormal ulps) and t ≤ −150 gives 0. Cheaper than [`exp`]: no Cody–Waite
/// reduction, because f = t − round(t) is exact.
///
/// # Safety
/// The CPU supports the tier `S` (the caller runs under its `#[target_feature]`).
#[inline(always)]
pub unsafe fn exp2_in_range<S: SimdF32>(t: S::V) -> S::V {
    unsafe {
        let n = S::round(t);
        let f = S::sub(t, n);
        let mut p = S::splat(EXP2_C[5]);
        p = S::fma(p, f, S::splat(EXP2_C[4]));
        p = S::fma(p, f, S::splat(EXP2_C[3]));
        p = S::fma(p, f, S::splat(EXP2_C[2]));
        p = S::fma(p, f, S::splat(EXP2_C[1]));
        p = S::fma(p, f, S::splat(EXP2_C[0]));
        S::ldexp(p, n)
    }
}

/// eˣ for x ≤ 0 or NaN — softmax's shifted inputs, where the row max makes every
/// argument non-positive. Max relative error 2.5e-7 + |x|·1e-7 (the rounding of
/// x·log₂e) for results above 2⁻¹²⁶; exp(−∞) = 0; NaN stays NaN. Positive x is
/// outside the contract.
///
/// # Safety
/// The CPU supports the tier `S` (the caller runs under its `#[target_feature]`).
#[inline(always)]
pub unsafe fn exp_nonpositive<S: SimdF32>(x: S::V) -> S::V {
    unsafe {
        // max(lo, ·) returns its second operand when it is NaN.
        let t = S::max(S::splat(-150.0), S::mul(x, S::splat(LOG2E)));
        exp2_in_range::<S>(t)
    }
}

/// 1 / (1 + 2ᵗ) = σ(−t·ln 2), for any t. Max relative error 4e-7 for t ≤ 120;
/// exactly 0 above (true value < 7.6e-37); NaN stays NaN. GELU folds −log₂e into
/// its own constants, so the sigmoid costs one exp2 and one refined reciprocal.
///
/// # Safety
/// The CPU supports the tier `S` (the caller runs under its `#[target_feature]`).
#[inline(always)]
pub unsafe fn sigmoid_exp2<S: SimdF32>(t: S::V) -> S::V {
    unsafe {
        let hi = S::splat(120.0);
        // Lanes above `hi` may compute garbage (2ᵗ overflows, the refined reciprocal
        // of ∞ is NaN): the select replaces them, so only the low end is clamped
        // (max keeps NaN).
        let tc = S::max(S::splat(-150.0), t);
        let r = S::recip(S::add(S::splat(1.0), exp2_in_range::<S>(tc)));
        S::select(S::lt(hi, t), S::splat(0.0), r)
    }
}

/// erf x on |x| ≤ 2.5 by one odd/even rational function (no exp): absolute error
/// 4.5e-7, relative 3.5e-7. The GELU kernels use it where every lane of a vector is
/// in range and fall back to [`erf`] otherwise (rare for activations).
///
/// # Safety
/// The CPU supports the tier `S` (the caller runs under its `#[target_feature]`).
#[inline(always)]
pub unsafe fn erf_central<S: SimdF32>(x: S::V) -> S::V {
    // Eigen's float erf (`generic_fast_erf_float`): numerator odd of degree 13,
    // denominator even of degree 8.
    const P: [f32; 7] = [
        -1.609_603_3e-2,
        -2.954_6e-3,
        -7.349_906_3e-4,
        -5.692_506_4e-5,
        -2.101_024e-6,
        2.770_681_4e-8,
        -2.726_142_3e-10,
    ];
    const Q: [f32; 5] = [
        -1.426_473_9e-2,
        -7.373_329e-3,
        -1.682_827e-3,
        -2.133_740_6e-4,
        -1.456_607_2e-5,
    ];
    unsafe {
        let x2 = S::mul(x, x);
        let mut p = S::splat(P[6]);
        for &c in P[..6].iter().rev() {
            p = S::fma(p, x2, S::splat(c));
        }
        let mut q = S::splat(Q[4]);
        for &c in Q[..4].iter().rev() {
            q = S::fma(q, x2, S::splat(c));
        }
        S::mul(S::mul(p, x), S::recip(q))
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::simd::Tier;
    use crate::simd::vector::{Avx2, Avx512};

    /// Apply `f` lane-wise to `xs` on tier `S` (whole vectors; `xs.len()` a multiple of 16).
    macro_rules! on_tier {
        ($S:ty, $feat:literal, $f:ident, $xs:expr) => {{
            #[target_feature(enable = $feat)]
            unsafe fn run(xs: &[f32], out: &mut [f32]) {
                for (c, o) in xs
                    .chunks_exact(<$S>::LANES)
                    .zip(out.chunks_exact_mut(<$S>::LANES))
                {
                    unsafe { <$S>::store(o.as_mut_ptr(), $f::<$S>(<$S>::load(c.as_ptr()))) }
                }
            }
            let mut out = vec![0.0f32; $xs.len()];
            // SAFETY: only called after checking the tier is available.
            unsafe { run($xs, &mut out) };
            out
        }};
    }

    fn eval(tier: Tier, which: &str, xs: &[f32]) -> Vec<f32> {
        match (tier, which) {
            (Tier::Avx2, "exp") => on_tier!(Avx2, "avx2,fma", exp, xs),
            (Tier::Avx2, "sigmoid") => on_tier!(Avx2, "avx2,fma", sigmoid, xs),
            (Tier::Avx2, "tanh") => on_tier!(Avx2, "avx2,fma", tanh, xs),
            (Tier::Avx2, "erf") => on_tier!(Avx2, "avx2,fma", erf, xs),
            (Tier::Avx2, "exp2") => on_tier!(Avx2, "avx2,fma", exp2_in_range, xs),
            (Tier::Avx2, "exp_nonpositive") => on_tier!(Avx2, "avx2,fma", exp_nonpositive, xs),
            (Tier::Avx2, "sigmoid_exp2") => on_tier!(Avx2, "avx2,fma", sigmoid_exp2, xs),
            (Tier::Avx2, "erf_central") => on_tier!(Avx2, "avx2,fma", erf_central, xs),
            (Tier::Avx512, "exp") => on_tier!(Avx512, "avx512f,avx2,fma", exp, xs),
            (Tier::Avx512, "sigmoid") => on_tier!(Avx512, "avx512f,avx2,fma", sigmoid, xs),
            (Tier::Avx512, "tanh") => on_tier!(Avx512, "avx512f,avx2,fma", tanh, xs),
            (Tier::Avx512, "erf") => on_tier!(Avx512, "avx512f,avx2,fma", erf, xs),
            (Tier::Avx512, "exp2") => on_tier!(Avx512, "avx512f,avx2,fma", exp2_in_range, xs),
            (Tier::Avx512, "exp_nonpositive") => {
                on_tier!(Avx512, "avx512f,avx2,fma", exp_nonpositive, xs)
            }
            (Tier::Avx512, "sigmoid_exp2") => {
                on_tier!(Avx512, "avx512f,avx2,fma", sigmoid_exp2, xs)
            }
            (Tier::Avx512, "erf_central") => on_tier!(Avx512, "avx512f,avx2,fma", erf_central, xs),
            _ => unreachable!(),
        }
    }

    /// A dense sweep of [lo, hi] plus the interesting points, padded to whole vectors.
    fn sweep(lo: f32, hi: f32, n: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..n)
            .map(|i| lo + (hi - lo) * i as f32 / (n - 1) as f32)
            .collect();
        let extras = [
            0.0, -0.0, 1e-30, -1e-30, 1e-6, -1e-6, 0.625, -0.625, 1.0, -1.0,
        ];
        v.extend(extras.into_iter().filter(|x| (lo..=hi).contains(x)));
        while !v.len().is_multiple_of(16) {
            v.push(lo);
        }
        v
    }

    fn check(
        which: &str,
        xs: &[f32],
        reference: impl Fn(f64) -> f64,
        err: impl Fn(f64, f64) -> f64,
        bound: f64,
    ) {
        crate::simd::for_each_available_tier(|tier| {
            if tier == Tier::Scalar {
                return;
            }
            let got = eval(tier, which, xs);
            let mut worst = (0.0f64, 0.0f32);
            for (&x, &g) in xs.iter().zip(&got) {
                let e = err(g as f64, reference(x as f64));
                if e > worst.0 {
                    worst = (e, x);
                }
            }
            assert!(
                worst.0 <= bound,
                "{which} on {tier}: error {:e} at x = {:e} exceeds {bound:e}",
                worst.0,
                worst.1
            );
        });
    }

    fn on_simd_tiers(f: impl Fn(Tier)) {
        crate::simd::for_each_available_tier(|tier| {
            if tier != Tier::Scalar {
                f(tier)
            }
        });
    }

    fn rel(g: f64, r: f64) -> f64 {
        if g == r { 0.0 } else { ((g - r) / r).abs() }
    }

    #[test]
    fn exp_relative_error_bound() {
        check("exp", &sweep(-87.3, 88.7, 200_000), f64::exp, rel, 3e-7);
        check(
            "exp",
            &sweep(-103.9, -87.4, 20_000),
            f64::exp,
            |g, r| (g - r).abs(),
            1.5e-45,
        );
    }

    #[test]
    fn sigmoid_relative_error_bound() {
        check(
            "sigmoid",
            &sweep(-87.0, 30.0, 200_000),
            |x| 1.0 / (1.0 + (-x).exp()),
            rel,
            4e-7,
        );
    }

    #[test]
    fn tanh_error_bounds() {
        check("tanh", &sweep(-0.624, 0.624, 100_000), f64::tanh, rel, 3e-7);
        check(
            "tanh",
            &sweep(-20.0, 20.0, 200_000),
            f64::tanh,
            |g, r| (g - r).abs(),
            3e-7,
        );
    }

    #[test]
    fn erf_error_bounds() {
        check("erf", &sweep(-0.999, 0.999, 100_000), libm::erf, rel, 3e-7);
        check(
            "erf",
            &sweep(-10.0, 10.0, 200_000),
            libm::erf,
            |g, r| (g - r).abs(),
            4e-7,
        );
    }

    #[test]
    fn exp2_relative_error_bound() {
        check(
            "exp2",
            &sweep(-126.0, 127.9, 200_000),
            f64::exp2,
            rel,
            2.5e-7,
        );
        check(
            "exp2",
            &sweep(-150.0, -126.0, 20_000),
            f64::exp2,
            |g, r| (g - r).abs(),
            3e-45,
        );
    }

    #[test]
    fn exp_nonpositive_error_bound() {
        // 2.5e-7 + |x|·1e-7 relative, as documented.
        let xs = sweep(-87.3, 0.0, 200_000);
        check(
            "exp_nonpositive",
            &xs,
            f64::exp,
            |g, r| rel(g, r) / (2.5 + 1.0 * r.ln().abs()),
            1e-7,
        );
        on_simd_tiers(|tier| {
            let got = eval(tier, "exp_nonpositive", &[f32::NEG_INFINITY; 16]);
            assert!(got.iter().all(|&g| g == 0.0), "exp(−∞) on {tier} = {got:?}");
        });
    }

    #[test]
    fn sigmoid_exp2_error_bound() {
        // 1/(1 + 2ᵗ), relative, up to where it is flushed to 0.
        check(
            "sigmoid_exp2",
            &sweep(-160.0, 120.0, 200_000),
            |t| 1.0 / (1.0 + t.exp2()),
            rel,
            4e-7,
        );
        let ts = [
            120.5,
            1e30,
            f32::INFINITY,
            f32::NAN,
            f32::NEG_INFINITY,
            -1e30,
            0.0,
            -0.0,
            1.0,
            -1.0,
            121.0,
            200.0,
            3.0,
            4.0,
            5.0,
            6.0,
        ];
        on_simd_tiers(|tier| {
            let got = eval(tier, "sigmoid_exp2", &ts);
            assert_eq!(&got[..3], &[0.0, 0.0, 0.0], "on {tier}");
            assert!(got[3].is_nan(), "on {tier}");
            assert_eq!(&got[4..8], &[1.0, 1.0, 0.5, 0.5], "on {tier}");
        });
    }

    #[test]
    fn erf_central_error_bounds() {
        check(
            "erf_central",
            &sweep(-2.5, 2.5, 200_000),
            libm::erf,
            |g, r| (g - r).abs(),
            4.5e-7,
        );
        check(
            "erf_central",
            &sweep(-2.5, 2.5, 200_000),
            libm::erf,
            rel,
            3.5e-7,
        );
    }

    #[test]
    fn special_values() {
        let xs = [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1e30,
            -1e30,
            f32::MAX,
            f32::MIN,
            1e-40,
            -1e-40,
            0.0,
            -0.0,
            f32::MIN_POSITIVE,
            -200.0,
            200.0,
            89.0,
            -89.0,
        ];
        crate::simd::for_each_available_tier(|tier| {
            if tier == Tier::Scalar {
                return;
            }
            for which in ["exp", "sigmoid", "tanh", "erf"] {
                let got = eval(tier, which, &xs);
                for (&x, &g) in xs.iter().zip(&got) {
                    let want = match which {
                        "exp" => x.exp(),
                        "sigmoid" => 1.0 / (1.0 + (-x).exp()),
                        "tanh" => x.tanh(),
                        _ => libm::erff(x),
                    };
                    let ok = (g.is_nan() && want.is_nan())
                        || g == want
                        || ((g - want).abs() <= 4e-7 * want.abs().max(1e-30));
                    assert!(ok, "{which}({x:e}) on {tier} = {g:e}, want {want:e}");
                }
            }
        });
    }
}
