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
//! at 512³ and 1024³.
//!
//! **Where they are set.** [`Blocking::for_cpu`] derives the blocks from this CPU's
//! caches (`cache.rs`, read once from sysfs) with the rules above, as fractions of
//! the caches: MR·KC·4 ≤ L1d/6 (KC a multiple of 128, 128..=512), KC·NC·4 ≤ L2/4,
//! MC·KC·4 ≤ L2/2. On the model-207 Xeon (48 KiB, 2 MiB) they give exactly the
//! measured AVX-512 blocks KC = 256, NC = 512, MC = 1024 of [`Blocking::of`]; on a
//! Zen 5 core (48 KiB, 1 MiB) KC = 256, NC = 256, MC = 512; on a 32 KiB L1d KC = 128.
//!
//! **Loop order inside a block** ([`Blocking::b_panel_resident`]). By default the B
//! micro-panels stream from L2 past an A micro-panel held in L1, which is then
//! reused for every B micro-panel of the block. When a block is narrow (at most 4
//! B micro-panels: that reuse is small) and one B micro-panel (kb·NR·4 bytes) fits
//! in half of L1d, the order flips: each B micro-panel stays in L1 while the A
//! micro-panels stream past it (as BLIS orders them). Measured on the model-207 Xeon,
//! both orders interleaved with `gemm` in one process, three runs: the flip took the
//! weight gradient Aᵀ·B at 256×128×128 from 0.93× to 0.97× of `gemm`, and the input
//! gradient dC·Bᵀ at 2048×128×384 from 0.80–0.91× to 0.92–0.98×; on wide blocks
//! (2048×384×128, 2048×512×128: 12–16 B panels) it lost 3–6 %, and at 1024³ (32 KiB
//! B panels) 20 %.
//!
//! **Per product** ([`Blocking::for_product`]): a narrow product with a transposed A
//! (a weight gradient Xᵀ·dY with n ≤ 4 B micro-panels and a long k) runs shallower
//! passes, KC = 128 here, so that the B-resident order above applies to every pass.
//!
//! Depths and widths are *balanced*: k = 300 with KC = 256 runs two passes of
//! 152, not 256 + 44, so no pass is a short, overhead-dominated one.

use super::cache::Caches;
use crate::simd::Tier;
use std::sync::OnceLock;

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
    /// The blocking of `tier`'s micro-kernel with the blocks measured on the model-207
    /// Xeon (48 KiB L1d, 2 MiB L2); [`Blocking::for_cpu`] is what the driver uses.
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

impl Blocking {
    /// The blocking of `tier`'s micro-kernel for this CPU's caches (derived once per tier).
    pub fn for_cpu(tier: Tier) -> Blocking {
        static CACHED: [OnceLock<Blocking>; 3] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let slot = match tier {
            Tier::Scalar => 0,
            Tier::Avx2 => 1,
            Tier::Avx512 => 2,
        };
        *CACHED[slot].get_or_init(|| Blocking::for_caches(tier, Caches::detected()))
    }

    /// The blocking of `tier`'s micro-kernel for caches `c` (rules in the module docs).
    /// The scalar tier keeps its fixed blocks: it is the specification, not tuned.
    pub fn for_caches(tier: Tier, c: Caches) -> Blocking {
        let base = Blocking::of(tier);
        if tier == Tier::Scalar {
            return base;
        }
        let (mr, nr) = (base.mr, base.nr);
        let kc = (c.l1d / 6 / (mr * 4) / 128 * 128).clamp(128, 512);
        let nc = (c.l2 / 4 / (kc * 4)).clamp(4 * nr, 4096) / nr * nr;
        let mc = (c.l2 / 2 / (kc * 4)).clamp(16 * mr, 4096) / mr * mr;
        Blocking { mr, nr, kc, mc, nc }
    }

    /// The blocks for a product with op(A) = A when `ta == No`, else Aᵀ, and `n` columns.
    ///
    /// A weight gradient Xᵀ·dY of a narrow layer (n ≤ 4·NR, k = B·T long) reads its
    /// transposed A one stored row per step of k; its depth passes are cut so that one B
    /// micro-panel takes at most a third of L1d (KC = 128 on a 48 KiB L1d with NR = 32),
    /// where it stays while the A micro-panels stream past it ([`Self::b_panel_resident`]).
    /// Measured on the model-207 Xeon, interleaved in one process, KC 256 → 128 ran
    /// 512×128×2048 5–8 %, 256×128×2048 2–3 % and 128×128×2048 2 % faster in three runs
    /// (KC 64, 96 and 192 gained 1–8 %, less steadily); for non-transposed A a cut to
    /// 192 lost 10 % at 2048×128×512 (one more pass over C), so it is not applied there.
    pub fn for_product(self, ta: super::Trans, n: usize) -> Blocking {
        if ta == super::Trans::No || n > 4 * self.nr {
            return self;
        }
        let resident = (Caches::detected().l1d / 3 / (self.nr * 4) / 8 * 8).max(32);
        Blocking {
            kc: self.kc.min(resident),
            ..self
        }
    }

    /// Whether, in a block of depth `kb` and `nb` columns, each B micro-panel stays in
    /// L1 while the A micro-panels stream past it (rather than the reverse): when the
    /// block has at most four B micro-panels (so an A micro-panel held in L1 would be
    /// reused at most four times) and one B micro-panel, kb·NR floats, fits in half of L1d.
    pub fn b_panel_resident(&self, kb: usize, nb: usize) -> bool {
        nb <= 4 * self.nr && kb * self.nr * 4 <= Caches::detected().l1d / 2
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
            for b in [
                Blocking::of(t),
                Blocking::for_cpu(t),
                Blocking::for_caches(t, Caches::FALLBACK),
                Blocking::for_caches(
                    t,
                    Caches {
                        l1d: 4096,
                        l2: 65536,
                    },
                ),
                Blocking::for_caches(
                    t,
                    Caches {
                        l1d: 1 << 20,
                        l2: 1 << 28,
                    },
                ),
            ] {
                assert_eq!(b.mc % b.mr, 0, "{t} {b:?}");
                assert_eq!(b.nc % b.nr, 0, "{t} {b:?}");
                assert!(b.kc >= 8 && b.mc >= b.mr && b.nc >= b.nr, "{t} {b:?}");
            }
        }
    }

    #[test]
    fn narrow_transposed_products_keep_their_b_panel_in_l1() {
        use crate::matmul::Trans;
        for t in Tier::ALL {
            let b = Blocking::for_cpu(t);
            assert_eq!(b.for_product(Trans::No, b.nr), b, "{t}");
            assert_eq!(b.for_product(Trans::Yes, 4 * b.nr + 1), b, "{t}");
            let narrow = b.for_product(Trans::Yes, 4 * b.nr);
            assert!(narrow.kc <= b.kc && narrow.kc >= 8, "{t} {narrow:?}");
            assert_eq!(
                (narrow.mr, narrow.nr, narrow.mc, narrow.nc),
                (b.mr, b.nr, b.mc, b.nc)
            );
            assert!(
                narrow.b_panel_resident(narrow.kc, 4 * b.nr),
                "{t}: a full pass keeps the B panel resident"
            );
        }
    }

    #[test]
    fn cache_rules_reproduce_the_blocks_measured_on_the_model_207_xeon() {
        let xeon = Caches {
            l1d: 48 * 1024,
            l2: 2048 * 1024,
        };
        assert_eq!(
            Blocking::for_caches(Tier::Avx512, xeon),
            Blocking::of(Tier::Avx512)
        );
        let zen5 = Caches {
            l1d: 48 * 1024,
            l2: 1024 * 1024,
        };
        let b = Blocking::for_caches(Tier::Avx512, zen5);
        assert_eq!((b.kc, b.nc, b.mc), (256, 256, 512));
        let small_l1 = Blocking::for_caches(Tier::Avx2, Caches::FALLBACK);
        assert_eq!(small_l1.kc, 128);
        assert_eq!(
            Blocking::for_caches(Tier::Scalar, xeon),
            Blocking::of(Tier::Scalar)
        );
    }
}
