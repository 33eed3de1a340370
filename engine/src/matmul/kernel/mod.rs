//! Register-blocked micro-kernels: one MR×NR tile of C from packed panels.
//!
//! Contract shared by every tier (the scalar body is the specification):
//!
//! ```text
//! // ap: (MR, k) A micro-panel, element (i, p) at ap[i·ars + p·acs]
//! // bp: (k, NR) B micro-panel with row stride rsb, c: (mr, nr) with row stride rsc
//! c[i·rsc + j] = α·Σ_p ap[i·ars + p·acs]·bp[p·rsb + j] + β·c[i·rsc + j]   for i < mr ≤ MR, j < nr ≤ NR
//! ```
//!
//! A is either packed (ars = 1, acs = MR, zero-padded to MR rows) or, for a full
//! panel of a small product, read in place from the operand (saves the copy).
//! B likewise is either packed (rsb = NR, zero-padded to NR columns, 64-byte aligned)
//! or, for a full panel of a small row-major operand, read in place (rsb = its
//! leading dimension: small products then need no packing at all). `Micro::f`
//! always computes a full tile, and only its write-back honours `mr` and `nr`;
//! `Micro::edge`, for edge tiles, may compute a smaller one that covers them, with the
//! same results. When β = 0, C is not read.

/// Declare a micro-kernel: an `unsafe fn` of the [`KernelFn`] signature (written out
/// here once for every tier) that passes its arguments, after any `$pre`, to `$f`.
macro_rules! kernel_fn {
    ($(#[$attr:meta])* $vis:vis fn $name:ident $(<$(const $g:ident: usize),+>)? => $f:expr $(, $pre:expr)*) => {
        $(#[$attr])*
        #[allow(clippy::too_many_arguments)]
        $vis unsafe fn $name $(<$(const $g: usize),+>)? (
            k: usize,
            alpha: f32,
            ap: *const f32,
            ars: usize,
            acs: usize,
            bp: *const f32,
            rsb: usize,
            beta: f32,
            c: *mut f32,
            rsc: usize,
            mr: usize,
            nr: usize,
            ahead: usize,
        ) {
            // SAFETY: the caller upholds `KernelFn`'s contract for this kernel's tile,
            // which `$f` computes.
            unsafe { $f($($pre,)* k, alpha, ap, ars, acs, bp, rsb, beta, c, rsc, mr, nr, ahead) }
        }
    };
}

pub mod avx2;
// AVX-512 intrinsics are stable since Rust 1.89, the workspace's MSRV.
pub mod avx512;
pub mod scalar;

use crate::simd::Tier;

/// A micro-kernel; see the module docs for the contract.
///
/// # Safety
/// `ap[i·ars + p·acs]` is readable for i < MR, p < k, `bp[p·rsb + j]` for p < k, j < NR, and `c` addresses an
/// `mr`×`nr` tile with row stride `rsc` that nothing else accesses meanwhile;
/// the CPU supports the kernel's tier. `ahead`: steps of k between the prefetch of a far
/// transposed A's line and its use (`Blocking::a_ahead`; the AVX-512 kernels prefetch).
pub type KernelFn = unsafe fn(
    k: usize,
    alpha: f32,
    ap: *const f32,
    ars: usize,
    acs: usize,
    bp: *const f32,
    rsb: usize,
    beta: f32,
    c: *mut f32,
    rsc: usize,
    mr: usize,
    nr: usize,
    ahead: usize,
);

/// One micro-kernel and the MR×NR tile of C it produces per call.
#[derive(Clone, Copy)]
pub struct Micro {
    /// Rows of C per call.
    pub mr: usize,
    /// Columns of C per call.
    pub nr: usize,
    /// The kernel (the tier's generic body instantiated for this tile); it computes
    /// any tile up to MR×NR.
    pub f: KernelFn,
    /// The kernel for edge tiles (`mr` < MR or `nr` < NR), with the same results as
    /// `f`: on AVX-512 it runs a smaller instance where one covers the tile (fewer
    /// wasted FMAs); elsewhere it is `f`.
    pub edge: KernelFn,
}

impl std::fmt::Debug for Micro {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Micro({}x{})", self.mr, self.nr)
    }
}

/// The largest tile (MR·NR floats) of any tier: the driver's scratch tile holds one.
pub const MAX_TILE: usize = 512;

/// Every tile `tier` offers (what the calibration chooses from), narrowest tier first.
pub fn tiles(tier: Tier) -> &'static [Micro] {
    match tier {
        Tier::Scalar => scalar::TILES,
        #[cfg(target_arch = "x86_64")]
        Tier::Avx2 => avx2::TILES,
        #[cfg(target_arch = "x86_64")]
        Tier::Avx512 => avx512::TILES,
        #[cfg(not(target_arch = "x86_64"))]
        _ => scalar::TILES,
    }
}

/// `tier`'s micro-kernel for an `mr`×`nr` tile, if it has one.
pub fn find(tier: Tier, mr: usize, nr: usize) -> Option<Micro> {
    tiles(tier)
        .iter()
        .copied()
        .find(|t| t.mr == mr && t.nr == nr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::for_each_available_tier;

    /// Every tile of every tier against a plain f64 sum, on full and edge tiles, β = 0
    /// (NaN C) and β ≠ 0, A packed, row-major in place and transposed in place (rows
    /// near and far apart), B packed and in place.
    #[test]
    fn kernels_match_the_definition() {
        for_each_available_tier(|tier| {
            for micro in tiles(tier) {
                assert!(micro.mr * micro.nr <= MAX_TILE, "{tier} {micro:?}");
                for k in [1usize, 3, 17, 64, 130] {
                    check_tile(tier, *micro, k);
                }
            }
        });
    }

    /// Where a kernel reads its A micro-panel from.
    #[derive(Debug, Clone, Copy)]
    enum ASrc {
        Packed,
        RowMajor,
        Transposed,
        /// Transposed with rows 80 floats apart: the AVX-512 kernel prefetches A ahead then.
        TransposedFar,
    }

    fn check_tile(tier: Tier, micro: Micro, k: usize) {
        let (mr_max, nr_max) = (micro.mr, micro.nr);
        // Not dyadic, so sums round and a different order of the arithmetic would show.
        let ap: Vec<f32> = (0..k * mr_max)
            .map(|x| (((x * 7 % 13) as f32) - 6.0) / 7.0)
            .collect();
        let bp: Vec<f32> = (0..k * nr_max)
            .map(|x| (((x * 5 % 11) as f32) * 0.5 - 2.0) / 3.0)
            .collect();
        // Aligned copies, as the driver provides.
        let mut apb = crate::pool::rent(ap.len());
        apb.copy_from_slice(&ap);
        let mut bpb = crate::pool::rent(bp.len());
        bpb.copy_from_slice(&bp);
        // The same B read in place from a row-major (k, NR + 5) operand, unaligned.
        let rsb_in_place = nr_max + 5;
        let mut brow = vec![0.0f32; 1 + k * rsb_in_place];
        for p in 0..k {
            for j in 0..nr_max {
                brow[1 + p * rsb_in_place + j] = bp[p * nr_max + j];
            }
        }
        // The same A read in place from a row-major (MR, k + 3) operand, and from a
        // transposed one stored (k, MR + 2).
        let mut arow = vec![0.0f32; mr_max * (k + 3)];
        let mut acol = vec![0.0f32; k * (mr_max + 2)];
        let far = 80;
        let mut afar = vec![0.0f32; (k - 1) * far + mr_max];
        for i in 0..mr_max {
            for p in 0..k {
                arow[i * (k + 3) + p] = ap[p * mr_max + i];
                acol[p * (mr_max + 2) + i] = ap[p * mr_max + i];
                afar[p * far + i] = ap[p * mr_max + i];
            }
        }
        for ((alpha, beta), a_src, b_in_place) in [
            ((1.0f32, 0.0f32), ASrc::Packed, false),
            ((0.5, 2.0), ASrc::RowMajor, false),
            ((-1.0, 1.0), ASrc::Packed, true),
            ((1.0, 0.0), ASrc::RowMajor, true),
            ((0.75, 0.5), ASrc::Transposed, false),
            ((2.0, 0.0), ASrc::Transposed, true),
            ((1.5, 0.0), ASrc::TransposedFar, false),
            ((-0.5, 1.0), ASrc::TransposedFar, true),
        ] {
            // The full tile first: every edge tile, through either kernel, must give the
            // same bits for the elements it shares with it, whichever instance or lane
            // masks it runs (`Micro::edge` runs a smaller instance on AVX-512).
            let mut full: Vec<f32> = Vec::new();
            let kernels = [("f", micro.f), ("edge", micro.edge)];
            for ((mr, nr), (name, kern)) in [
                (mr_max, nr_max),
                (1, 1),
                (mr_max - 1, nr_max - 1),
                (mr_max, 3),
                (mr_max, 17.min(nr_max)),
                (2, nr_max),
                (mr_max, nr_max.saturating_sub(16).max(1)),
                (3.min(mr_max), nr_max - 1),
                (5.min(mr_max), 17.min(nr_max)),
            ]
            .into_iter()
            .flat_map(|tile| kernels.map(|kern| (tile, kern)))
            {
                let rsc = nr_max + 5;
                let fill = if beta == 0.0 { f32::NAN } else { 1.5 };
                let mut c = vec![fill; mr_max * rsc];
                let (a_ptr, ars, acs) = match a_src {
                    ASrc::Packed => (apb.as_ptr(), 1, mr_max),
                    ASrc::RowMajor => (arow.as_ptr(), k + 3, 1),
                    ASrc::Transposed => (acol.as_ptr(), 1, mr_max + 2),
                    ASrc::TransposedFar => (afar.as_ptr(), 1, far),
                };
                // The far prefetch one step ahead and sixteen (β = 0 and β ≠ 0).
                let ahead = if beta == 0.0 { 1 } else { 16 };
                let (b_ptr, rsb) = if b_in_place {
                    (brow[1..].as_ptr(), rsb_in_place)
                } else {
                    (bpb.as_ptr(), nr_max)
                };
                // SAFETY: the operands hold MR×k and k×NR elements at these strides, C an
                // MR×rsc tile; the tier is available (for_each_available_tier).
                unsafe {
                    kern(
                        k,
                        alpha,
                        a_ptr,
                        ars,
                        acs,
                        b_ptr,
                        rsb,
                        beta,
                        c.as_mut_ptr(),
                        rsc,
                        mr,
                        nr,
                        ahead,
                    )
                };
                for i in 0..mr_max {
                    for j in 0..rsc {
                        let got = c[i * rsc + j];
                        if i < mr && j < nr {
                            let s: f64 = (0..k)
                                .map(|p| ap[p * mr_max + i] as f64 * bp[p * nr_max + j] as f64)
                                .sum();
                            let want = alpha as f64 * s
                                + if beta == 0.0 { 0.0 } else { beta as f64 * 1.5 };
                            assert!(
                                (got as f64 - want).abs() <= 1e-4 * (1.0 + want.abs()),
                                "{tier} {micro:?} {name} {a_src:?} k={k} ({mr},{nr}) [{i},{j}] {got} vs {want}"
                            );
                            if !full.is_empty() {
                                let f = full[i * rsc + j];
                                assert!(
                                    got.to_bits() == f.to_bits(),
                                    "{tier} {micro:?} {name} {a_src:?} k={k} ({mr},{nr}) [{i},{j}]: {got} but {f} in the full tile"
                                );
                            }
                        } else {
                            assert!(
                                got.to_bits() == fill.to_bits(),
                                "{tier} {micro:?} {name}: wrote outside the tile at [{i},{j}]"
                            );
                        }
                    }
                }
                if full.is_empty() {
                    full = c;
                }
            }
        }
    }
}
