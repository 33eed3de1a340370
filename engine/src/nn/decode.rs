//! Incremental decoding with a KV cache.
//!
//! Each step runs one token through the model at the next position, appends
//! its keys and values to the cache, and attends over the cached positions.
//! Nothing is recorded. Every buffer is rented once in [`Decoder::new`], so
//! after that a step allocates nothing.

use super::gemv::{Sweep, far_above, matrix_times_row, row_times_matrix};
use super::gpt2::Gpt2;
use super::sample::{Sampler, Sampling};
use crate::autograd::linear_forward;
use crate::error::{Error, Result};
use crate::kernels::attention::attend_one;
use crate::kernels::{elementwise, gelu, layernorm};
use crate::pool::{self, Buffer};
use crate::profile::{self, Op};

/// Prompt tokens processed together (one matrix product per layer instead of
/// one matrix-vector product per token); the scratch space holds this many rows.
const CHUNK: usize = 16;

/// The KV cache and scratch space for decoding one sequence with one model shape.
#[derive(Debug)]
pub struct Decoder {
    n_layer: usize,
    n_head: usize,
    n_embd: usize,
    n_positions: usize,
    vocab: usize,
    /// Keys and values (L, H, P, D): a token's are two contiguous runs per layer.
    k: Buffer,
    v: Buffer,
    len: usize,
    x: Buffer,      // (R, C) residual stream, R ≤ CHUNK rows
    h: Buffer,      // (R, C) normalised
    qkv: Buffer,    // (R, 3C)
    att: Buffer,    // (R, C) attention output, heads concatenated
    tmp: Buffer,    // (R, C) projection output
    scores: Buffer, // (H, P)
    fc: Buffer,     // (R, 4C)
    act: Buffer,    // (R, 4C)
    logits: Buffer, // (V) for the last row
    stat: Buffer,   // mean (R), rstd (R)
    /// The weights a step streams are too many to stay in L3: prefetch far ahead too.
    far: bool,
}

impl Decoder {
    /// A decoder (empty cache) sized for `model`.
    pub fn new(model: &Gpt2) -> Decoder {
        let c = model.config();
        let (l, p, e) = (c.n_layer, c.n_positions, c.n_embd);
        Decoder {
            n_layer: l,
            n_head: c.n_head,
            n_embd: e,
            n_positions: p,
            vocab: c.vocab_size,
            k: pool::rent_zeroed(l * p * e),
            v: pool::rent_zeroed(l * p * e),
            len: 0,
            x: pool::rent(CHUNK * e),
            h: pool::rent(CHUNK * e),
            qkv: pool::rent(CHUNK * 3 * e),
            att: pool::rent(CHUNK * e),
            tmp: pool::rent(CHUNK * e),
            scores: pool::rent(c.n_head * p),
            fc: pool::rent(CHUNK * 4 * e),
            act: pool::rent(CHUNK * 4 * e),
            logits: pool::rent(c.vocab_size),
            stat: pool::rent(2 * CHUNK),
            far: streamed_bytes(c) > far_above(),
        }
    }

    /// This decoder with the far prefetch on or off whatever its model's size: how the
    /// calibration measures `Blocking::gemv_far_above`.
    pub(crate) fn with_far(mut self, far: bool) -> Decoder {
        self.far = far;
        self
    }

    /// Forget the sequence (keep the buffers).
    pub fn reset(&mut self) {
        self.len = 0;
    }

    /// Number of tokens in the cache.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Feed one token at the next position; returns the logits (V) predicting the one after.
    pub fn step(&mut self, model: &Gpt2, token: u32) -> Result<&[f32]> {
        self.prefill(model, &[token])
    }

    /// Feed tokens at the next positions, several at a time; returns the logits
    /// (V) after the last one. Same results as feeding them one by one.
    pub fn prefill(&mut self, model: &Gpt2, tokens: &[u32]) -> Result<&[f32]> {
        self.check(model, tokens)?;
        for chunk in tokens.chunks(CHUNK) {
            self.rows(model, chunk)?;
        }
        Ok(&self.logits)
    }

    fn check(&self, model: &Gpt2, tokens: &[u32]) -> Result<()> {
        let cfg = model.config();
        if cfg.n_embd != self.n_embd
            || cfg.n_layer != self.n_layer
            || cfg.n_positions != self.n_positions
            || cfg.vocab_size != self.vocab
            || cfg.n_head != self.n_head
        {
            return Err(Error::arg(
                "decode",
                "the decoder was sized for another model shape",
            ));
        }
        if tokens.is_empty() {
            return Err(Error::arg("decode", "no tokens to feed"));
        }
        if self.len + tokens.len() > self.n_positions {
            return Err(Error::arg(
                "decode",
                format!(
                    "{} cached + {} new tokens exceed the context of {} positions",
                    self.len,
                    tokens.len(),
                    self.n_positions
                ),
            ));
        }
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= self.vocab) {
            return Err(Error::arg(
                "decode",
                format!("token id {t} is outside the vocabulary of {}", self.vocab),
            ));
        }
        Ok(())
    }

    /// Run `tokens` (≤ CHUNK, checked) through the model at positions len.., append
    /// their keys and values to the cache, and leave the last row's logits.
    fn rows(&mut self, model: &Gpt2, tokens: &[u32]) -> Result<()> {
        let n = tokens.len();
        let (c, nh, p) = (self.n_embd, self.n_head, self.n_positions);
        let d = c / nh;
        let pos0 = self.len;
        let eps = model.config().layer_norm_epsilon;
        let g = model.graph();
        let val = |v| g.value(v).data();
        let (x, h) = (&mut self.x[..n * c], &mut self.h[..n * c]);
        let qkv = &mut self.qkv[..n * 3 * c];
        let (att, tmp) = (&mut self.att[..n * c], &mut self.tmp[..n * c]);
        let (fc, act) = (&mut self.fc[..n * 4 * c], &mut self.act[..n * 4 * c]);
        let (mean, rstd) = self.stat.split_at_mut(CHUNK);
        let (mean, rstd) = (&mut mean[..n], &mut rstd[..n]);
        {
            let _s = profile::scope(Op::Embedding);
            // x (R, C) = wte[tokens] + wpe[pos0..pos0 + R]
            for (r, (&t, xr)) in tokens.iter().zip(x.chunks_exact_mut(c)).enumerate() {
                let (t, q) = (t as usize, pos0 + r);
                elementwise::add(
                    &val(model.wte)[t * c..(t + 1) * c],
                    &val(model.wpe)[q * c..(q + 1) * c],
                    xr,
                )?;
            }
        }
        // Each gemv prefetches, as it finishes, the start of the matrix read after
        // it: the step reads its weights as one stream (the head's successor is
        // the first layer's, for the next step).
        let head = val(model.head());
        let far = self.far;
        let then = |next| Sweep { next, far };
        let first = model.blocks.first().map_or(head, |b| val(b.attn_w));
        for (l, b) in model.blocks.iter().enumerate() {
            let after = model.blocks.get(l + 1).map_or(head, |b| val(b.attn_w));
            // h (R, C) = LN1(x); qkv (R, 3C) = h @ W (C, 3C) + b
            layernorm::layer_norm(x, val(b.ln1_g), val(b.ln1_b), eps, h, mean, rstd)?;
            let (w, bias) = (val(b.attn_w), val(b.attn_b));
            linear(h, w, bias, qkv, (n, c, 3 * c), then(val(b.proj_w)))?;
            {
                // cache: keys and values (H, P, D)
                let layer = l * c * p;
                let (kc, vc) = (
                    &mut self.k[layer..layer + c * p],
                    &mut self.v[layer..layer + c * p],
                );
                for (r, row) in qkv.chunks_exact(3 * c).enumerate() {
                    let pos = pos0 + r;
                    for hd in 0..nh {
                        let at = hd * p * d + pos * d;
                        let (k, v) = (c + hd * d, 2 * c + hd * d);
                        kc[at..at + d].copy_from_slice(&row[k..k + d]);
                        vc[at..at + d].copy_from_slice(&row[v..v + d]);
                    }
                }
                // att_r (C) = attention of row r over the positions ≤ pos0 + r
                for (r, (row, out)) in qkv
                    .chunks_exact(3 * c)
                    .zip(att.chunks_exact_mut(c))
                    .enumerate()
                {
                    let _s = profile::scope(Op::Attention);
                    let scores = &mut self.scores[..nh * (pos0 + r + 1)];
                    attend_one(&row[..c], kc, vc, nh, p, scores, out);
                }
            }
            // x += att @ Wproj (C, C) + b
            let (w, bias) = (val(b.proj_w), val(b.proj_b));
            linear(att, w, bias, tmp, (n, c, c), then(val(b.fc_w)))?;
            elementwise::axpy(1.0, tmp, x)?;
            // x += gelu(LN2(x) @ Wfc (C, 4C) + b) @ Wproj (4C, C) + b
            layernorm::layer_norm(x, val(b.ln2_g), val(b.ln2_b), eps, h, mean, rstd)?;
            let (w, bias) = (val(b.fc_w), val(b.fc_b));
            linear(h, w, bias, fc, (n, c, 4 * c), then(val(b.fc_proj_w)))?;
            gelu::gelu_tanh(fc, act)?;
            let (w, bias) = (val(b.fc_proj_w), val(b.fc_proj_b));
            linear(act, w, bias, tmp, (n, 4 * c, c), then(after))?;
            elementwise::axpy(1.0, tmp, x)?;
        }
        // logits (V) = LNf(x_last) @ headᵀ, head (V, C)
        let last = &x[(n - 1) * c..];
        let hl = &mut h[..c];
        layernorm::layer_norm(
            last,
            val(model.lnf_g),
            val(model.lnf_b),
            eps,
            hl,
            &mut mean[..1],
            &mut rstd[..1],
        )?;
        // One dot product per vocabulary row: for this shape it beats the
        // general gemv (measured: 3.5 µs vs 21 µs for 256 × 128).
        {
            let _s = profile::scope(Op::Matmul);
            matrix_times_row(head, hl, &mut self.logits, then(first));
        }
        self.len += n;
        Ok(())
    }
}

/// out (R, N) = x (R, K) @ w (K, N) + bias: one row through the row-streaming
/// gemv (which prefetches as `sweep` says: on into the matrix read after `w`),
/// several through sgemm.
fn linear(
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    out: &mut [f32],
    (rows, k, n): (usize, usize, usize),
    sweep: Sweep,
) -> Result<()> {
    if rows == 1 {
        let _s = profile::scope(Op::Matmul);
        row_times_matrix(x, w, bias, out, sweep);
        Ok(())
    } else {
        linear_forward(x, w, false, Some(bias), out, rows, k, n)
    }
}

/// Bytes of the matrices a decoding step of `c` streams, which decide its far prefetch.
pub(crate) fn streamed_bytes(c: &super::Gpt2Config) -> usize {
    4 * streamed_floats(c)
}

/// Floats of the matrices a decoding step streams: per layer C·3C + C·C + C·4C +
/// 4C·C, and the head V·C.
fn streamed_floats(c: &super::Gpt2Config) -> usize {
    let e = c.n_embd;
    c.n_layer * 12 * e * e + c.vocab_size * e
}

/// Generate `max_new` tokens after `prompt` with the KV cache.
pub fn generate(
    model: &Gpt2,
    prompt: &[u32],
    max_new: usize,
    sampling: Sampling,
) -> Result<Vec<u32>> {
    let mut dec = Decoder::new(model);
    let mut sampler = Sampler::new(sampling, model.config().vocab_size)?;
    let mut out = Vec::with_capacity(max_new);
    generate_into(model, &mut dec, &mut sampler, prompt, max_new, &mut out)?;
    Ok(out)
}

/// Generate into `out` (cleared first) reusing a decoder and a sampler: the
/// allocation-free form for repeated generation.
pub fn generate_into(
    model: &Gpt2,
    dec: &mut Decoder,
    sampler: &mut Sampler,
    prompt: &[u32],
    max_new: usize,
    out: &mut Vec<u32>,
) -> Result<()> {
    out.clear();
    if prompt.is_empty() {
        return Err(Error::arg("generate", "the prompt is empty"));
    }
    let ctx = model.config().n_positions;
    // The last new token is never fed back, so it needs no position.
    if prompt.len() + max_new.saturating_sub(1) > ctx {
        return Err(Error::arg(
            "generate",
            format!(
                "{} prompt tokens + {max_new} new ones exceed the context of {ctx}",
                prompt.len()
            ),
        ));
    }
    dec.reset();
    let mut logits = dec.prefill(model, prompt)?;
    for i in 0..max_new {
        let next = sampler.pick(logits)?;
        out.push(next);
        if i + 1 < max_new {
            logits = dec.step(model, next)?;
        }
    }
    Ok(())
}
