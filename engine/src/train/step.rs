//! One optimisation step over a recorded forward pass.

use super::adamw::AdamW;
use super::clip::clip_grad_norm;
use crate::autograd::{Graph, Var};
use crate::error::{Error, Result};

/// Back-propagate from `loss` (recorded on `graph`), clip the global gradient
/// norm to `clip` when given, update with AdamW at `lr`, and clear the
/// activations. Returns the loss value; a non-finite loss is an error and
/// leaves the weights untouched.
pub fn optimize(
    graph: &mut Graph,
    loss: Var,
    opt: &mut AdamW,
    lr: f32,
    clip: Option<f32>,
) -> Result<f32> {
    let value = graph.value(loss).data()[0];
    if !value.is_finite() {
        graph.clear();
        return Err(Error::arg("train", format!("loss is {value}")));
    }
    // Replacing, not accumulating: no zero_grad pass over every gradient.
    let r = graph.backward_replacing(loss).and_then(|()| {
        if let Some(c) = clip {
            clip_grad_norm(graph, c)?;
        }
        opt.step(graph, lr)
    });
    graph.clear();
    r.map(|()| value)
}
