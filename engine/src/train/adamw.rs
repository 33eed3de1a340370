//! AdamW (Loshchilov & Hutter): Adam moments with weight decay applied to the
//! weights directly rather than through the gradient, as `torch.optim.AdamW` does.

use crate::autograd::Graph;
use crate::error::{Error, Result};
use crate::profile::{self, Op};
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// AdamW's hyper-parameters (the learning rate comes per step from the schedule).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamWConfig {
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// Decoupled decay, applied to matrices and embeddings (rank ≥ 2), not to biases or norms.
    pub weight_decay: f32,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
}

/// The optimizer state: first and second moments per parameter, and the step count.
#[derive(Debug)]
pub struct AdamW {
    pub config: AdamWConfig,
    pub(crate) m: Vec<Tensor>,
    pub(crate) v: Vec<Tensor>,
    pub(crate) t: u64,
}

impl AdamW {
    /// Zero moments for every parameter of `graph`.
    pub fn new(graph: &Graph, config: AdamWConfig) -> Result<AdamW> {
        let zeros = |g: &Graph| -> Result<Vec<Tensor>> {
            g.params()
                .map(|p| Tensor::zeros(g.value(p).dims()))
                .collect()
        };
        Ok(AdamW {
            config,
            m: zeros(graph)?,
            v: zeros(graph)?,
            t: 0,
        })
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// One update of every parameter that has a gradient, with learning rate `lr`.
    pub fn step(&mut self, graph: &mut Graph, lr: f32) -> Result<()> {
        let _s = profile::scope(Op::Optimizer);
        if graph.n_params() != self.m.len() {
            return Err(Error::arg(
                "adamw",
                format!(
                    "built for {} parameters, the graph has {}",
                    self.m.len(),
                    graph.n_params()
                ),
            ));
        }
        self.t += 1;
        let c = self.config;
        let bc1 = 1.0 - c.beta1.powi(self.t.min(i32::MAX as u64) as i32);
        let bc2 = 1.0 - c.beta2.powi(self.t.min(i32::MAX as u64) as i32);
        let (a1, a2) = (1.0 - c.beta1, 1.0 - c.beta2);
        for (i, var) in graph.params().enumerate() {
            let (p, g) = graph.param_and_grad(var);
            let Some(g) = g else { continue };
            let decay = if p.rank() >= 2 {
                1.0 - lr * c.weight_decay
            } else {
                1.0
            };
            let (m, v) = (self.m[i].data_mut(), self.v[i].data_mut());
            // p ← p·(1 − lr·wd) − lr · m̂ / (√v̂ + ε)
            for (((pv, &gv), mv), vv) in p
                .data_mut()
                .iter_mut()
                .zip(g.data())
                .zip(m.iter_mut())
                .zip(v.iter_mut())
            {
                *mv = c.beta1 * *mv + a1 * gv;
                *vv = c.beta2 * *vv + a2 * gv * gv;
                let mhat = *mv / bc1;
                let vhat = *vv / bc2;
                *pv = *pv * decay - lr * mhat / (vhat.sqrt() + c.eps);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_each_weight_by_lr_against_its_gradient_sign() {
        let mut g = Graph::new();
        let w = g
            .param(Tensor::from_slice(&[1.0, -2.0, 3.0, 0.5], &[2, 2]).unwrap())
            .unwrap();
        let b = g
            .param(Tensor::from_slice(&[1.0, 1.0], &[2]).unwrap())
            .unwrap();
        let s = g.sum(w).unwrap();
        let s2 = g.mul(b, b).unwrap();
        let s2 = g.sum(s2).unwrap();
        let tot = g.add(s, s2).unwrap();
        g.backward(tot).unwrap();
        let cfg = AdamWConfig {
            weight_decay: 0.1,
            ..Default::default()
        };
        let mut opt = AdamW::new(&g, cfg).unwrap();
        opt.step(&mut g, 0.01).unwrap();
        // m̂/√v̂ = sign(g) on the first step; the matrix also decays by (1 − lr·wd).
        let want_w = [
            1.0 * 0.999 - 0.01,
            -2.0 * 0.999 - 0.01,
            3.0 * 0.999 - 0.01,
            0.5 * 0.999 - 0.01,
        ];
        for (a, b) in g.value(w).data().iter().zip(want_w) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        for &a in g.value(b).data() {
            assert!((a - 0.99).abs() < 1e-6, "bias not decayed: {a}");
        }
        assert_eq!(opt.steps(), 1);
    }
}
