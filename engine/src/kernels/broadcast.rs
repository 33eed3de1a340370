//! Broadcasting binary ops (add, sub, mul) with NumPy's rules.
// x, out: (R, C); row: (C,); col: (R,)
// general: a (…), b (…) → out (broadcast shape), rank ≤ 4
//
// A [`Plan`] maps both operands onto the output: per output axis, each
// operand's element stride (0 where it is broadcast). Axes of size 1 are
// dropped and adjacent axes that are contiguous for both operands are merged,
// so `(B, T, C) + (C)` runs as B·T rows of a length-C SIMD add, and
// `(R, C) + (R, 1)` as R rows of "vector + broadcast scalar": both at full speed.

use super::elementwise::{AddV, BinOp, MulV, SubV};
use super::lanewise::{Binary, Swapped, map2, map2_splat};
use crate::error::{Error, Result};
use crate::profile::scope;
use crate::simd::vector::SimdF32;
use crate::simd::{self, Tier, simd_kernel};
use crate::tensor::{MAX_RANK, Shape};

/// How two operands broadcast onto an output of at most [`MAX_RANK`] axes.
///
/// Invariant: `dims` are the (merged) output axes, outermost first, padded at the
/// front with 1s; `a`/`b` are the operands' element strides along them (0 = broadcast).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    dims: [usize; MAX_RANK],
    a: [usize; MAX_RANK],
    b: [usize; MAX_RANK],
    a_len: usize,
    b_len: usize,
}

impl Plan {
    /// The plan for `a op b` under NumPy's rules (align trailing axes; each pair
    /// must be equal or contain a 1), and the output shape. `op` names the caller in errors.
    pub fn new(op: &'static str, a: &[usize], b: &[usize]) -> Result<(Plan, Shape)> {
        if a.len() > MAX_RANK || b.len() > MAX_RANK {
            return Err(Error::shape(op, a, b));
        }
        let rank = a.len().max(b.len());
        let pad = |d: &[usize]| {
            let mut p = [1usize; MAX_RANK];
            p[MAX_RANK - d.len()..].copy_from_slice(d);
            p
        };
        let (pa, pb) = (pad(a), pad(b));
        let mut out = [1usize; MAX_RANK];
        for k in 0..MAX_RANK {
            out[k] = match (pa[k], pb[k]) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => return Err(Error::shape(op, a, b)),
            };
        }
        let shape = Shape::new(op, &out[MAX_RANK - rank..])?;
        let strides = |p: &[usize; MAX_RANK]| {
            let mut s = [0usize; MAX_RANK];
            let mut acc = 1;
            for k in (0..MAX_RANK).rev() {
                s[k] = if p[k] == 1 { 0 } else { acc };
                acc *= p[k];
            }
            s
        };
        let (sa, sb) = (strides(&pa), strides(&pb));
        // Drop size-1 axes and merge axis k into k+1 when both operands are
        // contiguous across the pair; build innermost first.
        let mut merged = [(1usize, 0usize, 0usize); MAX_RANK];
        let mut m = 0;
        for k in (0..MAX_RANK).rev() {
            if out[k] == 1 {
                continue;
            }
            let (d, x, y) = (out[k], sa[k], sb[k]);
            if m > 0 {
                let (pd, px, py) = merged[m - 1];
                if x == px * pd && y == py * pd {
                    merged[m - 1] = (pd * d, px, py);
                    continue;
                }
            }
            merged[m] = (d, x, y);
            m += 1;
        }
        let mut plan = Plan {
            dims: [1; MAX_RANK],
            a: [0; MAX_RANK],
            b: [0; MAX_RANK],
            a_len: pa.iter().product(),
            b_len: pb.iter().product(),
        };
        for (j, &(d, x, y)) in merged[..m].iter().enumerate() {
            let k = MAX_RANK - 1 - j;
            plan.dims[k] = d;
            plan.a[k] = x;
            plan.b[k] = y;
        }
        Ok((plan, shape))
    }

    /// `x (rows, cols) op row (cols)`.
    pub fn row(rows: usize, cols: usize) -> Plan {
        Plan {
            dims: [1, 1, rows, cols],
            a: [0, 0, cols, 1],
            b: [0, 0, 0, 1],
            a_len: rows * cols,
            b_len: cols,
        }
    }

    /// `x (rows, cols) op col (rows)`.
    pub fn col(rows: usize, cols: usize) -> Plan {
        Plan {
            dims: [1, 1, rows, cols],
            a: [0, 0, cols, 1],
            b: [0, 0, 1, 0],
            a_len: rows * cols,
            b_len: rows,
        }
    }

    /// Number of output elements.
    pub fn numel(&self) -> usize {
        self.dims.iter().product()
    }

    /// Elements the first operand must hold.
    pub fn a_len(&self) -> usize {
        self.a_len
    }

    /// Elements the second operand must hold.
    pub fn b_len(&self) -> usize {
        self.b_len
    }
}

/// out = a op b as described by `plan`.
pub fn binary(op: BinOp, plan: &Plan, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    binary_with(simd::active(), op, plan, a, b, out)
}

/// [`binary`] on a chosen tier.
pub fn binary_with(
    tier: Tier,
    op: BinOp,
    plan: &Plan,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
) -> Result<()> {
    if a.len() != plan.a_len || b.len() != plan.b_len || out.len() != plan.numel() {
        return Err(Error::shape(
            op.name(),
            &[a.len(), b.len()],
            &[plan.a_len, plan.b_len],
        ));
    }
    simd::ensure_available(tier)?;
    if out.is_empty() {
        return Ok(());
    }
    let _s = scope(op.profile_op());
    broadcast_dispatch(tier, op, plan, a, b, out);
    Ok(())
}

/// out = x + row, x: (R, C) with C = row.len().
pub fn add_row(x: &[f32], row: &[f32], out: &mut [f32]) -> Result<()> {
    row_with(simd::active(), BinOp::Add, x, row, out)
}

/// out = x * row, x: (R, C) with C = row.len().
pub fn mul_row(x: &[f32], row: &[f32], out: &mut [f32]) -> Result<()> {
    row_with(simd::active(), BinOp::Mul, x, row, out)
}

/// out = x + col (col[r] added to every element of row r), x: (R, C) with R = col.len().
pub fn add_col(x: &[f32], col: &[f32], out: &mut [f32]) -> Result<()> {
    col_with(simd::active(), BinOp::Add, x, col, out)
}

/// out = x * col (row r scaled by col[r]), x: (R, C) with R = col.len().
pub fn mul_col(x: &[f32], col: &[f32], out: &mut [f32]) -> Result<()> {
    col_with(simd::active(), BinOp::Mul, x, col, out)
}

/// out = x op row on a chosen tier; x: (R, C), row: (C,).
pub fn row_with(tier: Tier, op: BinOp, x: &[f32], row: &[f32], out: &mut [f32]) -> Result<()> {
    let rows = super::whole_rows(op.name(), x.len(), row.len())?;
    binary_with(tier, op, &Plan::row(rows, row.len()), x, row, out)
}

/// out = x op col on a chosen tier; x: (R, C), col: (R,).
pub fn col_with(tier: Tier, op: BinOp, x: &[f32], col: &[f32], out: &mut [f32]) -> Result<()> {
    let cols = super::whole_rows(op.name(), x.len(), col.len())?;
    binary_with(tier, op, &Plan::col(col.len(), cols), x, col, out)
}

// ---------------------------------------------------------------------------
// Scalar specification: walk the three outer axes, then the inner one.

fn broadcast_scalar(op: BinOp, plan: &Plan, a: &[f32], b: &[f32], out: &mut [f32]) {
    let [d0, d1, d2, n] = plan.dims;
    let (sa, sb) = (plan.a, plan.b);
    let mut o = 0;
    for i0 in 0..d0 {
        for i1 in 0..d1 {
            for i2 in 0..d2 {
                let oa = i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
                let ob = i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
                for j in 0..n {
                    out[o + j] = op.eval(a[oa + j * sa[3]], b[ob + j * sb[3]]);
                }
                o += n;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// SIMD body: the same walk, with the inner axis as a SIMD row op.

#[inline(always)]
unsafe fn rows<S: SimdF32, F: Binary>(f: &F, plan: &Plan, a: &[f32], b: &[f32], out: &mut [f32]) {
    let [d0, d1, d2, n] = plan.dims;
    let (sa, sb) = (plan.a, plan.b);
    let mut o = 0;
    for i0 in 0..d0 {
        for i1 in 0..d1 {
            for i2 in 0..d2 {
                let oa = i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
                let ob = i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
                let orow = &mut out[o..o + n];
                unsafe {
                    match (sa[3], sb[3]) {
                        (0, 0) => {
                            // Both operands fixed along the row: one value, a op b, repeated.
                            let v = S::splat(b[ob]);
                            map2_splat::<S, _>(f, &a[oa..oa + 1], v, &mut orow[..1]);
                            let first = orow[0];
                            orow.fill(first);
                        }
                        (_, 0) => map2_splat::<S, _>(f, &a[oa..oa + n], S::splat(b[ob]), orow),
                        (0, _) => {
                            map2_splat::<S, _>(&Swapped(f), &b[ob..ob + n], S::splat(a[oa]), orow)
                        }
                        _ => map2::<S, _>(f, &a[oa..oa + n], &b[ob..ob + n], orow),
                    }
                }
                o += n;
            }
        }
    }
}

#[inline(always)]
unsafe fn broadcast_simd<S: SimdF32>(
    op: BinOp,
    plan: &Plan,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
) {
    unsafe {
        match op {
            BinOp::Add => rows::<S, _>(&AddV, plan, a, b, out),
            BinOp::Sub => rows::<S, _>(&SubV, plan, a, b, out),
            BinOp::Mul => rows::<S, _>(&MulV, plan, a, b, out),
        }
    }
}

simd_kernel! {
    fn broadcast_dispatch(op: BinOp, plan: &Plan, a: &[f32], b: &[f32], out: &mut [f32]);
    scalar = broadcast_scalar;
    simd = broadcast_simd;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_operands_fixed_along_the_row_keep_their_order() {
        // (1, 1) − (1, 1) and (2, 1, 1) − (1, 3, 1): the inner axis has length 1 on both sides.
        for (a_shape, b_shape) in [
            (&[1usize, 1][..], &[1usize, 1][..]),
            (&[2, 1, 1], &[1, 3, 1]),
        ] {
            let (plan, shape) = Plan::new("sub", a_shape, b_shape).unwrap();
            let a: Vec<f32> = (0..plan.a_len).map(|i| 10.0 * (i + 1) as f32).collect();
            let b: Vec<f32> = (0..plan.b_len).map(|i| (i + 1) as f32).collect();
            let mut want = vec![0.0; shape.numel()];
            broadcast_scalar(BinOp::Sub, &plan, &a, &b, &mut want);
            assert!(want.iter().all(|&w| w > 0.0), "{want:?}");
            crate::simd::for_each_available_tier(|tier| {
                let mut out = vec![0.0; shape.numel()];
                binary_with(tier, BinOp::Sub, &plan, &a, &b, &mut out).unwrap();
                assert_eq!(out, want, "{tier} {a_shape:?} − {b_shape:?}");
            });
        }
    }

    #[test]
    fn plans_follow_numpy_rules_and_merge_axes() {
        let (p, s) = Plan::new("add", &[2, 3, 4], &[4]).unwrap();
        assert_eq!(s.dims(), &[2, 3, 4]);
        assert_eq!(p.dims, [1, 1, 6, 4]);
        assert_eq!((p.a, p.b), ([0, 0, 4, 1], [0, 0, 0, 1]));
        let (p, s) = Plan::new("add", &[3, 1], &[1, 5]).unwrap();
        assert_eq!(s.dims(), &[3, 5]);
        assert_eq!(
            (p.dims, p.a, p.b),
            ([1, 1, 3, 5], [0, 0, 1, 0], [0, 0, 0, 1])
        );
        let (p, _) = Plan::new("add", &[2, 3], &[2, 3]).unwrap();
        assert_eq!(
            (p.dims, p.a, p.b),
            ([1, 1, 1, 6], [0, 0, 0, 1], [0, 0, 0, 1])
        );
        let (_, s) = Plan::new("add", &[], &[2]).unwrap();
        assert_eq!(s.dims(), &[2]);
        let err = Plan::new("mul", &[2, 3], &[4]).unwrap_err().to_string();
        assert!(
            err.contains("mul") && err.contains("[2, 3]") && err.contains("[4]"),
            "{err}"
        );
    }
}
