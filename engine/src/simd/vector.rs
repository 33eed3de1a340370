//! The vector abstraction every SIMD kernel body is written against.
//!
//! A kernel is one generic body `fn body<S: SimdF32>(…)`, instantiated by thin
//! wrappers compiled under `#[target_feature(enable = "avx2,fma")]` and
//! `#[target_feature(enable = "avx512f,avx2,fma")]` (see [`crate::simd_kernel`]).
//! Every method here is `#[inline(always)]`, so the whole body is flattened into
//! the wrapper and compiled with exactly that wrapper's features: the AVX2 tier
//! never contains an AVX-512 instruction.
//!
//! Safety contract of every method: the CPU supports the implementing tier, and
//! pointers are valid for the lanes read or written (masked-off lanes are never
//! touched, so a tail may end at the end of an allocation).

// The safety contract is the same for every method and is stated above.
#![allow(clippy::missing_safety_doc)]

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// One tier's f32 vector and its operations.
///
/// `max`/`min` follow the x86 rule: when either operand is NaN the *second*
/// operand is returned. Kernels rely on it to keep NaN (`max(lo, x)` returns a NaN `x`).
pub trait SimdF32: Copy {
    /// The register type.
    type V: Copy;
    /// A lane mask (`__mmask16` on AVX-512, an all-ones/all-zeros vector on AVX2).
    type M: Copy;
    /// f32 lanes per register.
    const LANES: usize;

    /// All lanes `x`.
    unsafe fn splat(x: f32) -> Self::V;
    /// Unaligned load of `LANES` floats.
    unsafe fn load(p: *const f32) -> Self::V;
    /// Unaligned store of `LANES` floats.
    unsafe fn store(p: *mut f32, v: Self::V);
    /// Mask of the first `n` lanes (`n < LANES`).
    unsafe fn first(n: usize) -> Self::M;
    /// Load the lanes in `m`; other lanes take `fill`'s.
    unsafe fn load_masked(p: *const f32, m: Self::M, fill: Self::V) -> Self::V;
    /// Store the lanes in `m`; memory under other lanes is not touched.
    unsafe fn store_masked(p: *mut f32, m: Self::M, v: Self::V);

    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn sub(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn div(a: Self::V, b: Self::V) -> Self::V;
    /// 1/a to within 2 ulp for finite, normal a (hardware estimate refined by
    /// Newton–Raphson; no divider). Callers keep `a` finite: 1/∞ is NaN here.
    unsafe fn recip(a: Self::V) -> Self::V;
    /// a·b + c with one rounding.
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// c − a·b with one rounding.
    unsafe fn fnma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// Lane-wise max; returns `b` where either is NaN.
    unsafe fn max(a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise min; returns `b` where either is NaN.
    unsafe fn min(a: Self::V, b: Self::V) -> Self::V;
    /// |a| (clears the sign bit, NaN stays NaN).
    unsafe fn abs(a: Self::V) -> Self::V;
    /// The magnitude of `mag` with the sign bit of `sign`.
    unsafe fn copysign(mag: Self::V, sign: Self::V) -> Self::V;
    /// Round to nearest, ties to even.
    unsafe fn round(a: Self::V) -> Self::V;
    /// Round towards −∞.
    unsafe fn floor(a: Self::V) -> Self::V;
    /// 2ⁿ for integer-valued `n` in [−126, 127] (built from exponent bits).
    unsafe fn pow2i(n: Self::V) -> Self::V;
    /// y·2ⁿ for integer-valued `n` in [−150, 128]: overflow gives ±∞ and deep
    /// underflow rounds through the subnormals to 0.
    #[inline(always)]
    unsafe fn ldexp(y: Self::V, n: Self::V) -> Self::V {
        // Two in-range factors, 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋), each a normal f32.
        unsafe {
            let n1 = Self::floor(Self::mul(n, Self::splat(0.5)));
            let n2 = Self::sub(n, n1);
            Self::mul(Self::mul(y, Self::pow2i(n1)), Self::pow2i(n2))
        }
    }

    /// Lanes where a < b (false for NaN).
    unsafe fn lt(a: Self::V, b: Self::V) -> Self::M;
    /// Lanes where !(a < b): a ≥ b, or either is NaN.
    unsafe fn nlt(a: Self::V, b: Self::V) -> Self::M;
    /// Lanes where a or b is NaN.
    unsafe fn unord(a: Self::V, b: Self::V) -> Self::M;
    /// `a` where `m`, else `b`.
    unsafe fn select(m: Self::M, a: Self::V, b: Self::V) -> Self::V;
    unsafe fn mask_or(a: Self::M, b: Self::M) -> Self::M;
    unsafe fn mask_any(m: Self::M) -> bool;

    /// Sum of the lanes.
    unsafe fn hsum(v: Self::V) -> f32;
    /// Sums of adjacent lane pairs of `a` then of `b`: lane i < LANES/2 is
    /// a[2i] + a[2i+1], lane LANES/2 + i is b[2i] + b[2i+1]. Applied log₂ LANES
    /// times over LANES vectors ([`lane_sums`]) it yields all their lane sums
    /// in one vector, for a fraction of LANES [`SimdF32::hsum`]s.
    unsafe fn pair_sums(a: Self::V, b: Self::V) -> Self::V;
    /// Max of the lanes (NaN lanes are treated as by [`SimdF32::max`]).
    unsafe fn hmax(v: Self::V) -> f32;
}

/// The AVX2 + FMA tier: 8 lanes of `__m256`.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
pub struct Avx2;

#[cfg(target_arch = "x86_64")]
impl SimdF32 for Avx2 {
    type V = __m256;
    type M = __m256;
    const LANES: usize = 8;

    #[inline(always)]
    unsafe fn splat(x: f32) -> __m256 {
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256) {
        unsafe { _mm256_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn first(n: usize) -> __m256 {
        unsafe {
            let idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), idx))
        }
    }
    #[inline(always)]
    unsafe fn load_masked(p: *const f32, m: __m256, fill: __m256) -> __m256 {
        unsafe { _mm256_blendv_ps(fill, _mm256_maskload_ps(p, _mm256_castps_si256(m)), m) }
    }
    #[inline(always)]
    unsafe fn store_masked(p: *mut f32, m: __m256, v: __m256) {
        unsafe { _mm256_maskstore_ps(p, _mm256_castps_si256(m), v) }
    }
    #[inline(always)]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn sub(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_sub_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn div(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_div_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn recip(a: __m256) -> __m256 {
        unsafe {
            // rcpps has 12 bits; two Newton steps r += r·(1 − a·r) reach full precision.
            let one = _mm256_set1_ps(1.0);
            let mut r = _mm256_rcp_ps(a);
            r = _mm256_fmadd_ps(r, _mm256_fnmadd_ps(a, r, one), r);
            _mm256_fmadd_ps(r, _mm256_fnmadd_ps(a, r, one), r)
        }
    }
    #[inline(always)]
    unsafe fn fma(a: __m256, b: __m256, c: __m256) -> __m256 {
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn fnma(a: __m256, b: __m256, c: __m256) -> __m256 {
        unsafe { _mm256_fnmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn max(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_max_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn min(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_min_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn abs(a: __m256) -> __m256 {
        unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), a) }
    }
    #[inline(always)]
    unsafe fn copysign(mag: __m256, sign: __m256) -> __m256 {
        unsafe {
            let s = _mm256_set1_ps(-0.0);
            _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sign))
        }
    }
    #[inline(always)]
    unsafe fn round(a: __m256) -> __m256 {
        unsafe { _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(a) }
    }
    #[inline(always)]
    unsafe fn floor(a: __m256) -> __m256 {
        unsafe { _mm256_round_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(a) }
    }
    #[inline(always)]
    unsafe fn pow2i(n: __m256) -> __m256 {
        unsafe {
            let e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
            _mm256_castsi256_ps(_mm256_slli_epi32::<23>(e))
        }
    }
    #[inline(always)]
    unsafe fn lt(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    unsafe fn nlt(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_NLT_UQ>(a, b) }
    }
    #[inline(always)]
    unsafe fn unord(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_UNORD_Q>(a, b) }
    }
    #[inline(always)]
    unsafe fn select(m: __m256, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_blendv_ps(b, a, m) }
    }
    #[inline(always)]
    unsafe fn mask_or(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_or_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn mask_any(m: __m256) -> bool {
        unsafe { _mm256_movemask_ps(m) != 0 }
    }
    #[inline(always)]
    unsafe fn hsum(v: __m256) -> f32 {
        unsafe {
            let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_movehdup_ps(s));
            _mm_cvtss_f32(s)
        }
    }
    #[inline(always)]
    unsafe fn pair_sums(a: __m256, b: __m256) -> __m256 {
        unsafe {
            // hadd works within 128-bit halves: [a01 a23 b01 b23 | a45 a67 b45 b67];
            // swapping the middle 64-bit quarters puts a's four sums first.
            let h = _mm256_castps_pd(_mm256_hadd_ps(a, b));
            _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(h))
        }
    }
    #[inline(always)]
    unsafe fn hmax(v: __m256) -> f32 {
        unsafe {
            let s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            let s = _mm_max_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_max_ss(s, _mm_movehdup_ps(s));
            _mm_cvtss_f32(s)
        }
    }
}

/// The AVX-512F tier: 16 lanes of `__m512`, tails by `__mmask16`.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
pub struct Avx512;

#[cfg(target_arch = "x86_64")]
impl SimdF32 for Avx512 {
    type V = __m512;
    type M = __mmask16;
    const LANES: usize = 16;

    #[inline(always)]
    unsafe fn splat(x: f32) -> __m512 {
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m512 {
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m512) {
        unsafe { _mm512_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn first(n: usize) -> __mmask16 {
        ((1u32 << n) - 1) as __mmask16
    }
    #[inline(always)]
    unsafe fn load_masked(p: *const f32, m: __mmask16, fill: __m512) -> __m512 {
        unsafe { _mm512_mask_loadu_ps(fill, m, p) }
    }
    #[inline(always)]
    unsafe fn store_masked(p: *mut f32, m: __mmask16, v: __m512) {
        unsafe { _mm512_mask_storeu_ps(p, m, v) }
    }
    #[inline(always)]
    unsafe fn add(a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn sub(a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_sub_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn div(a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_div_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn recip(a: __m512) -> __m512 {
        unsafe {
            // rcp14 has 14 bits; one Newton step r += r·(1 − a·r) reaches full precision.
            let r = _mm512_rcp14_ps(a);
            _mm512_fmadd_ps(r, _mm512_fnmadd_ps(a, r, _mm512_set1_ps(1.0)), r)
        }
    }
    #[inline(always)]
    unsafe fn fma(a: __m512, b: __m512, c: __m512) -> __m512 {
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn fnma(a: __m512, b: __m512, c: __m512) -> __m512 {
        unsafe { _mm512_fnmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn max(a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_max_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn min(a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_min_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn abs(a: __m512) -> __m512 {
        unsafe { _mm512_abs_ps(a) }
    }
    #[inline(always)]
    unsafe fn copysign(mag: __m512, sign: __m512) -> __m512 {
        unsafe {
            let s = _mm512_set1_epi32(i32::MIN);
            // (mag & !s) | (sign & s), as integer lanes (AVX-512F has no float logic ops).
            let m = _mm512_andnot_si512(s, _mm512_castps_si512(mag));
            let g = _mm512_and_si512(s, _mm512_castps_si512(sign));
            _mm512_castsi512_ps(_mm512_or_si512(m, g))
        }
    }
    #[inline(always)]
    unsafe fn round(a: __m512) -> __m512 {
        unsafe { _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(a) }
    }
    #[inline(always)]
    unsafe fn floor(a: __m512) -> __m512 {
        unsafe { _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(a) }
    }
    #[inline(always)]
    unsafe fn pow2i(n: __m512) -> __m512 {
        unsafe {
            let e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
            _mm512_castsi512_ps(_mm512_slli_epi32::<23>(e))
        }
    }
    #[inline(always)]
    unsafe fn ldexp(y: __m512, n: __m512) -> __m512 {
        // vscalefps: y·2^⌊n⌋ in one instruction, with IEEE overflow and underflow.
        unsafe { _mm512_scalef_ps(y, n) }
    }
    #[inline(always)]
    unsafe fn lt(a: __m512, b: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    unsafe fn nlt(a: __m512, b: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_NLT_UQ>(a, b) }
    }
    #[inline(always)]
    unsafe fn unord(a: __m512, b: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, b) }
    }
    #[inline(always)]
    unsafe fn select(m: __mmask16, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_mask_blend_ps(m, b, a) }
    }
    #[inline(always)]
    unsafe fn mask_or(a: __mmask16, b: __mmask16) -> __mmask16 {
        a | b
    }
    #[inline(always)]
    unsafe fn mask_any(m: __mmask16) -> bool {
        m != 0
    }
    #[inline(always)]
    unsafe fn hsum(v: __m512) -> f32 {
        unsafe {
            let lo = _mm512_castps512_ps256(v);
            let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
            Avx2::hsum(_mm256_add_ps(lo, hi))
        }
    }
    #[inline(always)]
    unsafe fn pair_sums(a: __m512, b: __m512) -> __m512 {
        unsafe {
            // even and odd lanes of the 32-lane concatenation a ++ b
            let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            let odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            _mm512_add_ps(
                _mm512_permutex2var_ps(a, even, b),
                _mm512_permutex2var_ps(a, odd, b),
            )
        }
    }
    #[inline(always)]
    unsafe fn hmax(v: __m512) -> f32 {
        unsafe {
            let lo = _mm512_castps512_ps256(v);
            let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
            Avx2::hmax(_mm256_max_ps(lo, hi))
        }
    }
}

/// The most lanes of any tier: the size of a [`lane_sums`] block.
pub(crate) const MAX_LANES: usize = 16;

/// Lane u of the result = the sum of the lanes of `v[u]`, for u < LANES (entries
/// of `v` past LANES are ignored; `v` is clobbered). Pairwise, so the sums
/// differ from [`SimdF32::hsum`]'s in rounding only.
///
/// # Safety
/// The CPU supports `S`'s tier.
#[inline(always)]
pub(crate) unsafe fn lane_sums<S: SimdF32>(v: &mut [S::V; MAX_LANES]) -> S::V {
    unsafe {
        let mut m = S::LANES;
        while m > 1 {
            for i in 0..m / 2 {
                v[i] = S::pair_sums(v[2 * i], v[2 * i + 1]);
            }
            m /= 2;
        }
        v[0]
    }
}

/// Load `n` lanes (all when `n ≥ LANES`), the rest zero.
///
/// # Safety
/// `min(n, LANES)` floats readable at `p`; the CPU supports `S`'s tier.
#[inline(always)]
pub(crate) unsafe fn load_n<S: SimdF32>(p: *const f32, n: usize) -> S::V {
    unsafe {
        if n >= S::LANES {
            S::load(p)
        } else {
            S::load_masked(p, S::first(n), S::splat(0.0))
        }
    }
}

/// Store `n` lanes (all when `n ≥ LANES`); memory past them is not touched.
///
/// # Safety
/// `min(n, LANES)` floats writable at `p`; the CPU supports `S`'s tier.
#[inline(always)]
pub(crate) unsafe fn store_n<S: SimdF32>(p: *mut f32, n: usize, v: S::V) {
    unsafe {
        if n >= S::LANES {
            S::store(p, v)
        } else {
            S::store_masked(p, S::first(n), v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{for_each_available_tier, simd_kernel};

    /// out[u] = Σ_i v[u·LANES + i] for u < LANES, the LANES of the tier.
    fn lane_sums_scalar(v: &[f32], out: &mut [f32]) {
        let l = out.len().min(v.len());
        for (u, o) in out.iter_mut().enumerate() {
            *o = v[u * l..(u + 1) * l].iter().sum();
        }
    }

    #[inline(always)]
    unsafe fn lane_sums_simd<S: SimdF32>(v: &[f32], out: &mut [f32]) {
        let l = S::LANES;
        unsafe {
            let mut a = [S::splat(0.0); MAX_LANES];
            for (u, a) in a.iter_mut().enumerate().take(l) {
                *a = S::load(v.as_ptr().add(u * l));
            }
            S::store(out.as_mut_ptr(), lane_sums::<S>(&mut a));
        }
    }

    simd_kernel! {
        fn sums(v: &[f32], out: &mut [f32]);
        scalar = lane_sums_scalar;
        simd = lane_sums_simd;
    }

    #[test]
    fn lane_sums_put_each_vectors_sum_in_its_lane() {
        for_each_available_tier(|tier| {
            let l = match tier {
                crate::simd::Tier::Avx512 => 16,
                crate::simd::Tier::Avx2 => 8,
                crate::simd::Tier::Scalar => return,
            };
            // Integers: every order of summation gives the exact sum.
            let v: Vec<f32> = (0..l * l).map(|i| ((i * 37) % 101) as f32).collect();
            let mut out = vec![f32::NAN; l];
            sums(tier, &v, &mut out);
            for (u, &got) in out.iter().enumerate() {
                let want: f32 = v[u * l..(u + 1) * l].iter().sum();
                assert_eq!(got, want, "{tier} lane {u}");
            }
        });
    }
}
