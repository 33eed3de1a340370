//! A linear layer followed by GELU, fused: out = gelu_tanh(x @ w + bias).
//!
//! The same values as `linear` then `gelu`, with two memory passes fewer each
//! way: the product is written without its bias and one pass adds the bias
//! and applies GELU; backward turns the upstream gradient into the
//! pre-activation gradient in place (no zero-filled buffer) and gathers the
//! bias gradient in that same pass (no column-sum pass).

use super::{Mode, matmul, with_grad};
use crate::autograd::{Graph, Node, Var};
use crate::error::Result;
use crate::kernels::bias_gelu;
use crate::pool;
use crate::tensor::{MAX_RANK, Tensor};

impl Graph {
    /// out = gelu_tanh(x @ w + bias): x (…, K), w (K, N) (Conv1D layout), bias (N) → (…, N).
    pub fn linear_gelu(&mut self, x: Var, w: Var, bias: Var) -> Result<Var> {
        let (m, k, n) = self.fused_linear_dims("linear_gelu", "linear_gelu bias", x, w, bias)?;
        let xd = self.value(x).dims();
        let mut dims = [0; MAX_RANK];
        dims[..xd.len()].copy_from_slice(xd);
        dims[xd.len() - 1] = n;
        let dims = &dims[..xd.len()];
        // pre (M, N) = x (M, K) @ w (K, N), without the bias
        let mut pre = Tensor::uninit(dims)?;
        matmul::forward(
            self.value(x).data(),
            self.value(w).data(),
            false,
            None,
            pre.data_mut(),
            m,
            k,
            n,
        )?;
        // out (M, N) = gelu(pre + bias)
        let mut out = Tensor::uninit(dims)?;
        bias_gelu::bias_gelu(pre.data(), self.value(bias).data(), out.data_mut())?;
        let o = self.push_out(out, &[x, w, bias]);
        self.record(
            Node::LinearGelu {
                x,
                w,
                bias,
                pre,
                out: o,
            },
            o,
        );
        Ok(o)
    }
}

/// dpre = dout ⊙ gelu′(pre + bias) (in `gout`'s own buffer), dbias (+)= Σ rows
/// of dpre, then dx and dw as the linear layer's backward.
pub(super) fn backward(
    g: &mut Graph,
    x: Var,
    w: Var,
    bias: Var,
    pre: &Tensor,
    out: Var,
    gout: Tensor,
) -> Result<()> {
    let mut d = gout;
    if g.needs_grad(bias) {
        with_grad(g, bias, |vals, db, mode| {
            bias_gelu::bias_gelu_backward(
                pre.data(),
                vals[bias.idx()].data(),
                d.data_mut(),
                db.data_mut(),
                mode == Mode::Add,
            )
        })?;
    } else {
        let mut scratch = pool::rent(g.value(bias).numel());
        bias_gelu::bias_gelu_backward(
            pre.data(),
            g.value(bias).data(),
            d.data_mut(),
            &mut scratch,
            false,
        )?;
    }
    matmul::backward(g, x, w, false, None, out, &d)
}
