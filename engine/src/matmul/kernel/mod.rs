//! Register-blocked micro-kernels: one MR×NR tile of C from packed panels.
//!
//! Contract shared by every tier (the scalar body is the specification):
//!
//! ```text
//! // ap: (k, MR) packed A micro-panel, bp: (k, NR) packed B micro-panel, c: (mr, nr) with row stride rsc
//! c[i·rsc + j] = α·Σ_p ap[p·MR + i]·bp[p·NR + j] + β·c[i·rsc + j]   for i < mr ≤ MR, j < nr ≤ NR
//! ```
//!
//! Packed panels are zero-padded to full MR and NR, so the kernel always
//! computes a full tile and only the write-back honours `mr` and `nr` (edge tiles).
//! When β = 0, C is not read. `ap` and `bp` are 64-byte aligned.

pub mod avx2;
pub mod avx512;
pub mod scalar;

use crate::simd::Tier;

/// A micro-kernel; see the module docs for the contract.
///
/// # Safety
/// `ap` holds k·MR floats, `bp` holds k·NR floats, and `c` addresses an
/// `mr`×`nr` tile with row stride `rsc` that nothing else accesses meanwhile;
/// the CPU supports the kernel's tier.
pub type KernelFn = unsafe fn(
    k: usize,
    alpha: f32,
    ap: *const f32,
    bp: *const f32,
    beta: f32,
    c: *mut f32,
    rsc: usize,
    mr: usize,
    nr: usize,
);

/// The micro-kernel of `tier`.
pub fn of(tier: Tier) -> KernelFn {
    match tier {
        Tier::Scalar => scalar::kernel,
        #[cfg(target_arch = "x86_64")]
        Tier::Avx2 => avx2::kernel,
        #[cfg(target_arch = "x86_64")]
        Tier::Avx512 => avx512::kernel,
        #[cfg(not(target_arch = "x86_64"))]
        _ => scalar::kernel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matmul::blocking::Blocking;
    use crate::simd::for_each_available_tier;

    /// Every tier's kernel against a plain f64 sum, on full and edge tiles, β = 0 (NaN C) and β ≠ 0.
    #[test]
    fn kernels_match_the_definition() {
        for_each_available_tier(|tier| {
            let b = Blocking::of(tier);
            let (mr_max, nr_max) = (b.mr, b.nr);
            for k in [1usize, 3, 17, 64] {
                let ap: Vec<f32> = (0..k * mr_max)
                    .map(|x| ((x * 7 % 13) as f32) - 6.0)
                    .collect();
                let bp: Vec<f32> = (0..k * nr_max)
                    .map(|x| ((x * 5 % 11) as f32) * 0.5 - 2.0)
                    .collect();
                // Aligned copies, as the driver provides.
                let mut apb = crate::pool::rent(ap.len());
                apb.copy_from_slice(&ap);
                let mut bpb = crate::pool::rent(bp.len());
                bpb.copy_from_slice(&bp);
                for (mr, nr) in [
                    (mr_max, nr_max),
                    (1, 1),
                    (mr_max - 1, nr_max - 1),
                    (mr_max, 3),
                    (2, nr_max),
                ] {
                    for (alpha, beta) in [(1.0f32, 0.0f32), (0.5, 2.0), (-1.0, 1.0)] {
                        let rsc = nr_max + 5;
                        let fill = if beta == 0.0 { f32::NAN } else { 1.5 };
                        let mut c = vec![fill; mr_max * rsc];
                        // SAFETY: sizes as documented above; tier checked by for_each_available_tier.
                        unsafe {
                            of(tier)(
                                k,
                                alpha,
                                apb.as_ptr(),
                                bpb.as_ptr(),
                                beta,
                                c.as_mut_ptr(),
                                rsc,
                                mr,
                                nr,
                            )
                        };
                        for i in 0..mr_max {
                            for j in 0..rsc {
                                let got = c[i * rsc + j];
                                if i < mr && j < nr {
                                    let s: f64 = (0..k)
                                        .map(|p| {
                                            ap[p * mr_max + i] as f64 * bp[p * nr_max + j] as f64
                                        })
                                        .sum();
                                    let want = alpha as f64 * s
                                        + if beta == 0.0 { 0.0 } else { beta as f64 * 1.5 };
                                    assert!(
                                        (got as f64 - want).abs() <= 1e-4 * (1.0 + want.abs()),
                                        "{tier} k={k} ({mr},{nr}) [{i},{j}] {got} vs {want}"
                                    );
                                } else {
                                    assert!(
                                        got.to_bits() == fill.to_bits(),
                                        "{tier}: wrote outside the tile at [{i},{j}]"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        });
    }
}
