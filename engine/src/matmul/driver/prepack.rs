//! Operands packed up front and shared by every chunk of a threaded product (the
//! shared-operand half of the split described in `driver`): the plan, its packing
//! units that threads claim, and the readiness counters chunks wait on.

use super::COut;
use crate::matmul::blocking::balanced;
use crate::matmul::pack::{Src, pack, panel_stride};
use crate::simd::Tier;
use std::sync::atomic::{AtomicU32, Ordering};

/// An operand as `pack` reads it: element (x, p) at `data[x·sx + p·sp]`, where x is
/// a row of op(A) or a column of op(B) and p runs along k.
#[derive(Debug, Clone, Copy)]
pub(super) struct Operand<'a> {
    pub(super) data: &'a [f32],
    pub(super) sx: usize,
    pub(super) sp: usize,
}

/// Operand blocks packed up front and shared by every chunk.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shared<'p> {
    /// All of op(A), for column chunks (each covers all rows).
    pub(super) a: Option<Packed<'p>>,
    /// All of op(B), for row chunks (each covers all columns).
    pub(super) b: Option<Packed<'p>>,
}

/// Where a [`Prepack`] puts its blocks: micro-panel (x, p0) of depth kb (x a multiple of
/// `w`, p0 of `kc`) is panel (x mod xb) / w of block (x / xb)·npb + p0 / kc.
#[derive(Debug, Clone, Copy)]
pub(super) struct Packed<'p> {
    pub(super) out: COut,
    pub(super) stride: usize,
    pub(super) w: usize,
    pub(super) xb: usize,
    pub(super) kc: usize,
    pub(super) npb: usize,
    /// Per block, how many of its `upb` units are packed.
    pub(super) ready: &'p [AtomicU32],
    pub(super) upb: usize,
}

impl Packed<'_> {
    /// The micro-panel of rows (or columns) x..x + w at depth p0.
    ///
    /// # Safety
    /// x < xn is a multiple of `w`, p0 < k a multiple of `kc`, `kb` the depth of that
    /// pass, and the block is packed ([`Self::wait`]).
    pub(super) unsafe fn panel(&self, x: usize, p0: usize, kb: usize) -> *const f32 {
        let blk = x / self.xb * self.npb + p0 / self.kc;
        // SAFETY: inside block `blk` of the buffer (see `Prepack`).
        unsafe {
            self.out
                .ptr
                .add(blk * self.stride + (x % self.xb) / self.w * panel_stride(self.w, kb))
        }
    }

    /// Wait until the blocks holding rows (or columns) x0..x1 at depth p0 are packed.
    /// Their units were all claimed before any chunk (claims run in order), by threads
    /// that run them without waiting on anything, so this ends.
    pub(super) fn wait(&self, (x0, x1): (usize, usize), p0: usize) {
        for xb in x0 / self.xb..=(x1 - 1) / self.xb {
            let ready = &self.ready[xb * self.npb + p0 / self.kc];
            let mut spins = 0u32;
            while (ready.load(Ordering::Acquire) as usize) < self.upb {
                if spins < 1 << 12 {
                    std::hint::spin_loop();
                    spins += 1;
                } else {
                    std::thread::yield_now();
                }
            }
        }
    }
}

/// An operand packed whole, as `blocked` would pack it for x in 0..xn (rows of A with
/// w = MR and blocks of MC, or columns of B with w = NR and blocks of NC), in units of
/// [`PACK_UNIT`] rows (or columns) that threads claim one by one.
// x: (xn, k) as seen through `src`
pub(super) struct Prepack<'a> {
    pub(super) src: Operand<'a>,
    pub(super) w: usize,
    /// Rows (or columns) per block, and depth per block.
    pub(super) xb: usize,
    pub(super) kc: usize,
    pub(super) xn: usize,
    pub(super) k: usize,
    pub(super) stride: usize,
    /// Units per block (the last row block may use fewer; the rest are empty).
    pub(super) upb: usize,
    /// The blocks, then one counter of packed units per block (see [`Self::ready`]), in
    /// a buffer `new` returns beside the plan (kept alive by the caller).
    pub(super) out: COut,
}

/// Rows (or columns) one thread packs per claim: small enough that the threads finish
/// packing together, large enough that a claim costs nothing against the copy.
pub(super) const PACK_UNIT: usize = 128;

impl<'a> Prepack<'a> {
    /// The plan and the buffer its blocks go to (which must outlive every use of the plan).
    pub(super) fn new(
        w: usize,
        max_block: usize,
        max_kc: usize,
        (xn, k): (usize, usize),
        src: Operand<'a>,
    ) -> (Prepack<'a>, crate::pool::Buffer) {
        let kc = balanced(k, max_kc, 8);
        let xb = balanced(xn, max_block, w);
        let stride = xb.div_ceil(w) * panel_stride(w, kc);
        let blocks = xn.div_ceil(xb) * k.div_ceil(kc);
        let unit = PACK_UNIT.div_ceil(w) * w;
        // The counters live in the pool's buffer too, so steady-state products stay
        // allocation-free; 0.0 has the bits of a zero counter.
        let mut buf = crate::pool::rent(blocks * stride + blocks);
        buf[blocks * stride..].fill(0.0);
        let out = COut {
            ptr: buf.as_mut_ptr(),
            ld: stride,
        };
        let plan = Prepack {
            src,
            w,
            xb,
            kc,
            xn,
            k,
            stride,
            upb: xb.div_ceil(unit),
            out,
        };
        (plan, buf)
    }

    pub(super) fn packed(&self) -> Packed<'_> {
        Packed {
            out: self.out,
            stride: self.stride,
            w: self.w,
            xb: self.xb,
            kc: self.kc,
            npb: self.k.div_ceil(self.kc),
            ready: self.ready(),
            upb: self.upb,
        }
    }

    pub(super) fn blocks(&self) -> usize {
        self.xn.div_ceil(self.xb) * self.k.div_ceil(self.kc)
    }

    pub(super) fn units(&self) -> usize {
        self.blocks() * self.upb
    }

    /// Per block, how many of its units are packed.
    pub(super) fn ready(&self) -> &[AtomicU32] {
        // SAFETY: `blocks()` floats after the blocks, zeroed by `new`, in the buffer that
        // outlives the plan; f32 and AtomicU32 have the same size and alignment, and
        // after `new` these floats are only accessed through the atomics.
        unsafe {
            std::slice::from_raw_parts(
                self.out.ptr.add(self.blocks() * self.stride) as *const AtomicU32,
                self.blocks(),
            )
        }
    }

    /// Pack unit `t`: rows (or columns) of one block, in block order.
    ///
    /// # Safety
    /// `t < self.units()`, and no other thread runs unit `t`.
    pub(super) unsafe fn pack_unit(&self, tier: Tier, t: usize) {
        /// Counts the unit as done even if packing panics, so no waiter hangs (the
        /// panic reaches the caller of `run_chunks` all the same).
        struct Done<'r>(&'r AtomicU32);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::Release);
            }
        }
        let (blk, u) = (t / self.upb, t % self.upb);
        let _done = Done(&self.ready()[blk]);
        let npb = self.k.div_ceil(self.kc);
        let (x0, p0) = ((blk / npb) * self.xb, (blk % npb) * self.kc);
        let (bx, kb) = (self.xb.min(self.xn - x0), self.kc.min(self.k - p0));
        let unit = self.xb.div_ceil(self.upb).div_ceil(self.w) * self.w;
        let s = u * unit;
        if s >= bx {
            return;
        }
        let part = Src {
            data: self.src.data,
            sx: self.src.sx,
            sp: self.src.sp,
            x0: x0 + s,
            xn: unit.min(bx - s),
            p0,
            kc: kb,
        };
        let len = part.packed_len(self.w);
        // SAFETY: the unit's panels are floats s/w·panel_stride(w, kb) .. + len of block `blk`, which lie
        // inside its `stride` floats of the buffer (outliving the plan); the caller
        // guarantees that no one else writes them, and readers wait for `ready`.
        let dst = unsafe {
            std::slice::from_raw_parts_mut(
                self.out
                    .ptr
                    .add(blk * self.stride + s / self.w * panel_stride(self.w, kb)),
                len,
            )
        };
        pack(tier, self.w, &part, dst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_units_fill_every_block_as_one_whole_pack_would() {
        // Ragged everywhere: row blocks of 40 (last 20), depth passes of 16 (last 5),
        // 128-row units longer than a block, and units splitting a 300-row block.
        for (w, xn, k, max_block, max_kc) in [(8, 100, 37, 40, 16), (32, 700, 20, 300, 256)] {
            let data: Vec<f32> = (0..xn * k).map(|i| i as f32).collect();
            let src = Operand {
                data: &data,
                sx: k,
                sp: 1,
            };
            for tier in Tier::ALL.into_iter().filter(|t| t.is_available()) {
                let (plan, buf) = Prepack::new(w, max_block, max_kc, (xn, k), src);
                // SAFETY: one thread runs every unit once.
                (0..plan.units()).for_each(|u| unsafe { plan.pack_unit(tier, u) });
                let npb = k.div_ceil(plan.kc);
                for blk in 0..plan.blocks() {
                    assert_eq!(plan.ready()[blk].load(Ordering::Relaxed) as usize, plan.upb);
                    let (x0, p0) = ((blk / npb) * plan.xb, (blk % npb) * plan.kc);
                    let whole = Src {
                        data: &data,
                        sx: k,
                        sp: 1,
                        x0,
                        xn: plan.xb.min(xn - x0),
                        p0,
                        kc: plan.kc.min(k - p0),
                    };
                    let mut want = vec![f32::NAN; whole.packed_len(w)];
                    pack(tier, w, &whole, &mut want);
                    let got = &buf[blk * plan.stride..][..want.len()];
                    // Panel by panel: the line of padding after each is never written.
                    let (ps, used) = (panel_stride(w, whole.kc), w * whole.kc);
                    for (g, e) in got.chunks(ps).zip(want.chunks(ps)) {
                        assert!(
                            g[..used]
                                .iter()
                                .zip(&e[..used])
                                .all(|(g, w)| g.to_bits() == w.to_bits()),
                            "{tier} w={w} block {blk}"
                        );
                    }
                }
            }
        }
    }
}
