//! Gradient clipping by global norm.

use crate::autograd::Graph;
use crate::error::{Error, Result};
use crate::profile::{self, Op};

/// Scale every parameter gradient by `max_norm / norm` when their global L2
/// norm exceeds `max_norm`. Returns the norm before clipping; a non-finite
/// norm is an error (the step would destroy the weights).
pub fn clip_grad_norm(graph: &mut Graph, max_norm: f32) -> Result<f32> {
    let _s = profile::scope(Op::Optimizer);
    let sq: f64 = graph
        .param_grads_mut()
        .map(|g| g.data().iter().map(|&x| x as f64 * x as f64).sum::<f64>())
        .sum();
    let norm = sq.sqrt() as f32;
    if !norm.is_finite() {
        return Err(Error::arg(
            "clip_grad_norm",
            format!("gradient norm is {norm}"),
        ));
    }
    if norm > max_norm {
        let s = max_norm / (norm + 1e-6);
        for g in graph.param_grads_mut() {
            g.data_mut().iter_mut().for_each(|x| *x *= s);
        }
    }
    Ok(norm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Tensor;

    #[test]
    fn clips_to_the_max_norm() {
        let mut g = Graph::new();
        let w = g
            .param(Tensor::from_slice(&[3.0, 4.0], &[2]).unwrap())
            .unwrap();
        let sq = g.mul(w, w).unwrap();
        let s = g.sum(sq).unwrap();
        g.backward(s).unwrap(); // grad = 2w = (6, 8), norm 10
        assert!((clip_grad_norm(&mut g, 5.0).unwrap() - 10.0).abs() < 1e-5);
        let gr = g.grad(w).unwrap().data();
        assert!((gr[0] - 3.0).abs() < 1e-4 && (gr[1] - 4.0).abs() < 1e-4);
        // Under the limit: untouched.
        assert!((clip_grad_norm(&mut g, 100.0).unwrap() - 5.0).abs() < 1e-3);
    }
}
