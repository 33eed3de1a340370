//! Softmax and log-softmax over the last axis, numerically stable, and their backward.
// x, out, y, dy, dx: (R, C) with C = cols
//
// Invariants every tier keeps: the row max is subtracted first, so no exp
// overflows (magnitudes up to f32::MAX are fine); a row of all −∞ (fully
// masked) gives zeros from softmax; a NaN anywhere in a row makes the whole
// output row NaN (the sum is NaN); +∞ in a row gives NaN (∞ − ∞), as PyTorch does.

use super::lanewise::{First, Prod, sum_of};
use super::{same_len, whole_rows};
use crate::error::Result;
use crate::profile::{Op, scope};
use crate::simd::vector::SimdF32;
use crate::simd::{self, Tier, math, simd_kernel};

/// out[r] = softmax(x[r]) for each row of `cols`.
pub fn softmax_rows(x: &[f32], out: &mut [f32], cols: usize) -> Result<()> {
    softmax_rows_with(simd::active(), x, out, cols)
}

/// [`softmax_rows`] on a chosen tier.
pub fn softmax_rows_with(tier: Tier, x: &[f32], out: &mut [f32], cols: usize) -> Result<()> {
    same_len("softmax", x.len(), out.len())?;
    whole_rows("softmax", x.len(), cols)?;
    simd::ensure_available(tier)?;
    if cols == 0 {
        return Ok(());
    }
    let _s = scope(Op::Softmax);
    // Long rows only: the finding must be the size pattern, not "softmax". Out of
    // line and before the real work, so that a short row pays one compare: with the
    // work inline after it, tier, x and cols had to survive the call in saved
    // registers and every softmax ran 22 more instructions (+4.5 % at 256 columns).
    #[cfg(feature = "seed-softmax-long")]
    if cols >= 1024 {
        seed_long_rows(tier, x, cols);
    }
    softmax_dispatch(tier, x, out, cols);
    Ok(())
}

/// `seed-softmax-long`: a tenth of each row's softmax computed again.
#[cfg(feature = "seed-softmax-long")]
#[cold]
#[inline(never)]
fn seed_long_rows(tier: Tier, x: &[f32], cols: usize) {
    let k = crate::seed::prefix(cols, 10);
    for row in x.chunks_exact(cols) {
        crate::seed::into_scratch(k, |s| softmax_dispatch(tier, &row[..k], s, k));
    }
}

/// out[r] = log_softmax(x[r]) for each row of `cols`.
pub fn log_softmax_rows(x: &[f32], out: &mut [f32], cols: usize) -> Result<()> {
    log_softmax_rows_with(simd::active(), x, out, cols)
}

/// [`log_softmax_rows`] on a chosen tier.
pub fn log_softmax_rows_with(tier: Tier, x: &[f32], out: &mut [f32], cols: usize) -> Result<()> {
    same_len("log_softmax", x.len(), out.len())?;
    whole_rows("log_softmax", x.len(), cols)?;
    simd::ensure_available(tier)?;
    if cols == 0 {
        return Ok(());
    }
    let _s = scope(Op::Softmax);
    log_softmax_dispatch(tier, x, out, cols);
    Ok(())
}

/// dx += y ⊙ (dy − ⟨dy, y⟩) per row, where y = softmax(x).
pub fn softmax_backward(y: &[f32], dy: &[f32], dx: &mut [f32], cols: usize) -> Result<()> {
    softmax_backward_with(simd::active(), y, dy, dx, cols)
}

/// [`softmax_backward`] on a chosen tier.
pub fn softmax_backward_with(
    tier: Tier,
    y: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    cols: usize,
) -> Result<()> {
    same_len("softmax_backward", y.len(), dy.len())?;
    same_len("softmax_backward", y.len(), dx.len())?;
    whole_rows("softmax_backward", y.len(), cols)?;
    simd::ensure_available(tier)?;
    if cols == 0 {
        return Ok(());
    }
    let _s = scope(Op::Softmax);
    softmax_backward_dispatch(tier, y, dy, dx, cols);
    Ok(())
}

/// dx += dy − exp(y)·Σdy per row, where y = log_softmax(x).
pub fn log_softmax_backward(y: &[f32], dy: &[f32], dx: &mut [f32], cols: usize) -> Result<()> {
    log_softmax_backward_with(simd::active(), y, dy, dx, cols)
}

/// [`log_softmax_backward`] on a chosen tier.
pub fn log_softmax_backward_with(
    tier: Tier,
    y: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    cols: usize,
) -> Result<()> {
    same_len("log_softmax_backward", y.len(), dy.len())?;
    same_len("log_softmax_backward", y.len(), dx.len())?;
    whole_rows("log_softmax_backward", y.len(), cols)?;
    simd::ensure_available(tier)?;
    if cols == 0 {
        return Ok(());
    }
    let _s = scope(Op::Softmax);
    log_softmax_backward_dispatch(tier, y, dy, dx, cols);
    Ok(())
}

// ---------------------------------------------------------------------------
// Scalar specification (cols > 0, lengths checked).

/// The shift that makes a row's exps safe: its max, or 0 for a row of all −∞.
fn row_shift(m: f32) -> f32 {
    if m == f32::NEG_INFINITY { 0.0 } else { m }
}

fn softmax_scalar(x: &[f32], out: &mut [f32], cols: usize) {
    for (xr, or) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        let m = row_shift(xr.iter().copied().fold(f32::NEG_INFINITY, f32::max));
        let mut sum = 0.0f32;
        for (o, &v) in or.iter_mut().zip(xr) {
            *o = (v - m).exp();
            sum += *o;
        }
        // A row of all −∞ has no mass anywhere: zeros rather than NaN. A NaN sum stays NaN.
        let inv = if sum == 0.0 { 0.0 } else { 1.0 / sum };
        for o in or.iter_mut() {
            *o *= inv;
        }
    }
}

fn log_softmax_scalar(x: &[f32], out: &mut [f32], cols: usize) {
    for (xr, or) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        let m = row_shift(xr.iter().copied().fold(f32::NEG_INFINITY, f32::max));
        let sum: f32 = xr.iter().map(|&v| (v - m).exp()).sum();
        let lse = m + sum.ln();
        for (o, &v) in or.iter_mut().zip(xr) {
            *o = v - lse;
        }
    }
}

fn softmax_backward_scalar(y: &[f32], dy: &[f32], dx: &mut [f32], cols: usize) {
    for ((yr, gr), dr) in y
        .chunks_exact(cols)
        .zip(dy.chunks_exact(cols))
        .zip(dx.chunks_exact_mut(cols))
    {
        let dot: f32 = yr.iter().zip(gr).map(|(a, b)| a * b).sum();
        for ((d, &yv), &g) in dr.iter_mut().zip(yr).zip(gr) {
            *d += yv * (g - dot);
        }
    }
}

fn log_softmax_backward_scalar(y: &[f32], dy: &[f32], dx: &mut [f32], cols: usize) {
    for ((yr, gr), dr) in y
        .chunks_exact(cols)
        .zip(dy.chunks_exact(cols))
        .zip(dx.chunks_exact_mut(cols))
    {
        let s: f32 = gr.iter().sum();
        for ((d, &yv), &g) in dr.iter_mut().zip(yr).zip(gr) {
            *d += g - yv.exp() * s;
        }
    }
}

// ---------------------------------------------------------------------------
// SIMD bodies.

/// max of a row; tail lanes are filled with −∞ so they never win.
#[inline(always)]
unsafe fn row_max<S: SimdF32>(x: &[f32]) -> f32 {
    let (n, p, l) = (x.len(), x.as_ptr(), S::LANES);
    let mut i = 0;
    unsafe {
        let ninf = S::splat(f32::NEG_INFINITY);
        let (mut m0, mut m1) = (ninf, ninf);
        while i + 2 * l <= n {
            m0 = S::max(m0, S::load(p.add(i)));
            m1 = S::max(m1, S::load(p.add(i + l)));
            i += 2 * l;
        }
        if i + l <= n {
            m0 = S::max(m0, S::load(p.add(i)));
            i += l;
        }
        if i < n {
            m1 = S::max(m1, S::load_masked(p.add(i), S::first(n - i), ninf));
        }
        S::hmax(S::max(m0, m1))
    }
}

/// out[..n] = exp(x[..n] − m) and returns Σ out; masked tail lanes add 0. `x` and `out` may be the same row (each vector is read before it is
/// written).
#[inline(always)]
unsafe fn exp_shifted_sum<S: SimdF32>(p: *const f32, o: *mut f32, n: usize, m: f32) -> f32 {
    let l = S::LANES;
    let mut i = 0;
    unsafe {
        let mv = S::splat(m);
        let (mut s0, mut s1) = (S::splat(0.0), S::splat(0.0));
        while i + 2 * l <= n {
            let e0 = math::exp_nonpositive::<S>(S::sub(S::load(p.add(i)), mv));
            let e1 = math::exp_nonpositive::<S>(S::sub(S::load(p.add(i + l)), mv));
            S::store(o.add(i), e0);
            S::store(o.add(i + l), e1);
            s0 = S::add(s0, e0);
            s1 = S::add(s1, e1);
            i += 2 * l;
        }
        if i + l <= n {
            let e = math::exp_nonpositive::<S>(S::sub(S::load(p.add(i)), mv));
            S::store(o.add(i), e);
            s0 = S::add(s0, e);
            i += l;
        }
        if i < n {
            // Tail lanes read m (exp 0) and are zeroed after: exp(−∞) would give the
            // right 0, but its underflow costs a microcode assist per row.
            let mk = S::first(n - i);
            let v = S::load_masked(p.add(i), mk, mv);
            let e = S::select(mk, math::exp_nonpositive::<S>(S::sub(v, mv)), S::splat(0.0));
            S::store_masked(o.add(i), mk, e);
            s1 = S::add(s1, e);
        }
        S::hsum(S::add(s0, s1))
    }
}

/// Σ exp(x − m) without storing.
#[inline(always)]
unsafe fn exp_shifted_sum_only<S: SimdF32>(x: &[f32], m: f32) -> f32 {
    let (n, p, l) = (x.len(), x.as_ptr(), S::LANES);
    let mut i = 0;
    unsafe {
        let mv = S::splat(m);
        let (mut s0, mut s1) = (S::splat(0.0), S::splat(0.0));
        while i + l <= n {
            s0 = S::add(
                s0,
                math::exp_nonpositive::<S>(S::sub(S::load(p.add(i)), mv)),
            );
            i += l;
        }
        if i < n {
            // As in exp_shifted_sum: no exp(−∞) in the tail lanes.
            let mk = S::first(n - i);
            let v = S::load_masked(p.add(i), mk, mv);
            let e = math::exp_nonpositive::<S>(S::sub(v, mv));
            s1 = S::add(s1, S::select(mk, e, S::splat(0.0)));
        }
        S::hsum(S::add(s0, s1))
    }
}

#[inline(always)]
unsafe fn softmax_simd<S: SimdF32>(x: &[f32], out: &mut [f32], cols: usize) {
    for (xr, or) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        unsafe {
            let m = row_shift(row_max::<S>(xr));
            let sum = exp_shifted_sum::<S>(xr.as_ptr(), or.as_mut_ptr(), cols, m);
            normalize::<S>(or, sum);
        }
    }
}

/// row /= sum (a zero sum — a row of all −∞ — leaves zeros rather than NaN).
#[inline(always)]
unsafe fn normalize<S: SimdF32>(row: &mut [f32], sum: f32) {
    let inv = if sum == 0.0 { 0.0 } else { 1.0 / sum };
    unsafe { super::lanewise::map1_inplace::<S, _>(&super::lanewise::ScaleBy(inv), row) }
}

/// Softmax of one row in place: the same steps as [`softmax_rows`] on tier `S`, for
/// kernels that keep their rows inside a larger buffer (attention's score rows).
///
/// # Safety
/// The CPU supports the tier `S`; `row` is valid for reads and writes.
#[inline(always)]
pub(crate) unsafe fn softmax_row_in_place<S: SimdF32>(row: &mut [f32]) {
    unsafe {
        let m = row_shift(row_max::<S>(row));
        let sum = exp_shifted_sum::<S>(row.as_ptr(), row.as_mut_ptr(), row.len(), m);
        normalize::<S>(row, sum);
    }
}

#[inline(always)]
unsafe fn log_softmax_simd<S: SimdF32>(x: &[f32], out: &mut [f32], cols: usize) {
    for (xr, or) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        unsafe {
            let m = row_shift(row_max::<S>(xr));
            let lse = m + exp_shifted_sum_only::<S>(xr, m).ln();
            super::lanewise::map2_splat::<S, _>(&super::elementwise::SubV, xr, S::splat(lse), or);
        }
    }
}

/// dx + y·(dy − dot)
struct SoftmaxGrad(f32);
impl super::lanewise::Ternary for SoftmaxGrad {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, y: S::V, dy: S::V, dx: S::V) -> S::V {
        unsafe { S::fma(y, S::sub(dy, S::splat(self.0)), dx) }
    }
}

/// dx + dy − exp(y)·s
struct LogSoftmaxGrad(f32);
impl super::lanewise::Ternary for LogSoftmaxGrad {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, y: S::V, dy: S::V, dx: S::V) -> S::V {
        unsafe {
            S::fnma(
                math::exp_nonpositive::<S>(y),
                S::splat(self.0),
                S::add(dx, dy),
            )
        }
    }
}

#[inline(always)]
unsafe fn softmax_backward_simd<S: SimdF32>(y: &[f32], dy: &[f32], dx: &mut [f32], cols: usize) {
    for ((yr, gr), dr) in y
        .chunks_exact(cols)
        .zip(dy.chunks_exact(cols))
        .zip(dx.chunks_exact_mut(cols))
    {
        unsafe {
            let dot = sum_of::<S, _>(&Prod, yr, gr);
            super::lanewise::update2::<S, _>(&SoftmaxGrad(dot), yr, gr, dr);
        }
    }
}

#[inline(always)]
unsafe fn log_softmax_backward_simd<S: SimdF32>(
    y: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    cols: usize,
) {
    for ((yr, gr), dr) in y
        .chunks_exact(cols)
        .zip(dy.chunks_exact(cols))
        .zip(dx.chunks_exact_mut(cols))
    {
        unsafe {
            let s = sum_of::<S, _>(&First, gr, gr);
            super::lanewise::update2::<S, _>(&LogSoftmaxGrad(s), yr, gr, dr);
        }
    }
}

simd_kernel! {
    // Always inlined: with the seed as a second caller the compiler kept it out
    // of line, and every softmax paid the extra call.
    #[inline(always)]
    fn softmax_dispatch(x: &[f32], out: &mut [f32], cols: usize);
    scalar = softmax_scalar;
    simd = softmax_simd;
}

simd_kernel! {
    fn log_softmax_dispatch(x: &[f32], out: &mut [f32], cols: usize);
    scalar = log_softmax_scalar;
    simd = log_softmax_simd;
}

simd_kernel! {
    fn softmax_backward_dispatch(y: &[f32], dy: &[f32], dx: &mut [f32], cols: usize);
    scalar = softmax_backward_scalar;
    simd = softmax_backward_simd;
}

simd_kernel! {
    fn log_softmax_backward_dispatch(y: &[f32], dy: &[f32], dx: &mut [f32], cols: usize);
    scalar = log_softmax_backward_scalar;
    simd = log_softmax_backward_simd;
}
