//! The differentiable ops: each file holds an op's forward (a method on
//! [`Graph`]) and its backward side by side. Backward functions write or
//! accumulate into the inputs' gradients, as [`Mode`] says.

mod activation;
mod attention;
mod elementwise;
mod embedding;
mod layernorm;
mod linear_gelu;
mod linear_residual;
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
            | Node::LinearGelu { out, .. }
            | Node::LinearResidual { out, .. }
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
        Node::LinearGelu {
            x,
            w,
            bias,
            pre,
            out,
        } => linear_gelu::backward(g, *x, *w, *bias, pre, *out, gout),
        Node::LinearResidual {
            res,
            x,
            w,
            bias,
            out,
        } => linear_residual::backward(g, *res, *x, *w, *bias, *out, gout),
        Node::Add { a, b, .. } => elementwise::add_backward(g, *a, *b, gout),
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

/// How a backward puts its result into a gradient slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The slot holds stale data standing for zero: overwrite it.
    Write,
    /// The slot holds a gradient: add to it.
    Add,
}

impl Mode {
    /// sgemm's β for this mode.
    pub(crate) fn beta(self) -> f32 {
        match self {
            Mode::Write => 0.0,
            Mode::Add => 1.0,
        }
    }
}

/// Run `f(values, grad, mode)` on the gradient of `v` when `v` needs one (do
/// nothing otherwise); `f` must write every element in [`Mode::Write`].
fn with_grad(
    g: &mut Graph,
    v: Var,
    f: impl FnOnce(&[Tensor], &mut Tensor, Mode) -> Result<()>,
) -> Result<()> {
    if !g.needs_grad[v.idx()] {
        return Ok(());
    }
    let mode = g.grad_mode(v)?;
    let r = match g.grads[v.idx()].as_mut() {
        Some(grad) => f(&g.values, grad, mode),
        None => Ok(()),
    };
    g.fresh[v.idx()] = false;
    r
}

/// [`with_grad`] for a backward that can only accumulate: a slot to be
/// written is zeroed first.
fn with_grad_add(
    g: &mut Graph,
    v: Var,
    f: impl FnOnce(&[Tensor], &mut Tensor) -> Result<()>,
) -> Result<()> {
    with_grad(g, v, |vals, grad, mode| {
        if mode == Mode::Write {
            grad.data_mut().fill(0.0);
        }
        f(vals, grad)
    })
}

pub(crate) use matmul::forward as linear_forward;
