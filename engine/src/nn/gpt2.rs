//! GPT-2 as `GPT2LMHeadModel` computes it: learned token and position
//! embeddings, pre-LayerNorm blocks (fused QKV projection, causal attention,
//! tanh-GELU MLP of 4× width, residual adds), a final LayerNorm and a tied or
//! untied LM head. Conv1D weights are stored (in, out) as GPT-2 stores them.
//!
//! The training forward is built from autograd ops, whose forward and
//! backward sit side by side in `autograd/ops/`; the incremental,
//! tape-free decoding path is in `decode.rs`.

use super::config::Gpt2Config;
use crate::autograd::{Graph, Var};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::Tensor;

/// One transformer block's parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block {
    pub ln1_g: Var,
    pub ln1_b: Var,
    /// (C, 3C) and (3C)
    pub attn_w: Var,
    pub attn_b: Var,
    /// (C, C) and (C)
    pub proj_w: Var,
    pub proj_b: Var,
    pub ln2_g: Var,
    pub ln2_b: Var,
    /// (C, 4C) and (4C)
    pub fc_w: Var,
    pub fc_b: Var,
    /// (4C, C) and (C)
    pub fc_proj_w: Var,
    pub fc_proj_b: Var,
}

/// A GPT-2 language model: configuration, parameters and the autograd graph that holds them.
#[derive(Debug)]
pub struct Gpt2 {
    config: Gpt2Config,
    pub(crate) graph: Graph,
    /// (V, C)
    pub(crate) wte: Var,
    /// (P, C)
    pub(crate) wpe: Var,
    pub(crate) blocks: Vec<Block>,
    pub(crate) lnf_g: Var,
    pub(crate) lnf_b: Var,
    /// (V, C) when untied; the head is `wte` when tied.
    pub(crate) lm_head: Option<Var>,
    positions: Vec<u32>,
}

impl Gpt2 {
    /// A model with GPT-2's initialisation (normal 0.02; residual projections
    /// scaled by 1/√(2·n_layer); zero biases; unit LayerNorm scales), seeded.
    pub fn new(config: Gpt2Config, seed: u64) -> Result<Gpt2> {
        config.validate()?;
        let mut rng = Rng::new(seed);
        let proj_std = 0.02 / (2.0 * config.n_layer as f32).sqrt();
        Gpt2::build(config, |shape, kind| match kind {
            Init::Normal => Tensor::randn(shape, 0.02, &mut rng),
            Init::Residual => Tensor::randn(shape, proj_std, &mut rng),
            Init::Zeros => Tensor::zeros(shape),
            Init::Ones => Tensor::full(shape, 1.0),
        })
    }

    /// Build the parameter set in checkpoint order, each tensor made by `make(shape, init)`.
    pub(crate) fn build(
        config: Gpt2Config,
        mut make: impl FnMut(&[usize], Init) -> Result<Tensor>,
    ) -> Result<Gpt2> {
        config.validate()?;
        let (c, v, p) = (config.n_embd, config.vocab_size, config.n_positions);
        let mut graph = Graph::new();
        let mut param =
            |shape: &[usize], init: Init| -> Result<Var> { graph.param(make(shape, init)?) };
        let wte = param(&[v, c], Init::Normal)?;
        let wpe = param(&[p, c], Init::Normal)?;
        let mut blocks = Vec::with_capacity(config.n_layer);
        for _ in 0..config.n_layer {
            blocks.push(Block {
                ln1_g: param(&[c], Init::Ones)?,
                ln1_b: param(&[c], Init::Zeros)?,
                attn_w: param(&[c, 3 * c], Init::Normal)?,
                attn_b: param(&[3 * c], Init::Zeros)?,
                proj_w: param(&[c, c], Init::Residual)?,
                proj_b: param(&[c], Init::Zeros)?,
                ln2_g: param(&[c], Init::Ones)?,
                ln2_b: param(&[c], Init::Zeros)?,
                fc_w: param(&[c, 4 * c], Init::Normal)?,
                fc_b: param(&[4 * c], Init::Zeros)?,
                fc_proj_w: param(&[4 * c, c], Init::Residual)?,
                fc_proj_b: param(&[c], Init::Zeros)?,
            });
        }
        let lnf_g = param(&[c], Init::Ones)?;
        let lnf_b = param(&[c], Init::Zeros)?;
        let lm_head = if config.tie_word_embeddings {
            None
        } else {
            Some(param(&[v, c], Init::Normal)?)
        };
        Ok(Gpt2 {
            positions: (0..p as u32).collect(),
            config,
            graph,
            wte,
            wpe,
            blocks,
            lnf_g,
            lnf_b,
            lm_head,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Gpt2Config {
        &self.config
    }

    /// Number of parameters (elements).
    pub fn param_count(&self) -> usize {
        self.graph.param_count()
    }

    /// The graph holding parameters (and, during a step, activations).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The graph, mutable (optimizers update parameters through it).
    pub fn graph_mut(&mut self) -> &mut Graph {
        &mut self.graph
    }

    /// Every parameter with its Hugging Face name (`transformer.` prefix; `lm_head.weight` only when untied).
    pub fn named_params(&self) -> Vec<(String, Var)> {
        let mut out = vec![
            ("transformer.wte.weight".to_string(), self.wte),
            ("transformer.wpe.weight".to_string(), self.wpe),
        ];
        for (i, b) in self.blocks.iter().enumerate() {
            let pre = format!("transformer.h.{i}.");
            for (name, v) in [
                ("ln_1.weight", b.ln1_g),
                ("ln_1.bias", b.ln1_b),
                ("attn.c_attn.weight", b.attn_w),
                ("attn.c_attn.bias", b.attn_b),
                ("attn.c_proj.weight", b.proj_w),
                ("attn.c_proj.bias", b.proj_b),
                ("ln_2.weight", b.ln2_g),
                ("ln_2.bias", b.ln2_b),
                ("mlp.c_fc.weight", b.fc_w),
                ("mlp.c_fc.bias", b.fc_b),
                ("mlp.c_proj.weight", b.fc_proj_w),
                ("mlp.c_proj.bias", b.fc_proj_b),
            ] {
                out.push((format!("{pre}{name}"), v));
            }
        }
        out.push(("transformer.ln_f.weight".to_string(), self.lnf_g));
        out.push(("transformer.ln_f.bias".to_string(), self.lnf_b));
        if let Some(h) = self.lm_head {
            out.push(("lm_head.weight".to_string(), h));
        }
        out
    }

    /// The head's weight (V, C): `lm_head` when untied, `wte` when tied.
    pub(crate) fn head(&self) -> Var {
        self.lm_head.unwrap_or(self.wte)
    }

    /// Record the forward pass on the graph: ids (B, T) → logits (B, T, V).
    /// Call [`Graph::clear`] between steps.
    pub fn forward(&mut self, ids: &[u32], batch: usize) -> Result<Var> {
        let cfg = &self.config;
        let (h, eps) = (cfg.n_head, cfg.layer_norm_epsilon);
        if batch == 0 || ids.is_empty() || !ids.len().is_multiple_of(batch) {
            return Err(Error::arg(
                "gpt2",
                format!(
                    "{} token ids do not split into {batch} sequences",
                    ids.len()
                ),
            ));
        }
        let t = ids.len() / batch;
        if t > cfg.n_positions {
            return Err(Error::arg(
                "gpt2",
                format!(
                    "sequence of {t} tokens exceeds the context of {}",
                    cfg.n_positions
                ),
            ));
        }
        let g = &mut self.graph;
        // tokens: (B, T, C), positions: (T, C)
        let tok = g.embedding(self.wte, ids, &[batch, t])?;
        let pos = g.embedding(self.wpe, &self.positions[..t], &[t])?;
        let mut x = g.add(tok, pos)?; // (B, T, C)
        for b in &self.blocks {
            let a = g.layer_norm(x, b.ln1_g, b.ln1_b, eps)?; // (B, T, C)
            let qkv = g.linear(a, b.attn_w, Some(b.attn_b))?; // (B, T, 3C)
            let y = g.self_attention(qkv, h)?; // (B, T, C), heads concatenated
            // x + y @ proj_w + proj_b: (B, T, C), the residual add fused
            x = g.linear_residual(x, y, b.proj_w, b.proj_b)?;
            let m = g.layer_norm(x, b.ln2_g, b.ln2_b, eps)?; // (B, T, C)
            let m = g.linear_gelu(m, b.fc_w, b.fc_b)?; // (B, T, 4C), GELU fused
            x = g.linear_residual(x, m, b.fc_proj_w, b.fc_proj_b)?; // (B, T, C)
        }
        let x = g.layer_norm(x, self.lnf_g, self.lnf_b, eps)?;
        let head = self.lm_head.unwrap_or(self.wte);
        g.linear_t(x, head, None) // (B, T, V)
    }

    /// Record forward and the mean cross-entropy of predicting `targets` (B·T ids).
    pub fn loss(&mut self, ids: &[u32], targets: &[u32], batch: usize) -> Result<Var> {
        let logits = self.forward(ids, batch)?;
        self.graph.cross_entropy(logits, targets)
    }

    /// Logits (T, V) at every position of one sequence, without recording.
    pub fn logits(&mut self, ids: &[u32]) -> Result<Tensor> {
        let was = self.graph.is_recording();
        self.graph.clear();
        self.graph.set_recording(false);
        let r = self.forward(ids, 1).and_then(|l| {
            let v = self.config.vocab_size;
            self.graph.value(l).clone().reshape(&[ids.len(), v])
        });
        self.graph.clear();
        self.graph.set_recording(was);
        r
    }
}

/// How a parameter starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Init {
    Normal,
    Residual,
    Zeros,
    Ones,
}
