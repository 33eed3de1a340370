//! Elementwise kernels: add, sub, mul, scale, axpy, add_assign.
// a, b, out, x, y: (N,)

use super::lanewise::{Binary, map2, update1};
use super::same_len;
use crate::error::Result;
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
