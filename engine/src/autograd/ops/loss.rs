//! Cross-entropy of logits against target ids, averaged over rows.

use super::{Mode, with_grad};
use crate::autograd::{Graph, Node, Var};
use crate::error::{Error, Result};
use crate::kernels::elementwise as ew;
use crate::kernels::softmax;
use crate::profile::{self, Op};
use crate::tensor::Tensor;
use std::ops::Range;

impl Graph {
    /// mean over rows of −log softmax(logits)[target]: logits (…, V), targets (rows) → scalar.
    pub fn cross_entropy(&mut self, logits: Var, targets: &[u32]) -> Result<Var> {
        let _scope = profile::scope(Op::CrossEntropy);
        let ld = self.value(logits).dims();
        let v = *ld.last().unwrap_or(&0);
        let rows = self.value(logits).numel().checked_div(v).unwrap_or(0);
        if rows != targets.len() || rows == 0 {
            return Err(Error::shape("cross_entropy", ld, &[targets.len()]));
        }
        if let Some(&bad) = targets.iter().find(|&&t| t as usize >= v) {
            return Err(Error::arg(
                "cross_entropy",
                format!("target {bad} is outside the {v} classes"),
            ));
        }
        // logits: (N, V), probs: (N, V) = softmax rows (the SIMD kernel)
        let mut probs = Tensor::uninit(&[rows, v])?;
        softmax::softmax_rows(self.value(logits).data(), probs.data_mut(), v)?;
        let mut total = 0.0f64;
        for ((lr, pr), &tg) in self
            .value(logits)
            .data()
            .chunks_exact(v)
            .zip(probs.data().chunks_exact(v))
            .zip(targets)
        {
            let p = pr[tg as usize];
            total += if p >= f32::MIN_POSITIVE {
                -(p.ln() as f64)
            } else {
                // The target's probability underflowed: log-sum-exp − x[target] exactly.
                let m = lr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let sum: f64 = lr.iter().map(|&x| ((x - m) as f64).exp()).sum();
                m as f64 + sum.ln() - lr[tg as usize] as f64
            };
        }
        let loss = Tensor::full(&[], (total / rows as f64) as f32)?;
        let o = self.push_out(loss, &[logits]);
        if self.needs_grad(o) {
            let r = self.push_ids(targets);
            self.record(
                Node::CrossEntropy {
                    logits,
                    targets: r,
                    probs,
                    out: o,
                },
                o,
            );
        }
        Ok(o)
    }
}

pub(super) fn cross_entropy_backward(
    g: &mut Graph,
    logits: Var,
    targets: Range<usize>,
    probs: &Tensor,
    gout: &Tensor,
) -> Result<()> {
    let _scope = profile::scope(Op::CrossEntropy);
    let v = probs.dims()[1];
    let rows = probs.dims()[0];
    let s = gout.data()[0] / rows as f32;
    let arena = std::mem::take(&mut g.ids);
    // dlogits (N, V) (+)= (probs − onehot(target)) · dloss / N
    // One kernel call over all rows (not one per row: 2048 calls a small step), then
    // the one-hot term row by row.
    let r = with_grad(g, logits, |_, dl, mode| {
        match mode {
            Mode::Write => ew::scale(probs.data(), s, dl.data_mut())?,
            Mode::Add => ew::axpy(s, probs.data(), dl.data_mut())?,
        }
        for (dr, &tg) in dl.data_mut().chunks_exact_mut(v).zip(&arena[targets]) {
            dr[tg as usize] -= s;
        }
        Ok(())
    });
    g.ids = arena;
    r
}
