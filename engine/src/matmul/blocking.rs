//! Cache blocking: the register tile and how much of A, B and C each loop level holds.
//!
//! The loop nest (see `driver/`) keeps one MR×KC micro-panel of packed A in
//! L1 while the micro-kernel sweeps the KC×NC block of packed B held in L2:
//! - `KC` (depth of one pass): the A micro-panel (MR·KC·4 B) must sit in L1 next
//!   to the streaming B micro-panels;
//! - `NC` (columns of one B block): the packed KC×NC block of B must stay in L2
//!   while every A micro-panel passes over it;
//! - `MC` (rows of one packed A block): bounds the A buffer and how often B is
//!   re-packed (once per MC rows; an A read in place, see `driver/`, is one block);
//! - `at_pack_stride`: a transposed A (a weight gradient Xᵀ·dY) read in place walks
//!   one stored row per step of k; from this row stride (bytes) up it is packed first;
//! - `kc_tn`: the depth of a pass of a narrow weight gradient (see below);
//! - `a_ahead`: how many steps of k ahead the AVX-512 kernel prefetches a far transposed
//!   A read in place (its rows 256 bytes or more apart, each step a new line);
//! - `b_in_place_max`: a small row-major B is read in place (its rows, `ldb` apart,
//!   are the micro-panels) instead of packed: the copy is then a large share of the
//!   product, while a large B read in place streams strided rows once per row panel;
//! - `narrow_b_in_place_rows`: a narrow row-major B (n ≤ 4·NR, rows under 4 KiB apart)
//!   of any size is read in place for products of at most this many rows: the narrow
//!   weight gradients Xᵀ·dY, whose copy of all of dY serves only m/MR row panels;
//! - `gemv_far_above`: not the sgemm's but the decoder's (`nn/gemv.rs`): from how many
//!   bytes of weights a decoding step streams its gemvs also prefetch far ahead into L2.
//!
//! **Where they come from.** [`Blocking::for_caches`] derives every field from this
//! CPU's caches (`cache.rs`) and the tier's default tile: MR·KC·4 ≤ L1d/4 (KC a
//! multiple of 64, 128..=512), KC·NC·4 ≤ L2, MC·KC·4 ≤ L2, KC_TN·NR·4 ≤ L1d/2,
//! B in place while k·n·4 ≤ L1d/2, and transposed A packed from 4 KiB rows up (a page per step of k: every step a new TLB entry and
//! the same L1 set). These are the sane defaults; which tile and blocks are actually
//! fastest differs between CPUs (on an Ice Lake an 8×48 tile beat 8×32 by 12–21 %, on
//! Sapphire Rapids they tied), so `tuning/` measures them once per CPU model and
//! caches the result. [`Blocking::validate`] is what every blocking, derived or read
//! from a file, must pass.
//!
//! **Loop order inside a block** ([`Blocking::b_panel_resident`]). By default the B
//! micro-panels stream from L2 past an A micro-panel held in L1, which is then
//! reused for every B micro-panel of the block. When a block is narrow (at most 4
//! B micro-panels: that reuse is small) and one B micro-panel (kb·NR·4 bytes) fits
//! in half of L1d, the order flips: each B micro-panel stays in L1 while the A
//! micro-panels stream past it (as BLIS orders them).
//!
//! **Per product** ([`Blocking::for_product`]): a narrow product with a transposed A
//! (a weight gradient Xᵀ·dY with n ≤ 4 B micro-panels and a long k) runs shallower
//! passes, so that the B-resident order above applies to every pass; any other product
//! runs the fewest passes of at most KC·4/3 (k = 512 one pass under KC 384), with NC
//! narrowed so that the B block keeps KC·NC floats ([`KC_STRETCH`]).
//!
//! Depths and widths are *balanced*: k = 300 with KC = 256 runs two passes of
//! 152, not 256 + 44, so no pass is a short, overhead-dominated one.

use super::cache::Caches;
use super::kernel::{self, Micro};
use crate::simd::Tier;
use serde::{Deserialize, Serialize};

/// The register tile and cache blocks one tier's sgemm works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A transposed A whose stored rows are at least this many bytes apart is packed
    /// rather than read in place (0: always packed).
    pub at_pack_stride: usize,
    /// Largest depth of one pass of a narrow product with a transposed A (a weight
    /// gradient Xᵀ·dY with n ≤ 4·NR; see [`Blocking::for_product`]).
    pub kc_tn: usize,
    /// A row-major B of at most this many elements (k·n) is read in place, not packed.
    pub b_in_place_max: usize,
    /// A narrow row-major B (n ≤ 4·NR, rows under 4 KiB apart) is read in place, not
    /// packed, in products of at most this many rows (m). Absent from files written
    /// before it existed: [`NARROW_B_IN_PLACE_ROWS`].
    #[serde(default = "narrow_b_in_place_rows_default")]
    pub narrow_b_in_place_rows: usize,
    /// Steps of k between the AVX-512 kernel's prefetch of a far transposed A's line (a
    /// row 256 bytes or more from the next, read in place) and its use. Absent from
    /// files written before it existed: [`A_AHEAD`].
    #[serde(default = "a_ahead_default")]
    pub a_ahead: usize,
    /// A decoding step that streams more than this many bytes of weights prefetches
    /// them far ahead into L2 as well (`nn/gemv.rs`). `None` (the defaults, and files
    /// written before it existed): half this CPU's share of the last-level cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemv_far_above: Option<usize>,
}

/// The default of [`Blocking::narrow_b_in_place_rows`]: 64, the bound up to which any
/// row-major B is read in place (measured on the model-207 Xeon, see `driver/`), so
/// that without a calibration narrow products behave as before it existed.
pub const NARROW_B_IN_PLACE_ROWS: usize = 64;

fn narrow_b_in_place_rows_default() -> usize {
    NARROW_B_IN_PLACE_ROWS
}

/// The default of [`Blocking::a_ahead`]: 8 steps (≥ 64 cycles at one 512-bit FMA a
/// cycle and MR·NV ≥ 16 FMAs a step, an L2 hit), with the 8 lines in flight within the
/// ways of the few L1 sets a power-of-two stride maps them to. Measured on the Zen 4
/// (512×128×2048 and its narrower kin, Aᵀ·B, 4, 8, 16 and 24 steps alternated three
/// times in 31 rounds): 8 the best, 4 and 24 up to 3 % slower. On the Zen 5, whose FMAs
/// are twice as wide, 4 ran 512×128×2048 2 % faster: the calibration measures it.
pub const A_AHEAD: usize = 8;

fn a_ahead_default() -> usize {
    A_AHEAD
}

/// `8x32 kc 512 mc 1024 nc 1024 at_pack_stride 4096 …`: the tile, then every field by
/// its name, for logs and result files.
impl std::fmt::Display for Blocking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}x{} kc {} mc {} nc {} at_pack_stride {} kc_tn {} b_in_place_max {} narrow_b_in_place_rows {} a_ahead {}",
            self.mr,
            self.nr,
            self.kc,
            self.mc,
            self.nc,
            self.at_pack_stride,
            self.kc_tn,
            self.b_in_place_max,
            self.narrow_b_in_place_rows,
            self.a_ahead
        )?;
        match self.gemv_far_above {
            Some(bytes) => write!(f, " gemv_far_above {bytes}"),
            None => write!(f, " gemv_far_above llc/2"),
        }
    }
}

/// A product's passes are up to KC·4/3 deep (see [`Blocking::for_product`]): k = 512
/// under KC 384 runs one pass rather than two balanced ones of 256, k = 1024 two of 512
/// rather than three of 344. A pass less reads and writes all of C once less and does
/// more work per packed panel, while the deeper A micro-panel still takes at most a third
/// of L1d (KC's rule gives it a quarter). On the Zen 5 (KC 384, runs of 61 rounds, the
/// builds alternated, against `gemm`): one pass at k = 512, three runs: 512³ +0–3 %,
/// 2048×128×512 +2 % (its A·Bᵀ +1–13 %), 512×512×448 +1–3 %, 1024×1024×512 +1–5 %;
/// deeper products, four runs: 2048×256×1024 +1.5 %, 1024³ and 1536³ +0.7 %,
/// 512×1024×1024 +1.2 %, 2048³ and 2048×768×1536 ±0.
pub const KC_STRETCH: (usize, usize) = (4, 3);

/// Bounds every blocking keeps (files are checked against them).
const KC_RANGE: (usize, usize) = (8, 4096);
const BLOCK_MAX: usize = 1 << 16;

impl Blocking {
    /// The tile `tier` uses when nothing was measured: the first of its tiles.
    pub fn default_tile(tier: Tier) -> Micro {
        kernel::tiles(tier)[0]
    }

    /// The blocking for caches `c` with `tier`'s default tile (rules in the module docs).
    pub fn for_caches(tier: Tier, c: Caches) -> Blocking {
        let t = Blocking::default_tile(tier);
        Blocking::for_tile(t.mr, t.nr, c)
    }

    /// The cache blocks for an `mr`×`nr` tile and caches `c` (rules in the module docs).
    pub fn for_tile(mr: usize, nr: usize, c: Caches) -> Blocking {
        let kc = (c.l1d / 4 / (mr * 4) / 64 * 64).clamp(128, 512);
        // One B micro-panel in half of L1d, where it stays (`b_panel_resident`).
        let kc_tn = (c.l1d / 2 / (nr * 4) / 8 * 8).clamp(32, kc);
        Blocking {
            mr,
            nr,
            kc,
            mc: mr,
            nc: nr,
            at_pack_stride: 4096,
            kc_tn,
            // B within half of L1d, where it stays across every row panel.
            b_in_place_max: c.l1d / 2 / 4,
            narrow_b_in_place_rows: NARROW_B_IN_PLACE_ROWS,
            a_ahead: A_AHEAD,
            gemv_far_above: None,
        }
        .with_kc(kc, c)
    }

    /// This blocking with depth `kc` and the A and B blocks the cache rules give for it
    /// (KC·NC·4 ≤ L2, MC·KC·4 ≤ L2, whole tiles).
    pub fn with_kc(self, kc: usize, c: Caches) -> Blocking {
        let (mr, nr, kc) = (self.mr, self.nr, kc.max(1));
        Blocking {
            kc,
            nc: (c.l2 / (kc * 4)).clamp(4 * nr, 4096) / nr * nr,
            mc: (c.l2 / (kc * 4)).clamp(16 * mr, 4096) / mr * mr,
            ..self
        }
    }

    /// `tier`'s micro-kernel for this tile, if the blocking is one `tier` can run:
    /// a tile the tier offers, KC in 8..=4096, MC and NC whole tiles up to 65536, the
    /// far prefetch 1..=64 steps ahead.
    pub fn validate(&self, tier: Tier) -> Result<Micro, String> {
        let micro = kernel::find(tier, self.mr, self.nr).ok_or_else(|| {
            let offered: Vec<String> = kernel::tiles(tier)
                .iter()
                .map(|t| format!("{}x{}", t.mr, t.nr))
                .collect();
            format!(
                "tier {tier} has no {}x{} tile (it offers {})",
                self.mr,
                self.nr,
                offered.join(", ")
            )
        })?;
        for (name, v) in [("kc", self.kc), ("kc_tn", self.kc_tn)] {
            if !(KC_RANGE.0..=KC_RANGE.1).contains(&v) {
                return Err(format!(
                    "{name} {v} outside {}..={}",
                    KC_RANGE.0, KC_RANGE.1
                ));
            }
        }
        for (name, v, unit) in [("mc", self.mc, self.mr), ("nc", self.nc, self.nr)] {
            if v == 0 || v % unit != 0 || v > BLOCK_MAX {
                return Err(format!(
                    "{name} {v} is not a positive multiple of {unit} up to {BLOCK_MAX}"
                ));
            }
        }
        if !(1..=64).contains(&self.a_ahead) {
            return Err(format!("a_ahead {} outside 1..=64", self.a_ahead));
        }
        Ok(micro)
    }

    /// The blocks for a product with op(A) = A when `ta == No`, else Aᵀ, `n` columns and
    /// depth `k`.
    ///
    /// A weight gradient Xᵀ·dY of a narrow layer (n ≤ 4·NR, k = B·T long) reads its
    /// transposed A one stored row per step of k; its passes are `kc_tn` deep (by the
    /// cache rule: one B micro-panel in a third of L1d, where it stays while the A
    /// micro-panels stream past it, [`Self::b_panel_resident`]). (For a non-transposed A
    /// a shallower pass costs one more pass over C and lost 10 % at 2048×128×512 on a
    /// Xeon, so it is not cut.)
    ///
    /// Any other product deeper than KC runs the fewest passes of at most KC·4/3
    /// ([`KC_STRETCH`]); when they are deeper than KC, its B block is narrowed to keep KC·NC
    /// floats, so that it stays in L2 as deep as they are.
    pub fn for_product(self, ta: super::Trans, n: usize, k: usize) -> Blocking {
        if ta == super::Trans::Yes && n <= 4 * self.nr {
            return Blocking {
                kc: self.kc_tn,
                ..self
            };
        }
        let passes = (k * KC_STRETCH.1).div_ceil(self.kc * KC_STRETCH.0).max(1);
        // As deep as the driver balances them (`balanced(k, depth, 8)`: `passes` passes).
        let depth = if passes == 1 {
            k
        } else {
            k.div_ceil(passes).div_ceil(8) * 8
        };
        if k > self.kc && depth > self.kc {
            return Blocking {
                kc: depth,
                nc: (self.kc * self.nc / depth / self.nr * self.nr).max(self.nr),
                ..self
            };
        }
        self
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
    fn derived_blocks_are_valid_for_every_tile_and_cache() {
        let caches = [
            Caches::detected(),
            Caches::FALLBACK,
            Caches {
                l1d: 4096,
                l2: 65536,
            },
            Caches {
                l1d: 1 << 20,
                l2: 1 << 28,
            },
        ];
        for t in Tier::ALL {
            for c in caches {
                let d = Blocking::for_caches(t, c);
                assert_eq!((d.mr, d.nr), {
                    let m = Blocking::default_tile(t);
                    (m.mr, m.nr)
                });
                for m in kernel::tiles(t) {
                    let b = Blocking::for_tile(m.mr, m.nr, c);
                    let micro = b.validate(t).unwrap_or_else(|e| panic!("{t} {b:?}: {e}"));
                    assert_eq!((micro.mr, micro.nr), (m.mr, m.nr));
                    assert!(b.kc >= 128 && b.mc >= b.mr && b.nc >= b.nr, "{t} {b:?}");
                }
            }
        }
    }

    #[test]
    fn validation_names_what_is_wrong() {
        let t = Tier::Scalar;
        let good = Blocking::for_caches(t, Caches::FALLBACK);
        assert!(good.validate(t).is_ok());
        let e = Blocking { mr: 5, ..good }.validate(t).unwrap_err();
        assert!(e.contains("no 5x4 tile") && e.contains("4x4"), "{e}");
        let e = Blocking { kc: 4, ..good }.validate(t).unwrap_err();
        assert!(e.contains("kc 4"), "{e}");
        let e = Blocking {
            kc_tn: 5000,
            ..good
        }
        .validate(t)
        .unwrap_err();
        assert!(e.contains("kc_tn 5000"), "{e}");
        let e = Blocking { mc: 6, ..good }.validate(t).unwrap_err();
        assert!(e.contains("mc 6"), "{e}");
        for a_ahead in [0, 65] {
            let e = Blocking { a_ahead, ..good }.validate(t).unwrap_err();
            assert!(e.contains(&format!("a_ahead {a_ahead}")), "{e}");
        }
        let e = Blocking { nc: 0, ..good }.validate(t).unwrap_err();
        assert!(e.contains("nc 0"), "{e}");
        let e = Blocking {
            nc: 1 << 20,
            ..good
        }
        .validate(t)
        .unwrap_err();
        assert!(e.contains("nc"), "{e}");
    }

    #[test]
    fn narrow_transposed_products_keep_their_b_panel_in_l1() {
        use crate::matmul::Trans;
        for t in Tier::ALL {
            for m in kernel::tiles(t) {
                let b = Blocking::for_tile(m.mr, m.nr, Caches::detected());
                assert_eq!(b.for_product(Trans::No, b.nr, b.kc), b, "{t}");
                assert_eq!(b.for_product(Trans::Yes, 4 * b.nr + 1, 64), b, "{t}");
                let narrow = b.for_product(Trans::Yes, 4 * b.nr, 4096);
                assert_eq!(narrow.kc, b.kc_tn, "{t}");
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
    }

    #[test]
    fn passes_up_to_a_third_deeper_than_kc_keep_the_b_block_in_the_same_l2() {
        use crate::matmul::Trans;
        let b = Blocking {
            kc: 384,
            nc: 672,
            ..Blocking::for_tile(8, 32, Caches::FALLBACK)
        };
        // k = 512 (512³): one pass of 512, NC 384·672/512 = 504 → 480 whole panels.
        let deep = b.for_product(Trans::No, 512, 512);
        assert_eq!((deep.kc, deep.nc), (512, 480));
        assert!(deep.kc * deep.nc <= b.kc * b.nc);
        assert_eq!((deep.mr, deep.nr, deep.mc), (b.mr, b.nr, b.mc));
        // A wide transposed A too; a narrow one runs kc_tn whatever k.
        assert_eq!(b.for_product(Trans::Yes, 1024, 500).kc, 500);
        assert_eq!(b.for_product(Trans::Yes, 128, 500).kc, b.kc_tn);
        // k = 1024: two passes of 512 (not three of 344), the same NC; k = 1100: three
        // of 368, within KC, nothing changes; nor up to KC, nor at k = 513 (two of 264).
        let deeper = b.for_product(Trans::No, 512, 1024);
        assert_eq!((deeper.kc, deeper.nc), (512, 480));
        assert_eq!(b.for_product(Trans::No, 512, 1100), b);
        assert_eq!(b.for_product(Trans::No, 512, 384), b);
        assert_eq!(b.for_product(Trans::No, 512, 513), b);
        // Over every depth: never more passes than KC alone gives, none deeper than
        // KC·4/3 (rounded to 8), and the B block never larger.
        for k in 1..4000 {
            let p = b.for_product(Trans::No, 4096, k);
            let pass = balanced(k, p.kc, 8);
            assert!(
                k.div_ceil(pass) <= k.div_ceil(balanced(k, b.kc, 8)),
                "k {k}"
            );
            assert!(pass <= (b.kc * 4 / 3).div_ceil(8) * 8, "k {k}: {pass}");
            assert!(p.kc * p.nc <= b.kc * b.nc, "k {k}");
        }
        // NC never under one panel.
        let thin = Blocking { nc: 32, ..b };
        assert_eq!(thin.for_product(Trans::No, 512, 512).nc, 32);
    }

    #[test]
    fn cache_rules() {
        // The Zen 4 this was measured on: 32 KiB L1d, 1 MiB L2.
        let zen4 = Caches {
            l1d: 32 * 1024,
            l2: 1024 * 1024,
        };
        let b = Blocking::for_tile(8, 32, zen4);
        assert_eq!(
            (b.kc, b.nc, b.mc, b.kc_tn, b.b_in_place_max),
            (256, 1024, 1024, 128, 4096)
        );
        let xeon = Caches {
            l1d: 48 * 1024,
            l2: 2048 * 1024,
        };
        let b = Blocking::for_tile(8, 32, xeon);
        assert_eq!((b.kc, b.nc, b.mc, b.kc_tn), (384, 1344, 1360, 192));
        let b = Blocking::for_tile(6, 16, Caches::FALLBACK);
        assert_eq!((b.kc, b.nc, b.mc, b.kc_tn), (320, 816, 816, 256));
    }
}
