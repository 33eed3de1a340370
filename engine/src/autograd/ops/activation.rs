//! GELU (tanh form, GPT-2's `gelu_new`), softmax and log-softmax over the last axis.

use super::with_grad_add;
use crate::autograd::{Graph, Node, Var};
use crate::error::{Error, Result};
use crate::kernels::{gelu, softmax};
use crate::tensor::Tensor;

fn last_dim(op: &'static str, t: &Tensor) -> Result<usize> {
    match t.dims().last() {
        Some(&c) => Ok(c),
        None => Err(Error::InvalidShape {
            op,
            shape: vec![],
            reason: "needs at least one axis".into(),
        }),
    }
}

impl Graph {
    /// out = GELU(x), tanh approximation.
    pub fn gelu(&mut self, x: Var) -> Result<Var> {
        // x: (…), out: (…)
        let mut out = Tensor::uninit(self.value(x).dims())?;
        gelu::gelu_tanh(self.value(x).data(), out.data_mut())?;
        let o = self.push_out(out, &[x]);
        self.record(Node::Gelu { x, out: o }, o);
        Ok(o)
    }

    /// out = softmax(x) over the last axis.
    pub fn softmax(&mut self, x: Var) -> Result<Var> {
        // x: (…, C), out: (…, C)
        let c = last_dim("softmax", self.value(x))?;
        let mut out = Tensor::uninit(self.value(x).dims())?;
        softmax::softmax_rows(self.value(x).data(), out.data_mut(), c)?;
        let o = self.push_out(out, &[x]);
        self.record(Node::Softmax { x, out: o }, o);
        Ok(o)
    }

    /// out = log_softmax(x) over the last axis.
    pub fn log_softmax(&mut self, x: Var) -> Result<Var> {
        // x: (…, C), out: (…, C)
        let c = last_dim("log_softmax", self.value(x))?;
        let mut out = Tensor::uninit(self.value(x).dims())?;
        softmax::log_softmax_rows(self.value(x).data(), out.data_mut(), c)?;
        let o = self.push_out(out, &[x]);
        self.record(Node::LogSoftmax { x, out: o }, o);
        Ok(o)
    }
}

pub(super) fn gelu_backward(g: &mut Graph, x: Var, gout: &Tensor) -> Result<()> {
    with_grad_add(g, x, |vals, dx| {
        gelu::gelu_tanh_backward(vals[x.idx()].data(), gout.data(), dx.data_mut())
    })
}

pub(super) fn softmax_backward(g: &mut Graph, x: Var, out: Var, gout: &Tensor) -> Result<()> {
    with_grad_add(g, x, |vals, dx| {
        let y = &vals[out.idx()];
        let c = last_dim("softmax_backward", y)?;
        softmax::softmax_backward(y.data(), gout.data(), dx.data_mut(), c)
    })
}

pub(super) fn log_softmax_backward(g: &mut Graph, x: Var, out: Var, gout: &Tensor) -> Result<()> {
    with_grad_add(g, x, |vals, dx| {
        let y = &vals[out.idx()];
        let c = last_dim("log_softmax_backward", y)?;
        softmax::log_softmax_backward(y.data(), gout.data(), dx.data_mut(), c)
    })
}
