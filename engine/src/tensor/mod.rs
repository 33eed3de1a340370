//! f32 row-major tensors of rank 0–4 whose storage is rented from the pool.
//!
//! Shapes live inline (no heap), so creating and dropping tensors in a steady
//! loop touches only the pool.

mod ops;
mod shape;

pub use shape::{MAX_RANK, Shape};

use crate::error::{Error, Result};
use crate::pool::{self, Buffer};
use crate::rng::Rng;

/// A contiguous row-major f32 tensor.
#[derive(Debug, Clone)]
pub struct Tensor {
    shape: Shape,
    data: Buffer,
}

impl Tensor {
    /// A tensor of zeros.
    pub fn zeros(dims: &[usize]) -> Result<Tensor> {
        let shape = Shape::new("zeros", dims)?;
        Ok(Tensor {
            data: pool::rent_zeroed(shape.numel()),
            shape,
        })
    }

    /// A tensor whose contents are unspecified (but initialised): for outputs
    /// that the caller overwrites entirely.
    pub fn uninit(dims: &[usize]) -> Result<Tensor> {
        let shape = Shape::new("uninit", dims)?;
        Ok(Tensor {
            data: pool::rent(shape.numel()),
            shape,
        })
    }

    /// A tensor filled with `value`.
    pub fn full(dims: &[usize], value: f32) -> Result<Tensor> {
        let mut t = Tensor::uninit(dims)?;
        t.data.fill(value);
        Ok(t)
    }

    /// A tensor holding `data` with shape `dims` (the element counts must agree).
    pub fn from_vec(data: Vec<f32>, dims: &[usize]) -> Result<Tensor> {
        Tensor::from_slice(&data, dims)
    }

    /// A tensor holding a copy of `data` with shape `dims`.
    pub fn from_slice(data: &[f32], dims: &[usize]) -> Result<Tensor> {
        let shape = Shape::new("from_vec", dims)?;
        if shape.numel() != data.len() {
            return Err(Error::shape("from_vec", &[data.len()], dims));
        }
        let mut buf = pool::rent(data.len());
        buf.copy_from_slice(data);
        Ok(Tensor { shape, data: buf })
    }

    /// Standard-normal entries times `std`, from a seeded generator.
    pub fn randn(dims: &[usize], std: f32, rng: &mut Rng) -> Result<Tensor> {
        let mut t = Tensor::uninit(dims)?;
        for x in t.data.iter_mut() {
            *x = rng.normal() * std;
        }
        Ok(t)
    }

    /// The shape.
    #[inline]
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The dimensions as a slice.
    #[inline]
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    /// Number of axes.
    #[inline]
    pub fn rank(&self) -> usize {
        self.shape.rank()
    }

    /// Number of elements.
    #[inline]
    pub fn numel(&self) -> usize {
        self.shape.numel()
    }

    /// The elements in row-major order.
    #[inline]
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The elements in row-major order, mutable.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The element at a full index, or an error if the index does not fit.
    pub fn get(&self, index: &[usize]) -> Result<f32> {
        Ok(self.data[self.shape.offset("get", index)?])
    }

    /// The same elements under another shape with the same element count.
    pub fn reshape(self, dims: &[usize]) -> Result<Tensor> {
        let shape = Shape::new("reshape", dims)?;
        if shape.numel() != self.shape.numel() {
            return Err(Error::shape("reshape", self.dims(), dims));
        }
        Ok(Tensor {
            shape,
            data: self.data,
        })
    }

    /// A contiguous copy with the last two axes swapped: (…, R, C) → (…, C, R).
    pub fn transpose_last2(&self) -> Result<Tensor> {
        let r = self.rank();
        if r < 2 {
            return Err(Error::InvalidShape {
                op: "transpose_last2",
                shape: self.dims().to_vec(),
                reason: "needs at least two axes".into(),
            });
        }
        let (rows, cols) = (self.dims()[r - 2], self.dims()[r - 1]);
        let mut dims = [0; MAX_RANK];
        dims[..r].copy_from_slice(self.dims());
        dims.swap(r - 2, r - 1);
        let mut out = Tensor::uninit(&dims[..r])?;
        let plane = rows * cols;
        if plane > 0 {
            for (src, dst) in self
                .data
                .chunks_exact(plane)
                .zip(out.data.chunks_exact_mut(plane))
            {
                transpose_plane(src, dst, rows, cols);
            }
        }
        Ok(out)
    }

    /// Consume the tensor and return its buffer.
    pub fn into_buffer(self) -> Buffer {
        self.data
    }
}

/// dst (cols, rows) = srcᵀ where src is (rows, cols); blocked for cache lines.
fn transpose_plane(src: &[f32], dst: &mut [f32], rows: usize, cols: usize) {
    const B: usize = 32;
    for i0 in (0..rows).step_by(B) {
        for j0 in (0..cols).step_by(B) {
            for i in i0..(i0 + B).min(rows) {
                for j in j0..(j0 + B).min(cols) {
                    dst[j * rows + i] = src[i * cols + j];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construct_and_reshape() {
        let t = Tensor::from_vec((0..6).map(|x| x as f32).collect(), &[2, 3]).unwrap();
        assert_eq!(t.get(&[1, 2]).unwrap(), 5.0);
        let r = t.reshape(&[3, 2]).unwrap();
        assert_eq!(r.dims(), &[3, 2]);
        let err = r.reshape(&[4, 2]).unwrap_err().to_string();
        assert!(
            err.contains("reshape") && err.contains("[3, 2]") && err.contains("[4, 2]"),
            "{err}"
        );
    }

    #[test]
    fn from_vec_checks_count() {
        let err = Tensor::from_vec(vec![1.0; 5], &[2, 3])
            .unwrap_err()
            .to_string();
        assert!(err.contains("from_vec"), "{err}");
    }

    #[test]
    fn rank_limits() {
        assert!(Tensor::zeros(&[]).unwrap().numel() == 1);
        assert!(Tensor::zeros(&[1, 1, 1, 1, 1]).is_err());
    }

    #[test]
    fn transpose_last_two_axes() {
        let t = Tensor::from_vec((0..24).map(|x| x as f32).collect(), &[2, 3, 4]).unwrap();
        let tt = t.transpose_last2().unwrap();
        assert_eq!(tt.dims(), &[2, 4, 3]);
        for b in 0..2 {
            for i in 0..3 {
                for j in 0..4 {
                    assert_eq!(tt.get(&[b, j, i]).unwrap(), t.get(&[b, i, j]).unwrap());
                }
            }
        }
        assert!(Tensor::zeros(&[3]).unwrap().transpose_last2().is_err());
    }

    #[test]
    fn randn_is_seeded() {
        let a = Tensor::randn(&[10], 1.0, &mut Rng::new(1)).unwrap();
        let b = Tensor::randn(&[10], 1.0, &mut Rng::new(1)).unwrap();
        assert_eq!(a.data(), b.data());
    }
}
