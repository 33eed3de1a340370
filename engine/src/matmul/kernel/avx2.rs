//! The AVX2+FMA micro-kernels: one body generic in the tile (`MR` rows × `NV` ymm
//! vectors of 8 lanes), instantiated per shape in [`TILES`].
//!
//! Per step of k: NV 8-lane loads of packed B, MR broadcasts of packed A, MR·NV
//! FMAs. The 16 ymm registers bound the tile: MR·NV accumulators + NV B vectors +
//! 1 broadcast ≤ 16 with room to spare: 4×24 (12 + 3 + 1, none spare) made the
//! compiler keep an accumulator in memory, a store and reload on the FMA chain
//! every step (41 against 95 GFLOPS for 6×16 on a Zen 4), so it is not offered.
//! Two FMA ports × 4–5 cycles of latency want ≥ 8–10 accumulators in flight.
//! Edge tiles have a kernel of their own (`Micro::edge`) that runs a smaller instance
//! where one covers the tile ([`edge`]), and write back through a small stack tile.

use super::Micro;

/// Declare one `#[target_feature]` instance of [`body`] per tile shape, and the table
/// [`TILES`] the calibration chooses from.
macro_rules! tiles {
    ($($(#[$doc:meta])* $name:ident, $edge:ident = $mr:literal x $nv:literal;)*) => {
        $(
            kernel_fn! {
                $(#[$doc])*
                /// # Safety
                /// As [`super::KernelFn`], and the CPU supports AVX2 and FMA.
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx2,fma")]
                pub fn $name => body::<$mr, $nv>
            }

            kernel_fn! {
                /// The edge tiles of the kernel above (see [`edge`]), with the full tile's
                /// kernel for the tiles only it covers.
                ///
                /// # Safety
                /// As [`super::KernelFn`] for its tile, and the CPU supports AVX2 and FMA.
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx2,fma")]
                pub fn $edge => edge::<$mr, $nv>, $name
            }
        )*
        /// Every tile this tier offers.
        #[cfg(target_arch = "x86_64")]
        pub const TILES: &[Micro] = &[$(Micro { mr: $mr, nr: 8 * $nv, f: $name, edge: $edge }),*];
    };
}

tiles! {
    /// 6×16: 12 accumulators, 2 B loads and 6 broadcasts per 12 FMAs.
    k6x16, e6x16 = 6 x 2;
    /// 4×16: 8 accumulators (just enough for two ports × 4 cycles), 2 B loads and 4
    /// broadcasts per 8 FMAs; pads fewer rows on small batches.
    k4x16, e4x16 = 4 x 2;
}

/// An edge tile of an MR×(8·NV) kernel (`mr` < MR rows or `nr` < 8·NV columns) runs
/// the instance with one vector when `nr` ≤ 8, and with 2 or 4 rows when they cover
/// `mr` and are fewer than MR, instead of the FMAs of the full tile (6×16 on n = 100
/// is six tiles and one of 4 columns, half of whose FMAs the full kernel would waste).
/// `full` is the full tile's kernel, for the tiles only it covers. Every lane's
/// arithmetic is the same in any instance, and so are the results. A kernel of its
/// own, as on AVX-512, so that the full kernel's register allocation stays its own.
///
/// # Safety
/// As [`super::KernelFn`] for this MR×(8·NV) tile, and the CPU supports AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn edge<const MR: usize, const NV: usize>(
    full: super::KernelFn,
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
    // `$f` on this tile's arguments.
    macro_rules! call {
        ($f:expr) => {
            // SAFETY: each instance reads at most MR rows of A and 8·NV columns of B,
            // as the caller's tile allows, and writes only the mr × nr tile.
            unsafe { $f(k, alpha, ap, ars, acs, bp, rsb, beta, c, rsc, mr, nr, ahead) }
        };
    }
    // (The tests on NV and MR are constant: a tile calls only instances smaller than itself.)
    let one = NV > 1 && nr <= 8;
    if MR > 2 && mr <= 2 {
        if one {
            call!(narrow::<2, 1>)
        } else {
            call!(narrow::<2, NV>)
        }
    } else if MR > 4 && mr <= 4 {
        if one {
            call!(narrow::<4, 1>)
        } else {
            call!(narrow::<4, NV>)
        }
    } else if one {
        call!(narrow::<MR, 1>)
    } else {
        call!(full)
    }
}

kernel_fn! {
    /// [`body`] out of line, one function per instance [`edge`] calls.
    ///
    /// # Safety
    /// As [`super::KernelFn`] (with NR = 8·NV), and the CPU supports AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    #[inline(never)]
    fn narrow<const MR: usize, const NV: usize> => body::<MR, NV>
}

/// Floats of the stack tile edge tiles go through (the largest MR·8·NV of [`TILES`]).
#[cfg(target_arch = "x86_64")]
const EDGE: usize = 96;

/// One MR×(8·NV) tile; see [`super::KernelFn`] (with NR = 8·NV).
///
/// # Safety
/// As [`super::KernelFn`], and the CPU supports AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn body<const MR: usize, const NV: usize>(
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
    _ahead: usize,
) {
    use core::arch::x86_64::*;
    let mut b = bp;
    // SAFETY (whole body): the caller guarantees A element (i, p) at ap[i·ars + p·acs] for
    // i < MR, p < k, B element (p, j) at bp[p·rsb + j] for j < 8·NV, and an mr×nr tile at c
    // with row stride rsc; AVX2 and FMA are available.
    unsafe {
        let mut acc = [[_mm256_setzero_ps(); NV]; MR];
        let mut bv = [_mm256_setzero_ps(); NV];
        if ars == 1 {
            // Packed A (acs = MR) or a transposed operand read in place: the MR values
            // of one step are adjacent, so one pointer walks acs floats per step.
            let mut a = ap;
            for _ in 0..k {
                for v in 0..NV {
                    bv[v] = _mm256_loadu_ps(b.add(8 * v));
                }
                for i in 0..MR {
                    let av = _mm256_broadcast_ss(&*a.add(i));
                    for v in 0..NV {
                        acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
                    }
                }
                a = a.add(acs);
                b = b.add(rsb);
            }
        } else {
            // A in place: MR row pointers, each walking acs floats per step.
            let rows: [*const f32; MR] = core::array::from_fn(|i| ap.add(i * ars));
            for p in 0..k {
                for v in 0..NV {
                    bv[v] = _mm256_loadu_ps(b.add(8 * v));
                }
                for i in 0..MR {
                    let av = _mm256_broadcast_ss(&*rows[i].add(p * acs));
                    for v in 0..NV {
                        acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
                    }
                }
                b = b.add(rsb);
            }
        }
        let va = _mm256_set1_ps(alpha);
        let vb = _mm256_set1_ps(beta);
        if mr == MR && nr == 8 * NV {
            for i in 0..MR {
                let row = c.add(i * rsc);
                for v in 0..NV {
                    let p = row.add(8 * v);
                    let out = if beta == 0.0 {
                        _mm256_mul_ps(va, acc[i][v])
                    } else {
                        _mm256_fmadd_ps(va, acc[i][v], _mm256_mul_ps(vb, _mm256_loadu_ps(p)))
                    };
                    _mm256_storeu_ps(p, out);
                }
            }
        } else {
            // Through a stack tile (rows 8·NV floats apart), with the same vector arithmetic
            // as the full tile, so an element's value does not depend on whether it falls
            // in an edge tile.
            const { assert!(MR * 8 * NV <= EDGE) };
            let w = 8 * NV;
            let mut tile = [0.0f32; EDGE];
            if beta != 0.0 {
                for i in 0..mr {
                    for j in 0..nr {
                        tile[i * w + j] = *c.add(i * rsc + j);
                    }
                }
            }
            for i in 0..MR {
                for v in 0..NV {
                    let p = tile.as_mut_ptr().add(i * w + 8 * v);
                    let out = if beta == 0.0 {
                        _mm256_mul_ps(va, acc[i][v])
                    } else {
                        _mm256_fmadd_ps(va, acc[i][v], _mm256_mul_ps(vb, _mm256_loadu_ps(p)))
                    };
                    _mm256_storeu_ps(p, out);
                }
            }
            for i in 0..mr {
                for j in 0..nr {
                    *c.add(i * rsc + j) = tile[i * w + j];
                }
            }
        }
    }
}
