//! The AVX-512 micro-kernels: one body generic in the tile (`MR` rows × `NV` zmm
//! vectors of 16 lanes), instantiated per shape in [`TILES`].
//!
//! Per step of k: NV 16-lane loads of B, MR broadcasts of A (`vbroadcastss zmm,
//! [mem]`, a load-port µop), MR·NV FMAs. The 32 zmm registers bound the tile:
//! MR·NV accumulators + NV B vectors + 1 broadcast ≤ 32. Edge tiles have a kernel
//! of their own (`Micro::edge`) that runs a smaller instance where one covers the tile
//! ([`edge`]); a partial vector writes back through a lane mask.
//!
//! Which tile is fastest depends on the CPU, so [`TILES`] offers several and the
//! calibration (`tuning/`) picks one by measuring whole products:
//! - 16 accumulators (8×32, 4×64) cover the FMA latency of two 512-bit ports (4
//!   cycles × 2 = 8 in flight) twice over, with the fewest registers;
//! - 24–28 (8×48, 6×64, 12×32, 14×32) load fewer bytes of B per FMA (the B
//!   micro-panel streams from L2: 8×48 reads 2/3 as much B per FMA as 8×32), which
//!   matters where L2 bandwidth, not the FMA ports, limits the kernel (on an Ice
//!   Lake 8×32 fell from 85 % of peak with B in L1 to 60 % with B in L2);
//! - on Zen 4, whose 512-bit FMAs run as two 256-bit halves (one per cycle), every
//!   tile reaches ≈ 98 % of peak with B in L2, and products differ by packing, C
//!   traffic and edge tiles instead.
//!
//! C's tile is prefetched `C_LEAD` steps before the end of the k loop so its cache
//! misses (rows `rsc` apart, often in different pages) overlap with the arithmetic
//! instead of stalling the write-back. Not at the start of the loop: when `rsc` is a
//! multiple of 1 KiB (every power-of-two width from 256 up), the tile's rows share a
//! few L1 sets, and the B panel streaming through L1 during a long k loop evicts the
//! prefetched lines before they are used.

use super::Micro;

/// Declare one `#[target_feature]` instance of [`body`] per tile shape, its edge
/// kernel ([`edge`]), and the table [`TILES`] the calibration chooses from (the first
/// entry is the uncalibrated default).
macro_rules! tiles {
    ($($(#[$doc:meta])* $name:ident, $edge:ident = $mr:literal x $nv:literal;)*) => {
        $(
            kernel_fn! {
                $(#[$doc])*
                /// # Safety
                /// As [`super::KernelFn`], and the CPU supports AVX-512F.
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx512f")]
                pub fn $name => body::<$mr, $nv>
            }

            kernel_fn! {
                /// The edge tiles of the kernel above (see [`edge`]), with the full tile's
                /// kernel for the tiles only it covers.
                ///
                /// # Safety
                /// As [`super::KernelFn`] for its tile, and the CPU supports AVX-512F.
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx512f")]
                pub fn $edge => edge::<$mr, $nv>, $name
            }
        )*
        /// Every tile this tier offers, the default first.
        #[cfg(target_arch = "x86_64")]
        pub const TILES: &[Micro] = &[$(Micro { mr: $mr, nr: 16 * $nv, f: $name, edge: $edge }),*];
    };
}

tiles! {
    /// 8×32: 16 accumulators, 2 B loads and 8 broadcasts per 16 FMAs.
    k8x32, e8x32 = 8 x 2;
    /// 8×48: 24 accumulators, 3 B loads and 8 broadcasts per 24 FMAs.
    k8x48, e8x48 = 8 x 3;
    /// 6×64: 24 accumulators, 4 B loads and 6 broadcasts per 24 FMAs.
    k6x64, e6x64 = 6 x 4;
    /// 12×32: 24 accumulators, 2 B loads and 12 broadcasts per 24 FMAs.
    k12x32, e12x32 = 12 x 2;
    /// 14×32: 28 accumulators, 2 B loads and 14 broadcasts per 28 FMAs.
    k14x32, e14x32 = 14 x 2;
    /// 4×64: 16 accumulators, 4 B loads and 4 broadcasts per 16 FMAs.
    k4x64, e4x64 = 4 x 4;
}

/// An edge tile of an MR×(16·NV) kernel (`mr` < MR rows or `nr` < 16·NV columns) runs
/// the instance with the fewest vectors that cover `nr`, and 4 or 8 rows when they cover
/// `mr` and are fewer than MR: masked lanes and padded rows cost the FMAs of the full
/// tile (8×48 on n = 128 is 48 + 48 + 32, a third of the last tile idle; 14×32 on
/// m = 128 is 9 × 14 + 2, its last row panel 6/7 idle). `full` is the full tile's kernel,
/// for the tiles only it covers. Every lane's arithmetic is the same in any instance,
/// and so are the results. A kernel of its own (`Micro::edge`), not a branch in the
/// full one: there the extra calls changed how the compiler allocated the full tile's
/// registers (8×48, 6×64 and 12×32 spilled 11–12 zmm every four steps of k).
///
/// # Safety
/// As [`super::KernelFn`] for this MR×(16·NV) tile, and the CPU supports AVX-512F.
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
    let nv = nr.div_ceil(16);
    // `$f` on this tile's arguments.
    macro_rules! call {
        ($f:expr) => {
            $f(k, alpha, ap, ars, acs, bp, rsb, beta, c, rsc, mr, nr, ahead)
        };
    }
    // `$r` rows and the fewest vectors that cover nr, else the kernel `$all` (the tests
    // on NV are constant: a tile calls only instances smaller than itself).
    macro_rules! rows {
        ($r:tt, $all:expr) => {
            // SAFETY: each instance reads at most MR rows of A and 16·NV columns of B,
            // as the caller's tile allows, and writes only the mr × nr tile.
            unsafe {
                if NV > 1 && nv <= 1 {
                    call!(narrow::<$r, 1>)
                } else if NV > 2 && nv == 2 {
                    call!(narrow::<$r, 2>)
                } else if NV > 3 && nv == 3 {
                    call!(narrow::<$r, 3>)
                } else {
                    call!($all)
                }
            }
        };
    }
    if MR > 4 && mr <= 4 {
        rows!(4, narrow::<4, NV>)
    } else if MR > 8 && mr <= 8 {
        rows!(8, narrow::<8, NV>)
    } else {
        rows!(MR, full)
    }
}

kernel_fn! {
    /// [`body`] out of line, one function per instance [`edge`] calls.
    ///
    /// # Safety
    /// As [`super::KernelFn`] (with NR = 16·NV), and the CPU supports AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    fn narrow<const MR: usize, const NV: usize> => body::<MR, NV>
}

/// One MR×(16·NV) tile; see [`super::KernelFn`] (with NR = 16·NV).
///
/// # Safety
/// As [`super::KernelFn`], and the CPU supports AVX-512F.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) unsafe fn body<const MR: usize, const NV: usize>(
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
    use core::arch::x86_64::*;
    let mut b = bp;
    // SAFETY (whole body): the caller guarantees A element (i, p) at ap[i·ars + p·acs] for i < MR, p < k, B element (p, j) at bp[p·rsb + j] for j < 16·NV,
    // and an mr×nr tile at c with row stride rsc. Prefetches never fault.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); NV]; MR];
        let mut bv = [_mm512_setzero_ps(); NV];
        // C's tile is prefetched C_LEAD steps before the write-back (see the module
        // docs). One loop with a test per step, not two loops around the prefetch: with
        // 24 or more accumulators the compiler kept them in memory across two loops.
        let pf_at = k - k.min(C_LEAD);
        let rows = mr.min(MR);
        let mut a = ap;
        let mut p = 0;
        // One step of k: NV loads of B, MR broadcasts of A (row `$i`'s value `$av`),
        // MR·NV FMAs, then `$next` moves A on.
        macro_rules! step {
            ($i:ident => $av:expr; $next:expr) => {
                for v in 0..NV {
                    bv[v] = _mm512_loadu_ps(b.add(16 * v));
                }
                for $i in 0..MR {
                    let av = _mm512_set1_ps($av);
                    for v in 0..NV {
                        acc[$i][v] = _mm512_fmadd_ps(av, bv[v], acc[$i][v]);
                    }
                }
                $next;
                b = b.add(rsb);
            };
        }
        // The k loop around `$step`: four steps per iteration (fewer loop µops), written
        // out, not a loop of four (the 14-row tile's loop was not unrolled, and its 28
        // accumulators then lived in memory: 0.40× `gemm`); C's prefetch in the
        // iteration that holds step pf_at.
        macro_rules! k_loop {
            ($step:block) => {
                while p + 4 <= k {
                    if p <= pf_at && pf_at < p + 4 {
                        prefetch_tile::<NV>(c, rsc, rows);
                    }
                    $step
                    $step
                    $step
                    $step
                    p += 4;
                }
                while p < k {
                    if p == pf_at {
                        prefetch_tile::<NV>(c, rsc, rows);
                    }
                    $step
                    p += 1;
                }
            };
        }
        if ars == 1 && acs >= A_FAR {
            // A transposed operand read in place with rows far apart: each step's MR
            // values lie on a new line that no adjacent-line prefetcher fetches, and
            // with its rows a power-of-two apart the lines of a micro-panel share a
            // few L1 sets, so the neighbouring micro-panel finds them evicted. Each
            // step fetches the line `ahead` steps on (`Blocking::a_ahead`).
            let ahead = ahead * acs;
            k_loop!({
                _mm_prefetch::<_MM_HINT_T0>(a.wrapping_add(ahead) as *const i8);
                step!(i => *a.add(i); a = a.add(acs));
            });
        } else if ars == 1 {
            // Packed A (acs = MR) or a transposed operand read in place: the MR values
            // of one step are adjacent.
            k_loop!({
                step!(i => *a.add(i); a = a.add(acs));
            });
        } else if NV <= 2 && MR <= 8 {
            // A in place, row-major, on a tile of at most two vectors a row: MR row
            // pointers, fixed, and one offset walking acs floats per step. Stepping one
            // pointer down the rows (as the branch below does) compiles to a chain of MR
            // dependent adds carried from step to step, as long as the step's MR·NV FMAs
            // on two ports when NV ≤ 2: the 8×32 kernel ran at the chain's pace (512³ and the
            // 2048-row products 1 % slower). The rows' offsets and the step's are
            // opaque to the compiler ([`opaque`]): it otherwise folds them back into
            // that chain, or hoists the broadcasts of later steps and spills them.
            let rp: [*const f32; MR] = core::array::from_fn(|i| ap.add(opaque(i * ars)));
            let mut o = 0;
            k_loop!({
                step!(i => *rp[i].add(o); o = opaque(o + acs));
            });
        } else {
            // Other tiles in place step one pointer down the rows: wider ones have
            // time for the chain, and with the row pointers the compiler kept some of
            // the 24 or more accumulators of the others in memory (12×32 ran at 40 %
            // of its speed, 8×48 spilled one).
            k_loop!({
                step!(i => *a.add(i * ars); a = a.add(acs));
            });
        }
        let va = _mm512_set1_ps(alpha);
        let vb = _mm512_set1_ps(beta);
        if mr == MR && nr == 16 * NV {
            for i in 0..MR {
                let row = c.add(i * rsc);
                for v in 0..NV {
                    let p = row.add(16 * v);
                    let out = if beta == 0.0 {
                        _mm512_mul_ps(va, acc[i][v])
                    } else {
                        _mm512_fmadd_ps(va, acc[i][v], _mm512_mul_ps(vb, _mm512_loadu_ps(p)))
                    };
                    _mm512_storeu_ps(p, out);
                }
            }
        } else {
            let mut masks: [__mmask16; NV] = [0; NV];
            for v in 0..NV {
                masks[v] = lane_mask(nr.saturating_sub(16 * v));
            }
            for i in 0..mr.min(MR) {
                let row = c.add(i * rsc);
                for v in 0..NV {
                    if masks[v] == 0 {
                        continue;
                    }
                    let p = row.add(16 * v);
                    let out = if beta == 0.0 {
                        _mm512_mul_ps(va, acc[i][v])
                    } else {
                        let old = _mm512_maskz_loadu_ps(masks[v], p);
                        _mm512_fmadd_ps(va, acc[i][v], _mm512_mul_ps(vb, old))
                    };
                    _mm512_mask_storeu_ps(p, masks[v], out);
                }
            }
        }
    }
}

/// Steps of k between C's prefetch and the write-back: ≈ 8 cycles a step, so 96 steps
/// (≈ 770 cycles) cover an L3 hit, while only ≈ 3 B lines per L1 set stream through
/// meanwhile, too few to evict the prefetched tile. (Measured against prefetching at
/// the start of the tile, in one run: +1–1.5 % at 256³–1024³; 24 and 48 steps in between.)
#[cfg(target_arch = "x86_64")]
const C_LEAD: usize = 96;

/// From this row stride (floats; four cache lines) up, a transposed A read in place
/// is prefetched by the kernel: nearer rows are adjacent lines, which the hardware's
/// next-line prefetchers already fetch.
#[cfg(target_arch = "x86_64")]
const A_FAR: usize = 64;

/// `x` unchanged, but opaque to the compiler: an empty asm statement takes it and
/// gives it back in a register, so the compiler cannot relate it to how it was computed.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn opaque(mut x: usize) -> usize {
    // SAFETY: the statement is empty: it touches nothing but the register.
    unsafe {
        core::arch::asm!("/* {0} */", inout(reg) x, options(pure, nomem, nostack, preserves_flags))
    };
    x
}

/// Prefetch the first `rows` rows of a C tile, 16·NV floats each, into L1.
///
/// # Safety
/// None beyond the target feature: prefetches never fault.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn prefetch_tile<const NV: usize>(c: *mut f32, rsc: usize, rows: usize) {
    use core::arch::x86_64::*;
    for i in 0..rows {
        let row = c.wrapping_add(i * rsc) as *const i8;
        for v in 0..NV {
            // SAFETY: a prefetch of any address is harmless.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(64 * v)) };
        }
    }
}

/// A mask of the first `n` of 16 lanes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lane_mask(n: usize) -> u16 {
    if n >= 16 { u16::MAX } else { (1u16 << n) - 1 }
}
