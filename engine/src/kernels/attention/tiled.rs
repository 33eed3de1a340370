//! SIMD bodies of causal attention: register tiles of R query rows × NV vectors.
// qkv: (B, T, 3C), att: (B, H, T, T), out: (B, T, C)

use super::{AttnShape, NV};
use crate::simd::vector::{SimdF32, load_n, store_n};

// SIMD body. Tiles of R rows always compute R rows (the last block repeats
// its last row and drops it at the store), so the row loops have constant
// bounds and their accumulators stay in registers.

/// The R × (V·LANES) register tile of [`rows_times_t`] at column j, `n` valid columns.
#[inline(always)]
pub(super) unsafe fn scores_tile<S: SimdF32, const R: usize, const V: usize>(
    xr: &[*const f32; R],
    (yt, ldy, d): (*const f32, usize, usize),
    (j, n, rows): (usize, usize, usize),
    alpha: f32,
    (s, ls): (*mut f32, usize),
) {
    unsafe {
        let mut acc = [[S::splat(0.0); V]; R];
        for k in 0..d {
            let p = yt.add(k * ldy + j);
            // Plain loops, not array::from_fn: from_fn is not always inlined into
            // the tier's #[target_feature] body, and a call per vector load is ruinous.
            let mut y = [S::splat(0.0); V];
            for (v, yv) in y.iter_mut().enumerate() {
                *yv = load_n::<S>(p.add(v * S::LANES), n - v * S::LANES);
            }
            for r in 0..R {
                let x = S::splat(*xr[r].add(k));
                for v in 0..V {
                    acc[r][v] = S::fma(x, y[v], acc[r][v]);
                }
            }
        }
        for (r, a) in acc.iter().enumerate().take(rows) {
            for (v, &a) in a.iter().enumerate() {
                let p = s.add(r * ls + j + v * S::LANES);
                store_n::<S>(p, n - v * S::LANES, S::mul(a, S::splat(alpha)));
            }
        }
    }
}

/// s_r[j] = α · Σ_k x_r[k] · yt[k][j] for r < rows ≤ R, j < cols.
// x: rows of D at stride xs, yt: (D, ldy), s: rows at stride ls
#[inline(always)]
pub(super) unsafe fn rows_times_t<S: SimdF32, const R: usize>(
    (x, xs, rows): (*const f32, usize, usize),
    y: (*const f32, usize, usize),
    cols: usize,
    alpha: f32,
    s: (*mut f32, usize),
) {
    unsafe {
        let xr: [*const f32; R] = std::array::from_fn(|r| x.add(r.min(rows - 1) * xs));
        let mut j = 0;
        while j + NV * S::LANES <= cols {
            scores_tile::<S, R, NV>(&xr, y, (j, NV * S::LANES, rows), alpha, s);
            j += NV * S::LANES;
        }
        while j < cols {
            scores_tile::<S, R, 1>(&xr, y, (j, cols - j, rows), alpha, s);
            j += S::LANES;
        }
    }
}

/// The R × (V·LANES) register tile of [`weighted_rows`] at channel k, `n` valid channels.
#[inline(always)]
pub(super) unsafe fn weighted_tile<S: SimdF32, const R: usize, const V: usize>(
    (wrow, wc, rows): (&[*const f32; R], usize, usize),
    (c0, c1): (usize, usize),
    (y, ys): (*const f32, usize),
    (k, n): (usize, usize),
    alpha: f32,
    (out, os, add): (*mut f32, usize, bool),
) {
    unsafe {
        let mut acc = [[S::splat(0.0); V]; R];
        for c in c0..c1 {
            let p = y.add(c * ys + k);
            let mut yv = [S::splat(0.0); V];
            for (v, y) in yv.iter_mut().enumerate() {
                *y = load_n::<S>(p.add(v * S::LANES), n - v * S::LANES);
            }
            for r in 0..R {
                let w = S::splat(*wrow[r].add(c * wc));
                for v in 0..V {
                    acc[r][v] = S::fma(w, yv[v], acc[r][v]);
                }
            }
        }
        for (r, a) in acc.iter().enumerate().take(rows) {
            for (v, &a) in a.iter().enumerate() {
                let (p, m) = (out.add(r * os + k + v * S::LANES), n - v * S::LANES);
                let mut val = S::mul(a, S::splat(alpha));
                if add {
                    val = S::add(load_n::<S>(p, m), val);
                }
                store_n::<S>(p, m, val);
            }
        }
    }
}

/// out_r[:] (+)= α · Σ_{c0 ≤ c < c1} w(r, c) · y_c[:] for r < rows ≤ R, with
/// w(r, c) = w[r·wr + c·wc]; `add` accumulates into out, otherwise out is written.
// y: rows of D at stride ys, out: rows of D at stride os
#[inline(always)]
pub(super) unsafe fn weighted_rows<S: SimdF32, const R: usize>(
    (w, wr, wc, rows): (*const f32, usize, usize, usize),
    cr: (usize, usize),
    (y, ys, d): (*const f32, usize, usize),
    alpha: f32,
    dst: (*mut f32, usize, bool),
) {
    unsafe {
        let wrow: [*const f32; R] = std::array::from_fn(|r| w.add(r.min(rows - 1) * wr));
        let mut k = 0;
        while k + NV * S::LANES <= d {
            let kn = (k, NV * S::LANES);
            weighted_tile::<S, R, NV>((&wrow, wc, rows), cr, (y, ys), kn, alpha, dst);
            k += NV * S::LANES;
        }
        while k < d {
            weighted_tile::<S, R, 1>((&wrow, wc, rows), cr, (y, ys), (k, d - k), alpha, dst);
            k += S::LANES;
        }
    }
}

/// dp[..n] = α · p ⊙ (dp − ⟨p, dp⟩) in place: the softmax backward of one
/// causal row. Entries n..padded(n) become exact zeros; past those the row is
/// not touched (no reader looks there, see `backward_tiled`).
#[inline(always)]
pub(super) unsafe fn softmax_backward_row<S: SimdF32>(
    p: *const f32,
    dp: *mut f32,
    n: usize,
    t: usize,
    alpha: f32,
) {
    unsafe {
        let (l, pl) = (S::LANES, padded::<S>(n, t));
        let zero = S::splat(0.0);
        // dP lanes at or past n are products with later positions: read as 0.
        let lane = |j: usize| -> S::V {
            let v = load_n::<S>(dp.add(j), pl - j);
            if j + l <= n {
                v
            } else {
                S::select(S::first(n - j), v, zero)
            }
        };
        let mut acc = zero;
        let mut j = 0;
        while j < pl {
            acc = S::fma(load_n::<S>(p.add(j), pl - j), lane(j), acc);
            j += l;
        }
        let (s, a) = (S::splat(S::hsum(acc)), S::splat(alpha));
        j = 0;
        while j < pl {
            let (pv, dv) = (load_n::<S>(p.add(j), pl - j), lane(j));
            // p is exactly 0 past n, so those lanes come out 0
            store_n::<S>(dp.add(j), pl - j, S::mul(S::mul(pv, S::sub(dv, s)), a));
            j += l;
        }
    }
}

/// row[from..to] = 0 by vector stores (no `memset` call for a short run).
#[inline(always)]
pub(super) unsafe fn zero_run<S: SimdF32>(row: *mut f32, from: usize, to: usize) {
    unsafe {
        let mut j = from;
        while j < to {
            store_n::<S>(row.add(j), to - j, S::splat(0.0));
            j += S::LANES;
        }
    }
}

/// `n` rounded up to whole vectors, but at most `t` (a row's length): the
/// columns a causal row of `n` entries is processed over with full-vector
/// loads and stores. Masked stores are avoided on purpose: a load of what a
/// masked store just wrote cannot be forwarded from the store buffer and
/// waits for the store to commit, which made the score rows' softmax the
/// forward's largest cost.
#[inline(always)]
pub(super) fn padded<S: SimdF32>(n: usize, t: usize) -> usize {
    n.div_ceil(S::LANES).saturating_mul(S::LANES).min(t)
}

/// Softmax of a causal score row in place: entries `..n` become probabilities,
/// entries `n..padded(n)` exact zeros, and `padded(n)..t` too if `zero_upper`
/// (otherwise they are not touched).
// row: (T) scores; entries at and past n are finite or not, never read as scores
#[inline(always)]
pub(super) unsafe fn causal_softmax_row<S: SimdF32>(
    row: *mut f32,
    n: usize,
    t: usize,
    zero_upper: bool,
) {
    unsafe {
        let (l, pl) = (S::LANES, padded::<S>(n, t));
        let ninf = S::splat(f32::NEG_INFINITY);
        let mut m = ninf;
        let mut j = 0;
        while j + l <= n {
            m = S::max(m, S::load(row.add(j)));
            j += l;
        }
        // The vector holding the row's end, if n is not whole vectors: lanes at
        // or past n are masked out.
        let tail = (j < n).then(|| (S::first(n - j), load_n::<S>(row.add(j), pl - j)));
        if let Some((mask, v)) = tail {
            m = S::max(m, S::select(mask, v, ninf));
        }
        let mv = S::splat(S::hmax(m));
        let mut sum = S::splat(0.0);
        j = 0;
        while j + l <= n {
            let e = crate::simd::math::exp_nonpositive::<S>(S::sub(S::load(row.add(j)), mv));
            S::store(row.add(j), e);
            sum = S::add(sum, e);
            j += l;
        }
        if let Some((mask, v)) = tail {
            // Masked lanes take exp(0) and are then zeroed: never exp(−∞), whose
            // underflowing result costs a microcode assist per vector.
            let e = crate::simd::math::exp_nonpositive::<S>(S::sub(S::select(mask, v, mv), mv));
            let e = S::select(mask, e, S::splat(0.0));
            store_n::<S>(row.add(j), pl - j, e);
            sum = S::add(sum, e);
        }
        let inv = S::splat(1.0 / S::hsum(sum));
        j = 0;
        while j < pl {
            let p = load_n::<S>(row.add(j), pl - j);
            store_n::<S>(row.add(j), pl - j, S::mul(p, inv));
            j += l;
        }
        if zero_upper {
            zero_run::<S>(row, pl, t);
        }
    }
}

/// The head after (bi, hd), if any, as (batch, head).
#[inline(always)]
fn next_head(bi: usize, hd: usize, s: AttnShape) -> Option<(usize, usize)> {
    if hd + 1 < s.heads {
        Some((bi, hd + 1))
    } else {
        (bi + 1 < s.batch).then_some((bi + 1, 0))
    }
}

/// Ask for `rows` rows of `len` floats at stride `stride` from `base` into L2: a
/// later head's operands, a share of them at each row block of the head before.
/// A head reads D of every row's 3C floats, a pattern no hardware prefetcher
/// follows, and at the training shapes the rows come from L3 or DRAM. (Into L1
/// instead, the requests evicted the head's own operands: a sixth of the gain.)
#[inline(always)]
fn prefetch_rows(base: *const f32, stride: usize, rows: std::ops::Range<usize>, len: usize) {
    #[cfg(target_arch = "x86_64")]
    for r in rows {
        let p = base.wrapping_add(r * stride);
        for line in 0..len.div_ceil(16) {
            // SAFETY: a prefetch is a hint: it never faults, whatever the address.
            unsafe {
                use core::arch::x86_64::{_MM_HINT_T1, _mm_prefetch};
                _mm_prefetch::<_MM_HINT_T1>(p.wrapping_add(16 * line).cast::<i8>())
            };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (base, stride, rows, len);
}

/// dst (D, T) = the D columns at `src` of T rows of stride `ss`, transposed.
///
/// # Safety
/// As the callers' buffers, and AVX2 is available (every SIMD tier has it).
#[inline(always)]
pub(super) unsafe fn transpose_into(src: *const f32, ss: usize, t: usize, d: usize, dst: *mut f32) {
    unsafe {
        // Blocks of 8 source rows through 8×8 register transposes (the matmul
        // packing's): 8 loads, 24 shuffles and 8 stores per 64 floats, where the
        // element loop moved one float per load and store (an eighth of the
        // attention kernels' time at the small shape, T = 64, D = 32).
        let mut j0 = 0;
        while j0 + 8 <= t {
            #[cfg(target_arch = "x86_64")]
            crate::matmul::pack::transpose_rows_8(src.add(j0 * ss), ss, d, dst.add(j0), t);
            #[cfg(not(target_arch = "x86_64"))]
            for k in 0..d {
                for r in 0..8 {
                    *dst.add(k * t + j0 + r) = *src.add((j0 + r) * ss + k);
                }
            }
            j0 += 8;
        }
        for j in j0..t {
            for k in 0..d {
                *dst.add(k * t + j) = *src.add(j * ss + k);
            }
        }
    }
}

/// Row tiles of 8 where there are 32 vector registers (AVX-512), of 4 with 16 (AVX2).
#[inline(always)]
pub(super) unsafe fn forward_simd<S: SimdF32>(
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    s: AttnShape,
    scratch: &mut [f32],
    zero_upper: bool,
) {
    unsafe {
        if S::LANES >= 16 {
            forward_tiled::<S, 8>(qkv, att, out, s, scratch, zero_upper)
        } else {
            forward_tiled::<S, 4>(qkv, att, out, s, scratch, zero_upper)
        }
    }
}

#[inline(always)]
pub(super) unsafe fn forward_tiled<S: SimdF32, const R: usize>(
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    s: AttnShape,
    scratch: &mut [f32],
    zero_upper: bool,
) {
    let (t, c, h, d) = (s.seq, s.channels, s.heads, s.head_dim());
    let scale = 1.0 / (d as f32).sqrt();
    // K is transposed (D, T) into scratch for the scores; V is read in place (its
    // rows prefetched into L2 during the head before: a contiguous copy cost more
    // than it saved, 1.09–1.12× slower at the small training shape).
    let kt = scratch.as_mut_ptr();
    // SAFETY: every offset below stays inside the buffers whose lengths were checked
    // (rows < T, columns < T or < D, heads < H); kt is (D, T) in scratch.
    unsafe {
        for bi in 0..s.batch {
            for hd in 0..h {
                let q = qkv.as_ptr().add(bi * t * 3 * c + hd * d);
                let (k, v) = (q.add(c), q.add(2 * c));
                let o = out.as_mut_ptr().add(bi * t * c + hd * d);
                let a = att.as_mut_ptr().add((bi * h + hd) * t * t);
                transpose_into(k, 3 * c, t, d, kt);
                let next = next_head(bi, hd, s);
                for t0 in (0..t).step_by(R) {
                    let rows = R.min(t - t0);
                    let cols = t0 + rows;
                    if let Some((nb, nh)) = next {
                        // rows t0.. of the next head's Q, K, V and output
                        let nq = qkv.as_ptr().add(nb * t * 3 * c + nh * d);
                        for part in 0..3 {
                            prefetch_rows(nq.add(part * c), 3 * c, t0..t0 + rows, d);
                        }
                        prefetch_rows(
                            out.as_mut_ptr().add(nb * t * c + nh * d),
                            c,
                            t0..t0 + rows,
                            d,
                        );
                    }
                    // S (rows, padded cols) = Q_blk Kᵀ / √D; the padding past a row's
                    // causal end is computed and then zeroed by the softmax
                    let x = (q.add(t0 * 3 * c), 3 * c, rows);
                    let pc = padded::<S>(cols, t);
                    rows_times_t::<S, R>(x, (kt, t, d), pc, scale, (a.add(t0 * t), t));
                    for r in 0..rows {
                        causal_softmax_row::<S>(a.add((t0 + r) * t), t0 + r + 1, t, zero_upper);
                    }
                    // O_blk (rows, D) = P_blk (rows, cols) V (cols, D)
                    let w = (a.add(t0 * t).cast_const(), t, 1, rows);
                    let dst = (o.add(t0 * c), c, false);
                    weighted_rows::<S, R>(w, (0, cols), (v, 3 * c, d), 1.0, dst);
                }
            }
        }
    }
}

#[inline(always)]
pub(super) unsafe fn backward_simd<S: SimdF32>(
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    s: AttnShape,
    scratch: &mut [f32],
    add: bool,
) {
    unsafe {
        if S::LANES >= 16 {
            backward_tiled::<S, 8>(dout, qkv, att, dqkv, s, scratch, add)
        } else {
            backward_tiled::<S, 4>(dout, qkv, att, dqkv, s, scratch, add)
        }
    }
}

#[inline(always)]
pub(super) unsafe fn backward_tiled<S: SimdF32, const R: usize>(
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    s: AttnShape,
    scratch: &mut [f32],
    add: bool,
) {
    // The dS rows are only valid up to padded(i + 1) (see below), which needs R | LANES.
    debug_assert!(S::LANES.is_multiple_of(R));
    let (t, c, h, d) = (s.seq, s.channels, s.heads, s.head_dim());
    let scale = 1.0 / (d as f32).sqrt();
    // vt (D, T) = Vᵀ and ds (T, T) in scratch; Q, K and dO are read in place, as V in
    // the forward (contiguous copies made the small shape's backward 1.13–1.15× slower).
    let sp = scratch.as_mut_ptr();
    // SAFETY: as in forward_simd; both blocks lie inside scratch (scratch_len).
    unsafe {
        for bi in 0..s.batch {
            for hd in 0..h {
                let q = qkv.as_ptr().add(bi * t * 3 * c + hd * d);
                let (k, v) = (q.add(c), q.add(2 * c));
                let dq = dqkv.as_mut_ptr().add(bi * t * 3 * c + hd * d);
                let (dk, dv) = (dq.add(c), dq.add(2 * c));
                let go = dout.as_ptr().add(bi * t * c + hd * d);
                let p = att.as_ptr().add((bi * h + hd) * t * t);
                let (vt, ds) = (sp, sp.add(d * t));
                transpose_into(v, 3 * c, t, d, vt);
                // dS (T, T) = softmax_backward(P, dO Vᵀ) / √D, exact zeros above the
                // diagonal up to padded(i + 1) in row i. Nothing reads further: dQ reads
                // row i of block b0 up to column b0 + R − 1, dK reads column b0 + r of
                // rows c ≥ b0, and padded(c + 1) ≥ b0 + R because R divides b0 and LANES.
                let next = next_head(bi, hd, s);
                for t0 in (0..t).step_by(R) {
                    let rows = R.min(t - t0);
                    if let Some((nb, nh)) = next {
                        // rows t0.. of the next head's Q, K, V, dQ, dK, dV and dO, and
                        // its probability rows up to their causal ends
                        let at = nb * t * 3 * c + nh * d;
                        let (q, dq) = (qkv.as_ptr().add(at), dqkv.as_mut_ptr().add(at));
                        for part in 0..3 {
                            prefetch_rows(q.add(part * c), 3 * c, t0..t0 + rows, d);
                            prefetch_rows(dq.add(part * c), 3 * c, t0..t0 + rows, d);
                        }
                        let go = dout.as_ptr().add(nb * t * c + nh * d);
                        prefetch_rows(go, c, t0..t0 + rows, d);
                        let np = att.as_ptr().add((nb * h + nh) * t * t);
                        prefetch_rows(np, t, t0..t0 + rows, t0 + rows);
                    }
                    let x = (go.add(t0 * c), c, rows);
                    let pc = padded::<S>(t0 + rows, t);
                    rows_times_t::<S, R>(x, (vt, t, d), pc, 1.0, (ds.add(t0 * t), t));
                    for r in 0..rows {
                        let i = t0 + r;
                        softmax_backward_row::<S>(p.add(i * t), ds.add(i * t), i + 1, t, scale);
                    }
                }
                // Every element of this head's dQ, dK and dV is produced by exactly one
                // of these weighted sums: with `add` false they overwrite.
                for b0 in (0..t).step_by(R) {
                    let rows = R.min(t - b0);
                    // dQ_blk += dS_blk (rows, ≤ b0+rows) K
                    let w = (ds.add(b0 * t).cast_const(), t, 1, rows);
                    let dst = (dq.add(b0 * 3 * c), 3 * c, add);
                    weighted_rows::<S, R>(w, (0, b0 + rows), (k, 3 * c, d), 1.0, dst);
                    // dK_blk += dSᵀ_blk Q over the rows t ≥ b0 that see these keys
                    let w = (ds.add(b0).cast_const(), 1, t, rows);
                    let dst = (dk.add(b0 * 3 * c), 3 * c, add);
                    weighted_rows::<S, R>(w, (b0, t), (q, 3 * c, d), 1.0, dst);
                    // dV_blk += Pᵀ_blk dO
                    let w = (p.add(b0), 1, t, rows);
                    let dst = (dv.add(b0 * 3 * c), 3 * c, add);
                    weighted_rows::<S, R>(w, (b0, t), (go, c, d), 1.0, dst);
                }
            }
        }
    }
}
