//! Matrix times one row, for decoding a single token. `row_times_matrix`:
//! y = bias + x · W (Conv1D layout): the matrix is
//! streamed row by row, four rows per pass over y, so y stays in L1 and each
//! weight is loaded once. Written here because the general m = 1 sgemm path
//! measured 6–14 GFLOP/s on the decoder's shapes. `matrix_times_row`:
//! y = W x (nn.Linear layout, the LM head), one dot product per row.
//!
//! Both read their matrix once, in four-row blocks that lie one after the
//! other, so the reads sweep the matrix from start to end. The SIMD bodies
//! request the lines [`AHEAD`] floats ahead of that sweep (and on into the
//! matrix the caller reads next): the four rows of a block are four short
//! streams (a row of the decoder's matrices is 0.5–4 KiB, one page at most),
//! too short for the hardware prefetchers to reach full rate before the next
//! block starts four new ones. When the weights a step streams are too many to
//! stay in L3 ([`far_above`]), the bodies also request lines [`FAR`] floats
//! ahead into L2, to have enough of DRAM's longer latency in flight.

use crate::simd::simd_kernel;
use crate::simd::vector::SimdF32;

/// How far ahead of the sweep the SIMD bodies prefetch into L1, in floats (8 KiB).
/// Measured on Zen 4 (the table in `83aefdf`'s docs/PERFORMANCE.md): 4–8 KiB read the
/// decoder's matrices fastest from L3; 2 KiB was slower for both models, 16 KiB for small's.
const AHEAD: usize = 2048;

/// How far ahead the far prefetch into L2 reaches, in floats (24 KiB).
const FAR: usize = 6144;

/// Weight bytes a step streams above which [`Sweep::far`] is worth it on this CPU:
/// measured by the calibration (`Blocking::gemv_far_above`, `sgemm_tune`), else half
/// this CPU's share of the last-level cache ([`far_above_for`]). Which sets gain
/// depends on the CPU, not only on the cache's size: with the same 32 MiB L3 over
/// 2 CPUs, on Zen 4 the far prefetch made 12.5 MB of medium's matrices read 11 %
/// faster and 1.6–6.3 MB sets 8–16 % slower, while on Zen 5 it made sets of 6.6–19 MB
/// 4–20 % slower and 25–63 MB 4–15 % faster (docs/PERFORMANCE.md, "Generation").
pub(crate) fn far_above() -> usize {
    let tier = crate::simd::active();
    crate::matmul::tuning::tuned(tier)
        .blocking
        .gemv_far_above
        .unwrap_or_else(|| far_above_for(crate::matmul::cache::llc_share()))
}

/// [`far_above`] without a calibration, for a last-level share of `share` bytes: a
/// stream stays in a shared cache only while well under its share (other cores, other
/// tenants of the host and the KV cache take the rest).
pub(crate) fn far_above_for(share: Option<usize>) -> usize {
    share.map_or(FAR_ABOVE_FALLBACK, |s| s / 2)
}

/// [`far_above`] when the last-level cache is unknown: 8 MiB, as for a 32 MiB L3
/// shared by two CPUs.
const FAR_ABOVE_FALLBACK: usize = 8 << 20;

/// What a gemv's prefetch does past its own matrix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sweep<'a> {
    /// The matrix the caller reads next: the sweep's prefetch runs on into it.
    pub next: &'a [f32],
    /// Also prefetch [`FAR`] floats ahead into L2 (the weights do not stay in L3).
    pub far: bool,
}

impl Sweep<'_> {
    /// Prefetch ahead of position `at` of the sweep, which reads `floats` floats there.
    #[inline(always)]
    fn ahead(self, w: &[f32], at: usize, floats: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use core::arch::x86_64::{_MM_HINT_T0, _MM_HINT_T1};
            hint::<_MM_HINT_T0>(w, self.next, at + AHEAD, floats);
            if self.far {
                hint::<_MM_HINT_T1>(w, self.next, at + FAR, floats);
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (self, w, at, floats);
    }
}

/// Ask (with hint `H`) for the cache lines of floats `at..at + floats` of the sweep:
/// of `w`, then of `next`, the matrix read after it (so the next op's first lines
/// are on their way while this one finishes); nothing past both. A hint only: it
/// reads nothing the caller sees and never faults.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn hint<const H: i32>(w: &[f32], next: &[f32], at: usize, floats: usize) {
    let (src, at) = if at < w.len() {
        (w, at)
    } else {
        (next, at - w.len())
    };
    if at < src.len() {
        let p = src.as_ptr().wrapping_add(at);
        // One request per 64-byte line (16 floats); the last may lie past `src`.
        for line in 0..floats.div_ceil(16) {
            // SAFETY: a prefetch is a hint: it never faults, whatever the address.
            unsafe {
                core::arch::x86_64::_mm_prefetch::<H>(p.wrapping_add(16 * line).cast::<i8>())
            };
        }
    }
}

/// y (N) = bias (N) + x (K) · w (K, N), w row-major; lengths checked by the caller.
/// `sweep` steers prefetching only: results do not depend on it.
// x: (K), w: (K, N), bias: (N), y: (N)
pub(crate) fn row_times_matrix(x: &[f32], w: &[f32], bias: &[f32], y: &mut [f32], sweep: Sweep) {
    debug_assert!(w.len() == x.len() * y.len() && bias.len() == y.len());
    y.copy_from_slice(bias);
    accumulate(crate::simd::active(), x, w, y, sweep);
}

/// The specification: y[j] += Σ_p x[p]·w[p·N + j] (`sweep` only steers prefetching).
fn accumulate_scalar(x: &[f32], w: &[f32], y: &mut [f32], _sweep: Sweep) {
    let n = y.len();
    for (p, &xp) in x.iter().enumerate() {
        for (yj, &wj) in y.iter_mut().zip(&w[p * n..(p + 1) * n]) {
            *yj += xp * wj;
        }
    }
}

#[inline(always)]
unsafe fn accumulate_simd<S: SimdF32>(x: &[f32], w: &[f32], y: &mut [f32], sweep: Sweep) {
    let (n, k, l) = (y.len(), x.len(), S::LANES);
    let wp = w.as_ptr();
    let yp = y.as_mut_ptr();
    let mut p = 0;
    // SAFETY: every pointer below stays inside w (K·N) or y (N): rows p..p+4 < K
    // and columns j..j+LANES ≤ N; the caller guarantees the tier's features.
    unsafe {
        while p + 4 <= k {
            let (x0, x1, x2, x3) = (
                S::splat(x[p]),
                S::splat(x[p + 1]),
                S::splat(x[p + 2]),
                S::splat(x[p + 3]),
            );
            let (r0, r1, r2, r3) = (
                wp.add(p * n),
                wp.add((p + 1) * n),
                wp.add((p + 2) * n),
                wp.add((p + 3) * n),
            );
            let (xs, rs) = ([x0, x1, x2, x3], [r0, r1, r2, r3]);
            let mut j = 0;
            // Two vectors a step: half the prefetch bookkeeping per weight (medium's
            // token 4–8 % faster against the read loop, six alternated runs).
            while j + 2 * l <= n {
                // This step reads 8·LANES floats of the block that starts at p·N.
                sweep.ahead(w, p * n + 4 * j, 8 * l);
                four_rows_at::<S>(xs, rs, yp, j);
                four_rows_at::<S>(xs, rs, yp, j + l);
                j += 2 * l;
            }
            if j + l <= n {
                sweep.ahead(w, p * n + 4 * j, 4 * l);
                four_rows_at::<S>(xs, rs, yp, j);
                j += l;
            }
            for jj in j..n {
                *yp.add(jj) += x[p] * *r0.add(jj)
                    + x[p + 1] * *r1.add(jj)
                    + x[p + 2] * *r2.add(jj)
                    + x[p + 3] * *r3.add(jj);
            }
            p += 4;
        }
        while p < k {
            let xv = S::splat(x[p]);
            let r = wp.add(p * n);
            let mut j = 0;
            while j + l <= n {
                S::store(yp.add(j), S::fma(xv, S::load(r.add(j)), S::load(yp.add(j))));
                j += l;
            }
            for jj in j..n {
                *yp.add(jj) += x[p] * *r.add(jj);
            }
            p += 1;
        }
    }
}

/// y[j..j + LANES] += Σ_i xs[i] · rs[i][j..j + LANES]: one vector of y through a
/// four-row block.
///
/// # Safety
/// LANES floats readable at every `rs[i] + j` and writable at `y + j`; the CPU
/// supports `S`'s tier.
#[inline(always)]
unsafe fn four_rows_at<S: SimdF32>(xs: [S::V; 4], rs: [*const f32; 4], y: *mut f32, j: usize) {
    unsafe {
        let mut acc = S::load(y.add(j));
        for (&x, &r) in xs.iter().zip(&rs) {
            acc = S::fma(x, S::load(r.add(j)), acc);
        }
        S::store(y.add(j), acc);
    }
}

simd_kernel! {
    fn accumulate(x: &[f32], w: &[f32], y: &mut [f32], sweep: Sweep);
    scalar = accumulate_scalar;
    simd = accumulate_simd;
}

/// y (N) = w (N, K) · x (K), w row-major (the LM head in nn.Linear layout):
/// one dot product per row, four rows per pass so each x vector is loaded once
/// for four FMAs. Lengths checked by the caller; `sweep` as for [`row_times_matrix`].
// w: (N, K), x: (K), y: (N)
pub(crate) fn matrix_times_row(w: &[f32], x: &[f32], y: &mut [f32], sweep: Sweep) {
    debug_assert!(w.len() == x.len() * y.len());
    dots(crate::simd::active(), w, x, y, sweep);
}

/// The specification: y[i] = Σ_p w[i·K + p]·x[p] (`sweep` only steers prefetching).
fn dots_scalar(w: &[f32], x: &[f32], y: &mut [f32], _sweep: Sweep) {
    let k = x.len();
    for (i, yi) in y.iter_mut().enumerate() {
        *yi = w[i * k..(i + 1) * k]
            .iter()
            .zip(x)
            .map(|(a, b)| a * b)
            .sum();
    }
}

#[inline(always)]
unsafe fn dots_simd<S: SimdF32>(w: &[f32], x: &[f32], y: &mut [f32], sweep: Sweep) {
    let (n, k, l) = (y.len(), x.len(), S::LANES);
    let (wp, xp) = (w.as_ptr(), x.as_ptr());
    let kv = k - k % l;
    // SAFETY: rows i..i+4 < N and columns p..p+LANES ≤ K stay inside w (N·K) and x (K).
    unsafe {
        let mut i = 0;
        while i < n {
            let rows = (n - i).min(4);
            // Rows past the end repeat the last one; their sums are dropped.
            let r: [*const f32; 4] = std::array::from_fn(|j| wp.add((i + j.min(rows - 1)) * k));
            let mut acc = [S::splat(0.0); 4];
            let mut p = 0;
            while p < kv {
                // This step reads 4·LANES floats of the block that starts at i·K.
                sweep.ahead(w, i * k + 4 * p, 4 * l);
                let xv = S::load(xp.add(p));
                for j in 0..4 {
                    acc[j] = S::fma(S::load(r[j].add(p)), xv, acc[j]);
                }
                p += l;
            }
            for j in 0..rows {
                let tail: f32 = (kv..k).map(|q| *r[j].add(q) * *xp.add(q)).sum();
                y[i + j] = S::hsum(acc[j]) + tail;
            }
            i += 4;
        }
    }
}

simd_kernel! {
    fn dots(w: &[f32], x: &[f32], y: &mut [f32], sweep: Sweep);
    scalar = dots_scalar;
    simd = dots_simd;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn the_far_prefetch_starts_at_half_the_last_level_share() {
        // 32 MiB shared by 2 CPUs: medium's 12.9 MB are far, small's 1.7 MB are not.
        let zen4 = far_above_for(Some(16 << 20));
        assert_eq!(zen4, 8 << 20);
        assert!(1_700_000 < zen4 && 12_900_000 > zen4);
        assert_eq!(far_above_for(Some(2 << 20)), 1 << 20);
        assert_eq!(far_above_for(None), FAR_ABOVE_FALLBACK);
    }

    #[test]
    fn row_dots_match_the_f64_reference_on_every_tier() {
        let mut rng = Rng::new(6);
        for &(n, k) in &[(1, 1), (3, 17), (4, 16), (7, 33), (256, 128), (9, 200)] {
            let w: Vec<f32> = (0..n * k).map(|_| rng.normal()).collect();
            let x: Vec<f32> = (0..k).map(|_| rng.normal()).collect();
            // The prefetch runs past w into a short `next`, then past both.
            let next = vec![0.0; 37];
            crate::simd::for_each_available_tier(|tier| {
                let far = tier == crate::simd::Tier::Avx2;
                let mut y = vec![f32::NAN; n];
                dots(tier, &w, &x, &mut y, Sweep { next: &next, far });
                for i in 0..n {
                    let want: f64 = (0..k).map(|p| w[i * k + p] as f64 * x[p] as f64).sum();
                    let tol = 1e-5 * (1.0 + (k as f64).sqrt() * 4.0);
                    assert!((y[i] as f64 - want).abs() <= tol, "{tier:?} n{n} k{k} i{i}");
                }
            });
        }
    }

    #[test]
    fn every_tier_matches_the_f64_reference_on_odd_sizes() {
        let mut rng = Rng::new(5);
        for &(k, n) in &[(1, 1), (3, 17), (4, 16), (7, 33), (130, 383), (256, 768)] {
            let x: Vec<f32> = (0..k).map(|_| rng.normal()).collect();
            let w: Vec<f32> = (0..k * n).map(|_| rng.normal()).collect();
            let b: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
            let next = vec![0.0; 37];
            let want: Vec<f64> = (0..n)
                .map(|j| {
                    b[j] as f64
                        + (0..k)
                            .map(|p| x[p] as f64 * w[p * n + j] as f64)
                            .sum::<f64>()
                })
                .collect();
            crate::simd::for_each_available_tier(|tier| {
                let far = tier == crate::simd::Tier::Avx512;
                let mut y = b.clone();
                accumulate(tier, &x, &w, &mut y, Sweep { next: &next, far });
                for j in 0..n {
                    let tol = 1e-5 * (1.0 + (k as f64).sqrt() * 4.0);
                    assert!(
                        (y[j] as f64 - want[j]).abs() <= tol,
                        "{tier:?} k{k} n{n} j{j}: {} vs {}",
                        y[j],
                        want[j]
                    );
                }
            });
        }
    }
}
