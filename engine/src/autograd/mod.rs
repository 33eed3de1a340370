//! Reverse-mode automatic differentiation.
//!
//! A [`Graph`] holds two kinds of values: *parameters* (persistent leaves whose
//! gradients accumulate across backward passes until [`Graph::zero_grad`]) and
//! *activations* (everything an op produces, dropped by [`Graph::clear`]).
//! While recording, each op appends a [`Node`] to the tape with what its
//! backward needs; [`Graph::backward`] walks the tape in reverse and
//! accumulates gradients. With recording off (inference) ops compute values
//! only and save nothing.
//!
//! Steady state is allocation-free: values and saved state come from the
//! pool, and the tape's vectors keep their capacity across `clear`.
//!
//! Gradients are never zero-filled just to be added to: an activation's
//! gradient buffer is created uninitialised and its first writer overwrites it
//! (sgemm with β = 0, a copy, or a buffer handed over whole); with
//! [`Graph::backward_replacing`] the parameters' gradients are treated the
//! same way, so a training step has no `zero_grad` pass.
//!
//! Each op lives in `ops/` with its forward and backward side by side.

mod broadcast;
mod ops;

pub(crate) use ops::linear_forward;

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::ops::Range;

/// A handle to a value in a [`Graph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Var(u32);

impl Var {
    #[inline]
    fn idx(self) -> usize {
        self.0 as usize
    }
}

/// One recorded op: its inputs, its output, and what its backward needs.
#[derive(Debug)]
pub(crate) enum Node {
    /// out = a @ b over the last two axes of a; b is (K, N) or, transposed, (N, K).
    Matmul {
        a: Var,
        b: Var,
        trans_b: bool,
        bias: Option<Var>,
        out: Var,
    },
    /// out = gelu(x @ w + bias); `pre` = x @ w (without the bias) saved.
    LinearGelu {
        x: Var,
        w: Var,
        bias: Var,
        pre: Tensor,
        out: Var,
    },
    /// out = res + x @ w + bias (a projection onto the residual stream).
    LinearResidual {
        res: Var,
        x: Var,
        w: Var,
        bias: Var,
        out: Var,
    },
    Add {
        a: Var,
        b: Var,
        out: Var,
    },
    Mul {
        a: Var,
        b: Var,
        out: Var,
    },
    Gelu {
        x: Var,
        out: Var,
    },
    Softmax {
        x: Var,
        out: Var,
    },
    LogSoftmax {
        x: Var,
        out: Var,
    },
    LayerNorm {
        x: Var,
        gamma: Var,
        beta: Var,
        out: Var,
        mean: crate::pool::Buffer,
        rstd: crate::pool::Buffer,
    },
    Embedding {
        table: Var,
        ids: Range<usize>,
        out: Var,
    },
    Reshape {
        x: Var,
        out: Var,
    },
    SplitHeads {
        x: Var,
        offset: usize,
        out: Var,
    },
    MergeHeads {
        x: Var,
        out: Var,
    },
    Attention {
        q: Var,
        k: Var,
        v: Var,
        probs: Tensor,
        out: Var,
    },
    /// Causal self-attention on the fused (B, T, 3C) projection; `att` (B, H, T, T) saved.
    SelfAttention {
        qkv: Var,
        n_head: usize,
        att: Tensor,
        out: Var,
    },
    CrossEntropy {
        logits: Var,
        targets: Range<usize>,
        probs: Tensor,
        out: Var,
    },
    Sum {
        x: Var,
        out: Var,
    },
}

/// Values, gradients and the tape.
#[derive(Debug)]
pub struct Graph {
    values: Vec<Tensor>,
    grads: Vec<Option<Tensor>>,
    /// `grads[i]` holds stale data that stands for zero: its next writer
    /// overwrites instead of adding (see [`ops::Mode`]).
    fresh: Vec<bool>,
    needs_grad: Vec<bool>,
    nodes: Vec<Node>,
    /// Token ids used by embedding lookups and cross-entropy targets, by range.
    ids: Vec<u32>,
    n_params: usize,
    recording: bool,
}

impl Default for Graph {
    fn default() -> Self {
        Graph::new()
    }
}

impl Graph {
    /// An empty graph that records.
    pub fn new() -> Graph {
        Graph {
            values: Vec::new(),
            grads: Vec::new(),
            fresh: Vec::new(),
            needs_grad: Vec::new(),
            nodes: Vec::new(),
            ids: Vec::new(),
            n_params: 0,
            recording: true,
        }
    }

    /// Add a trainable parameter. Parameters come before any activation
    /// (call [`Graph::clear`] first if activations exist).
    pub fn param(&mut self, t: Tensor) -> Result<Var> {
        if self.values.len() != self.n_params {
            return Err(Error::arg(
                "Graph::param",
                "parameters must be added before any activation (clear the graph first)",
            ));
        }
        self.n_params += 1;
        Ok(self.push_leaf(t, true))
    }

    /// Add a constant input (no gradient), dropped by [`Graph::clear`].
    pub fn input(&mut self, t: Tensor) -> Var {
        self.push_leaf(t, false)
    }

    /// Add an input whose gradient is wanted (for tests and analysis), dropped by [`Graph::clear`].
    pub fn input_with_grad(&mut self, t: Tensor) -> Var {
        self.push_leaf(t, true)
    }

    fn push_leaf(&mut self, t: Tensor, grad: bool) -> Var {
        self.values.push(t);
        self.grads.push(None);
        self.fresh.push(false);
        self.needs_grad.push(grad);
        Var((self.values.len() - 1) as u32)
    }

    /// Push an op's output; it needs a gradient when recording and any input does.
    pub(crate) fn push_out(&mut self, t: Tensor, inputs: &[Var]) -> Var {
        let g = self.recording && inputs.iter().any(|v| self.needs_grad[v.idx()]);
        self.push_leaf(t, g)
    }

    /// Whether the next ops are recorded for backward.
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Record (training) or not (inference: values only, nothing saved).
    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
    }

    /// Whether `v` takes part in differentiation.
    pub fn needs_grad(&self, v: Var) -> bool {
        self.needs_grad[v.idx()]
    }

    /// Number of parameters (tensors, not elements).
    pub fn n_params(&self) -> usize {
        self.n_params
    }

    /// The parameter handles, in the order they were added.
    pub fn params(&self) -> impl Iterator<Item = Var> + use<> {
        (0..self.n_params as u32).map(Var)
    }

    /// Total number of parameter elements.
    pub fn param_count(&self) -> usize {
        self.values[..self.n_params].iter().map(Tensor::numel).sum()
    }

    /// A value.
    #[inline]
    pub fn value(&self, v: Var) -> &Tensor {
        &self.values[v.idx()]
    }

    /// A value, mutable (to load or update parameters).
    #[inline]
    pub fn value_mut(&mut self, v: Var) -> &mut Tensor {
        &mut self.values[v.idx()]
    }

    /// The accumulated gradient of a value, if a backward pass reached it.
    pub fn grad(&self, v: Var) -> Option<&Tensor> {
        self.grads[v.idx()].as_ref()
    }

    /// A parameter's value and gradient together (for optimizers).
    pub fn param_and_grad(&mut self, v: Var) -> (&mut Tensor, Option<&Tensor>) {
        let i = v.idx();
        (&mut self.values[i], self.grads[i].as_ref())
    }

    /// The gradients of all parameters, mutable (for clipping).
    pub fn param_grads_mut(&mut self) -> impl Iterator<Item = &mut Tensor> {
        self.grads[..self.n_params].iter_mut().flatten()
    }

    /// Drop activations, their gradients and the tape; keep parameters and their gradients.
    pub fn clear(&mut self) {
        self.nodes.clear();
        self.ids.clear();
        self.values.truncate(self.n_params);
        self.grads.truncate(self.n_params);
        self.fresh.truncate(self.n_params);
        self.needs_grad.truncate(self.n_params);
    }

    /// Zero the parameters' gradients (their buffers stay allocated).
    pub fn zero_grad(&mut self) {
        for g in self.grads[..self.n_params].iter_mut().flatten() {
            g.data_mut().fill(0.0);
        }
        self.fresh[..self.n_params].fill(false);
    }

    /// Number of recorded nodes.
    pub fn tape_len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn push_ids(&mut self, ids: &[u32]) -> Range<usize> {
        let start = self.ids.len();
        self.ids.extend_from_slice(ids);
        start..self.ids.len()
    }

    pub(crate) fn record(&mut self, node: Node, out: Var) {
        if self.needs_grad[out.idx()] {
            self.nodes.push(node);
        }
    }

    /// Back-propagate from a scalar (one-element) value: d loss / d loss = 1.
    pub fn backward(&mut self, loss: Var) -> Result<()> {
        if self.value(loss).numel() != 1 {
            return Err(Error::InvalidShape {
                op: "backward",
                shape: self.value(loss).dims().to_vec(),
                reason: "backward needs a scalar; use backward_with for a seed gradient".into(),
            });
        }
        let seed = Tensor::full(self.value(loss).dims(), 1.0)?;
        self.backward_with(loss, seed)
    }

    /// Back-propagate from `out` with the seed gradient `seed` (same shape as `out`).
    pub fn backward_with(&mut self, out: Var, seed: Tensor) -> Result<()> {
        if seed.dims() != self.value(out).dims() {
            return Err(Error::shape(
                "backward",
                self.value(out).dims(),
                seed.dims(),
            ));
        }
        if !self.needs_grad[out.idx()] {
            return Err(Error::arg(
                "backward",
                "the value does not depend on any parameter or was computed without recording",
            ));
        }
        // Parameter gradients persist across steps: create them all before the
        // walk so the pool sees the same rents in every step from the first.
        for i in 0..self.n_params {
            let slot = &mut self.grads[i];
            if slot.is_none() {
                *slot = Some(Tensor::zeros(self.values[i].dims())?);
                self.fresh[i] = false;
            }
        }
        self.accumulate_seed(out, seed)?;
        let mut nodes = std::mem::take(&mut self.nodes);
        let result = nodes
            .iter()
            .rev()
            .try_for_each(|node| ops::backward(self, node));
        // Each node took (and dropped) its output's gradient, so what remains
        // are the gradients of leaves: parameters and inputs that asked for one.
        nodes.clear();
        self.nodes = nodes;
        result
    }

    /// Back-propagate from a scalar loss, *replacing* the parameters'
    /// gradients instead of adding to them: the result of [`Graph::zero_grad`]
    /// then [`Graph::backward`], without a pass that zeroes every gradient
    /// first (each parameter's first gradient write overwrites its buffer).
    pub fn backward_replacing(&mut self, loss: Var) -> Result<()> {
        // Missing buffers (first step) are created as zeros by backward_with.
        for i in 0..self.n_params {
            self.fresh[i] = self.grads[i].is_some();
        }
        let r = self.backward(loss);
        // A parameter no gradient reached (or every one, after an error before
        // the walk) still holds stale data: its gradient is zero.
        for i in 0..self.n_params {
            if std::mem::take(&mut self.fresh[i])
                && let Some(g) = self.grads[i].as_mut()
            {
                g.data_mut().fill(0.0);
            }
        }
        r
    }

    fn accumulate_seed(&mut self, v: Var, seed: Tensor) -> Result<()> {
        let i = v.idx();
        match &mut self.grads[i] {
            Some(g) if !self.fresh[i] => {
                crate::kernels::elementwise::axpy(1.0, seed.data(), g.data_mut())
            }
            slot => {
                *slot = Some(seed);
                self.fresh[i] = false;
                Ok(())
            }
        }
    }

    /// Make the gradient slot of `v` ready for a write and say which kind:
    /// a new slot (an uninitialised buffer) or a fresh one is to be
    /// overwritten, any other added to. The caller writes it and then clears
    /// `fresh` (see `ops::with_grad`).
    pub(crate) fn grad_mode(&mut self, v: Var) -> Result<ops::Mode> {
        let i = v.idx();
        if self.grads[i].is_none() {
            self.grads[i] = Some(Tensor::uninit(self.values[i].dims())?);
            self.fresh[i] = true;
        }
        Ok(if self.fresh[i] {
            ops::Mode::Write
        } else {
            ops::Mode::Add
        })
    }

    /// Make the gradient slot of `v` hold a value that can be added to
    /// (zeros when new or fresh), for backward kernels that only accumulate.
    pub(crate) fn grad_for_add(&mut self, v: Var) -> Result<()> {
        if self.grad_mode(v)? == ops::Mode::Write
            && let Some(g) = self.grads[v.idx()].as_mut()
        {
            g.data_mut().fill(0.0);
        }
        self.fresh[v.idx()] = false;
        Ok(())
    }

    /// Hand a whole gradient tensor to `v` when its slot would be overwritten
    /// anyway (new or fresh) and the shapes agree: no copy, no zeroing.
    /// Returns the tensor back when `v`'s gradient already holds values to
    /// add to; drops it when `v` wants no gradient.
    pub(crate) fn give_grad(&mut self, v: Var, t: Tensor) -> Option<Tensor> {
        let i = v.idx();
        if !self.needs_grad[i] {
            return None;
        }
        let writable = self.grads[i].is_none() || self.fresh[i];
        if writable && t.dims() == self.values[i].dims() {
            self.grads[i] = Some(t);
            self.fresh[i] = false;
            None
        } else {
            Some(t)
        }
    }
}
