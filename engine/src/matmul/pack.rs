//! Packing: copy a block of an operand into the micro-panel layout the kernels stream.
//!
//! A block of `xn` × `kc` elements, element (x, p) at `src[x·sx + p·sp]`, becomes
//! ⌈xn / w⌉ micro-panels of `kc` × `w` (panel-major, then p, then x), zero-padded
//! to a whole panel so that edge tiles run the full-tile kernel, one panel every
//! [`panel_stride`]`(w, kc)` floats:
//!
//! ```text
//! // src: (xn, kc) strided view, dst: (⌈xn/w⌉, kc, w) with panels panel_stride(w, kc) apart
//! dst[(x / w)·panel_stride(w, kc) + p·w + x % w] = src[(x0 + x)·sx + (p0 + p)·sp]
//! ```
//!
//! The stride is one cache line more than the panel: with kc·w·4 a multiple of 4 KiB
//! (kc = 256, w = 8) every panel would start in the same L1 set, and packing, which
//! writes all panels of a block row by row, would evict its own lines (packing a
//! transposed A took 19–21 % of 512×128×2048 so).
//!
//! A is packed with x = row i (w = MR), B with x = column j (w = NR); the strides
//! absorb both transposes, so op(A) and op(B) never exist as copies. The two
//! common layouts have fast paths: `sx == 1` (each panel row is a straight copy)
//! and `sp == 1` (a gather along contiguous rows of the source).
//! The body is generic and instantiated per tier under `#[target_feature]`,
//! so the copies use that tier's vectors.

use crate::simd::Tier;

/// The source block of one packing call.
#[derive(Debug, Clone, Copy)]
pub struct Src<'a> {
    pub data: &'a [f32],
    /// Stride between consecutive x (row for A, column for B).
    pub sx: usize,
    /// Stride between consecutive p (along the shared dimension k).
    pub sp: usize,
    pub x0: usize,
    pub xn: usize,
    pub p0: usize,
    pub kc: usize,
}

/// Floats from one packed panel of width `w` and depth `kc` to the next.
#[inline]
pub fn panel_stride(w: usize, kc: usize) -> usize {
    w * kc + PANEL_PAD
}

/// Floats between two packed panels: one cache line (see the module docs).
const PANEL_PAD: usize = 16;

impl Src<'_> {
    /// Floats the packed form of this block needs with panel width `w`.
    pub fn packed_len(&self, w: usize) -> usize {
        self.xn.div_ceil(w) * panel_stride(w, self.kc)
    }

    /// Whether every element the block addresses lies inside `data`.
    fn in_bounds(&self) -> bool {
        if self.xn == 0 || self.kc == 0 {
            return true;
        }
        let last = (self.x0 + self.xn - 1) * self.sx + (self.p0 + self.kc - 1) * self.sp;
        last < self.data.len()
    }
}

/// Pack `src` into `dst` in panels of width `w`, with `tier`'s vectors.
pub fn pack(tier: Tier, w: usize, src: &Src<'_>, dst: &mut [f32]) {
    assert!(src.in_bounds(), "pack: block outside its operand");
    assert!(
        dst.len() >= src.packed_len(w),
        "pack: destination too small"
    );
    match tier {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: bounds checked above; the tier is available (the driver only runs available tiers).
        Tier::Avx512 => unsafe { pack_avx512(w, src, dst) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Tier::Avx2 => unsafe { pack_avx2(w, src, dst) },
        // SAFETY: bounds checked above.
        _ => unsafe { pack_body::<false>(w, src, dst) },
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pack_avx512(w: usize, src: &Src<'_>, dst: &mut [f32]) {
    // SAFETY: forwarded from `pack`; AVX-512F here implies AVX2 (see simd::cpu).
    unsafe { pack_body::<true>(w, src, dst) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_avx2(w: usize, src: &Src<'_>, dst: &mut [f32]) {
    // SAFETY: forwarded from `pack`.
    unsafe { pack_body::<true>(w, src, dst) }
}

/// `AVX`: the caller runs with AVX2 enabled, so gathers can use 8×8 register transposes.
///
/// # Safety
/// `src.in_bounds()` and `dst.len() >= src.packed_len(w)`; AVX2 available when `AVX`.
#[inline(always)]
unsafe fn pack_body<const AVX: bool>(w: usize, src: &Src<'_>, dst: &mut [f32]) {
    // The widths the kernels use get a body with a constant width, so the
    // per-row copies are straight vector moves instead of memcpy calls.
    // SAFETY: forwarded.
    unsafe {
        match w {
            4 => pack_w::<4, AVX>(src, dst),
            6 => pack_w::<6, AVX>(src, dst),
            8 => pack_w::<8, AVX>(src, dst),
            12 => pack_w::<12, AVX>(src, dst),
            14 => pack_w::<14, AVX>(src, dst),
            16 => pack_w::<16, AVX>(src, dst),
            24 => pack_w::<24, AVX>(src, dst),
            32 => pack_w::<32, AVX>(src, dst),
            48 => pack_w::<48, AVX>(src, dst),
            64 => pack_w::<64, AVX>(src, dst),
            _ => pack_any(w, src, dst),
        }
    }
}

/// # Safety
/// As [`pack_body`] with w = W.
#[inline(always)]
unsafe fn pack_w<const W: usize, const AVX: bool>(src: &Src<'_>, dst: &mut [f32]) {
    let (s, d) = (src.data.as_ptr(), dst.as_mut_ptr());
    let (sx, sp, kc) = (src.sx, src.sp, src.kc);
    let full = src.xn / W;
    let ps = panel_stride(W, kc);
    if sx == 1 {
        // Straight row copies, one source row at a time across every panel: the source
        // is read in order (a row of a row-major operand, or of a transposed one) while
        // each panel is written in order too. (Panel by panel instead, every step is a
        // jump of a whole source row: packing a transposed A 2 KiB rows apart took 19 %
        // of 512×128×2048 that way.) A constant-length copy becomes vector moves (an
        // element loop through raw pointers stays scalar: the compiler cannot rule out
        // aliasing).
        for p in 0..kc {
            // SAFETY: reads (x0 + x) + (p0 + p)·sp with x < xn, p < kc are in bounds by
            // `in_bounds`; writes stay below packed_len(W).
            unsafe {
                let row = s.add(src.x0 + (src.p0 + p) * sp);
                for panel in 0..full {
                    core::ptr::copy_nonoverlapping(
                        row.add(panel * W),
                        d.add(panel * ps + p * W),
                        W,
                    );
                }
            }
        }
    }
    for panel in (0..full).filter(|_| sx != 1) {
        // SAFETY: reads (x0 + x)·sx + (p0 + p)·sp with x < xn, p < kc are in bounds by
        // `in_bounds`; writes stay below packed_len(W).
        unsafe {
            let base = s.add((src.x0 + panel * W) * sx + src.p0 * sp);
            let out = d.add(panel * ps);
            if sp == 1 && AVX && W >= 8 {
                // A gather along W contiguous source rows, 8×8 blocks at a time through
                // registers (compilers otherwise emit vgather, which is slow on current x86);
                // the last W % 8 rows element by element.
                #[cfg(target_arch = "x86_64")]
                {
                    let whole = W - W % 8;
                    for xb in (0..whole).step_by(8) {
                        transpose_rows_8(base.add(xb * sx), sx, kc, out.add(xb), W);
                    }
                    for p in 0..kc {
                        let to = out.add(p * W);
                        for xx in whole..W {
                            *to.add(xx) = *base.add(xx * sx + p);
                        }
                    }
                }
            } else if sp == 1 {
                // A gather along W contiguous source rows.
                for p in 0..kc {
                    let to = out.add(p * W);
                    for xx in 0..W {
                        *to.add(xx) = *base.add(xx * sx + p);
                    }
                }
            } else {
                for p in 0..kc {
                    let to = out.add(p * W);
                    for xx in 0..W {
                        *to.add(xx) = *base.add(xx * sx + p * sp);
                    }
                }
            }
        }
    }
    if full * W < src.xn {
        let tail = Src {
            x0: src.x0 + full * W,
            xn: src.xn - full * W,
            ..*src
        };
        // SAFETY: the tail block is a sub-block of `src`; its panel starts where the full ones end.
        unsafe { pack_any(W, &tail, &mut dst[full * ps..]) }
    }
}

/// Copy 8 source rows (`src + r·sx`, `kc` floats each) into 8 columns of a panel
/// with row stride `w`: `out[p·w + r] = src[r·sx + p]`.
///
/// # Safety
/// The 8 rows of `kc` floats are readable, the kc × 8 destination block is writable, AVX2 is available.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn transpose_rows_8(
    src: *const f32,
    sx: usize,
    kc: usize,
    out: *mut f32,
    w: usize,
) {
    use core::arch::x86_64::*;
    let main = kc - kc % 8;
    // SAFETY: every access is row r < 8 at p < kc, or panel row p < kc, column < 8.
    unsafe {
        let mut p = 0;
        while p < main {
            let r: [__m256; 8] = core::array::from_fn(|i| _mm256_loadu_ps(src.add(i * sx + p)));
            let t0 = _mm256_unpacklo_ps(r[0], r[1]);
            let t1 = _mm256_unpackhi_ps(r[0], r[1]);
            let t2 = _mm256_unpacklo_ps(r[2], r[3]);
            let t3 = _mm256_unpackhi_ps(r[2], r[3]);
            let t4 = _mm256_unpacklo_ps(r[4], r[5]);
            let t5 = _mm256_unpackhi_ps(r[4], r[5]);
            let t6 = _mm256_unpacklo_ps(r[6], r[7]);
            let t7 = _mm256_unpackhi_ps(r[6], r[7]);
            let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
            let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
            let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
            let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
            let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
            let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
            let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
            let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
            let cols = [
                _mm256_permute2f128_ps::<0x20>(u0, u4),
                _mm256_permute2f128_ps::<0x20>(u1, u5),
                _mm256_permute2f128_ps::<0x20>(u2, u6),
                _mm256_permute2f128_ps::<0x20>(u3, u7),
                _mm256_permute2f128_ps::<0x31>(u0, u4),
                _mm256_permute2f128_ps::<0x31>(u1, u5),
                _mm256_permute2f128_ps::<0x31>(u2, u6),
                _mm256_permute2f128_ps::<0x31>(u3, u7),
            ];
            for (q, col) in cols.into_iter().enumerate() {
                _mm256_storeu_ps(out.add((p + q) * w), col);
            }
            p += 8;
        }
        for p in main..kc {
            for r in 0..8 {
                *out.add(p * w + r) = *src.add(r * sx + p);
            }
        }
    }
}

/// The general body: any width, partial panels zero-padded.
///
/// # Safety
/// As [`pack_body`].
#[inline(always)]
unsafe fn pack_any(w: usize, src: &Src<'_>, dst: &mut [f32]) {
    let (s, d) = (src.data.as_ptr(), dst.as_mut_ptr());
    let (sx, sp, kc) = (src.sx, src.sp, src.kc);
    let mut x = 0;
    let mut panel = 0;
    while x < src.xn {
        let width = w.min(src.xn - x);
        // SAFETY: as in pack_w.
        unsafe {
            let base = s.add((src.x0 + x) * sx + src.p0 * sp);
            let out = d.add(panel * panel_stride(w, kc));
            for p in 0..kc {
                let to = out.add(p * w);
                for xx in 0..width {
                    *to.add(xx) = *base.add(xx * sx + p * sp);
                }
                for xx in width..w {
                    *to.add(xx) = 0.0;
                }
            }
        }
        x += w;
        panel += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::for_each_available_tier;

    #[test]
    fn packing_matches_the_layout_for_every_stride_kind() {
        let data: Vec<f32> = (0..40 * 40).map(|v| v as f32).collect();
        for_each_available_tier(|tier| {
            for (sx, sp) in [(1, 40), (40, 1), (3, 41)] {
                for (x0, xn, p0, kc, w) in [
                    (0, 8, 0, 5, 8),
                    (2, 13, 1, 7, 4),
                    (5, 3, 9, 9, 16),
                    (0, 32, 2, 20, 32),
                    (1, 35, 3, 17, 16),
                    (0, 16, 0, 24, 8),
                ] {
                    let src = Src {
                        data: &data,
                        sx,
                        sp,
                        x0,
                        xn,
                        p0,
                        kc,
                    };
                    if !src.in_bounds() {
                        continue;
                    }
                    let mut dst = vec![f32::NAN; src.packed_len(w)];
                    pack(tier, w, &src, &mut dst);
                    for x in 0..xn.div_ceil(w) * w {
                        for p in 0..kc {
                            let got = dst[(x / w) * panel_stride(w, kc) + p * w + x % w];
                            let want = if x < xn {
                                data[(x0 + x) * sx + (p0 + p) * sp]
                            } else {
                                0.0
                            };
                            assert_eq!(got, want, "{tier} sx={sx} sp={sp} x={x} p={p}");
                        }
                    }
                }
            }
        });
    }
}
