//! Cache blocking: how much of A, B and C each loop level holds, per tier.
//!
//! The loop nest (see `driver.rs`) keeps one MR×KC micro-panel of packed A in
//! L1 while the micro-kernel sweeps the KC×NC block of packed B held in L2:
//! - `KC` (depth of one pass): the A micro-panel (MR·KC·4 B) must sit in L1 next
//!   to the streaming B micro-panel; 256 × 8 × 4 = 8 KiB of a 48 KiB L1d.
//! - `NC` (columns of one B block): the packed KC×NC block of B (256 × 512 × 4 =
//!   512 KiB) must stay in L2 while every A micro-panel passes over it. The brief's
//!   machine has 1 MiB L2 per core (Zen 5); the VM this was tuned on reports a
//!   2 MiB L2 (Intel model 207): half of the smaller one leaves room for C and A.
//! - `MC` (rows of one packed A block): bounds the A buffer (MC·KC·4 = 1 MiB,
//!   L2/L3) and how often B is re-packed (once per MC rows).
//!
//! Re-measured on the model-207 Xeon (L1d 48 KiB 12-way, L2 2 MiB 16-way, L3 260 MiB)
//! against `gemm` in one run: KC = 512 (gemm's choice) and NC = 1024 were no better
//! at 512³ and 1024³, so these stay.
//!
//! Depths and widths are *balanced*: k = 300 with KC = 256 runs two passes of
//! 152, not 256 + 44, so no pass is a short, overhead-dominated one.

use crate::simd::Tier;

/// The register tile and cache blocks one tier's micro-kernel works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocking {
    /// Rows of C one micro-kernel call produces.
    pub mr: usize,
    /// Columns of C one micro-kernel call produces.
    pub nr: usize,
    /// Largest depth of one packed pass.
    pub kc: usize,
    /// Largest number of rows of A packed at once (a multiple of `mr`).
    pub mc: usize,
    /// Largest number of columns of B packed at once (a multiple of `nr`).
    pub nc: usize,
}

impl Blocking {
    /// The blocking of `tier`'s micro-kernel.
    pub const fn of(tier: Tier) -> Blocking {
        match tier {
            Tier::Avx512 => Blocking {
                mr: super::kernel::avx512::MR,
                nr: super::kernel::avx512::NR,
                kc: 256,
                mc: 1024,
                nc: 512,
            },
            Tier::Avx2 => Blocking {
                mr: super::kernel::avx2::MR,
                nr: super::kernel::avx2::NR,
                kc: 256,
                mc: 768,
                nc: 512,
            },
            Tier::Scalar => Blocking {
                mr: super::kernel::scalar::MR,
                nr: super::kernel::scalar::NR,
                kc: 256,
                mc: 256,
                nc: 256,
            },
        }
    }
}

/// Split `len` into the fewest blocks of at most `max`, of near-equal size rounded
/// up to a multiple of `unit` (the last block takes the remainder). Returns the block size.
pub fn balanced(len: usize, max: usize, unit: usize) -> usize {
    if len <= max {
        return len.max(1);
    }
    let blocks = len.div_ceil(max);
    let size = len.div_ceil(blocks).div_ceil(unit) * unit;
    size.min(max).max(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_blocks_cover_and_respect_the_maximum() {
        for len in [1, 7, 255, 256, 257, 300, 512, 1000, 1024, 4097] {
            for (max, unit) in [(256, 1), (512, 32), (1024, 8)] {
                let b = balanced(len, max, unit);
                assert!(b >= 1 && b <= max.max(len.min(max)), "{len} {max} {b}");
                assert!(len.div_ceil(b) == len.div_ceil(max), "{len} {max} {b}");
            }
        }
        assert_eq!(balanced(300, 256, 8), 152);
        assert_eq!(balanced(512, 256, 8), 256);
    }

    #[test]
    fn blocks_are_whole_tiles() {
        for t in Tier::ALL {
            let b = Blocking::of(t);
            assert_eq!(b.mc % b.mr, 0);
            assert_eq!(b.nc % b.nr, 0);
        }
    }
}
