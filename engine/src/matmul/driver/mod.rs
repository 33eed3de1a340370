//! The BLIS-style loop nest around the micro-kernels, and the split among threads.
//!
//! ```text
//! // op(A): (m, k), op(B): (k, n), C: (m, n) row stride ldc
//! for i0 in rows of C, step MC:            A block of MC rows
//!   for p0 in 0..k, step KC:               one pass over depth KC
//!     pack op(A)[i0.., p0..]  → Ã (MC×KC, MR-row micro-panels)
//!     for j0 in columns of C, step NC:
//!       pack op(B)[p0.., j0..] → B̃ (KC×NC, NR-column micro-panels; stays in L2)
//!       for each MR-row micro-panel of Ã:   (stays in L1 while …)
//!         for each NR-column micro-panel of B̃:   (… these stream from L2)
//!           C tile (MR×NR) = α·Ã·B̃ + β'·C tile    β' = β on the first pass, then 1
//! ```
//!
//! (The two innermost loops swap for narrow blocks whose B micro-panel fits in half
//! of L1d, so that it is the B panel that stays: see `Blocking::b_panel_resident`.)
//!
//! A is not packed but read in place, its rows serving as the micro-panels, when it is
//! row-major, and a transposed A when one B block spans all of C's columns (see
//! `gemm`); the rows are then one block (MC bounds only a packed A), so B is packed
//! once per pass.
//!
//! Threads: above [`PAR_MIN_MNK`] the columns of C (when n ≥ m) or its rows (when
//! m > n: the larger operand is then read once and only the smaller is shared) are
//! cut into about three contiguous, tile-aligned chunks per thread that the threads
//! claim in turn (`threads::run_chunks`), and each chunk runs the nest above on its
//! own packing buffers — except that an operand every chunk would pack whole (a
//! transposed A for column chunks, B for row chunks) is packed once, in parallel, and shared: its
//! packing units are the first claims of the same parallel section, and a chunk
//! waits only for the blocks it reaches (`Prepack`, `Packed::wait`).
//! Every element of C is produced by the same kernel arithmetic over the same KC
//! passes whatever the split, so results are bit-identical for any thread count.

use super::Trans;
use super::blocking::{Blocking, balanced};
use super::cache::Caches;
use super::gemv::{self, Mat};
use super::inject::Injector;
use super::kernel::{MAX_TILE, Micro};
use super::pack::{Src, pack, panel_stride};
use super::tuning::Tuned;
use crate::simd::Tier;

mod chunks;
mod prepack;
use chunks::chunk_count;
use prepack::{Operand, Prepack, Shared};

/// Below this many multiply-adds (m·n·k) a product runs on one thread. A worker that
/// polls (within 500 µs of the team's last call, `threads/team.rs`) joins at once, and a
/// parked one costs the caller a wake-up; 128³ (≈ 18 µs on one core) is the first size
/// that wins. Medians of 280 calls on 2 threads against 128·128·256 (where products
/// were split before), three or four runs: back to back or 300 µs apart, 128³ and
/// 32×256×256 ran 1.3–1.7× faster; 2 ms apart, with the worker parked, 5–10 % slower
/// (29 → 32 µs at 128³); 96³ split back to back ran 12 % slower (8.1 → 9.2 µs).
pub const PAR_MIN_MNK: usize = 128 * 128 * 128;

/// Up to this many rows of C, a row-major B of any size is read in place (rows under
/// [`IN_PLACE_MAX_STRIDE`] apart): packing copies all of B (k·n) to serve at most
/// eight row panels, and for a small batch the copy is a large share of the product.
/// Hot-cache minima of 100–200 calls, in-place vs packed, on the model-207 Xeon, twice:
/// 32×256×256 (the MLP workload's forward) 24.6 vs 31.7 µs, 8×256×256 6.5 vs 13.7,
/// 64×256×256 48.5 vs 53.6–55.5, 32×512×512 100.5 vs 130.4–131.8, 16×1024×1024
/// (4 KiB rows, excluded) 371–401 vs 403–406 and 32×1024×1024 614 vs 600–604.
const B_IN_PLACE_MAX_M: usize = 64;

/// Rows of a B read in place must be closer than this (bytes): it walks one stored row
/// per step of k, and at 4 KiB apart each is a new page in the same L1 set (see
/// `Blocking::at_pack_stride`).
const IN_PLACE_MAX_STRIDE: usize = 4096;

/// An operand as a strided view: element (r, c) at `data[r·rs + c·cs]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
    /// Whether the view is the transpose of the stored matrix (rs = 1).
    pub t: Trans,
}

impl<'a> View<'a> {
    pub fn new(data: &'a [f32], t: Trans, ld: usize) -> View<'a> {
        match t {
            Trans::No => View {
                data,
                rs: ld,
                cs: 1,
                t,
            },
            Trans::Yes => View {
                data,
                rs: 1,
                cs: ld,
                t,
            },
        }
    }
}

/// C viewed through a raw pointer so that threads can write disjoint tiles of it.
#[derive(Debug, Clone, Copy)]
struct COut {
    ptr: *mut f32,
    ld: usize,
}
// SAFETY: parts write disjoint tiles of C (the split below guarantees it), and the
// slice C comes from outlives the parallel section.
unsafe impl Send for COut {}
unsafe impl Sync for COut {}

/// C = α·op(A)·op(B) + β·C on `threads` threads with `tuned`'s tile and blocks,
/// operands already checked.
pub(crate) fn gemm(
    tier: Tier,
    threads: usize,
    tuned: Tuned,
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    a: View<'_>,
    b: View<'_>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 || alpha == 0.0 {
        // No product to add: C = β·C, and β = 0 writes zeros without reading.
        for i in 0..m {
            let row = &mut c[i * ldc..i * ldc + n];
            if beta == 0.0 {
                row.fill(0.0);
            } else if beta != 1.0 {
                row.iter_mut().for_each(|x| *x *= beta);
            }
        }
        return;
    }
    if m == 1 || n == 1 {
        return gemv_path(tier, (m, n, k), alpha, a, b, beta, c, ldc);
    }
    if transposed_product_pays(m, n, k, a, b, tuned.blocking.b_in_place_max) {
        return via_transposed_product(tier, threads, tuned, (m, n, k), alpha, a, b, beta, c, ldc);
    }
    let bl = tuned.blocking.for_product(a.t, n, k);
    let micro = tuned.micro;
    let out = COut {
        ptr: c.as_mut_ptr(),
        ld: ldc,
    };
    let parts = if threads > 1 && m * n * k >= PAR_MIN_MNK {
        threads
    } else {
        1
    };
    // Column chunks each read all of A, row chunks all of B. Split rows when A is the
    // larger operand (m > n) and too large to stay in L2 (over a quarter of it) while
    // every chunk re-reads it; otherwise columns, unless that axis has too few tiles.
    // Measured on 2 threads against the columns-first rule, interleaved in one process:
    // the training shapes 2048×{128,384,512}×… ran 5–25 % faster split by rows, while
    // 256×128×128 (A 128 KiB) ran up to 40 % slower, hence the size condition.
    let cols_ok = n.div_ceil(bl.nr) >= 2 * parts;
    let rows_ok = m.div_ceil(bl.mr) >= 2 * parts;
    let a_bytes = m.saturating_mul(k).saturating_mul(4);
    let l2 = Caches::detected().l2;
    let split_cols = if cols_ok && rows_ok {
        n >= m || a_bytes <= l2 / 4
    } else {
        cols_ok || !rows_ok
    };
    let (unit, len) = if split_cols { (bl.nr, n) } else { (bl.mr, m) };
    let tiles = len.div_ceil(unit);
    let parts = parts.min(tiles).max(1);
    // A is read in place (full micro-panels straight from its rows) when one B block
    // spans all of C's columns, and a row-major A also when B spans several: each step
    // of k then reads MR values from MR lines that later steps reuse, which costs the
    // kernel less than a copy that reads all of A from L3 (on the Zen 5, 512³ in place
    // 0.99–1.02× `gemm`, packed 0.93–0.96×, three runs of 61 rounds; the training
    // products with 2048 rows gained 1–4 %). Rows 4 KiB apart or more, whose MR lines
    // share one L1 set, too (12 ways on the Zen 5), since the kernel reads them from
    // fixed row pointers: 1024³ in place ran 0.999–1.018× `gemm` and packed
    // 0.958–0.988×, 512×1024×1024 0.995–1.009× against 0.968–1.001× (four runs of 101
    // rounds); rows 6–8 KiB apart (1024×1024×1536, ×2048, 2048³) 1–8 % faster in two
    // runs of three, within 2 % either way in the third. Column chunks on several
    // threads read it in place too, each chunk its own rows' lines, rather than share a
    // copy packed up front: that copy cost a pass over all of A, and its MC-row blocks
    // packed each chunk's B once per block (2 threads, the other vCPU otherwise idle,
    // against a shared copy in the same rounds, three processes of 61 rounds: 1024³
    // 0.947 → 1.027× `gemm`, 2048³ 0.971 → 1.042×, 512³ 0.997 → 1.006×; of 41: 1536³
    // 0.942 → 0.994×, 512×768×2048 0.919 → 0.998×; products split by rows unchanged). A
    // transposed A is read in place only with one B block, and its rows not too far
    // apart (each step of k then touches another row: see `Blocking::at_pack_stride`).
    let a_in_place = match a.t {
        Trans::No => true,
        Trans::Yes => n <= bl.nc && a.cs * 4 < bl.at_pack_stride,
    };
    // B is read in place when it is small, or when few row panels would share its copy
    // (few rows, or a narrow B: `Blocking::narrow_b_in_place_rows`).
    let rows_close = b.rs * 4 < IN_PLACE_MAX_STRIDE;
    let b_in_place = b.cs == 1
        && (k * n <= bl.b_in_place_max
            || (m <= B_IN_PLACE_MAX_M && rows_close)
            || (n <= 4 * bl.nr && m <= bl.narrow_b_in_place_rows && rows_close));
    // Chunks are claimed dynamically (`threads::run_chunks`), so a thread the OS delays
    // (the machine is shared) or a worker still waking up does not hold up the others.
    // When column chunks need A packed (a transposed A) or row chunks B, every chunk
    // would pack the same blocks: they are packed once, in parallel, and shared. The
    // threads claim the packing in units of `PACK_UNIT` rows (or columns) ahead of the
    // chunks, in the same parallel section, and a chunk waits only for the blocks it
    // reaches, so no barrier separates packing from computing. Measured at 1024³ on 2
    // threads (when a row-major A was shared too), interleaved in one process, three
    // runs: whole 1 MiB blocks gave 1.81–1.86× one thread, 128-row units behind a
    // barrier 1.86–1.88×, units without it 1.86–1.89× (and the best median under load).
    // (The earlier try, whole blocks as the first claims and chunks waiting for the
    // last one, was 4–8 % slower.)
    let a_src = Operand {
        data: a.data,
        sx: a.rs,
        sp: a.cs,
    };
    let b_src = Operand {
        data: b.data,
        sx: b.cs,
        sp: b.rs,
    };
    let pre_a = (parts > 1 && split_cols && !a_in_place)
        .then(|| Prepack::new(bl.mr, bl.mc, bl.kc, (m, k), a_src));
    let pre_b = (parts > 1 && !split_cols && !b_in_place)
        .then(|| Prepack::new(bl.nr, bl.nc, bl.kc, (n, k), b_src));
    let (pre_a, _a_buf) = pre_a.unzip();
    let (pre_b, _b_buf) = pre_b.unzip();
    let shared = Shared {
        a: pre_a.as_ref().map(Prepack::packed),
        b: pre_b.as_ref().map(Prepack::packed),
    };
    let pre = pre_a.as_ref().or(pre_b.as_ref());
    let units = pre.map_or(0, Prepack::units);
    let chunks = chunk_count(parts, tiles, split_cols, n, bl.nc, a_bytes > l2);
    let run = |ch: usize| {
        let (lo, hi) = (tiles * ch / chunks, tiles * (ch + 1) / chunks);
        let (lo, hi) = (lo * unit, (hi * unit).min(len));
        let (rows, cols) = if split_cols {
            ((0, m), (lo, hi))
        } else {
            ((lo, hi), (0, n))
        };
        // SAFETY: chunks cover disjoint ranges of C, which `c` holds (checked by
        // sgemm's operand checks); the shared blocks are packed and no longer written.
        unsafe {
            blocked(
                tier, bl, micro, rows, cols, k, alpha, a, b, beta, out, a_in_place, b_in_place,
                shared,
            )
        };
    };
    // The shared operand's units are claimed first (claims run in order), then the
    // chunks, which wait in `blocked` for the blocks they reach (`Packed::wait`).
    crate::threads::run_chunks(parts, units + chunks, |t| match pre {
        // SAFETY: each unit index is claimed once, so every part of a block has one
        // writer, and readers wait until all of a block's units are done.
        Some(p) if t < units => unsafe { p.pack_unit(tier, t) },
        _ => run(t - units),
    });
}

/// Whether C = A·Bᵀ with few rows (m ≤ [`B_IN_PLACE_MAX_M`] < n, B too large to be
/// read in place for its size alone: k·n > `Blocking::b_in_place_max`) runs faster as
/// Cᵀ = B·Aᵀ: op(B) = Bᵀ would be packed by a transposition of all of B (k·n) for at
/// most eight row panels, while as the left operand B is read in place (its rows
/// under 4 KiB apart) and only the small Aᵀ (k·m) is packed; C is then transposed
/// out of a scratch tile. The MLP workload's input gradient dY·Wᵀ at 32×256×256,
/// hot-cache minima of 200 calls: 35.3 µs packed, 25.5 µs as the transposed
/// product before the C transposition.
fn transposed_product_pays(
    m: usize,
    n: usize,
    k: usize,
    a: View<'_>,
    b: View<'_>,
    b_in_place_max: usize,
) -> bool {
    a.t == Trans::No
        && b.t == Trans::Yes
        && m <= B_IN_PLACE_MAX_M
        && n > B_IN_PLACE_MAX_M
        && k * n > b_in_place_max
        && b.cs * 4 < IN_PLACE_MAX_STRIDE
}

/// C = α·A·Bᵀ + β·C computed as T = α·B·Aᵀ (n×m, scratch from the pool), then
/// C = Tᵀ + β·C (see [`transposed_product_pays`]; n > m, so T's product does not
/// take this path again).
// a: (m, k) row stride a.rs, b: stored (n, k) row stride b.cs, c: (m, n) row stride ldc
fn via_transposed_product(
    tier: Tier,
    threads: usize,
    tuned: Tuned,
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    a: View<'_>,
    b: View<'_>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    let mut t = crate::pool::rent(n * m);
    // op(A') = B as stored (n, k); op(B') = Aᵀ (k, m), A read transposed
    let bs = View::new(b.data, Trans::No, b.cs);
    let at = View::new(a.data, Trans::Yes, a.rs);
    gemm(
        tier,
        threads,
        tuned,
        (n, m, k),
        alpha,
        bs,
        at,
        0.0,
        &mut t,
        m,
    );
    // C (m, n) = Tᵀ + β·C; β = 0 never reads C. On the SIMD tiers, columns of C in
    // blocks of 8 through 8×8 register transposes (the packing's), the rest by element.
    let mut j0 = 0;
    #[cfg(target_arch = "x86_64")]
    if beta == 0.0 && tier != Tier::Scalar {
        assert!(
            c.len() >= (m - 1) * ldc + n,
            "C too short for the transposition"
        );
        while j0 + 8 <= n {
            // SAFETY: rows j0..j0+8 of T (m floats each) are inside t; C's block of
            // m rows × 8 columns at j0 is inside c (asserted); a SIMD tier has AVX2.
            unsafe {
                super::pack::transpose_rows_8(t[j0 * m..].as_ptr(), m, m, c[j0..].as_mut_ptr(), ldc)
            };
            j0 += 8;
        }
    }
    for (j, trow) in t.chunks_exact(m).enumerate().skip(j0) {
        for (i, &v) in trow.iter().enumerate() {
            let o = &mut c[i * ldc + j];
            *o = if beta == 0.0 { v } else { v + beta * *o };
        }
    }
}

/// The loop nest over rows `r0..r1` and columns `c0..c1` of C.
///
/// # Safety
/// The tile range lies inside C, no other thread touches it meanwhile, and `tier` is available.
unsafe fn blocked(
    tier: Tier,
    bl: Blocking,
    micro: Micro,
    (r0, r1): (usize, usize),
    (c0, c1): (usize, usize),
    k: usize,
    alpha: f32,
    a: View<'_>,
    b: View<'_>,
    beta: f32,
    c: COut,
    a_in_place: bool,
    b_in_place: bool,
    shared: Shared<'_>,
) {
    let (mr, nr) = (bl.mr, bl.nr);
    let kc = balanced(k, bl.kc, 8);
    // MC bounds the packed A block; read in place, A has none, and blocking its rows
    // would only pack B again for every block (2048-row training products with A in
    // place, one block against MC = 680 on the Zen 5: +1–3 %).
    let mc = if a_in_place {
        r1 - r0
    } else {
        balanced(r1 - r0, bl.mc, mr)
    };
    let nc = balanced(c1 - c0, bl.nc, nr);
    // In place, only a ragged last micro-panel of A is packed.
    let mut abuf = crate::pool::rent(if shared.a.is_some() {
        0
    } else if a_in_place {
        panel_stride(mr, kc)
    } else {
        mc.div_ceil(mr) * panel_stride(mr, kc)
    });
    let mut bbuf = crate::pool::rent(if shared.b.is_some() {
        0
    } else {
        nc.div_ceil(nr) * panel_stride(nr, kc)
    });
    let mut inj = Injector::from_env();
    let mut scratch = [0.0f32; MAX_TILE];
    assert!(mr * nr <= MAX_TILE, "tile {mr}x{nr} over the scratch tile");
    for i0 in (r0..r1).step_by(mc) {
        let mb = mc.min(r1 - i0);
        for p0 in (0..k).step_by(kc) {
            let kb = kc.min(k - p0);
            let beta_pass = if p0 == 0 { beta } else { 1.0 };
            let asrc = Src {
                data: a.data,
                sx: a.rs,
                sp: a.cs,
                x0: i0,
                xn: mb,
                p0,
                kc: kb,
            };
            // Read in place (see `gemm`), full panels come from A's rows and only a
            // ragged last panel is packed.
            let full_panels = if a_in_place { mb / mr } else { 0 };
            let packed = Src {
                x0: i0 + full_panels * mr,
                xn: mb - full_panels * mr,
                ..asrc
            };
            match shared.a {
                Some(sa) => sa.wait((i0, i0 + mb), p0),
                None => pack(tier, mr, &packed, &mut abuf),
            }
            for j0 in (c0..c1).step_by(nc) {
                let nb = nc.min(c1 - j0);
                // Full B panels of a small row-major operand are read in place; only a
                // ragged last panel is packed (zero-padded).
                let b_full = if b_in_place { nb / nr } else { 0 };
                let bsrc = Src {
                    data: b.data,
                    sx: b.cs,
                    sp: b.rs,
                    x0: j0 + b_full * nr,
                    xn: nb - b_full * nr,
                    p0,
                    kc: kb,
                };
                match shared.b {
                    Some(sb) => sb.wait((j0, j0 + nb), p0),
                    None => pack(tier, nr, &bsrc, &mut bbuf),
                }
                // Tile (ir, jr) of the block; which index runs fastest decides which
                // micro-panel stays in L1 (see `Blocking::b_panel_resident`). Every tile
                // is computed the same way in either order.
                let (nir, njr) = (mb.div_ceil(mr), nb.div_ceil(nr));
                let b_resident = bl.b_panel_resident(kb, nb);
                for t in 0..nir * njr {
                    let (ir, jr) = if b_resident {
                        (t % nir, t / nir)
                    } else {
                        (t / njr, t % njr)
                    };
                    let (ap, ars, acs) = if ir < full_panels {
                        let at = (i0 + ir * mr) * a.rs + p0 * a.cs;
                        (a.data[at..].as_ptr(), a.rs, a.cs)
                    } else if let Some(sa) = shared.a {
                        // SAFETY: a row panel of A, packed up front (see gemm).
                        (unsafe { sa.panel(i0 + ir * mr, p0, kb) }, 1, mr)
                    } else {
                        (
                            abuf[(ir - full_panels) * panel_stride(mr, kb)..].as_ptr(),
                            1,
                            mr,
                        )
                    };
                    let mr_eff = mr.min(mb - ir * mr);
                    let (bp, rsb) = if jr < b_full {
                        (b.data[p0 * b.rs + j0 + jr * nr..].as_ptr(), b.rs)
                    } else if let Some(sb) = shared.b {
                        // SAFETY: a column panel of B, packed up front (see gemm).
                        (unsafe { sb.panel(j0 + jr * nr, p0, kb) }, nr)
                    } else {
                        (bbuf[(jr - b_full) * panel_stride(nr, kb)..].as_ptr(), nr)
                    };
                    let nr_eff = nr.min(nb - jr * nr);
                    // Edge tiles have their own kernel (`Micro::edge`), the same results.
                    let kern = if mr_eff < mr || nr_eff < nr {
                        micro.edge
                    } else {
                        micro.f
                    };
                    // SAFETY: A element (i, p) of the panel is at ap[i·ars + p·acs] and B element
                    // (p, j) at bp[p·rsb + j], each either in place (a full panel of rows or
                    // columns that exist) or packed (zero-padded panels of kb·mr or kb·nr floats,
                    // `panel_stride` apart).
                    // The tile lies inside this part's range of C.
                    unsafe {
                        let ct = c.ptr.add((i0 + ir * mr) * c.ld + j0 + jr * nr);
                        kern(
                            kb, alpha, ap, ars, acs, bp, rsb, beta_pass, ct, c.ld, mr_eff, nr_eff,
                            bl.a_ahead,
                        );
                        for _ in 0..inj.repeats() {
                            kern(
                                kb,
                                alpha,
                                ap,
                                ars,
                                acs,
                                bp,
                                rsb,
                                0.0,
                                scratch.as_mut_ptr(),
                                nr,
                                mr,
                                nr,
                                bl.a_ahead,
                            );
                            std::hint::black_box(&mut scratch);
                        }
                    }
                }
            }
        }
    }
}

/// m = 1 or n = 1: stream the matrix once (see `gemv.rs`).
fn gemv_path(
    tier: Tier,
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    a: View<'_>,
    b: View<'_>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    if m == 1 {
        // c[0, j] = α·Σ_p A[0, p]·B[p, j] + β·c[0, j]; C's row 0 is contiguous.
        let x = gemv::gather(a.data, a.cs, k);
        let y = &mut c[..n];
        // Branch on the stored layout, not on a stride: with one row or column both strides can be 1.
        if b.t == Trans::No {
            gemv::axpy(
                tier,
                Mat {
                    data: b.data,
                    ld: b.rs,
                },
                &x,
                alpha,
                beta,
                y,
            );
        } else {
            gemv::dots(
                tier,
                Mat {
                    data: b.data,
                    ld: b.cs,
                },
                &x,
                alpha,
                beta,
                y,
            );
        }
    } else {
        // n = 1: c[i, 0] = α·Σ_p A[i, p]·B[p, 0] + β·c[i, 0]; C's column 0 has stride ldc.
        let x = gemv::gather(b.data, b.rs, k);
        let mut y = crate::pool::rent(m);
        if beta != 0.0 {
            for i in 0..m {
                y[i] = c[i * ldc];
            }
        }
        if a.t == Trans::No {
            gemv::dots(
                tier,
                Mat {
                    data: a.data,
                    ld: a.rs,
                },
                &x,
                alpha,
                beta,
                &mut y,
            );
        } else {
            gemv::axpy(
                tier,
                Mat {
                    data: a.data,
                    ld: a.cs,
                },
                &x,
                alpha,
                beta,
                &mut y,
            );
        }
        for i in 0..m {
            c[i * ldc] = y[i];
        }
    }
}
