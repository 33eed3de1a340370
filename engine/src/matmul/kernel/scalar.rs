//! The portable micro-kernel: the readable specification the SIMD tiers are tested against.

/// Rows of C per tile.
pub const MR: usize = 4;
/// Columns of C per tile.
pub const NR: usize = 4;

/// See [`super::KernelFn`] for the contract.
///
/// # Safety
/// As [`super::KernelFn`].
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
