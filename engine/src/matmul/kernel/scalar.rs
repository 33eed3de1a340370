//! The portable micro-kernel: the readable specification the SIMD tiers are tested against.
//!
//! One body generic in the tile; the scalar tier runs the 4×4 instance and is not
//! calibrated (it is the reference, not a fast path).

use super::Micro;

/// Every tile the scalar tier offers.
pub const TILES: &[Micro] = &[Micro {
    mr: 4,
    nr: 4,
    f: k4x4,
    edge: k4x4,
}];

kernel_fn! {
    /// 4×4: the specification's tile.
    ///
    /// # Safety
    /// As [`super::KernelFn`].
    pub fn k4x4 => body::<4, 4>
}

/// One MR×NR tile: `c[i·rsc + j] = α·Σ_p a(i, p)·b(p, j) + β·c[i·rsc + j]` for i < mr, j < nr.
///
/// # Safety
/// As [`super::KernelFn`].
// ap: (MR, k) with element (i, p) at ap[i·ars + p·acs], bp: (k, NR) row stride rsb, c: (mr, nr) row stride rsc
#[inline(always)]
unsafe fn body<const MR: usize, const NR: usize>(
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
    let mut acc = [[0.0f32; NR]; MR];
    for p in 0..k {
        // SAFETY: the caller guarantees B element (p, j) at bp[p·rsb + j] for j < NR.
        let br = unsafe { std::slice::from_raw_parts(bp.add(p * rsb), NR) };
        for i in 0..MR {
            // SAFETY: the caller guarantees A element (i, p) is readable for i < MR, p < k.
            let a = unsafe { *ap.add(i * ars + p * acs) };
            for j in 0..NR {
                acc[i][j] += a * br[j];
            }
        }
    }
    for i in 0..mr {
        for j in 0..nr {
            // SAFETY: i < mr, j < nr lie inside the caller's tile.
            let cij = unsafe { &mut *c.add(i * rsc + j) };
            *cij = if beta == 0.0 {
                alpha * acc[i][j]
            } else {
                alpha * acc[i][j] + beta * *cij
            };
        }
    }
}
