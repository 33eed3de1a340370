//! Matrix product with an optional bias: the linear layer.

use super::{Mode, with_grad};
use crate::autograd::{Graph, Node, Var};
use crate::error::{Error, Result};
use crate::matmul::{Trans, sgemm};
use crate::tensor::{MAX_RANK, Tensor};

impl Graph {
    /// out = a @ b: a (…, M, K), b (K, N) → (…, M, N). Leading axes of a are batch rows.
    pub fn matmul(&mut self, a: Var, b: Var) -> Result<Var> {
        self.linear_impl(a, b, false, None)
    }

    /// The (M, K, N) of a fused linear layer x (…, K) @ w (K, N) + bias (N),
    /// or a shape error naming `op` (`bias_op` for the bias).
    pub(super) fn fused_linear_dims(
        &self,
        op: &'static str,
        bias_op: &'static str,
        x: Var,
        w: Var,
        bias: Var,
    ) -> Result<(usize, usize, usize)> {
        let (xd, wd) = (self.value(x).dims(), self.value(w).dims());
        if xd.is_empty() || wd.len() != 2 || xd[xd.len() - 1] != wd[0] {
            return Err(Error::shape(op, xd, wd));
        }
        let (k, n) = (wd[0], wd[1]);
        if self.value(bias).dims() != [n] {
            return Err(Error::shape(bias_op, &[n], self.value(bias).dims()));
        }
        let m = self.value(x).numel().checked_div(k).unwrap_or(0);
        Ok((m, k, n))
    }

    /// out = x @ w + bias: x (…, K), w (K, N) (Conv1D layout, as GPT-2 stores it), bias (N).
    pub fn linear(&mut self, x: Var, w: Var, bias: Option<Var>) -> Result<Var> {
        self.linear_impl(x, w, false, bias)
    }

    /// out = x @ wᵀ + bias: x (…, K), w (N, K) (nn.Linear layout: the LM head), bias (N).
    pub fn linear_t(&mut self, x: Var, w: Var, bias: Option<Var>) -> Result<Var> {
        self.linear_impl(x, w, true, bias)
    }

    fn linear_impl(&mut self, a: Var, b: Var, trans_b: bool, bias: Option<Var>) -> Result<Var> {
        const OP: &str = "matmul";
        let (ad, bd) = (self.value(a).dims(), self.value(b).dims());
        if ad.is_empty() || bd.len() != 2 {
            return Err(Error::shape(OP, ad, bd));
        }
        let k = ad[ad.len() - 1];
        let (bk, n) = if trans_b {
            (bd[1], bd[0])
        } else {
            (bd[0], bd[1])
        };
        if bk != k {
            return Err(Error::shape(OP, ad, bd));
        }
        if let Some(bias) = bias
            && self.value(bias).dims() != [n]
        {
            return Err(Error::shape("linear bias", &[n], self.value(bias).dims()));
        }
        let m = self.value(a).numel().checked_div(k).unwrap_or(0);
        let mut dims = [0; MAX_RANK];
        dims[..ad.len()].copy_from_slice(ad);
        dims[ad.len() - 1] = n;
        let mut out = Tensor::uninit(&dims[..ad.len()])?;
        // a: (M, K), b: (K, N) or (N, K), out: (M, N)
        forward(
            self.value(a).data(),
            self.value(b).data(),
            trans_b,
            bias.map(|v| self.value(v).data()),
            out.data_mut(),
            m,
            k,
            n,
        )?;
        let inputs = [a, b, bias.unwrap_or(a)];
        let o = self.push_out(out, &inputs);
        self.record(
            Node::Matmul {
                a,
                b,
                trans_b,
                bias,
                out: o,
            },
            o,
        );
        Ok(o)
    }
}

/// out (M, N) = a (M, K) @ b (K, N | N, K if trans_b) + bias (N).
pub(crate) fn forward(
    a: &[f32],
    b: &[f32],
    trans_b: bool,
    bias: Option<&[f32]>,
    out: &mut [f32],
    m: usize,
    k: usize,
    n: usize,
) -> Result<()> {
    let (tb, ldb) = if trans_b {
        (Trans::Yes, k)
    } else {
        (Trans::No, n)
    };
    match bias {
        Some(bias) => {
            for row in out.chunks_exact_mut(n.max(1)) {
                row.copy_from_slice(bias);
            }
            sgemm(Trans::No, tb, m, n, k, 1.0, a, k, b, ldb, 1.0, out, n)
        }
        None => sgemm(Trans::No, tb, m, n, k, 1.0, a, k, b, ldb, 0.0, out, n),
    }
}

pub(super) fn backward(
    g: &mut Graph,
    a: Var,
    b: Var,
    trans_b: bool,
    bias: Option<Var>,
    out: Var,
    gout: &Tensor,
) -> Result<()> {
    let _ = out;
    let k = *g.value(a).dims().last().unwrap_or(&0);
    let n = *gout.dims().last().unwrap_or(&0);
    let m = gout.numel().checked_div(n).unwrap_or(0);
    let dy = gout.data();
    // dbias first: its column sums read dy while the sgemms below pack it.
    if let Some(bias) = bias {
        with_grad(g, bias, |_, db, mode| {
            column_sums(dy, m, n, db.data_mut(), mode)
        })?;
    }
    // da (M, K) (+)= dy (M, N) @ bᵀ
    with_grad(g, a, |vals, da, mode| {
        let bw = vals[b.idx()].data();
        let (tb, ldb) = if trans_b {
            (Trans::No, k)
        } else {
            (Trans::Yes, n)
        };
        sgemm(
            Trans::No,
            tb,
            m,
            k,
            n,
            1.0,
            dy,
            n,
            bw,
            ldb,
            mode.beta(),
            da.data_mut(),
            k,
        )
    })?;
    // db (K, N) (+)= aᵀ @ dy, or db (N, K) (+)= dyᵀ @ a
    with_grad(g, b, |vals, db, mode| {
        let x = vals[a.idx()].data();
        if trans_b {
            sgemm(
                Trans::Yes,
                Trans::No,
                n,
                k,
                m,
                1.0,
                dy,
                n,
                x,
                k,
                mode.beta(),
                db.data_mut(),
                k,
            )
        } else {
            sgemm(
                Trans::Yes,
                Trans::No,
                k,
                n,
                m,
                1.0,
                x,
                k,
                dy,
                n,
                mode.beta(),
                db.data_mut(),
                n,
            )
        }
    })
}

/// db (N) (+)= column sums of dy (M, N): the bias gradient, as the product
/// onesᵀ (1, M) @ dy, which sgemm streams as a gemv (SIMD, dy read once).
fn column_sums(dy: &[f32], m: usize, n: usize, db: &mut [f32], mode: Mode) -> Result<()> {
    let mut ones = crate::pool::rent(m);
    ones.fill(1.0);
    sgemm(
        Trans::No,
        Trans::No,
        1,
        n,
        m,
        1.0,
        &ones,
        m.max(1),
        dy,
        n,
        mode.beta(),
        db,
        n,
    )
}
