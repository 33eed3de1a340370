//! The engine's kernels on f32 slices. Each public kernel dispatches on the
//! active [`crate::simd::Tier`]; each also has a `*_with(tier, …)` form so tests
//! and benchmarks can run a chosen tier.
//!
//! Conventions: outputs are written, never read; `*_backward` kernels
//! *accumulate* into their gradient outputs (`dx += …`), as llm.c does, so a
//! tensor used twice gets the sum of its gradients.

pub mod attention;
pub mod bias_gelu;
pub mod broadcast;
pub mod elementwise;
pub mod gelu;
mod lanewise;
pub mod layernorm;
pub mod reduce;
pub mod softmax;

use crate::error::{Error, Result};

/// Check that slices that must agree in length do.
#[inline]
pub(crate) fn same_len(op: &'static str, a: usize, b: usize) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(Error::shape(op, &[a], &[b]))
    }
}

/// Check that `len` is a whole number of rows of `cols`.
#[inline]
pub(crate) fn whole_rows(op: &'static str, len: usize, cols: usize) -> Result<usize> {
    if cols == 0 {
        return if len == 0 {
            Ok(0)
        } else {
            Err(Error::arg(
                op,
                format!("{len} elements in rows of 0 columns"),
            ))
        };
    }
    if !len.is_multiple_of(cols) {
        return Err(Error::arg(
            op,
            format!("{len} elements are not whole rows of {cols}"),
        ));
    }
    Ok(len / cols)
}
