//! Matrix-vector products: the m = 1 and n = 1 cases of sgemm (token-by-token generation).
//!
//! These are bandwidth-bound: every element of the matrix is used once, so the
//! job is to stream it at full speed, not to block it for cache. Two shapes cover
//! all four transpose cases:
//!
//! ```text
//! // dots: m: (rows, len) row stride ld, x: (len,), y: (rows,)
//! y[r] = α·Σ_p m[r·ld + p]·x[p] + β·y[r]
//! // axpy: m: (len, cols) row stride ld, x: (len,), y: (cols,)
//! y[j] = α·Σ_p x[p]·m[p·ld + j] + β·y[j]
//! ```
//!
//! `dots` keeps 4 rows × `L` lanes of partial sums and reduces them at the end;
//! `axpy` keeps a 128-column strip of y in registers while it walks down the
//! rows. Both bodies are generic and instantiated per tier under `#[target_feature]`.
//! Each output element is computed by one fixed sequence of operations, so splitting
//! rows or columns among threads does not change any result.

use super::inject::Injector;
use crate::simd::Tier;

/// Output rows per `dots` step.
const DOT_ROWS: usize = 4;
/// Columns of y per `axpy` strip.
const STRIP: usize = 128;

/// The matrix operand of a gemv and its shape.
#[derive(Debug, Clone, Copy)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    pub ld: usize,
}

/// `y[r] = α·Σ_p m[r·ld + p]·x[p] + β·y[r]` for r < y.len(), p < x.len().
pub fn dots(tier: Tier, m: Mat<'_>, x: &[f32], alpha: f32, beta: f32, y: &mut [f32]) {
    check(m, y.len(), x.len());
    let mut inj = Injector::from_env();
    match tier {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the tier is available (sgemm_with checked it).
        Tier::Avx512 => unsafe { dots_avx512(m, x, alpha, beta, y, &mut inj) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Tier::Avx2 => unsafe { dots_avx2(m, x, alpha, beta, y, &mut inj) },
        _ => dots_body::<1>(m, x, alpha, beta, y, &mut inj),
    }
}

/// `y[j] = α·Σ_p x[p]·m[p·ld + j] + β·y[j]` for j < y.len(), p < x.len().
pub fn axpy(tier: Tier, m: Mat<'_>, x: &[f32], alpha: f32, beta: f32, y: &mut [f32]) {
    check(m, x.len(), y.len());
    let mut inj = Injector::from_env();
    match tier {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the tier is available (sgemm_with checked it).
        Tier::Avx512 => unsafe { axpy_avx512(m, x, alpha, beta, y, &mut inj) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Tier::Avx2 => unsafe { axpy_avx2(m, x, alpha, beta, y, &mut inj) },
        _ => axpy_body(m, x, alpha, beta, y, &mut inj),
    }
}

/// The vector `data[0], data[stride], …` (len elements) as a contiguous pooled buffer.
pub fn gather(data: &[f32], stride: usize, len: usize) -> crate::pool::Buffer {
    let mut x = crate::pool::rent(len);
    if stride == 1 {
        x.copy_from_slice(&data[..len]);
    } else {
        for (p, v) in x.iter_mut().enumerate() {
            *v = data[p * stride];
        }
    }
    x
}

/// A rows×cols view with row stride ld must fit its slice (sgemm checked this already).
fn check(m: Mat<'_>, rows: usize, cols: usize) {
    if rows > 0 && cols > 0 {
        assert!(
            m.ld >= cols && (rows - 1) * m.ld + cols <= m.data.len(),
            "gemv: matrix view outside its slice"
        );
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn dots_avx512(
    m: Mat<'_>,
    x: &[f32],
    alpha: f32,
    beta: f32,
    y: &mut [f32],
    inj: &mut Injector,
) {
    dots_body::<16>(m, x, alpha, beta, y, inj)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dots_avx2(
    m: Mat<'_>,
    x: &[f32],
    alpha: f32,
    beta: f32,
    y: &mut [f32],
    inj: &mut Injector,
) {
    dots_body::<8>(m, x, alpha, beta, y, inj)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn axpy_avx512(
    m: Mat<'_>,
    x: &[f32],
    alpha: f32,
    beta: f32,
    y: &mut [f32],
    inj: &mut Injector,
) {
    axpy_body(m, x, alpha, beta, y, inj)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn axpy_avx2(
    m: Mat<'_>,
    x: &[f32],
    alpha: f32,
    beta: f32,
    y: &mut [f32],
    inj: &mut Injector,
) {
    axpy_body(m, x, alpha, beta, y, inj)
}

/// `Σ_p row_r[p]·x[p]` for `R` rows at once, in `L` lanes, then a fixed-order reduction.
#[inline(always)]
fn dot_rows<const R: usize, const L: usize>(rows: [&[f32]; R], x: &[f32]) -> [f32; R] {
    let len = x.len();
    let main = len - len % L;
    let mut acc = [[0.0f32; L]; R];
    let mut p = 0;
    while p < main {
        let xs = &x[p..p + L];
        for r in 0..R {
            let rs = &rows[r][p..p + L];
            for l in 0..L {
                acc[r][l] = rs[l].mul_add(xs[l], acc[r][l]);
            }
        }
        p += L;
    }
    let mut out = [0.0f32; R];
    for r in 0..R {
        let mut s = 0.0f32;
        for l in 0..L {
            s += acc[r][l];
        }
        for q in main..len {
            s = rows[r][q].mul_add(x[q], s);
        }
        out[r] = s;
    }
    out
}

#[inline(always)]
fn store(y: &mut f32, alpha: f32, s: f32, beta: f32) {
    *y = if beta == 0.0 {
        alpha * s
    } else {
        alpha * s + beta * *y
    };
}

#[inline(always)]
fn dots_body<const L: usize>(
    m: Mat<'_>,
    x: &[f32],
    alpha: f32,
    beta: f32,
    y: &mut [f32],
    inj: &mut Injector,
) {
    let len = x.len();
    let row = |r: usize| &m.data[r * m.ld..r * m.ld + len];
    let rows = y.len();
    let mut r = 0;
    while r + DOT_ROWS <= rows {
        let s = dot_rows::<DOT_ROWS, L>([row(r), row(r + 1), row(r + 2), row(r + 3)], x);
        for _ in 0..inj.repeats() {
            std::hint::black_box(dot_rows::<DOT_ROWS, L>(
                std::hint::black_box([row(r), row(r + 1), row(r + 2), row(r + 3)]),
                x,
            ));
        }
        for q in 0..DOT_ROWS {
            store(&mut y[r + q], alpha, s[q], beta);
        }
        r += DOT_ROWS;
    }
    while r < rows {
        let [s] = dot_rows::<1, L>([row(r)], x);
        for _ in 0..inj.repeats() {
            std::hint::black_box(dot_rows::<1, L>(std::hint::black_box([row(r)]), x));
        }
        store(&mut y[r], alpha, s, beta);
        r += 1;
    }
}

/// `Σ_p x[p]·m[p·ld + j0 + j]` for j < W (a strip of y held in registers).
#[inline(always)]
fn strip<const W: usize>(m: Mat<'_>, x: &[f32], j0: usize) -> [f32; W] {
    let mut acc = [0.0f32; W];
    for (p, &xp) in x.iter().enumerate() {
        let r = &m.data[p * m.ld + j0..p * m.ld + j0 + W];
        for j in 0..W {
            acc[j] = xp.mul_add(r[j], acc[j]);
        }
    }
    acc
}

/// The same for a strip narrower than `STRIP` (the last one).
#[inline(always)]
fn strip_tail(m: Mat<'_>, x: &[f32], j0: usize, acc: &mut [f32]) {
    acc.fill(0.0);
    let w = acc.len();
    for (p, &xp) in x.iter().enumerate() {
        let r = &m.data[p * m.ld + j0..p * m.ld + j0 + w];
        for (a, &v) in acc.iter_mut().zip(r) {
            *a = xp.mul_add(v, *a);
        }
    }
}

#[inline(always)]
fn axpy_body(m: Mat<'_>, x: &[f32], alpha: f32, beta: f32, y: &mut [f32], inj: &mut Injector) {
    let cols = y.len();
    let mut j0 = 0;
    while j0 + STRIP <= cols {
        let s = strip::<STRIP>(m, x, j0);
        for _ in 0..inj.repeats() {
            std::hint::black_box(strip::<STRIP>(m, x, std::hint::black_box(j0)));
        }
        for (yj, &sj) in y[j0..j0 + STRIP].iter_mut().zip(&s) {
            store(yj, alpha, sj, beta);
        }
        j0 += STRIP;
    }
    if j0 < cols {
        let mut s = [0.0f32; STRIP];
        let w = cols - j0;
        strip_tail(m, x, j0, &mut s[..w]);
        for _ in 0..inj.repeats() {
            let mut scratch = [0.0f32; STRIP];
            strip_tail(m, x, std::hint::black_box(j0), &mut scratch[..w]);
            std::hint::black_box(scratch);
        }
        for (yj, &sj) in y[j0..].iter_mut().zip(&s[..w]) {
            store(yj, alpha, sj, beta);
        }
    }
}
