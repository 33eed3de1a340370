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
    bp: *const f32,
    beta: f32,
    c: *mut f32,
    rsc: usize,
    mr: usize,
    nr: usize,
) {
    // SAFETY: the caller guarantees k·MR and k·NR floats behind ap and bp.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts(ap, k * MR),
            std::slice::from_raw_parts(bp, k * NR),
        )
    };
    let mut acc = [[0.0f32; NR]; MR];
    for (ar, br) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        for i in 0..MR {
            for j in 0..NR {
                acc[i][j] += ar[i] * br[j];
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
