//! y = bias + x · W for one row x (decoding a single token): the matrix is
//! streamed row by row, four rows per pass over y, so y stays in L1 and each
//! weight is loaded once. Written here because the general m = 1 sgemm path
//! measured 6–14 GFLOP/s on the decoder's shapes.

use crate::simd::simd_kernel;
use crate::simd::vector::SimdF32;

/// y (N) = bias (N) + x (K) · w (K, N), w row-major; lengths checked by the caller.
// x: (K), w: (K, N), bias: (N), y: (N)
pub(crate) fn row_times_matrix(x: &[f32], w: &[f32], bias: &[f32], y: &mut [f32]) {
    debug_assert!(w.len() == x.len() * y.len() && bias.len() == y.len());
    y.copy_from_slice(bias);
    accumulate(crate::simd::active(), x, w, y);
}

/// The specification: y[j] += Σ_p x[p]·w[p·N + j].
fn accumulate_scalar(x: &[f32], w: &[f32], y: &mut [f32]) {
    let n = y.len();
    for (p, &xp) in x.iter().enumerate() {
        for (yj, &wj) in y.iter_mut().zip(&w[p * n..(p + 1) * n]) {
            *yj += xp * wj;
        }
    }
}

#[inline(always)]
unsafe fn accumulate_simd<S: SimdF32>(x: &[f32], w: &[f32], y: &mut [f32]) {
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
            let mut j = 0;
            while j + l <= n {
                let mut acc = S::load(yp.add(j));
                acc = S::fma(x0, S::load(r0.add(j)), acc);
                acc = S::fma(x1, S::load(r1.add(j)), acc);
                acc = S::fma(x2, S::load(r2.add(j)), acc);
                acc = S::fma(x3, S::load(r3.add(j)), acc);
                S::store(yp.add(j), acc);
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

simd_kernel! {
    fn accumulate(x: &[f32], w: &[f32], y: &mut [f32]);
    scalar = accumulate_scalar;
    simd = accumulate_simd;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn every_tier_matches_the_f64_reference_on_odd_sizes() {
        let mut rng = Rng::new(5);
        for &(k, n) in &[(1, 1), (3, 17), (4, 16), (7, 33), (130, 383), (256, 768)] {
            let x: Vec<f32> = (0..k).map(|_| rng.normal()).collect();
            let w: Vec<f32> = (0..k * n).map(|_| rng.normal()).collect();
            let b: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
            let want: Vec<f64> = (0..n)
                .map(|j| {
                    b[j] as f64
                        + (0..k)
                            .map(|p| x[p] as f64 * w[p * n + j] as f64)
                            .sum::<f64>()
                })
                .collect();
            crate::simd::for_each_available_tier(|tier| {
                let mut y = b.clone();
                accumulate(tier, &x, &w, &mut y);
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
