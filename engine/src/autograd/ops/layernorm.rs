//! Layer normalisation over the last axis with a learned scale and shift.

use crate::autograd::{Graph, Node, Var};
use crate::error::{Error, Result};
use crate::kernels::layernorm;
use crate::pool::{self, Buffer};
use crate::tensor::Tensor;

impl Graph {
    /// out = (x − mean) / sqrt(var + eps) ⊙ gamma + beta over the last axis.
    pub fn layer_norm(&mut self, x: Var, gamma: Var, beta: Var, eps: f32) -> Result<Var> {
        // x: (…, C), gamma: (C), beta: (C), out: (…, C); mean, rstd: (rows)
        let (xd, gd) = (self.value(x).dims(), self.value(gamma).dims());
        if xd.last() != gd.first() || gd.len() != 1 {
            return Err(Error::shape("layer_norm", xd, gd));
        }
        let c = gd[0];
        let rows = self.value(x).numel().checked_div(c).unwrap_or(0);
        let mut out = Tensor::uninit(xd)?;
        let mut mean = pool::rent(rows);
        let mut rstd = pool::rent(rows);
        layernorm::layer_norm(
            self.value(x).data(),
            self.value(gamma).data(),
            self.value(beta).data(),
            eps,
            out.data_mut(),
            &mut mean,
            &mut rstd,
        )?;
        let o = self.push_out(out, &[x, gamma, beta]);
        if self.needs_grad(o) {
            self.record(
                Node::LayerNorm {
                    x,
                    gamma,
                    beta,
                    out: o,
                    mean,
                    rstd,
                },
                o,
            );
        }
        Ok(o)
    }
}

pub(super) fn backward(
    g: &mut Graph,
    x: Var,
    gamma: Var,
    beta: Var,
    mean: &Buffer,
    rstd: &Buffer,
    gout: &Tensor,
) -> Result<()> {
    // The kernel produces dx, dgamma and dbeta together; inputs that need no
    // gradient get a scratch buffer instead.
    let c = g.value(gamma).numel();
    let mut scratch_dx = (!g.needs_grad(x)).then(|| pool::rent_zeroed(g.value(x).numel()));
    let mut scratch_dg = (!g.needs_grad(gamma)).then(|| pool::rent_zeroed(c));
    let mut scratch_db = (!g.needs_grad(beta)).then(|| pool::rent_zeroed(c));
    for v in [x, gamma, beta] {
        if g.needs_grad(v) {
            g.grad_for_add(v)?;
        }
    }
    let (values, grads) = (&g.values, &mut g.grads);
    let (ix, ig, ib) = (x.idx(), gamma.idx(), beta.idx());
    if ix == ig || ix == ib || ig == ib {
        return Err(Error::arg(
            "layer_norm_backward",
            "x, gamma and beta must be distinct values",
        ));
    }
    // Three disjoint mutable borrows out of one slice.
    let mut slots: [Option<&mut [f32]>; 3] = [None, None, None];
    for (i, slot) in grads.iter_mut().enumerate() {
        let pos = [ix, ig, ib].iter().position(|&j| j == i);
        if let (Some(p), Some(t)) = (pos, slot.as_mut()) {
            slots[p] = Some(t.data_mut());
        }
    }
    let [sx, sg, sb] = slots;
    let dx = sx.or(scratch_dx.as_deref_mut()).unwrap_or(&mut []);
    let dg = sg.or(scratch_dg.as_deref_mut()).unwrap_or(&mut []);
    let db = sb.or(scratch_db.as_deref_mut()).unwrap_or(&mut []);
    layernorm::layer_norm_backward(
        gout.data(),
        values[ix].data(),
        values[ig].data(),
        mean,
        rstd,
        dx,
        dg,
        db,
    )
}
