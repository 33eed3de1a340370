//! Shape ops: reshape, and the head split/merge of multi-head attention.

use super::{Mode, with_grad, with_grad_add};
use crate::autograd::{Graph, Node, Var};
use crate::error::{Error, Result};
use crate::kernels::elementwise as ew;
use crate::tensor::Tensor;

impl Graph {
    /// The same elements under new dimensions (a copy: tensors own their storage).
    pub fn reshape(&mut self, x: Var, dims: &[usize]) -> Result<Var> {
        let out = self.value(x).clone().reshape(dims)?;
        let o = self.push_out(out, &[x]);
        self.record(Node::Reshape { x, out: o }, o);
        Ok(o)
    }

    /// Columns `offset .. offset + H·D` of x split into heads:
    /// x (B, T, W) → (B, H, T, D). With `offset` 0, C and 2C it takes Q, K and V
    /// out of GPT-2's fused (B, T, 3C) projection.
    pub fn split_heads(
        &mut self,
        x: Var,
        n_head: usize,
        offset: usize,
        width: usize,
    ) -> Result<Var> {
        let xd = self.value(x).dims();
        if xd.len() != 3 || n_head == 0 || !width.is_multiple_of(n_head) || offset + width > xd[2] {
            return Err(Error::InvalidShape {
                op: "split_heads",
                shape: xd.to_vec(),
                reason: format!(
                    "cannot take {n_head} heads of columns {offset}..{}",
                    offset + width
                ),
            });
        }
        let (b, t, w) = (xd[0], xd[1], xd[2]);
        let d = width / n_head;
        let mut out = Tensor::uninit(&[b, n_head, t, d])?;
        // x: (B, T, W), out: (B, H, T, D)
        let src = self.value(x).data();
        let dst = out.data_mut();
        for bi in 0..b {
            for h in 0..n_head {
                for ti in 0..t {
                    let s = (bi * t + ti) * w + offset + h * d;
                    let o = ((bi * n_head + h) * t + ti) * d;
                    dst[o..o + d].copy_from_slice(&src[s..s + d]);
                }
            }
        }
        let o = self.push_out(out, &[x]);
        self.record(Node::SplitHeads { x, offset, out: o }, o);
        Ok(o)
    }

    /// Heads merged back: x (B, H, T, D) → (B, T, H·D).
    pub fn merge_heads(&mut self, x: Var) -> Result<Var> {
        let xd = self.value(x).dims();
        if xd.len() != 4 {
            return Err(Error::InvalidShape {
                op: "merge_heads",
                shape: xd.to_vec(),
                reason: "needs (B, H, T, D)".into(),
            });
        }
        let (b, h, t, d) = (xd[0], xd[1], xd[2], xd[3]);
        let mut out = Tensor::uninit(&[b, t, h * d])?;
        // x: (B, H, T, D), out: (B, T, H·D)
        let src = self.value(x).data();
        let dst = out.data_mut();
        for bi in 0..b {
            for hi in 0..h {
                for ti in 0..t {
                    let s = ((bi * h + hi) * t + ti) * d;
                    let o = (bi * t + ti) * h * d + hi * d;
                    dst[o..o + d].copy_from_slice(&src[s..s + d]);
                }
            }
        }
        let o = self.push_out(out, &[x]);
        self.record(Node::MergeHeads { x, out: o }, o);
        Ok(o)
    }
}

pub(super) fn reshape_backward(g: &mut Graph, x: Var, gout: &Tensor) -> Result<()> {
    with_grad(g, x, |_, dx, mode| match mode {
        Mode::Write => {
            dx.data_mut().copy_from_slice(gout.data());
            Ok(())
        }
        Mode::Add => ew::axpy(1.0, gout.data(), dx.data_mut()),
    })
}

pub(super) fn split_heads_backward(
    g: &mut Graph,
    x: Var,
    offset: usize,
    gout: &Tensor,
) -> Result<()> {
    let (b, h, t, d) = match *gout.dims() {
        [b, h, t, d] => (b, h, t, d),
        _ => {
            return Err(Error::arg(
                "split_heads_backward",
                "gradient is not (B, H, T, D)",
            ));
        }
    };
    with_grad_add(g, x, |vals, dx| {
        let w = vals[x.idx()].dims()[2];
        let (src, dst) = (gout.data(), dx.data_mut());
        // dx[:, :, offset + h·D ..] += dout (B, H, T, D)
        for bi in 0..b {
            for hi in 0..h {
                for ti in 0..t {
                    let s = ((bi * h + hi) * t + ti) * d;
                    let o = (bi * t + ti) * w + offset + hi * d;
                    ew::axpy(1.0, &src[s..s + d], &mut dst[o..o + d])?;
                }
            }
        }
        Ok(())
    })
}

pub(super) fn merge_heads_backward(g: &mut Graph, x: Var, gout: &Tensor) -> Result<()> {
    with_grad_add(g, x, |vals, dx| {
        let (b, h, t, d) = match *vals[x.idx()].dims() {
            [b, h, t, d] => (b, h, t, d),
            _ => {
                return Err(Error::arg(
                    "merge_heads_backward",
                    "input is not (B, H, T, D)",
                ));
            }
        };
        let (src, dst) = (gout.data(), dx.data_mut());
        for bi in 0..b {
            for hi in 0..h {
                for ti in 0..t {
                    let o = ((bi * h + hi) * t + ti) * d;
                    let s = (bi * t + ti) * h * d + hi * d;
                    ew::axpy(1.0, &src[s..s + d], &mut dst[o..o + d])?;
                }
            }
        }
        Ok(())
    })
}
