//! The AVX-512 micro-kernel: an 8×32 tile of C in 16 zmm accumulators.
//!
//! Per step of k: two 16-lane loads of packed B, eight broadcasts of A
//! (`vbroadcastss zmm, [mem]`, a load-port µop), sixteen FMAs. Sixteen independent
//! accumulators cover the FMA latency (4 cycles × 2 ports = 8 in flight) twice over,
//! and 8 and 32 divide the power-of-two sizes transformers use, so their products
//! have no edge tiles. Edge tiles write back through lane masks.
//!
//! Why not a bigger tile: measured on the model-207 Xeon with the kernel alone on
//! L2-resident panels, 8×32, 12×32, 14×32, 6×64 and 8×48 all run at ≈ 175 GFLOPS
//! (the core's FMA peak), so a bigger tile buys nothing there, while in whole
//! products it pads more edge rows (64 = 5·12 + 4) and, reading A in place,
//! 12–14 row pointers no longer fit the 16 general registers. The time outside the
//! kernel (packing, C traffic) is what separated the engine from the peers.
//!
//! C's tile is prefetched `C_LEAD` steps before the end of the k loop so its cache
//! misses (rows `rsc` apart, often in different pages) overlap with the arithmetic
//! instead of stalling the write-back. Not at the start of the loop: when `rsc` is a
//! multiple of 1 KiB (every power-of-two width from 256 up), the tile's rows share a
//! few L1 sets, and the B panel streaming through L1 during a long k loop evicts the
//! prefetched lines before they are used.
//!
//! The body is generic in the tile (`MR` rows × `NV` vectors); [`kernel`] is the
//! instance the driver uses, the others let the tests cover the generic body.

/// Rows of C per tile.
pub const MR: usize = 8;
/// Columns of C per tile (two zmm vectors).
pub const NR: usize = 32;

/// See [`super::KernelFn`] for the contract.
///
/// # Safety
/// As [`super::KernelFn`], and the CPU supports AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub unsafe fn kernel(
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
) {
    // SAFETY: forwarded; MR × (NR / 16) is this kernel's tile.
    unsafe { body::<MR, { NR / 16 }>(k, alpha, ap, ars, acs, bp, rsb, beta, c, rsc, mr, nr) }
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
) {
    use core::arch::x86_64::*;
    let mut b = bp;
    // SAFETY (whole body): the caller guarantees A element (i, p) at ap[i·ars + p·acs] for i < MR, p < k, B element (p, j) at bp[p·rsb + j] for j < 16·NV,
    // and an mr×nr tile at c with row stride rsc. Prefetches never fault.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); NV]; MR];
        let mut bv = [_mm512_setzero_ps(); NV];
        // The k loop runs in two legs: C's tile is prefetched between them, C_LEAD
        // steps before the write-back (see the module docs).
        let lead = k.min(C_LEAD);
        let legs = [(0, k - lead), (k - lead, k)];
        if ars == 1 {
            // Packed A (acs = MR) or a transposed operand read in place: the MR values
            // of one step are adjacent, so one pointer walks acs floats per step.
            let mut a = ap;
            for (leg, &(from, to)) in legs.iter().enumerate() {
                for _ in from..to {
                    for v in 0..NV {
                        bv[v] = _mm512_loadu_ps(b.add(16 * v));
                    }
                    for i in 0..MR {
                        let av = _mm512_set1_ps(*a.add(i));
                        for v in 0..NV {
                            acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
                        }
                    }
                    a = a.add(acs);
                    b = b.add(rsb);
                }
                if leg == 0 {
                    prefetch_tile::<NV>(c, rsc, mr.min(MR));
                }
            }
        } else {
            // A in place: MR row pointers, each walking acs floats per step.
            let rows: [*const f32; MR] = core::array::from_fn(|i| ap.add(i * ars));
            for (leg, &(from, to)) in legs.iter().enumerate() {
                for p in from..to {
                    for v in 0..NV {
                        bv[v] = _mm512_loadu_ps(b.add(16 * v));
                    }
                    for i in 0..MR {
                        let av = _mm512_set1_ps(*rows[i].add(p * acs));
                        for v in 0..NV {
                            acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
                        }
                    }
                    b = b.add(rsb);
                }
                if leg == 0 {
                    prefetch_tile::<NV>(c, rsc, mr.min(MR));
                }
            }
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
