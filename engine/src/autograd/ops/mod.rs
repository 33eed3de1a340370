//! The differentiable ops: each file holds an op's forward (a method on
//! [`Graph`]) and its backward side by side. Backward functions accumulate
//! into the inputs' gradients.

mod activation;
mod attention;
mod elementwise;
mod embedding;
mod layernorm;
mod loss;
mod matmul;
mod shape;

use super::{Graph, Node, Var};
use crate::error::Result;
use crate::tensor::Tensor;

impl Node {
    fn out(&self) -> Var {
        match self {
            Node::Matmul { out, .. }
            | Node::Add { out, .. }
            | Node::Mul { out, .. }
            | Node::Gelu { out, .. }
            | Node::Softmax { out, .. }
            | Node::LogSoftmax { out, .. }
            | Node::LayerNorm { out, .. }
            | Node::Embedding { out, .. }
            | Node::Reshape { out, .. }
            | Node::SplitHeads { out, .. }
            | Node::MergeHeads { out, .. }
            | Node::Attention { out, .. }
            | Node::SelfAttention { out, .. }
            | Node::CrossEntropy { out, .. }
            | Node::Sum { out, .. } => *out,
        }
    }
}

/// Run one node's backward: take the output's gradient (if any reached it)
/// and accumulate into the inputs' gradients.
pub(super) fn backward(g: &mut Graph, node: &Node) -> Result<()> {
    let Some(gout) = g.grads[node.out().idx()].take() else {
        return Ok(());
    };
    match node {
        Node::Matmul {
            a,
            b,
            trans_b,
            bias,
            out,
        } => matmul::backward(g, *a, *b, *trans_b, *bias, *out, &gout),
        Node::Add { a, b, out } => elementwise::add_backward(g, *a, *b, *out, &gout),
        Node::Mul { a, b, out } => elementwise::mul_backward(g, *a, *b, *out, &gout),
        Node::Sum { x, .. } => elementwise::sum_backward(g, *x, &gout),
        Node::Gelu { x, .. } => activation::gelu_backward(g, *x, &gout),
        Node::Softmax { x, out } => activation::softmax_backward(g, *x, *out, &gout),
        Node::LogSoftmax { x, out } => activation::log_softmax_backward(g, *x, *out, &gout),
        Node::LayerNorm {
            x,
            gamma,
            beta,
            mean,
            rstd,
            ..
        } => layernorm::backward(g, *x, *gamma, *beta, mean, rstd, &gout),
        Node::Embedding { table, ids, .. } => embedding::backward(g, *table, ids.clone(), &gout),
        Node::Reshape { x, .. } => shape::reshape_backward(g, *x, &gout),
        Node::SplitHeads { x, offset, .. } => shape::split_heads_backward(g, *x, *offset, &gout),
        Node::MergeHeads { x, .. } => shape::merge_heads_backward(g, *x, &gout),
        Node::Attention { q, k, v, probs, .. } => attention::backward(g, *q, *k, *v, probs, &gout),
        Node::SelfAttention {
            qkv, n_head, att, ..
        } => attention::self_attention_backward(g, *qkv, *n_head, att, &gout),
        Node::CrossEntropy {
            logits,
            targets,
            probs,
            ..
        } => loss::cross_entropy_backward(g, *logits, targets.clone(), probs, &gout),
    }
}

/// Run `f(values, grad)` on the gradient of `v` (created as zeros on first
/// use) when `v` needs one; do nothing otherwise.
fn with_grad(
    g: &mut Graph,
    v: Var,
    f: impl FnOnce(&[Tensor], &mut Tensor) -> Result<()>,
) -> Result<()> {
    if !g.needs_grad[v.idx()] {
        return Ok(());
    }
    Graph::grad_slot(&mut g.grads, &g.values, v)?;
    match g.grads[v.idx()].as_mut() {
        Some(grad) => f(&g.values, grad),
        None => Ok(()),
    }
}

pub(crate) use matmul::forward as linear_forward;
