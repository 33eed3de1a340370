//! The AVX-512 micro-kernel: an 8×32 tile of C in 16 zmm accumulators.
//!
//! Per step of k: two 16-lane loads of packed B, eight broadcasts of packed A,
//! sixteen FMAs. Sixteen independent accumulators cover the FMA latency
//! (4 cycles × 2 FMA ports = 8 in flight) twice over, and 8 and 32 divide the
//! power-of-two sizes transformers use, so their products have no edge tiles.
//! Edge tiles write back through lane masks.

/// Rows of C per tile.
pub const MR: usize = 8;
/// Columns of C per tile (two zmm vectors).
pub const NR: usize = 32;

#[cfg(target_arch = "x86_64")]
const NV: usize = NR / 16;

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
    beta: f32,
    c: *mut f32,
    rsc: usize,
    mr: usize,
    nr: usize,
) {
    use core::arch::x86_64::*;
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    let mut b = bp;
    // SAFETY (whole body): the caller guarantees A element (i, p) at ap[i·ars + p·acs] for i < MR, p < k, k·NR floats at bp,
    // 64-byte aligned, and an mr×nr tile at c with row stride rsc.
    unsafe {
        if ars == 1 && acs == MR {
            // Packed A: one pointer walking MR floats per step.
            let mut a = ap;
            for _ in 0..k {
                let bv = [_mm512_load_ps(b), _mm512_load_ps(b.add(16))];
                for i in 0..MR {
                    let av = _mm512_set1_ps(*a.add(i));
                    for v in 0..NV {
                        acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
                    }
                }
                a = a.add(MR);
                b = b.add(NR);
            }
        } else {
            // A in place: MR row pointers, each walking acs floats per step.
            let rows: [*const f32; MR] = core::array::from_fn(|i| ap.add(i * ars));
            for p in 0..k {
                let bv = [_mm512_load_ps(b), _mm512_load_ps(b.add(16))];
                for i in 0..MR {
                    let av = _mm512_set1_ps(*rows[i].add(p * acs));
                    for v in 0..NV {
                        acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
                    }
                }
                b = b.add(NR);
            }
        }
        let va = _mm512_set1_ps(alpha);
        let vb = _mm512_set1_ps(beta);
        if mr == MR && nr == NR {
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
            let masks: [__mmask16; NV] =
                core::array::from_fn(|v| lane_mask(nr.saturating_sub(16 * v)));
            for i in 0..mr {
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

/// A mask of the first `n` of 16 lanes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lane_mask(n: usize) -> u16 {
    if n >= 16 { u16::MAX } else { (1u16 << n) - 1 }
}
