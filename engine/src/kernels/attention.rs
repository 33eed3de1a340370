//! Causal multi-head self-attention on GPT-2's fused QKV layout, forward and
//! backward side by side (as llm.c writes them), and one query row over a KV
//! cache for decoding.
//!
//! ```text
//! // qkv: (B, T, 3C): Q, K, V at columns 0, C, 2C; head h at h·D inside each (D = C/H)
//! // att: (B, H, T, T): row t holds softmax(q_t·k_j/√D) for j ≤ t, exact zeros after
//! // out: (B, T, C): heads concatenated, as the output projection wants them
//! ```
//!
//! Working on the fused layout removes the head split/merge copies; one call per
//! layer replaces 2·B·H small sgemms (4·B·H in backward) and B·H·T row softmaxes,
//! and only the causal half of every T×T product is computed. The SIMD body
//! works on register tiles of R query rows (8 on AVX-512, 4 on AVX2) × NV
//! vectors: scores are R rows × NV·LANES key columns against a transposed K
//! (D, T), weighted sums R rows × NV·LANES channels, so every loaded vector
//! feeds R FMAs and every broadcast NV.

use super::whole_rows;
use crate::error::{Error, Result};
use crate::profile::{Op, scope};
use crate::simd::vector::SimdF32;
use crate::simd::{self, Tier, math, simd_kernel};

/// Vectors per register tile row: R × NV accumulators, R broadcasts and NV
/// loads per R·NV FMAs.
const NV: usize = 2;

/// The shape of a self-attention call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttnShape {
    /// Sequences (B).
    pub batch: usize,
    /// Positions per sequence (T).
    pub seq: usize,
    /// Channels (C), a multiple of `heads`.
    pub channels: usize,
    /// Heads (H).
    pub heads: usize,
}

impl AttnShape {
    /// Channels per head (D).
    pub fn head_dim(&self) -> usize {
        self.channels / self.heads
    }

    /// Floats of scratch space the kernels need: one head's operands copied
    /// contiguous (four (T, D) blocks, one of them transposed) and one T×T block.
    pub fn scratch_len(&self) -> usize {
        4 * self.head_dim() * self.seq + self.seq * self.seq
    }

    fn check(&self, op: &'static str, lens: &[(usize, usize)], scratch: usize) -> Result<()> {
        let (b, t, c, h) = (self.batch, self.seq, self.channels, self.heads);
        if h == 0 || !c.is_multiple_of(h) {
            return Err(Error::arg(
                op,
                format!("{c} channels do not split into {h} heads"),
            ));
        }
        for &(len, want) in lens {
            if len != want {
                return Err(Error::shape(op, &[b, t, c, h], &[len, want]));
            }
        }
        if scratch < self.scratch_len() {
            return Err(Error::arg(
                op,
                format!("scratch of {scratch} floats < {}", self.scratch_len()),
            ));
        }
        Ok(())
    }
}

/// Forward: `att` and `out` are written (see the module's layout).
pub fn causal_attention(
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    causal_attention_with(simd::active(), qkv, att, out, shape, scratch)
}

/// [`causal_attention`] on a chosen tier.
pub fn causal_attention_with(
    tier: Tier,
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    let AttnShape {
        batch: b,
        seq: t,
        channels: c,
        heads: h,
    } = shape;
    shape.check(
        "causal_attention",
        &[
            (qkv.len(), b * t * 3 * c),
            (att.len(), b * h * t * t),
            (out.len(), b * t * c),
        ],
        scratch.len(),
    )?;
    simd::ensure_available(tier)?;
    let _s = scope(Op::Attention);
    forward(tier, qkv, att, out, shape, scratch);
    Ok(())
}

/// Backward: `dqkv` (B, T, 3C) += the gradient of `out` = `dout` (B, T, C)
/// through the attention saved by the forward.
pub fn causal_attention_backward(
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    causal_attention_backward_with(simd::active(), dout, qkv, att, dqkv, shape, scratch)
}

/// [`causal_attention_backward`] on a chosen tier.
pub fn causal_attention_backward_with(
    tier: Tier,
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    let AttnShape {
        batch: b,
        seq: t,
        channels: c,
        heads: h,
    } = shape;
    shape.check(
        "causal_attention_backward",
        &[
            (dout.len(), b * t * c),
            (qkv.len(), b * t * 3 * c),
            (att.len(), b * h * t * t),
            (dqkv.len(), b * t * 3 * c),
        ],
        scratch.len(),
    )?;
    simd::ensure_available(tier)?;
    let _s = scope(Op::Attention);
    backward(tier, dout, qkv, att, dqkv, shape, scratch);
    Ok(())
}

/// One query row over a KV cache (decoding): for each head h,
/// out_h (D) = Σ_{j<n} softmax_j(q_h·k_j/√D) v_j.
// q: (C), kt: (H, D, P) keys transposed, v: (H, P, D), scores: (n), out: (C); n ≤ P
pub fn attend_cached(
    q: &[f32],
    kt: &[f32],
    v: &[f32],
    heads: usize,
    positions: usize,
    n: usize,
    scores: &mut [f32],
    out: &mut [f32],
) -> Result<()> {
    attend_cached_with(simd::active(), q, kt, v, heads, positions, n, scores, out)
}

/// [`attend_cached`] on a chosen tier.
pub fn attend_cached_with(
    tier: Tier,
    q: &[f32],
    kt: &[f32],
    v: &[f32],
    heads: usize,
    positions: usize,
    n: usize,
    scores: &mut [f32],
    out: &mut [f32],
) -> Result<()> {
    const OP: &str = "attend_cached";
    let c = q.len();
    if heads == 0 || !c.is_multiple_of(heads) || n == 0 || n > positions || scores.len() < n {
        return Err(Error::arg(
            OP,
            format!(
                "{c} channels, {heads} heads, {n} of {positions} positions, {} scores",
                scores.len()
            ),
        ));
    }
    whole_rows(OP, out.len(), c)?;
    if kt.len() != c * positions || v.len() != c * positions || out.len() != c {
        return Err(Error::shape(OP, &[c, positions], &[kt.len(), v.len()]));
    }
    simd::ensure_available(tier)?;
    let _s = scope(Op::Attention);
    attend(tier, q, kt, v, heads, positions, &mut scores[..n], out);
    Ok(())
}

// ---------------------------------------------------------------------------
// Scalar specification (shapes checked).

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn forward_scalar(qkv: &[f32], att: &mut [f32], out: &mut [f32], s: AttnShape, _: &mut [f32]) {
    let (t, c, h, d) = (s.seq, s.channels, s.heads, s.head_dim());
    let scale = 1.0 / (d as f32).sqrt();
    for bi in 0..s.batch {
        let rows = &qkv[bi * t * 3 * c..(bi + 1) * t * 3 * c];
        // row i, head hd of Q (part 0), K (1) or V (2)
        let part = |i: usize, part: usize, hd: usize| &rows[i * 3 * c + part * c + hd * d..][..d];
        let (q, k, v) = (
            |i, hd| part(i, 0, hd),
            |i, hd| part(i, 1, hd),
            |i, hd| part(i, 2, hd),
        );
        for hd in 0..h {
            for ti in 0..t {
                let p = &mut att[((bi * h + hd) * t + ti) * t..][..t];
                // scores, causal softmax; columns after ti are exact zeros
                let mut m = f32::NEG_INFINITY;
                for j in 0..=ti {
                    p[j] = dot(q(ti, hd), k(j, hd)) * scale;
                    m = m.max(p[j]);
                }
                let mut sum = 0.0;
                for pj in &mut p[..=ti] {
                    *pj = (*pj - m).exp();
                    sum += *pj;
                }
                p[..=ti].iter_mut().for_each(|pj| *pj /= sum);
                p[ti + 1..].fill(0.0);
                // out_t = Σ_j p_j v_j
                let o = &mut out[(bi * t + ti) * c + hd * d..][..d];
                o.fill(0.0);
                for j in 0..=ti {
                    for (oi, &vi) in o.iter_mut().zip(v(j, hd)) {
                        *oi += p[j] * vi;
                    }
                }
            }
        }
    }
}

fn backward_scalar(
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    s: AttnShape,
    scratch: &mut [f32],
) {
    let (t, c, h, d) = (s.seq, s.channels, s.heads, s.head_dim());
    let scale = 1.0 / (d as f32).sqrt();
    let dp = &mut scratch[..t];
    let at =
        |bi: usize, ti: usize, part: usize, hd: usize| (bi * t + ti) * 3 * c + part * c + hd * d;
    for bi in 0..s.batch {
        for hd in 0..h {
            for ti in 0..t {
                let p = &att[((bi * h + hd) * t + ti) * t..][..t];
                let go = &dout[(bi * t + ti) * c + hd * d..][..d];
                // dP_j = dO_t · v_j; dv_j += p_j dO_t
                for j in 0..=ti {
                    dp[j] = dot(go, &qkv[at(bi, j, 2, hd)..][..d]);
                    for (dv, &g) in dqkv[at(bi, j, 2, hd)..][..d].iter_mut().zip(go) {
                        *dv += p[j] * g;
                    }
                }
                // dS_j = p_j (dP_j − Σ p dP); dq_t += dS_j k_j/√D; dk_j += dS_j q_t/√D
                let sum = dot(&p[..=ti], &dp[..=ti]);
                for j in 0..=ti {
                    let ds = p[j] * (dp[j] - sum) * scale;
                    for i in 0..d {
                        dqkv[at(bi, ti, 0, hd) + i] += ds * qkv[at(bi, j, 1, hd) + i];
                        dqkv[at(bi, j, 1, hd) + i] += ds * qkv[at(bi, ti, 0, hd) + i];
                    }
                }
            }
        }
    }
}

fn attend_scalar(
    q: &[f32],
    kt: &[f32],
    v: &[f32],
    heads: usize,
    positions: usize,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let d = q.len() / heads;
    let scale = 1.0 / (d as f32).sqrt();
    for hd in 0..heads {
        let (kt, v) = (&kt[hd * d * positions..], &v[hd * positions * d..]);
        let qh = &q[hd * d..(hd + 1) * d];
        for (j, sj) in scores.iter_mut().enumerate() {
            *sj = (0..d).map(|i| qh[i] * kt[i * positions + j]).sum::<f32>() * scale;
        }
        let m = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for sj in scores.iter_mut() {
            *sj = (*sj - m).exp();
            sum += *sj;
        }
        let o = &mut out[hd * d..(hd + 1) * d];
        o.fill(0.0);
        for (j, &sj) in scores.iter().enumerate() {
            for (oi, &vi) in o.iter_mut().zip(&v[j * d..(j + 1) * d]) {
                *oi += sj / sum * vi;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// SIMD body. Tiles of R rows always compute R rows (the last block repeats
// its last row and drops it at the store), so the row loops have constant
// bounds and their accumulators stay in registers.

/// Load `n` lanes (all when `n ≥ LANES`), the rest zero.
#[inline(always)]
unsafe fn load_n<S: SimdF32>(p: *const f32, n: usize) -> S::V {
    unsafe {
        if n >= S::LANES {
            S::load(p)
        } else {
            S::load_masked(p, S::first(n), S::splat(0.0))
        }
    }
}

/// Load `n` lanes (all when `n ≥ LANES`), the rest `fill`.
#[inline(always)]
unsafe fn load_fill<S: SimdF32>(p: *const f32, n: usize, fill: f32) -> S::V {
    unsafe {
        if n >= S::LANES {
            S::load(p)
        } else {
            S::load_masked(p, S::first(n), S::splat(fill))
        }
    }
}

/// Store `n` lanes (all when `n ≥ LANES`).
#[inline(always)]
unsafe fn store_n<S: SimdF32>(p: *mut f32, n: usize, v: S::V) {
    unsafe {
        if n >= S::LANES {
            S::store(p, v)
        } else {
            S::store_masked(p, S::first(n), v)
        }
    }
}

/// The R × (V·LANES) register tile of [`rows_times_t`] at column j, `n` valid columns.
#[inline(always)]
unsafe fn scores_tile<S: SimdF32, const R: usize, const V: usize>(
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
            let y: [S::V; V] =
                std::array::from_fn(|v| load_n::<S>(p.add(v * S::LANES), n - v * S::LANES));
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
unsafe fn rows_times_t<S: SimdF32, const R: usize>(
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
unsafe fn weighted_tile<S: SimdF32, const R: usize, const V: usize>(
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
            let yv: [S::V; V] =
                std::array::from_fn(|v| load_n::<S>(p.add(v * S::LANES), n - v * S::LANES));
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
unsafe fn weighted_rows<S: SimdF32, const R: usize>(
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

/// p[..n] = softmax(p[..n]) in place. Plain loops, no closures: a closure
/// would not inherit the wrapper's target features and its vectors would go
/// through memory.
#[inline(always)]
unsafe fn softmax_row<S: SimdF32>(p: *mut f32, n: usize) {
    unsafe {
        let l = S::LANES;
        let mut mx = S::splat(f32::NEG_INFINITY);
        let mut j = 0;
        while j < n {
            mx = S::max(mx, load_fill::<S>(p.add(j), n - j, f32::NEG_INFINITY));
            j += l;
        }
        let mv = S::splat(S::hmax(mx));
        let mut sum = S::splat(0.0);
        j = 0;
        while j < n {
            // Arguments are ≤ 0 (the row max is subtracted): the cheaper exp. Masked
            // lanes load −∞: exp gives 0 and the masked store drops them.
            let e = math::exp_nonpositive::<S>(S::sub(
                load_fill::<S>(p.add(j), n - j, f32::NEG_INFINITY),
                mv,
            ));
            sum = S::add(sum, e);
            store_n::<S>(p.add(j), n - j, e);
            j += l;
        }
        let inv = S::splat(1.0 / S::hsum(sum));
        j = 0;
        while j < n {
            store_n::<S>(p.add(j), n - j, S::mul(load_n::<S>(p.add(j), n - j), inv));
            j += l;
        }
    }
}

/// dp[..n] = α · p ⊙ (dp − ⟨p, dp⟩) in place: the softmax backward of one row.
#[inline(always)]
unsafe fn softmax_backward_row<S: SimdF32>(p: *const f32, dp: *mut f32, n: usize, alpha: f32) {
    unsafe {
        let l = S::LANES;
        let mut acc = S::splat(0.0);
        let mut j = 0;
        while j < n {
            let (pv, dv) = (load_n::<S>(p.add(j), n - j), load_n::<S>(dp.add(j), n - j));
            acc = S::fma(pv, dv, acc);
            j += l;
        }
        let (s, a) = (S::splat(S::hsum(acc)), S::splat(alpha));
        j = 0;
        while j < n {
            let (pv, dv) = (load_n::<S>(p.add(j), n - j), load_n::<S>(dp.add(j), n - j));
            store_n::<S>(dp.add(j), n - j, S::mul(S::mul(pv, S::sub(dv, s)), a));
            j += l;
        }
    }
}

/// dst (T, D) = the D columns at `src` of T rows of stride `ss`, contiguous.
#[inline(always)]
unsafe fn copy_rows(src: *const f32, ss: usize, t: usize, d: usize, dst: *mut f32) {
    unsafe {
        for j in 0..t {
            std::ptr::copy_nonoverlapping(src.add(j * ss), dst.add(j * d), d);
        }
    }
}

/// dst (D, T) = the D columns at `src` of T rows of stride `ss`, transposed.
#[inline(always)]
unsafe fn transpose_into(src: *const f32, ss: usize, t: usize, d: usize, dst: *mut f32) {
    unsafe {
        for j in 0..t {
            for k in 0..d {
                *dst.add(k * t + j) = *src.add(j * ss + k);
            }
        }
    }
}

/// Row tiles of 8 where there are 32 vector registers (AVX-512), of 4 with 16 (AVX2).
#[inline(always)]
unsafe fn forward_simd<S: SimdF32>(
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    s: AttnShape,
    scratch: &mut [f32],
) {
    unsafe {
        if S::LANES >= 16 {
            forward_tiled::<S, 8>(qkv, att, out, s, scratch)
        } else {
            forward_tiled::<S, 4>(qkv, att, out, s, scratch)
        }
    }
}

#[inline(always)]
unsafe fn forward_tiled<S: SimdF32, const R: usize>(
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    s: AttnShape,
    scratch: &mut [f32],
) {
    let (t, c, h, d) = (s.seq, s.channels, s.heads, s.head_dim());
    let scale = 1.0 / (d as f32).sqrt();
    // One head's operands are copied contiguous first: K transposed (D, T) for the
    // scores, V (T, D) for the weighted sum, so the inner loops stream from L1.
    let (kt, rest) = scratch.split_at_mut(d * t);
    let (kt, vc) = (kt.as_mut_ptr(), rest.as_mut_ptr());
    // SAFETY: every offset below stays inside the buffers whose lengths were checked
    // (rows < T, columns < T or < D, heads < H); kt and vc are (D, T), (T, D) in scratch.
    unsafe {
        for bi in 0..s.batch {
            for hd in 0..h {
                let q = qkv.as_ptr().add(bi * t * 3 * c + hd * d);
                let (k, v) = (q.add(c), q.add(2 * c));
                let o = out.as_mut_ptr().add(bi * t * c + hd * d);
                let a = att.as_mut_ptr().add((bi * h + hd) * t * t);
                transpose_into(k, 3 * c, t, d, kt);
                copy_rows(v, 3 * c, t, d, vc);
                for t0 in (0..t).step_by(R) {
                    let rows = R.min(t - t0);
                    let cols = t0 + rows;
                    // S (rows, cols) = Q_blk Kᵀ / √D
                    let x = (q.add(t0 * 3 * c), 3 * c, rows);
                    rows_times_t::<S, R>(x, (kt, t, d), cols, scale, (a.add(t0 * t), t));
                    for r in 0..rows {
                        let row = a.add((t0 + r) * t);
                        softmax_row::<S>(row, t0 + r + 1);
                        std::slice::from_raw_parts_mut(row.add(t0 + r + 1), t - t0 - r - 1)
                            .fill(0.0);
                    }
                    // O_blk (rows, D) = P_blk (rows, cols) V (cols, D)
                    let w = (a.add(t0 * t).cast_const(), t, 1, rows);
                    let dst = (o.add(t0 * c), c, false);
                    weighted_rows::<S, R>(w, (0, cols), (vc, d, d), 1.0, dst);
                }
            }
        }
    }
}

#[inline(always)]
unsafe fn backward_simd<S: SimdF32>(
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    s: AttnShape,
    scratch: &mut [f32],
) {
    unsafe {
        if S::LANES >= 16 {
            backward_tiled::<S, 8>(dout, qkv, att, dqkv, s, scratch)
        } else {
            backward_tiled::<S, 4>(dout, qkv, att, dqkv, s, scratch)
        }
    }
}

#[inline(always)]
unsafe fn backward_tiled<S: SimdF32, const R: usize>(
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    s: AttnShape,
    scratch: &mut [f32],
) {
    let (t, c, h, d) = (s.seq, s.channels, s.heads, s.head_dim());
    let scale = 1.0 / (d as f32).sqrt();
    // vt (D, T) = Vᵀ; qc, kc, gc (T, D) = Q, K, dO contiguous; ds (T, T)
    let sp = scratch.as_mut_ptr();
    let n = d * t;
    // SAFETY: as in forward_simd; the five blocks lie inside scratch (scratch_len).
    unsafe {
        for bi in 0..s.batch {
            for hd in 0..h {
                let q = qkv.as_ptr().add(bi * t * 3 * c + hd * d);
                let (k, v) = (q.add(c), q.add(2 * c));
                let dq = dqkv.as_mut_ptr().add(bi * t * 3 * c + hd * d);
                let (dk, dv) = (dq.add(c), dq.add(2 * c));
                let go = dout.as_ptr().add(bi * t * c + hd * d);
                let p = att.as_ptr().add((bi * h + hd) * t * t);
                let (vt, qc, kc, gc, ds) =
                    (sp, sp.add(n), sp.add(2 * n), sp.add(3 * n), sp.add(4 * n));
                transpose_into(v, 3 * c, t, d, vt);
                copy_rows(q, 3 * c, t, d, qc);
                copy_rows(k, 3 * c, t, d, kc);
                copy_rows(go, c, t, d, gc);
                // dS (T, T) = softmax_backward(P, dO Vᵀ) / √D, exact zeros above the diagonal
                for t0 in (0..t).step_by(R) {
                    let rows = R.min(t - t0);
                    let x = (gc.add(t0 * d).cast_const(), d, rows);
                    rows_times_t::<S, R>(x, (vt, t, d), t0 + rows, 1.0, (ds.add(t0 * t), t));
                    for r in 0..rows {
                        let i = t0 + r;
                        softmax_backward_row::<S>(p.add(i * t), ds.add(i * t), i + 1, scale);
                        std::slice::from_raw_parts_mut(ds.add(i * t + i + 1), t - i - 1).fill(0.0);
                    }
                }
                for b0 in (0..t).step_by(R) {
                    let rows = R.min(t - b0);
                    // dQ_blk += dS_blk (rows, ≤ b0+rows) K
                    let w = (ds.add(b0 * t).cast_const(), t, 1, rows);
                    let dst = (dq.add(b0 * 3 * c), 3 * c, true);
                    weighted_rows::<S, R>(w, (0, b0 + rows), (kc, d, d), 1.0, dst);
                    // dK_blk += dSᵀ_blk Q over the rows t ≥ b0 that see these keys
                    let w = (ds.add(b0).cast_const(), 1, t, rows);
                    let dst = (dk.add(b0 * 3 * c), 3 * c, true);
                    weighted_rows::<S, R>(w, (b0, t), (qc, d, d), 1.0, dst);
                    // dV_blk += Pᵀ_blk dO
                    let w = (p.add(b0), 1, t, rows);
                    let dst = (dv.add(b0 * 3 * c), 3 * c, true);
                    weighted_rows::<S, R>(w, (b0, t), (gc, d, d), 1.0, dst);
                }
            }
        }
    }
}

#[inline(always)]
unsafe fn attend_simd<S: SimdF32>(
    q: &[f32],
    kt: &[f32],
    v: &[f32],
    heads: usize,
    positions: usize,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let (d, n) = (q.len() / heads, scores.len());
    let scale = 1.0 / (d as f32).sqrt();
    let sp = scores.as_mut_ptr();
    // SAFETY: head hd's keys are kt[hd·D·P ..][.. D·P] and values v[hd·P·D ..][.. n·D]; n ≤ P.
    unsafe {
        for hd in 0..heads {
            let qh = (q.as_ptr().add(hd * d), 0, 1);
            let ktp = kt.as_ptr().add(hd * d * positions);
            rows_times_t::<S, 1>(qh, (ktp, positions, d), n, scale, (sp, 0));
            softmax_row::<S>(sp, n);
            let w = (sp.cast_const(), 0, 1, 1);
            let y = (v.as_ptr().add(hd * positions * d), d, d);
            let dst = (out.as_mut_ptr().add(hd * d), 0, false);
            weighted_rows::<S, 1>(w, (0, n), y, 1.0, dst);
        }
    }
}

simd_kernel! {
    fn forward(qkv: &[f32], att: &mut [f32], out: &mut [f32], s: AttnShape, scratch: &mut [f32]);
    scalar = forward_scalar;
    simd = forward_simd;
}

simd_kernel! {
    fn backward(
        dout: &[f32],
        qkv: &[f32],
        att: &[f32],
        dqkv: &mut [f32],
        s: AttnShape,
        scratch: &mut [f32],
    );
    scalar = backward_scalar;
    simd = backward_simd;
}

simd_kernel! {
    fn attend(
        q: &[f32],
        kt: &[f32],
        v: &[f32],
        heads: usize,
        positions: usize,
        scores: &mut [f32],
        out: &mut [f32],
    );
    scalar = attend_scalar;
    simd = attend_simd;
}

#[cfg(test)]
mod tests;
