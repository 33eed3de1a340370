//! A linear layer added onto a residual stream, fused: out = res + x @ w + bias.
//!
//! GPT-2's two projections that close a block (attention's c_proj, the MLP's
//! c_proj) feed a residual add. Fused, the output starts as res + bias (one
//! pass, instead of a pass broadcasting the bias and a separate add pass that
//! reads two tensors and writes a third) and sgemm accumulates the product
//! onto it (β = 1); backward hands the upstream gradient to the residual
//! stream whole (no copy) after the linear layer's products have read it.

use super::{Mode, matmul, with_grad};
use crate::autograd::{Graph, Node, Var};
use crate::error::{Error, Result};
use crate::kernels::{broadcast, elementwise};
use crate::matmul::{Trans, sgemm};
use crate::tensor::Tensor;

impl Graph {
    /// out = res + x @ w + bias: res (…, N), x (…, K), w (K, N) (Conv1D
    /// layout), bias (N) → (…, N). Equals `add(res, linear(x, w, Some(bias)))`.
    pub fn linear_residual(&mut self, res: Var, x: Var, w: Var, bias: Var) -> Result<Var> {
        let (m, k, n) =
            self.fused_linear_dims("linear_residual", "linear_residual bias", x, w, bias)?;
        let (rd, xd) = (self.value(res).dims(), self.value(x).dims());
        if rd.len() != xd.len() || rd[..rd.len() - 1] != xd[..xd.len() - 1] || rd[rd.len() - 1] != n
        {
            return Err(Error::shape("linear_residual residual", rd, xd));
        }
        // out (M, N) = res (M, N) + bias (N), then += x (M, K) @ w (K, N)
        let mut out = Tensor::uninit(rd)?;
        broadcast::add_row(
            self.value(res).data(),
            self.value(bias).data(),
            out.data_mut(),
        )?;
        sgemm(
            Trans::No,
            Trans::No,
            m,
            n,
            k,
            1.0,
            self.value(x).data(),
            k,
            self.value(w).data(),
            n,
            1.0,
            out.data_mut(),
            n,
        )?;
        let o = self.push_out(out, &[res, x, w, bias]);
        self.record(
            Node::LinearResidual {
                res,
                x,
                w,
                bias,
                out: o,
            },
            o,
        );
        Ok(o)
    }
}

/// dbias, dx and dw as the linear layer's backward (they read `gout`), then
/// dres (+)= gout, by handing the buffer over when res's slot is writable.
pub(super) fn backward(
    g: &mut Graph,
    res: Var,
    x: Var,
    w: Var,
    bias: Var,
    out: Var,
    gout: Tensor,
) -> Result<()> {
    matmul::backward(g, x, w, false, Some(bias), out, &gout)?;
    match g.give_grad(res, gout) {
        None => Ok(()),
        Some(gout) => with_grad(g, res, |_, dr, mode| match mode {
            Mode::Write => {
                dr.data_mut().copy_from_slice(gout.data());
                Ok(())
            }
            Mode::Add => elementwise::add_assign(dr.data_mut(), gout.data()),
        }),
    }
}
