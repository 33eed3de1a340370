//! One optimisation step over a recorded forward pass.

use super::adamw::AdamW;
use super::clip::{clip_scale, grad_norm};
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
        // Clipping scales the gradients inside the update, not in a pass of its own.
        let scale = match clip {
            Some(c) => clip_scale(grad_norm(graph)?, c),
            None => 1.0,
        };
        opt.step_scaled(graph, lr, scale)
    });
    graph.clear();
    r.map(|()| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Tensor;
    use crate::train::{AdamWConfig, clip_grad_norm};

    /// w (4) with loss Σ 3·w², gradient 6w: norm ≫ 1, so clipping scales it.
    fn setup() -> (Graph, Var, AdamW) {
        let mut g = Graph::new();
        let w = g
            .param(Tensor::from_slice(&[1.0, -2.0, 0.5, 3.0], &[4]).unwrap())
            .unwrap();
        let opt = AdamW::new(&g, AdamWConfig::default()).unwrap();
        (g, w, opt)
    }

    fn loss(g: &mut Graph, w: Var) -> Var {
        let sq = g.mul(w, w).unwrap();
        let s = g.sum(sq).unwrap();
        let three = g.input(Tensor::full(&[], 3.0).unwrap());
        g.mul(s, three).unwrap()
    }

    #[test]
    fn clipping_inside_the_update_equals_clipping_then_stepping() {
        let (mut a, wa, mut oa) = setup();
        let (mut b, wb, mut ob) = setup();
        for _ in 0..3 {
            let l = loss(&mut a, wa);
            optimize(&mut a, l, &mut oa, 0.01, Some(1.0)).unwrap();
            let l = loss(&mut b, wb);
            b.zero_grad();
            b.backward(l).unwrap();
            clip_grad_norm(&mut b, 1.0).unwrap();
            ob.step(&mut b, 0.01).unwrap();
            b.clear();
            for (x, y) in a.value(wa).data().iter().zip(b.value(wb).data()) {
                assert!((x - y).abs() < 1e-6, "{x} vs {y}");
            }
        }
    }
}
