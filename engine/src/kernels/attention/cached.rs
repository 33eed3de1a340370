//! One query over a KV cache, for decoding a token: per head, scores over the
//! cached positions, softmax, and the scores' weighted sum of the values.
//!
//! Written for the decoder's shapes (head width 32, a few to a few hundred
//! positions) rather than through the training kernel's tiles. Keys and values lie
//! alike (H, P, D), so a token's keys are written in one contiguous run per head
//! (transposed keys (H, D, P) put them on D lines P floats apart, a power of two
//! that fell into a few L1 sets); a vector of scores is reduced from one vector
//! of products per position at once (`lane_sums`, not one horizontal sum each),
//! the weighted sum's FMA chain is split over four accumulators, and the heads
//! go through each phase together.
// q: (H·D); k, v: keys and values (H, P, D); scores: (H, n); out: (H·D); n ≤ P

use super::whole_rows;
use crate::error::{Error, Result};
use crate::kernels::softmax::softmax_row_in_place;
use crate::profile::{Op, scope};
use crate::simd::vector::{MAX_LANES, SimdF32, lane_sums, load_n, store_n};
use crate::simd::{self, Tier, simd_kernel};

/// One query row over a KV cache: for each head h,
/// out_h (D) = Σ_{t<n} softmax_t(q_h·k_t/√D) v_t, with `scores` (≥ H·n floats) as scratch.
// q: (C), k: (H, P, D), v: (H, P, D), scores: (H·n), out: (C); 1 ≤ n ≤ P
pub fn attend_cached(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    heads: usize,
    positions: usize,
    n: usize,
    scores: &mut [f32],
    out: &mut [f32],
) -> Result<()> {
    attend_cached_with(simd::active(), q, k, v, heads, positions, n, scores, out)
}

/// [`attend_cached`] on a chosen tier.
pub fn attend_cached_with(
    tier: Tier,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    heads: usize,
    positions: usize,
    n: usize,
    scores: &mut [f32],
    out: &mut [f32],
) -> Result<()> {
    const OP: &str = "attend_cached";
    let c = q.len();
    if heads == 0 || !c.is_multiple_of(heads) || n == 0 || n > positions || scores.len() < heads * n
    {
        return Err(Error::arg(
            OP,
            format!(
                "{c} channels, {heads} heads, {n} of {positions} positions, {} scores (want ≥ {})",
                scores.len(),
                heads * n
            ),
        ));
    }
    whole_rows(OP, out.len(), c)?;
    if k.len() != c * positions || v.len() != c * positions || out.len() != c {
        return Err(Error::shape(OP, &[c, positions], &[k.len(), v.len()]));
    }
    simd::ensure_available(tier)?;
    let _s = scope(Op::Attention);
    attend(
        tier,
        q,
        k,
        v,
        heads,
        positions,
        &mut scores[..heads * n],
        out,
    );
    Ok(())
}

/// [`attend_cached`] for the decoder's own buffers, shapes checked by the caller
/// (its profile scope too): `q.len() = out.len() = H·D`, `k.len() = v.len() ≥ H·P·D`,
/// `scores.len() = H·n` with 1 ≤ n ≤ P.
pub(crate) fn attend_one(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    heads: usize,
    positions: usize,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let c = q.len();
    debug_assert!(heads > 0 && c.is_multiple_of(heads) && out.len() == c);
    debug_assert!(!scores.is_empty() && scores.len().is_multiple_of(heads));
    debug_assert!(scores.len() <= heads * positions);
    debug_assert!(k.len() >= c * positions && v.len() >= c * positions);
    attend(simd::active(), q, k, v, heads, positions, scores, out);
}

/// Independent accumulators a chain of FMAs is split over.
const SPLIT: usize = 4;

/// The specification: for each head h, s[t] = ⟨q_h, k_t⟩ / √D, s = softmax(s),
/// out_h = Σ_t s[t]·v_t.
fn attend_scalar(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    heads: usize,
    positions: usize,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let (d, n) = (q.len() / heads, scores.len() / heads);
    let scale = 1.0 / (d as f32).sqrt();
    for (h, scores) in scores.chunks_exact_mut(n).enumerate() {
        let (k, v) = (&k[h * positions * d..], &v[h * positions * d..]);
        let qh = &q[h * d..(h + 1) * d];
        for (t, st) in scores.iter_mut().enumerate() {
            *st = (0..d).map(|i| qh[i] * k[t * d + i]).sum::<f32>() * scale;
        }
        let m = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for st in scores.iter_mut() {
            *st = (*st - m).exp();
            sum += *st;
        }
        let o = &mut out[h * d..(h + 1) * d];
        o.fill(0.0);
        for (t, &st) in scores.iter().enumerate() {
            for (oi, &vi) in o.iter_mut().zip(&v[t * d..(t + 1) * d]) {
                *oi += st / sum * vi;
            }
        }
    }
}

/// Σ of the accumulators.
#[inline(always)]
unsafe fn total<S: SimdF32>(a: [S::V; SPLIT]) -> S::V {
    unsafe { S::add(S::add(a[0], a[1]), S::add(a[2], a[3])) }
}

#[inline(always)]
unsafe fn attend_simd<S: SimdF32>(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    heads: usize,
    positions: usize,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let (n, d, l) = (scores.len() / heads, q.len() / heads, S::LANES);
    let scale = 1.0 / (d as f32).sqrt();
    let sp = scores.as_mut_ptr();
    // SAFETY: head h's keys and values are k/v[h·P·D..][..n·D] (n ≤ P), its query
    // and output q/out[h·D..][..D]; every load/store covers min(LANES, what is
    // left) floats of them (load_n/store_n).
    unsafe {
        // Three passes over the heads, not one head after the other: the heads'
        // loads from the cache (in L3 when a weight stream has just passed) are
        // then in flight together, and the softmaxes overlap.
        for h in 0..heads {
            let (qh, kh) = (q.as_ptr().add(h * d), k.as_ptr().add(h * positions * d));
            let sh = sp.add(h * n);
            // s[t..t + LANES] = ⟨q, k_t⟩ · scale: one vector of lane-wise products
            // per position, all reduced together (lane_sums), not one hsum each.
            let mut t = 0;
            while t < n {
                let m = (n - t).min(l);
                let mut a = [S::splat(0.0); MAX_LANES];
                let mut e = 0;
                while e < d {
                    let qv = load_n::<S>(qh.add(e), d - e);
                    for (u, a) in a.iter_mut().enumerate().take(m) {
                        let kv = load_n::<S>(kh.add((t + u) * d + e), d - e);
                        *a = S::fma(qv, kv, *a);
                    }
                    e += l;
                }
                let sums = lane_sums::<S>(&mut a);
                store_n::<S>(sh.add(t), m, S::mul(sums, S::splat(scale)));
                t += m;
            }
        }
        for row in scores.chunks_exact_mut(n) {
            softmax_row_in_place::<S>(row);
        }
        let sp = scores.as_ptr();
        for h in 0..heads {
            let (vh, oh) = (
                v.as_ptr().add(h * positions * d),
                out.as_mut_ptr().add(h * d),
            );
            let sh = sp.add(h * n);
            // Channels two vectors at a time, so a score is broadcast once per two
            // FMAs (once for all of a head at D = 32 on AVX-512).
            let mut e = 0;
            while e < d {
                let w = (d - e).min(2 * l);
                let mut a = [[S::splat(0.0); 2]; SPLIT];
                let mut t = 0;
                while t + SPLIT <= n {
                    for (u, a) in a.iter_mut().enumerate() {
                        let (sv, row) = (S::splat(*sh.add(t + u)), vh.add((t + u) * d + e));
                        a[0] = S::fma(sv, load_n::<S>(row, w), a[0]);
                        if w > l {
                            a[1] = S::fma(sv, load_n::<S>(row.add(l), w - l), a[1]);
                        }
                    }
                    t += SPLIT;
                }
                for t in t..n {
                    let (sv, row) = (S::splat(*sh.add(t)), vh.add(t * d + e));
                    a[0][0] = S::fma(sv, load_n::<S>(row, w), a[0][0]);
                    if w > l {
                        a[0][1] = S::fma(sv, load_n::<S>(row.add(l), w - l), a[0][1]);
                    }
                }
                store_n::<S>(oh.add(e), w, total::<S>(a.map(|a| a[0])));
                if w > l {
                    store_n::<S>(oh.add(e + l), w - l, total::<S>(a.map(|a| a[1])));
                }
                e += 2 * l;
            }
        }
    }
}

simd_kernel! {
    fn attend(
        q: &[f32],
        k: &[f32],
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
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The f64 reference of one head-by-head attention.
    fn reference(q: &[f32], k: &[f32], v: &[f32], heads: usize, p: usize, n: usize) -> Vec<f64> {
        let d = q.len() / heads;
        let mut out = vec![0.0; q.len()];
        for h in 0..heads {
            let s: Vec<f64> = (0..n)
                .map(|t| {
                    (0..d)
                        .map(|i| q[h * d + i] as f64 * k[h * p * d + t * d + i] as f64)
                        .sum::<f64>()
                        / (d as f64).sqrt()
                })
                .collect();
            let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = s.iter().map(|x| (x - m).exp()).collect();
            let sum: f64 = e.iter().sum();
            for i in 0..d {
                out[h * d + i] = (0..n)
                    .map(|t| e[t] / sum * v[h * p * d + t * d + i] as f64)
                    .sum();
            }
        }
        out
    }

    #[test]
    fn every_tier_matches_the_f64_reference_on_odd_shapes() {
        let mut rng = Rng::new(11);
        // (heads, head width, positions, cached positions n): single lanes, tails of
        // both the positions and the head width, the decoder's shapes.
        let shapes = [
            (1, 1, 1, 1),
            (1, 5, 7, 3),
            (3, 17, 33, 33),
            (2, 3, 40, 19),
            (4, 32, 64, 24),
            (8, 32, 512, 301),
        ];
        for &(heads, d, p, n) in &shapes {
            let c = heads * d;
            let q: Vec<f32> = (0..c).map(|_| rng.normal()).collect();
            let k: Vec<f32> = (0..c * p).map(|_| rng.normal()).collect();
            let v: Vec<f32> = (0..c * p).map(|_| rng.normal()).collect();
            let want = reference(&q, &k, &v, heads, p, n);
            crate::simd::for_each_available_tier(|tier| {
                let mut scores = vec![f32::NAN; heads * n];
                let mut out = vec![f32::NAN; c];
                attend(tier, &q, &k, &v, heads, p, &mut scores, &mut out);
                for (i, (&got, &want)) in out.iter().zip(&want).enumerate() {
                    assert!(
                        (got as f64 - want).abs() <= 1e-5 * (1.0 + want.abs()),
                        "{tier:?} heads {heads} d {d} p {p} n {n} [{i}]: {got} vs {want}"
                    );
                }
            });
        }
    }
}
