//! Tensor-level ops on the kernels: broadcasting arithmetic, GELU, softmax,
//! layer norm and reductions. Outputs are rented from the pool, so a loop that
//! repeats an op allocates nothing after its first iteration. Every shape
//! mismatch is an `Err` naming the op and both shapes.

use super::Tensor;
use crate::error::{Error, Result};
use crate::kernels::broadcast::{self, Plan};
use crate::kernels::elementwise::{self, BinOp};
use crate::kernels::{gelu, layernorm, reduce, softmax};
use crate::pool;
use crate::simd;

impl Tensor {
    /// self + other with NumPy broadcasting.
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(BinOp::Add, other)
    }

    /// self − other with NumPy broadcasting.
    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(BinOp::Sub, other)
    }

    /// self ⊙ other with NumPy broadcasting.
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(BinOp::Mul, other)
    }

    fn binary(&self, op: BinOp, other: &Tensor) -> Result<Tensor> {
        let tier = simd::active();
        if self.dims() == other.dims() {
            let mut out = Tensor::uninit(self.dims())?;
            elementwise::binary_with(tier, op, &self.data, &other.data, &mut out.data)?;
            return Ok(out);
        }
        let (plan, shape) = Plan::new(op.name(), self.dims(), other.dims())?;
        let mut out = Tensor::uninit(shape.dims())?;
        broadcast::binary_with(tier, op, &plan, &self.data, &other.data, &mut out.data)?;
        Ok(out)
    }

    /// s · self
    pub fn scale(&self, s: f32) -> Result<Tensor> {
        let mut out = Tensor::uninit(self.dims())?;
        elementwise::scale(&self.data, s, &mut out.data)?;
        Ok(out)
    }

    /// GELU, tanh approximation (GPT-2's `gelu_new`).
    pub fn gelu(&self) -> Result<Tensor> {
        let mut out = Tensor::uninit(self.dims())?;
        gelu::gelu_tanh(&self.data, &mut out.data)?;
        Ok(out)
    }

    /// GELU, exact erf form.
    pub fn gelu_erf(&self) -> Result<Tensor> {
        let mut out = Tensor::uninit(self.dims())?;
        gelu::gelu_erf(&self.data, &mut out.data)?;
        Ok(out)
    }

    /// Softmax over the last axis (a rank-0 tensor is one row of one element).
    pub fn softmax(&self) -> Result<Tensor> {
        let mut out = Tensor::uninit(self.dims())?;
        softmax::softmax_rows(&self.data, &mut out.data, self.last_dim())?;
        Ok(out)
    }

    /// Log-softmax over the last axis.
    pub fn log_softmax(&self) -> Result<Tensor> {
        let mut out = Tensor::uninit(self.dims())?;
        softmax::log_softmax_rows(&self.data, &mut out.data, self.last_dim())?;
        Ok(out)
    }

    /// Layer norm over the last axis: gamma and beta have shape (C,) where C is
    /// the last dimension.
    pub fn layer_norm(&self, gamma: &Tensor, beta: &Tensor, eps: f32) -> Result<Tensor> {
        let c = self.last_dim();
        if self.rank() == 0 || gamma.dims() != [c] {
            return Err(Error::shape("layer_norm", self.dims(), gamma.dims()));
        }
        if beta.dims() != [c] {
            return Err(Error::shape("layer_norm", self.dims(), beta.dims()));
        }
        let rows = self.numel().checked_div(c).unwrap_or(0);
        let mut out = Tensor::uninit(self.dims())?;
        let (mut mean, mut rstd) = (pool::rent(rows), pool::rent(rows));
        layernorm::layer_norm(
            &self.data,
            &gamma.data,
            &beta.data,
            eps,
            &mut out.data,
            &mut mean,
            &mut rstd,
        )?;
        Ok(out)
    }

    /// Σ of all elements (0 for an empty tensor).
    pub fn sum(&self) -> f32 {
        reduce::sum(&self.data)
    }

    /// Mean of all elements (NaN for an empty tensor).
    pub fn mean(&self) -> f32 {
        reduce::mean(&self.data)
    }

    /// Max of all elements (−∞ for an empty tensor, NaN if any is NaN).
    pub fn max(&self) -> f32 {
        reduce::max(&self.data)
    }

    fn last_dim(&self) -> usize {
        self.dims().last().copied().unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(data: &[f32], dims: &[usize]) -> Tensor {
        Tensor::from_slice(data, dims).unwrap()
    }

    #[test]
    fn broadcasting_matches_numpy() {
        let a = t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
        let row = t(&[10., 20., 30.], &[3]);
        let col = t(&[100., 200.], &[2, 1]);
        assert_eq!(a.add(&row).unwrap().data(), &[11., 22., 33., 14., 25., 36.]);
        assert_eq!(
            a.sub(&col).unwrap().data(),
            &[-99., -98., -97., -196., -195., -194.]
        );
        assert_eq!(
            row.mul(&a).unwrap().data(),
            &[10., 40., 90., 40., 100., 180.]
        );
        let outer = col.mul(&t(&[1., 2., 3.], &[1, 3])).unwrap();
        assert_eq!(outer.dims(), &[2, 3]);
        assert_eq!(outer.data(), &[100., 200., 300., 200., 400., 600.]);
        let s = t(&[2.], &[]);
        assert_eq!(a.mul(&s).unwrap().data(), &[2., 4., 6., 8., 10., 12.]);
        assert_eq!(s.sub(&a).unwrap().data(), &[1., 0., -1., -2., -3., -4.]);
        let b3 = Tensor::zeros(&[4, 1, 3]).unwrap();
        assert_eq!(b3.add(&a).unwrap().dims(), &[4, 2, 3]);
    }

    #[test]
    fn mismatches_name_op_and_shapes() {
        let a = Tensor::zeros(&[2, 3]).unwrap();
        let b = Tensor::zeros(&[2]).unwrap();
        for (r, op) in [(a.add(&b), "add"), (a.sub(&b), "sub"), (a.mul(&b), "mul")] {
            let e = r.unwrap_err().to_string();
            assert!(
                e.contains(op) && e.contains("[2, 3]") && e.contains("[2]"),
                "{e}"
            );
        }
        let e = a.layer_norm(&b, &b, 1e-5).unwrap_err().to_string();
        assert!(
            e.contains("layer_norm") && e.contains("[2, 3]") && e.contains("[2]"),
            "{e}"
        );
    }

    #[test]
    fn unary_ops_and_reductions() {
        let x = t(&[1., 2., 3., 1., 1., 1.], &[2, 3]);
        let s = x.softmax().unwrap();
        assert!((s.data()[..3].iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((s.data()[3] - 1.0 / 3.0).abs() < 1e-6);
        let ls = x.log_softmax().unwrap();
        assert!((ls.data()[2].exp() - s.data()[2]).abs() < 1e-6);
        assert_eq!(x.scale(2.0).unwrap().data()[2], 6.0);
        assert!((x.gelu().unwrap().data()[0] - 0.841_192).abs() < 1e-5);
        assert!((x.gelu_erf().unwrap().data()[0] - 0.841_344_7).abs() < 1e-5);
        let g = t(&[1., 1., 1.], &[3]);
        let b = t(&[0., 0., 0.], &[3]);
        let ln = x.layer_norm(&g, &b, 1e-5).unwrap();
        assert!((ln.data()[0] + 1.224_744_9).abs() < 1e-4);
        assert_eq!(ln.data()[3], 0.0);
        assert_eq!(x.sum(), 9.0);
        assert_eq!(x.mean(), 1.5);
        assert_eq!(x.max(), 3.0);
    }
}
