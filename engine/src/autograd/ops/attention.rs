//! Causal scaled dot-product attention over heads.
//!
//! Per (batch, head): S = Q Kᵀ / √D, masked so position i sees j ≤ i,
//! P = softmax(S), O = P V. The probabilities are saved for backward.
//!
//! Two forms: [`Graph::self_attention`] works on GPT-2's fused QKV projection
//! with the hand-written kernel of `kernels/attention.rs` (what the model
//! uses); [`Graph::attention`] takes separate (B, H, T, D) heads and runs
//! per-head sgemms.

use super::{Mode, with_grad};
use crate::autograd::{Graph, Node, Var};
use crate::error::{Error, Result};
use crate::kernels::attention::{self as kernel, AttnShape};
use crate::kernels::softmax;
use crate::matmul::{Trans, sgemm};
use crate::pool;
use crate::profile::{self, Op};
use crate::tensor::Tensor;

impl Graph {
    /// Causal multi-head self-attention on a fused projection:
    /// qkv (B, T, 3C) with Q, K, V at columns 0, C, 2C → out (B, T, C), heads
    /// concatenated. Equals split_heads ×3, [`Graph::attention`], merge_heads.
    pub fn self_attention(&mut self, qkv: Var, n_head: usize) -> Result<Var> {
        let xd = self.value(qkv).dims();
        if xd.len() != 3 || !xd[2].is_multiple_of(3) || n_head == 0 {
            return Err(Error::InvalidShape {
                op: "self_attention",
                shape: xd.to_vec(),
                reason: format!("needs (B, T, 3C) with C a multiple of {n_head} heads"),
            });
        }
        let shape = AttnShape {
            batch: xd[0],
            seq: xd[1],
            channels: xd[2] / 3,
            heads: n_head,
        };
        let (b, t, c) = (shape.batch, shape.seq, shape.channels);
        let mut out = Tensor::uninit(&[b, t, c])?;
        let mut att = Tensor::uninit(&[b, n_head, t, t])?;
        let mut scratch = pool::rent(shape.scratch_len());
        // att is read only by the backward: its upper triangle is left unwritten.
        kernel::causal_attention_for_backward(
            self.value(qkv).data(),
            att.data_mut(),
            out.data_mut(),
            shape,
            &mut scratch,
        )?;
        let o = self.push_out(out, &[qkv]);
        self.record(
            Node::SelfAttention {
                qkv,
                n_head,
                att,
                out: o,
            },
            o,
        );
        Ok(o)
    }

    /// out = softmax(mask(q kᵀ / √D)) v: q, k, v (B, H, T, D) → (B, H, T, D).
    pub fn attention(&mut self, q: Var, k: Var, v: Var) -> Result<Var> {
        let _scope = profile::scope(Op::Attention);
        let qd = self.value(q).dims();
        if qd.len() != 4 || self.value(k).dims() != qd || self.value(v).dims() != qd {
            return Err(Error::shape("attention", qd, self.value(k).dims()));
        }
        let (b, h, t, d) = (qd[0], qd[1], qd[2], qd[3]);
        let mut out = Tensor::uninit(qd)?;
        let mut probs = Tensor::uninit(&[b, h, t, t])?;
        forward(
            self.value(q).data(),
            self.value(k).data(),
            self.value(v).data(),
            probs.data_mut(),
            out.data_mut(),
            b * h,
            t,
            d,
        )?;
        let o = self.push_out(out, &[q, k, v]);
        self.record(
            Node::Attention {
                q,
                k,
                v,
                probs,
                out: o,
            },
            o,
        );
        Ok(o)
    }
}

// q, k, v: (BH, T, D), probs: (BH, T, T), out: (BH, T, D)
fn forward(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    probs: &mut [f32],
    out: &mut [f32],
    bh: usize,
    t: usize,
    d: usize,
) -> Result<()> {
    let scale = 1.0 / (d as f32).sqrt();
    let mut row = pool::rent(t);
    for i in 0..bh {
        let (qs, ks, vs) = (
            &q[i * t * d..][..t * d],
            &k[i * t * d..][..t * d],
            &v[i * t * d..][..t * d],
        );
        let p = &mut probs[i * t * t..][..t * t];
        // S (T, T) = Q Kᵀ · scale
        sgemm(
            Trans::No,
            Trans::Yes,
            t,
            t,
            d,
            scale,
            qs,
            d,
            ks,
            d,
            0.0,
            p,
            t,
        )?;
        // causal softmax: row r keeps columns 0..=r, the rest are exactly 0
        for r in 0..t {
            let pr = &mut p[r * t..(r + 1) * t];
            row[..=r].copy_from_slice(&pr[..=r]);
            softmax::softmax_rows(&row[..=r], &mut pr[..=r], r + 1)?;
            pr[r + 1..].fill(0.0);
        }
        // O (T, D) = P V
        sgemm(
            Trans::No,
            Trans::No,
            t,
            d,
            t,
            1.0,
            p,
            t,
            vs,
            d,
            0.0,
            &mut out[i * t * d..][..t * d],
            d,
        )?;
    }
    Ok(())
}

pub(super) fn backward(
    g: &mut Graph,
    q: Var,
    k: Var,
    v: Var,
    probs: &Tensor,
    gout: &Tensor,
) -> Result<()> {
    let _scope = profile::scope(Op::Attention);
    let qd = g.value(q).dims();
    let (bh, t, d) = (qd[0] * qd[1], qd[2], qd[3]);
    let scale = 1.0 / (d as f32).sqrt();
    let (p, dout) = (probs.data(), gout.data());
    // dS (BH, T, T) = softmax_backward(P, dP) with dP = dO Vᵀ; needed by dq and dk.
    let mut ds = pool::rent(bh * t * t);
    {
        let mut dp = pool::rent(t * t);
        let vv = g.value(v).data();
        for i in 0..bh {
            let r = i * t * d..(i + 1) * t * d;
            // dP (T, T) = dO Vᵀ
            sgemm(
                Trans::No,
                Trans::Yes,
                t,
                t,
                d,
                1.0,
                &dout[r.clone()],
                d,
                &vv[r],
                d,
                0.0,
                &mut dp,
                t,
            )?;
            let dsi = &mut ds[i * t * t..(i + 1) * t * t];
            dsi.fill(0.0);
            softmax::softmax_backward(&p[i * t * t..(i + 1) * t * t], &dp, dsi, t)?;
        }
    }
    // dV (T, D) (+)= Pᵀ dO
    with_grad(g, v, |_, dv, mode| {
        let dv = dv.data_mut();
        for i in 0..bh {
            let r = i * t * d..(i + 1) * t * d;
            sgemm(
                Trans::Yes,
                Trans::No,
                t,
                d,
                t,
                1.0,
                &p[i * t * t..(i + 1) * t * t],
                t,
                &dout[r.clone()],
                d,
                mode.beta(),
                &mut dv[r],
                d,
            )?;
        }
        Ok(())
    })?;
    // dQ (T, D) (+)= dS K · scale
    with_grad(g, q, |vals, dq, mode| {
        let (kk, dq) = (vals[k.idx()].data(), dq.data_mut());
        for i in 0..bh {
            let r = i * t * d..(i + 1) * t * d;
            sgemm(
                Trans::No,
                Trans::No,
                t,
                d,
                t,
                scale,
                &ds[i * t * t..(i + 1) * t * t],
                t,
                &kk[r.clone()],
                d,
                mode.beta(),
                &mut dq[r],
                d,
            )?;
        }
        Ok(())
    })?;
    // dK (T, D) (+)= dSᵀ Q · scale
    with_grad(g, k, |vals, dk, mode| {
        let (qq, dk) = (vals[q.idx()].data(), dk.data_mut());
        for i in 0..bh {
            let r = i * t * d..(i + 1) * t * d;
            sgemm(
                Trans::Yes,
                Trans::No,
                t,
                d,
                t,
                scale,
                &ds[i * t * t..(i + 1) * t * t],
                t,
                &qq[r.clone()],
                d,
                mode.beta(),
                &mut dk[r],
                d,
            )?;
        }
        Ok(())
    })
}

pub(super) fn self_attention_backward(
    g: &mut Graph,
    qkv: Var,
    n_head: usize,
    att: &Tensor,
    gout: &Tensor,
) -> Result<()> {
    // dqkv (B, T, 3C) (+)= attention backward of dout (B, T, C)
    with_grad(g, qkv, |vals, dqkv, mode| {
        let x = &vals[qkv.idx()];
        let xd = x.dims();
        let shape = AttnShape {
            batch: xd[0],
            seq: xd[1],
            channels: xd[2] / 3,
            heads: n_head,
        };
        let mut scratch = pool::rent(shape.scratch_len());
        let backward = match mode {
            Mode::Write => kernel::causal_attention_backward_overwrite,
            Mode::Add => kernel::causal_attention_backward,
        };
        backward(
            gout.data(),
            x.data(),
            att.data(),
            dqkv.data_mut(),
            shape,
            &mut scratch,
        )
    })
}
