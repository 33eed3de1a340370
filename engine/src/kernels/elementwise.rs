//! Elementwise kernels: add, sub, mul, scale, axpy, add_assign.
// a, b, out, x, y: (N,)

use super::lanewise::{Binary, map2, update1};
use super::same_len;
use crate::error::{Error, Result};
use crate::profile::{Op, scope};
use crate::simd::vector::SimdF32;
use crate::simd::{self, Tier, simd_kernel};

/// out = a + b
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    add_with(simd::active(), a, b, out)
}

/// out = a + b on a chosen tier.
pub fn add_with(tier: Tier, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    binary_with(tier, BinOp::Add, a, b, out)
}

/// out = a - b
pub fn sub(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    sub_with(simd::active(), a, b, out)
}

/// out = a - b on a chosen tier.
pub fn sub_with(tier: Tier, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    binary_with(tier, BinOp::Sub, a, b, out)
}

/// out = a * b
pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    mul_with(simd::active(), a, b, out)
}

/// out = a * b on a chosen tier.
pub fn mul_with(tier: Tier, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    binary_with(tier, BinOp::Mul, a, b, out)
}

/// out = a op b on a chosen tier (the form tensor ops and broadcasting share).
pub fn binary_with(tier: Tier, op: BinOp, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    let name = op.name();
    same_len(name, a.len(), b.len())?;
    same_len(name, a.len(), out.len())?;
    simd::ensure_available(tier)?;
    let _s = scope(op.profile_op());
    binary(tier, op, a, b, out);
    // A fifth of the elements again: a tenth moved `tensor/add_10k` by +5.2 %
    // [+3.3, +6.9] % in lockstep, as the call's fixed cost is about half of it.
    #[cfg(feature = "seed-add-10")]
    if matches!(op, BinOp::Add) {
        let k = crate::seed::prefix(a.len(), 5);
        crate::seed::into_scratch(k, |s| binary(tier, op, &a[..k], &b[..k], s));
    }
    Ok(())
}

/// out = s * x
pub fn scale(x: &[f32], s: f32, out: &mut [f32]) -> Result<()> {
    scale_with(simd::active(), x, s, out)
}

/// out = s * x on a chosen tier.
pub fn scale_with(tier: Tier, x: &[f32], s: f32, out: &mut [f32]) -> Result<()> {
    same_len("scale", x.len(), out.len())?;
    simd::ensure_available(tier)?;
    let _s = scope(Op::Mul);
    scale_dispatch(tier, x, s, out);
    Ok(())
}

/// y += alpha * x
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) -> Result<()> {
    axpy_with(simd::active(), alpha, x, y)
}

/// y += alpha * x on a chosen tier.
pub fn axpy_with(tier: Tier, alpha: f32, x: &[f32], y: &mut [f32]) -> Result<()> {
    same_len("axpy", x.len(), y.len())?;
    simd::ensure_available(tier)?;
    let _s = scope(Op::Add);
    axpy_dispatch(tier, alpha, x, y);
    Ok(())
}

/// a += b (gradient accumulation, residual connections).
pub fn add_assign(a: &mut [f32], b: &[f32]) -> Result<()> {
    add_assign_with(simd::active(), a, b)
}

/// a += b on a chosen tier.
pub fn add_assign_with(tier: Tier, a: &mut [f32], b: &[f32]) -> Result<()> {
    same_len("add_assign", a.len(), b.len())?;
    simd::ensure_available(tier)?;
    let _s = scope(Op::Add);
    add_assign_dispatch(tier, a, b);
    Ok(())
}

/// table[ids[i], :] += rows[i, :] for every i: an embedding's backward, one call for
/// all rows (not one kernel call per token). A repeated id accumulates every row.
// table: (V, C), ids: (N), rows: (N, C)
pub fn scatter_add_rows(table: &mut [f32], c: usize, ids: &[u32], rows: &[f32]) -> Result<()> {
    scatter_add_rows_with(simd::active(), table, c, ids, rows)
}

/// [`scatter_add_rows`] on a chosen tier.
pub fn scatter_add_rows_with(
    tier: Tier,
    table: &mut [f32],
    c: usize,
    ids: &[u32],
    rows: &[f32],
) -> Result<()> {
    const OP: &str = "scatter_add_rows";
    if c == 0 && table.is_empty() && rows.is_empty() {
        return Ok(()); // rows of no channels: nothing to add
    }
    if c == 0 || !table.len().is_multiple_of(c) || rows.len() != ids.len() * c {
        return Err(Error::shape(
            OP,
            &[table.len(), c],
            &[ids.len(), rows.len()],
        ));
    }
    let v = table.len() / c;
    if let Some(&bad) = ids.iter().find(|&&i| i as usize >= v) {
        return Err(Error::arg(
            OP,
            format!("row {bad} outside a table of {v} rows"),
        ));
    }
    simd::ensure_available(tier)?;
    let _s = scope(Op::Add);
    scatter_add_dispatch(tier, table, c, ids, rows);
    Ok(())
}

// ---------------------------------------------------------------------------
// Scalar specification.

/// The binary ops that broadcasting and the elementwise kernels share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
}

impl BinOp {
    /// The op's name in error messages.
    pub fn name(self) -> &'static str {
        match self {
            BinOp::Add => "add",
            BinOp::Sub => "sub",
            BinOp::Mul => "mul",
        }
    }

    /// The instrumentation bucket the op is charged to (sub counts as add).
    pub fn profile_op(self) -> Op {
        if self == BinOp::Mul { Op::Mul } else { Op::Add }
    }

    /// The op on one pair of floats.
    #[inline(always)]
    pub fn eval(self, a: f32, b: f32) -> f32 {
        match self {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
        }
    }
}

fn binary_scalar(op: BinOp, a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = op.eval(x, y);
    }
}

fn scale_scalar(x: &[f32], s: f32, out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = s * v;
    }
}

fn axpy_scalar(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o += alpha * v;
    }
}

fn add_assign_scalar(a: &mut [f32], b: &[f32]) {
    for (o, &v) in a.iter_mut().zip(b) {
        *o += v;
    }
}

fn scatter_add_scalar(table: &mut [f32], c: usize, ids: &[u32], rows: &[f32]) {
    for (row, &id) in rows.chunks_exact(c).zip(ids) {
        let id = id as usize;
        add_assign_scalar(&mut table[id * c..(id + 1) * c], row);
    }
}

// ---------------------------------------------------------------------------
// SIMD bodies.

#[derive(Debug, Clone, Copy)]
pub(crate) struct AddV;
impl Binary for AddV {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, a: S::V, b: S::V) -> S::V {
        unsafe { S::add(a, b) }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct SubV;
impl Binary for SubV {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, a: S::V, b: S::V) -> S::V {
        unsafe { S::sub(a, b) }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct MulV;
impl Binary for MulV {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, a: S::V, b: S::V) -> S::V {
        unsafe { S::mul(a, b) }
    }
}

/// y + alpha·x, with y the first operand.
struct AxpyV(f32);
impl Binary for AxpyV {
    #[inline(always)]
    unsafe fn apply<S: SimdF32>(&self, y: S::V, x: S::V) -> S::V {
        unsafe { S::fma(S::splat(self.0), x, y) }
    }
}

#[inline(always)]
unsafe fn binary_simd<S: SimdF32>(op: BinOp, a: &[f32], b: &[f32], out: &mut [f32]) {
    unsafe {
        match op {
            BinOp::Add => map2::<S, _>(&AddV, a, b, out),
            BinOp::Sub => map2::<S, _>(&SubV, a, b, out),
            BinOp::Mul => map2::<S, _>(&MulV, a, b, out),
        }
    }
}

#[inline(always)]
unsafe fn scale_simd<S: SimdF32>(x: &[f32], s: f32, out: &mut [f32]) {
    unsafe { super::lanewise::map2_splat::<S, _>(&MulV, x, S::splat(s), out) }
}

#[inline(always)]
unsafe fn axpy_simd<S: SimdF32>(alpha: f32, x: &[f32], y: &mut [f32]) {
    unsafe { update1::<S, _>(&AxpyV(alpha), y, x) }
}

#[inline(always)]
unsafe fn add_assign_simd<S: SimdF32>(a: &mut [f32], b: &[f32]) {
    unsafe { update1::<S, _>(&AddV, a, b) }
}

simd_kernel! {
    /// out = a op b (lengths checked by the caller).
    fn binary(op: BinOp, a: &[f32], b: &[f32], out: &mut [f32]);
    scalar = binary_scalar;
    simd = binary_simd;
}

simd_kernel! {
    fn scale_dispatch(x: &[f32], s: f32, out: &mut [f32]);
    scalar = scale_scalar;
    simd = scale_simd;
}

simd_kernel! {
    fn axpy_dispatch(alpha: f32, x: &[f32], y: &mut [f32]);
    scalar = axpy_scalar;
    simd = axpy_simd;
}

simd_kernel! {
    fn add_assign_dispatch(a: &mut [f32], b: &[f32]);
    scalar = add_assign_scalar;
    simd = add_assign_simd;
}

#[inline(always)]
unsafe fn scatter_add_simd<S: SimdF32>(table: &mut [f32], c: usize, ids: &[u32], rows: &[f32]) {
    for (row, &id) in rows.chunks_exact(c).zip(ids) {
        let id = id as usize;
        // SAFETY: the caller's features are this tier's (simd_kernel!).
        unsafe { update1::<S, _>(&AddV, &mut table[id * c..(id + 1) * c], row) }
    }
}

simd_kernel! {
    /// table[ids[i]] += rows[i] (shapes and ids checked by the caller).
    fn scatter_add_dispatch(table: &mut [f32], c: usize, ids: &[u32], rows: &[f32]);
    scalar = scatter_add_scalar;
    simd = scatter_add_simd;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_add_accumulates_repeated_ids_on_every_tier() {
        let (v, c) = (5, 19); // a tail after every vector width
        let ids = [3u32, 0, 3, 4, 3];
        let rows: Vec<f32> = (0..ids.len() * c).map(|i| (i as f32).sin()).collect();
        let table0: Vec<f32> = (0..v * c).map(|i| (i as f32).cos()).collect();
        // f64 reference: every row added to its id's row
        let mut want: Vec<f64> = table0.iter().map(|&x| x as f64).collect();
        for (i, &id) in ids.iter().enumerate() {
            for j in 0..c {
                want[id as usize * c + j] += rows[i * c + j] as f64;
            }
        }
        crate::simd::for_each_available_tier(|tier| {
            let mut t = table0.clone();
            scatter_add_rows_with(tier, &mut t, c, &ids, &rows).unwrap();
            for (a, b) in t.iter().zip(&want) {
                assert!((*a as f64 - b).abs() < 1e-6, "{tier}: {a} vs {b}");
            }
        });
    }

    #[test]
    fn scatter_add_rejects_bad_shapes_and_ids() {
        let mut t = vec![0.0; 6];
        assert!(
            scatter_add_rows(&mut t, 3, &[2], &[1.0; 3]).is_err(),
            "id past the table"
        );
        assert!(
            scatter_add_rows(&mut t, 3, &[0], &[1.0; 2]).is_err(),
            "short row"
        );
        assert!(
            scatter_add_rows(&mut t, 4, &[0], &[1.0; 4]).is_err(),
            "ragged table"
        );
        assert!(scatter_add_rows(&mut t, 3, &[1, 0], &[1.0; 6]).is_ok());
        assert_eq!(t, [1.0; 6]);
    }
}
