//! Loops shared by the SIMD bodies of lane-wise kernels: whole vectors, then one
//! masked tail, so every length (including 0 and 1) is handled without a scalar epilogue.
//!
//! The operation is a zero-sized (or small) type implementing [`Unary`],
//! [`Binary`] or [`Ternary`], whose `apply` is `#[inline(always)]`: the loop and
//! the operation flatten into the tier's `#[target_feature]` wrapper.

use crate::simd::vector::SimdF32;

/// f(a)
pub(crate) trait Unary {
    unsafe fn apply<S: SimdF32>(&self, a: S::V) -> S::V;
}

/// f(a, b)
pub(crate) trait Binary {
    unsafe fn apply<S: SimdF32>(&self, a: S::V, b: S::V) -> S::V;
}

/// f(a, b, acc), for kernels that update an accumulator (backward passes).
pub(crate) trait Ternary {
    unsafe fn apply<S: SimdF32>(&self, a: S::V, b: S::V, acc: S::V) -> S::V;
}

/// dst[i] = f(src[i]) for i < n; `dst` may be `src` (each vector is read before it
/// is written).
#[inline(always)]
unsafe fn map1_raw<S: SimdF32, F: Unary>(f: &F, xp: *const f32, op: *mut f32, n: usize) {
    let mut i = 0;
    unsafe {
        while i + 2 * S::LANES <= n {
            let a = f.apply::<S>(S::load(xp.add(i)));
            let b = f.apply::<S>(S::load(xp.add(i + S::LANES)));
            S::store(op.add(i), a);
            S::store(op.add(i + S::LANES), b);
            i += 2 * S::LANES;
        }
        if i + S::LANES <= n {
            S::store(op.add(i), f.apply::<S>(S::load(xp.add(i))));
            i += S::LANES;
        }
        if i < n {
            let m = S::first(n - i);
            let v = S::load_masked(xp.add(i), m, S::splat(0.0));
            S::store_masked(op.add(i), m, f.apply::<S>(v));
        }
    }
}

/// out[i] = f(x[i]). Caller guarantees equal lengths.
#[inline(always)]
pub(crate) unsafe fn map1<S: SimdF32, F: Unary>(f: &F, x: &[f32], out: &mut [f32]) {
    debug_assert_eq!(x.len(), out.len());
    let n = x.len().min(out.len());
    unsafe { map1_raw::<S, F>(f, x.as_ptr(), out.as_mut_ptr(), n) }
}

/// x[i] = f(x[i]) in place.
#[inline(always)]
pub(crate) unsafe fn map1_inplace<S: SimdF32, F: Unary>(f: &F, x: &mut [f32]) {
    let p = x.as_mut_ptr();
    unsafe { map1_raw::<S, F>(f, p, p, x.len()) }
}

/// a·s for a fixed scalar s.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScaleBy(pub f32);
impl Unary for ScaleBy {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, a: S::V) -> S::V {
        unsafe { S::mul(a, S::splat(self.0)) }
    }
}

/// dst[i] = f(a[i], b[i]) for i < n; `dst` may be `a` (each vector is read before it
/// is written).
#[inline(always)]
unsafe fn map2_raw<S: SimdF32, F: Binary>(
    f: &F,
    ap: *const f32,
    bp: *const f32,
    op: *mut f32,
    n: usize,
) {
    let mut i = 0;
    unsafe {
        while i + 4 * S::LANES <= n {
            let l = S::LANES;
            let r0 = f.apply::<S>(S::load(ap.add(i)), S::load(bp.add(i)));
            let r1 = f.apply::<S>(S::load(ap.add(i + l)), S::load(bp.add(i + l)));
            let r2 = f.apply::<S>(S::load(ap.add(i + 2 * l)), S::load(bp.add(i + 2 * l)));
            let r3 = f.apply::<S>(S::load(ap.add(i + 3 * l)), S::load(bp.add(i + 3 * l)));
            S::store(op.add(i), r0);
            S::store(op.add(i + l), r1);
            S::store(op.add(i + 2 * l), r2);
            S::store(op.add(i + 3 * l), r3);
            i += 4 * l;
        }
        while i + S::LANES <= n {
            S::store(
                op.add(i),
                f.apply::<S>(S::load(ap.add(i)), S::load(bp.add(i))),
            );
            i += S::LANES;
        }
        if i < n {
            let m = S::first(n - i);
            let z = S::splat(0.0);
            let r = f.apply::<S>(
                S::load_masked(ap.add(i), m, z),
                S::load_masked(bp.add(i), m, z),
            );
            S::store_masked(op.add(i), m, r);
        }
    }
}

/// out[i] = f(a[i], b[i]). Caller guarantees equal lengths.
#[inline(always)]
pub(crate) unsafe fn map2<S: SimdF32, F: Binary>(f: &F, a: &[f32], b: &[f32], out: &mut [f32]) {
    debug_assert!(a.len() == b.len() && a.len() == out.len());
    let n = a.len().min(b.len()).min(out.len());
    unsafe { map2_raw::<S, F>(f, a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), n) }
}

/// out[i] = f(a[i], s) for a fixed vector `s` (a broadcast scalar; wrap `f` in
/// [`Swapped`] for f(s, a[i])).
#[inline(always)]
pub(crate) unsafe fn map2_splat<S: SimdF32, F: Binary>(f: &F, a: &[f32], s: S::V, out: &mut [f32]) {
    debug_assert_eq!(a.len(), out.len());
    let n = a.len().min(out.len());
    let (ap, op) = (a.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    unsafe {
        while i + 2 * S::LANES <= n {
            let r0 = f.apply::<S>(S::load(ap.add(i)), s);
            let r1 = f.apply::<S>(S::load(ap.add(i + S::LANES)), s);
            S::store(op.add(i), r0);
            S::store(op.add(i + S::LANES), r1);
            i += 2 * S::LANES;
        }
        if i + S::LANES <= n {
            S::store(op.add(i), f.apply::<S>(S::load(ap.add(i)), s));
            i += S::LANES;
        }
        if i < n {
            let m = S::first(n - i);
            let v = S::load_masked(ap.add(i), m, S::splat(0.0));
            S::store_masked(op.add(i), m, f.apply::<S>(v, s));
        }
    }
}

/// f with its operands swapped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Swapped<'a, F>(pub &'a F);
impl<F: Binary> Binary for Swapped<'_, F> {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, a: S::V, b: S::V) -> S::V {
        unsafe { self.0.apply::<S>(b, a) }
    }
}

/// acc[i] = f(acc[i], b[i]) in place.
#[inline(always)]
pub(crate) unsafe fn update1<S: SimdF32, F: Binary>(f: &F, acc: &mut [f32], b: &[f32]) {
    debug_assert_eq!(acc.len(), b.len());
    let n = acc.len().min(b.len());
    let cp = acc.as_mut_ptr();
    unsafe { map2_raw::<S, F>(f, cp, b.as_ptr(), cp, n) }
}

/// acc[i] = f(a[i], b[i], acc[i]) in place.
#[inline(always)]
pub(crate) unsafe fn update2<S: SimdF32, F: Ternary>(f: &F, a: &[f32], b: &[f32], acc: &mut [f32]) {
    debug_assert!(a.len() == b.len() && a.len() == acc.len());
    let n = a.len().min(b.len()).min(acc.len());
    let (ap, bp, cp) = (a.as_ptr(), b.as_ptr(), acc.as_mut_ptr());
    let mut i = 0;
    unsafe {
        while i + S::LANES <= n {
            let r = f.apply::<S>(S::load(ap.add(i)), S::load(bp.add(i)), S::load(cp.add(i)));
            S::store(cp.add(i), r);
            i += S::LANES;
        }
        if i < n {
            let m = S::first(n - i);
            let z = S::splat(0.0);
            let r = f.apply::<S>(
                S::load_masked(ap.add(i), m, z),
                S::load_masked(bp.add(i), m, z),
                S::load_masked(cp.add(i), m, z),
            );
            S::store_masked(cp.add(i), m, r);
        }
    }
}

/// out[i] = f(a[i], b[i], c[i]).
#[inline(always)]
pub(crate) unsafe fn map3<S: SimdF32, F: Ternary>(
    f: &F,
    a: &[f32],
    b: &[f32],
    c: &[f32],
    out: &mut [f32],
) {
    debug_assert!(a.len() == b.len() && a.len() == c.len() && a.len() == out.len());
    let n = a.len().min(b.len()).min(c.len()).min(out.len());
    let (ap, bp, cp, op) = (a.as_ptr(), b.as_ptr(), c.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    unsafe {
        while i + S::LANES <= n {
            let r = f.apply::<S>(S::load(ap.add(i)), S::load(bp.add(i)), S::load(cp.add(i)));
            S::store(op.add(i), r);
            i += S::LANES;
        }
        if i < n {
            let m = S::first(n - i);
            let z = S::splat(0.0);
            let r = f.apply::<S>(
                S::load_masked(ap.add(i), m, z),
                S::load_masked(bp.add(i), m, z),
                S::load_masked(cp.add(i), m, z),
            );
            S::store_masked(op.add(i), m, r);
        }
    }
}

/// Σ f(a[i], b[i]) with four independent accumulators (latency hiding);
/// tail lanes contribute f(fill, fill) masked out, i.e. nothing.
#[inline(always)]
pub(crate) unsafe fn sum_of<S: SimdF32, F: Binary>(f: &F, a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let (ap, bp) = (a.as_ptr(), b.as_ptr());
    let l = S::LANES;
    let mut i = 0;
    unsafe {
        let z = S::splat(0.0);
        let (mut s0, mut s1, mut s2, mut s3) = (z, z, z, z);
        while i + 4 * l <= n {
            s0 = S::add(s0, f.apply::<S>(S::load(ap.add(i)), S::load(bp.add(i))));
            s1 = S::add(
                s1,
                f.apply::<S>(S::load(ap.add(i + l)), S::load(bp.add(i + l))),
            );
            s2 = S::add(
                s2,
                f.apply::<S>(S::load(ap.add(i + 2 * l)), S::load(bp.add(i + 2 * l))),
            );
            s3 = S::add(
                s3,
                f.apply::<S>(S::load(ap.add(i + 3 * l)), S::load(bp.add(i + 3 * l))),
            );
            i += 4 * l;
        }
        while i + l <= n {
            s0 = S::add(s0, f.apply::<S>(S::load(ap.add(i)), S::load(bp.add(i))));
            i += l;
        }
        if i < n {
            let m = S::first(n - i);
            let v = f.apply::<S>(
                S::load_masked(ap.add(i), m, z),
                S::load_masked(bp.add(i), m, z),
            );
            s1 = S::add(s1, S::select(m, v, z));
        }
        S::hsum(S::add(S::add(s0, s1), S::add(s2, s3)))
    }
}

/// Σ a[i]·b[i].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prod;
impl Binary for Prod {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, a: S::V, b: S::V) -> S::V {
        unsafe { S::mul(a, b) }
    }
}

/// The first operand (to sum one slice with [`sum_of`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct First;
impl Binary for First {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, a: S::V, _b: S::V) -> S::V {
        a
    }
}
