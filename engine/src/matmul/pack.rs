//! Packing: copy a block of an operand into the micro-panel layout the kernels stream.
//!
//! A block of `xn` × `kc` elements, element (x, p) at `src[x·sx + p·sp]`, becomes
//! ⌈xn / w⌉ micro-panels of `kc` × `w` (panel-major, then p, then x), zero-padded
//! to a whole panel so that edge tiles run the full-tile kernel:
//!
//! ```text
//! // src: (xn, kc) strided view, dst: (⌈xn/w⌉, kc, w)
//! dst[(x / w)·kc·w + p·w + x % w] = src[(x0 + x)·sx + (p0 + p)·sp]
//! ```
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

impl Src<'_> {
    /// Floats the packed form of this block needs with panel width `w`.
    pub fn packed_len(&self, w: usize) -> usize {
        self.xn.div_ceil(w) * w * self.kc
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
        _ => unsafe { pack_body(w, src, dst) },
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pack_avx512(w: usize, src: &Src<'_>, dst: &mut [f32]) {
    // SAFETY: forwarded from `pack`.
    unsafe { pack_body(w, src, dst) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_avx2(w: usize, src: &Src<'_>, dst: &mut [f32]) {
    // SAFETY: forwarded from `pack`.
    unsafe { pack_body(w, src, dst) }
}

/// # Safety
/// `src.in_bounds()` and `dst.len() >= src.packed_len(w)`.
#[inline(always)]
unsafe fn pack_body(w: usize, src: &Src<'_>, dst: &mut [f32]) {
    // The widths the kernels use get a body with a constant width, so the
    // per-row copies are straight vector moves instead of memcpy calls.
    // SAFETY: forwarded.
    unsafe {
        match w {
            4 => pack_w::<4>(src, dst),
            6 => pack_w::<6>(src, dst),
            8 => pack_w::<8>(src, dst),
            16 => pack_w::<16>(src, dst),
            32 => pack_w::<32>(src, dst),
            _ => pack_any(w, src, dst),
        }
    }
}

/// # Safety
/// As [`pack_body`] with w = W.
#[inline(always)]
unsafe fn pack_w<const W: usize>(src: &Src<'_>, dst: &mut [f32]) {
    let (s, d) = (src.data.as_ptr(), dst.as_mut_ptr());
    let (sx, sp, kc) = (src.sx, src.sp, src.kc);
    let full = src.xn / W;
    for panel in 0..full {
        // SAFETY: reads (x0 + x)·sx + (p0 + p)·sp with x < xn, p < kc are in bounds by
        // `in_bounds`; writes stay below packed_len(W).
        unsafe {
            let base = s.add((src.x0 + panel * W) * sx + src.p0 * sp);
            let out = d.add(panel * kc * W);
            if sx == 1 {
                for p in 0..kc {
                    let from = base.add(p * sp);
                    let to = out.add(p * W);
                    for xx in 0..W {
                        *to.add(xx) = *from.add(xx);
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
        unsafe { pack_any(W, &tail, &mut dst[full * kc * W..]) }
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
            let out = d.add(panel * kc * w);
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
                for (x0, xn, p0, kc, w) in [(0, 8, 0, 5, 8), (2, 13, 1, 7, 4), (5, 3, 9, 9, 16)] {
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
                            let got = dst[(x / w) * kc * w + p * w + x % w];
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
