//! The AVX2+FMA micro-kernel: a 6×16 tile of C in 12 ymm accumulators.
//!
//! Per step of k: two 8-lane loads of packed B, six broadcasts of packed A,
//! twelve FMAs; 12 accumulators + 2 B vectors + 1 broadcast fit the 16 ymm
//! registers. Edge tiles go through a small stack tile.

/// Rows of C per tile.
pub const MR: usize = 6;
/// Columns of C per tile (two ymm vectors).
pub const NR: usize = 16;

#[cfg(target_arch = "x86_64")]
const NV: usize = NR / 8;

/// See [`super::KernelFn`] for the contract.
///
/// # Safety
/// As [`super::KernelFn`], and the CPU supports AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
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
    use core::arch::x86_64::*;
    let mut acc = [[_mm256_setzero_ps(); NV]; MR];
    let mut b = bp;
    // SAFETY (whole body): the caller guarantees A element (i, p) at ap[i·ars + p·acs] for i < MR, p < k, B element (p, j) at bp[p·rsb + j] for j < NR,
    // and an mr×nr tile at c with row stride rsc.
    unsafe {
        if ars == 1 && acs == MR {
            // Packed A: one pointer walking MR floats per step.
            let mut a = ap;
            for _ in 0..k {
                let bv = [_mm256_loadu_ps(b), _mm256_loadu_ps(b.add(8))];
                for i in 0..MR {
                    let av = _mm256_broadcast_ss(&*a.add(i));
                    for v in 0..NV {
                        acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
                    }
                }
                a = a.add(MR);
                b = b.add(rsb);
            }
        } else {
            // A in place: MR row pointers, each walking acs floats per step.
            let rows: [*const f32; MR] = core::array::from_fn(|i| ap.add(i * ars));
            for p in 0..k {
                let bv = [_mm256_loadu_ps(b), _mm256_loadu_ps(b.add(8))];
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
        if mr == MR && nr == NR {
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
            // Through a stack tile, with the same vector arithmetic as the full tile, so an
            // element's value does not depend on whether it falls in an edge tile.
            let mut tile = [0.0f32; MR * NR];
            if beta != 0.0 {
                for i in 0..mr {
                    for j in 0..nr {
                        tile[i * NR + j] = *c.add(i * rsc + j);
                    }
                }
            }
            for i in 0..MR {
                for v in 0..NV {
                    let p = tile.as_mut_ptr().add(i * NR + 8 * v);
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
                    *c.add(i * rsc + j) = tile[i * NR + j];
                }
            }
        }
    }
}
