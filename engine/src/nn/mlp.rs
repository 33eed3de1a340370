//! A multi-layer perceptron with GELU between layers: the reference reports'
//! training workload is 256 → 256 → 256 → 10 with cross-entropy.

use crate::autograd::{Graph, Var};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::Tensor;

/// Linear layers (weights (in, out), biases (out)) with GELU between them.
#[derive(Debug)]
pub struct Mlp {
    graph: Graph,
    layers: Vec<(Var, Var)>,
    sizes: Vec<usize>,
}

impl Mlp {
    /// Layers of widths `sizes` (at least input and output), weights ~ N(0, 1/fan_in), zero biases.
    pub fn new(sizes: &[usize], seed: u64) -> Result<Mlp> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(Error::arg(
                "mlp",
                format!("layer sizes {sizes:?}: need ≥ 2 positive widths"),
            ));
        }
        let mut rng = Rng::new(seed);
        let mut graph = Graph::new();
        let mut layers = Vec::new();
        for w in sizes.windows(2) {
            let std = 1.0 / (w[0] as f32).sqrt();
            let wv = graph.param(Tensor::randn(&[w[0], w[1]], std, &mut rng)?)?;
            let bv = graph.param(Tensor::zeros(&[w[1]])?)?;
            layers.push((wv, bv));
        }
        Ok(Mlp {
            graph,
            layers,
            sizes: sizes.to_vec(),
        })
    }

    /// The layer widths.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Number of parameters (elements).
    pub fn param_count(&self) -> usize {
        self.graph.param_count()
    }

    /// The graph holding parameters and activations.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The graph, mutable (for optimizers).
    pub fn graph_mut(&mut self) -> &mut Graph {
        &mut self.graph
    }

    /// Record the forward pass: x (N, in) → logits (N, out).
    pub fn forward(&mut self, x: &Tensor) -> Result<Var> {
        let g = &mut self.graph;
        let mut h = g.input(x.clone());
        for (i, &(w, b)) in self.layers.iter().enumerate() {
            // (N, out_i): hidden layers with GELU fused, the last one plain
            h = if i + 1 < self.layers.len() {
                g.linear_gelu(h, w, b)?
            } else {
                g.linear(h, w, Some(b))?
            };
        }
        Ok(h)
    }

    /// Record forward and the mean cross-entropy against class ids.
    pub fn loss(&mut self, x: &Tensor, targets: &[u32]) -> Result<Var> {
        let logits = self.forward(x)?;
        self.graph.cross_entropy(logits, targets)
    }
}
