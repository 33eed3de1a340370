//! Gradient clipping by global norm.

use crate::autograd::Graph;
use crate::error::{Error, Result};
use crate::profile::{self, Op};

/// Scale every parameter gradient by `max_norm / norm` when their global L2
/// norm exceeds `max_norm`. Returns the norm before clipping; a non-finite
/// norm is an error (the step would destroy the weights).
pub fn clip_grad_norm(graph: &mut Graph, max_norm: f32) -> Result<f32> {
    let _s = profile::scope(Op::Optimizer);
    let norm = grad_norm(graph)?;
    let s = clip_scale(norm, max_norm);
    if s != 1.0 {
        for g in graph.param_grads_mut() {
            g.data_mut().iter_mut().for_each(|x| *x *= s);
        }
    }
    Ok(norm)
}

/// The global L2 norm of the parameter gradients; a non-finite norm is an error.
pub(crate) fn grad_norm(graph: &mut Graph) -> Result<f32> {
    let _s = profile::scope(Op::Optimizer);
    let sq: f64 = graph.param_grads_mut().map(|g| sum_sq(g.data())).sum();
    let norm = sq.sqrt() as f32;
    if !norm.is_finite() {
        return Err(Error::arg(
            "clip_grad_norm",
            format!("gradient norm is {norm}"),
        ));
    }
    Ok(norm)
}

/// The factor clipping to `max_norm` multiplies gradients by: 1 under the limit.
pub(crate) fn clip_scale(norm: f32, max_norm: f32) -> f32 {
    if norm > max_norm {
        max_norm / (norm + 1e-6)
    } else {
        1.0
    }
}

/// Σ x², in f64 across blocks of 1024 whose sums are taken in f32 by 16
/// independent lanes (a loop the compiler vectorises; a single f64 chain is
/// one add per 4 cycles).
fn sum_sq(x: &[f32]) -> f64 {
    const L: usize = 16;
    let mut total = 0.0f64;
    for block in x.chunks(1024) {
        let mut acc = [0.0f32; L];
        let mut it = block.chunks_exact(L);
        for c in &mut it {
            for (a, &v) in acc.iter_mut().zip(c) {
                *a += v * v;
            }
        }
        let tail: f32 = it.remainder().iter().map(|&v| v * v).sum();
        total += acc.iter().map(|&a| a as f64).sum::<f64>() + tail as f64;
    }
    total
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

    #[test]
    fn blocked_sum_of_squares_matches_f64() {
        let mut rng = crate::rng::Rng::new(4);
        for n in [0, 1, 15, 16, 17, 1023, 1024, 1025, 5000] {
            let x: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
            let want: f64 = x.iter().map(|&v| v as f64 * v as f64).sum();
            assert!((sum_sq(&x) - want).abs() <= 1e-6 * want.max(1.0), "{n}");
        }
    }
}
