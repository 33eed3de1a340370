//! Shapes of rank 0–4, stored inline.

use crate::error::{Error, Result};
use std::fmt;

/// The highest rank a tensor may have.
pub const MAX_RANK: usize = 4;

/// Dimensions of a tensor, without heap storage.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: [usize; MAX_RANK],
    rank: u8,
}

impl Shape {
    /// A shape from its dimensions; `op` names the caller in the error.
    pub fn new(op: &'static str, dims: &[usize]) -> Result<Shape> {
        if dims.len() > MAX_RANK {
            return Err(Error::InvalidShape {
                op,
                shape: dims.to_vec(),
                reason: format!("rank {} exceeds the maximum of {MAX_RANK}", dims.len()),
            });
        }
        if dims
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .is_none()
        {
            return Err(Error::InvalidShape {
                op,
                shape: dims.to_vec(),
                reason: "element count overflows".into(),
            });
        }
        let mut d = [0; MAX_RANK];
        d[..dims.len()].copy_from_slice(dims);
        Ok(Shape {
            dims: d,
            rank: dims.len() as u8,
        })
    }

    /// The dimensions.
    #[inline]
    pub fn dims(&self) -> &[usize] {
        &self.dims[..self.rank as usize]
    }

    /// Number of axes.
    #[inline]
    pub fn rank(&self) -> usize {
        self.rank as usize
    }

    /// Number of elements (1 for a scalar).
    #[inline]
    pub fn numel(&self) -> usize {
        self.dims().iter().product()
    }

    /// Row-major offset of a full index.
    pub fn offset(&self, op: &'static str, index: &[usize]) -> Result<usize> {
        if index.len() != self.rank() || index.iter().zip(self.dims()).any(|(i, d)| i >= d) {
            return Err(Error::shape(op, self.dims(), index));
        }
        Ok(index
            .iter()
            .zip(self.dims())
            .fold(0, |acc, (&i, &d)| acc * d + i))
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.dims())
    }
}
