//! Incremental decoding with a KV cache.
//!
//! Each step runs one token through the model at the next position, appends
//! its keys and values to the cache, and attends over the cached positions.
//! Nothing is recorded. Every buffer is rented once in [`Decoder::new`], so
//! after that a step allocates nothing.

use super::gpt2::Gpt2;
use super::sample::{Sampler, Sampling};
use crate::autograd::linear_forward;
use crate::error::{Error, Result};
use crate::kernels::{elementwise, gelu, layernorm};
use crate::pool::{self, Buffer};
use crate::profile::{self, Op};

/// The KV cache and scratch space for decoding one sequence with one model shape.
#[derive(Debug)]
pub struct Decoder {
    n_layer: usize,
    n_head: usize,
    n_embd: usize,
    n_positions: usize,
    vocab: usize,
    /// Keys and values: (L, H, P, D) each.
    k: Buffer,
    v: Buffer,
    len: usize,
    x: Buffer,      // (C) residual stream
    h: Buffer,      // (C) normalised
    qkv: Buffer,    // (3C)
    att: Buffer,    // (C) attention output, heads concatenated
    tmp: Buffer,    // (C) projection output
    scores: Buffer, // (P)
    fc: Buffer,     // (4C)
    act: Buffer,    // (4C)
    logits: Buffer, // (V)
    stat: Buffer,   // mean, rstd of one row
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
            x: pool::rent(e),
            h: pool::rent(e),
            qkv: pool::rent(3 * e),
            att: pool::rent(e),
            tmp: pool::rent(e),
            scores: pool::rent(p),
            fc: pool::rent(4 * e),
            act: pool::rent(4 * e),
            logits: pool::rent(c.vocab_size),
            stat: pool::rent(2),
        }
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
        let pos = self.len;
        if pos >= self.n_positions {
            return Err(Error::arg(
                "decode",
                format!("the context of {} positions is full", self.n_positions),
            ));
        }
        if token as usize >= self.vocab {
            return Err(Error::arg(
                "decode",
                format!(
                    "token id {token} is outside the vocabulary of {}",
                    self.vocab
                ),
            ));
        }
        let (c, nh, p) = (self.n_embd, self.n_head, self.n_positions);
        let d = c / nh;
        let eps = cfg.layer_norm_epsilon;
        let g = model.graph();
        let val = |v| g.value(v).data();
        {
            let _s = profile::scope(Op::Embedding);
            // x (C) = wte[token] + wpe[pos]
            let t = token as usize;
            elementwise::add(
                &val(model.wte)[t * c..(t + 1) * c],
                &val(model.wpe)[pos * c..(pos + 1) * c],
                &mut self.x,
            )?;
        }
        let (mean, rstd) = self.stat.split_at_mut(1);
        for (l, b) in model.blocks.iter().enumerate() {
            // h (C) = LN1(x); qkv (3C) = h @ W (C, 3C) + b
            layernorm::layer_norm(
                &self.x,
                val(b.ln1_g),
                val(b.ln1_b),
                eps,
                &mut self.h,
                mean,
                rstd,
            )?;
            linear_forward(
                &self.h,
                val(b.attn_w),
                false,
                Some(val(b.attn_b)),
                &mut self.qkv,
                1,
                c,
                3 * c,
            )?;
            {
                let _s = profile::scope(Op::Attention);
                let scale = 1.0 / (d as f32).sqrt();
                let layer = l * nh * p * d;
                for hd in 0..nh {
                    // cache (H, P, D): this head's rows 0..=pos
                    let base = layer + hd * p * d;
                    let kc = &mut self.k[base..base + p * d];
                    kc[pos * d..(pos + 1) * d]
                        .copy_from_slice(&self.qkv[c + hd * d..c + (hd + 1) * d]);
                    let vc = &mut self.v[base..base + p * d];
                    vc[pos * d..(pos + 1) * d]
                        .copy_from_slice(&self.qkv[2 * c + hd * d..2 * c + (hd + 1) * d]);
                    let q = &self.qkv[hd * d..(hd + 1) * d];
                    let kc = &self.k[base..base + (pos + 1) * d];
                    // scores (pos+1) = q · k_j / √D
                    for (s, kr) in self.scores[..=pos].iter_mut().zip(kc.chunks_exact(d)) {
                        *s = dot(q, kr) * scale;
                    }
                    let s = &mut self.scores[..=pos];
                    softmax_in_place(s);
                    // att_h (D) = Σ_j p_j v_j
                    let out = &mut self.att[hd * d..(hd + 1) * d];
                    out.fill(0.0);
                    let vc = &self.v[base..base + (pos + 1) * d];
                    for (&pj, vr) in s.iter().zip(vc.chunks_exact(d)) {
                        elementwise::axpy(pj, vr, out)?;
                    }
                }
            }
            // x += att @ Wproj (C, C) + b
            linear_forward(
                &self.att,
                val(b.proj_w),
                false,
                Some(val(b.proj_b)),
                &mut self.tmp,
                1,
                c,
                c,
            )?;
            elementwise::axpy(1.0, &self.tmp, &mut self.x)?;
            // x += gelu(LN2(x) @ Wfc (C, 4C) + b) @ Wproj (4C, C) + b
            layernorm::layer_norm(
                &self.x,
                val(b.ln2_g),
                val(b.ln2_b),
                eps,
                &mut self.h,
                mean,
                rstd,
            )?;
            linear_forward(
                &self.h,
                val(b.fc_w),
                false,
                Some(val(b.fc_b)),
                &mut self.fc,
                1,
                c,
                4 * c,
            )?;
            gelu::gelu_tanh(&self.fc, &mut self.act)?;
            linear_forward(
                &self.act,
                val(b.fc_proj_w),
                false,
                Some(val(b.fc_proj_b)),
                &mut self.tmp,
                1,
                4 * c,
                c,
            )?;
            elementwise::axpy(1.0, &self.tmp, &mut self.x)?;
        }
        // logits (V) = LNf(x) @ headᵀ, head (V, C)
        layernorm::layer_norm(
            &self.x,
            val(model.lnf_g),
            val(model.lnf_b),
            eps,
            &mut self.h,
            mean,
            rstd,
        )?;
        // One dot product per vocabulary row: for this shape it beats the
        // general gemv (measured: 3.5 µs vs 21 µs for 256 × 128).
        {
            let _s = profile::scope(Op::Matmul);
            for (o, row) in self
                .logits
                .iter_mut()
                .zip(val(model.head()).chunks_exact(c))
            {
                *o = dot(row, &self.h);
            }
        }
        self.len += 1;
        Ok(&self.logits)
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight partial sums: the compiler vectorises this without reassociation flags.
    let mut acc = [0.0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Softmax of one row in place (the kernel needs distinct input and output slices).
fn softmax_in_place(s: &mut [f32]) {
    let m = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in s.iter_mut() {
        *v = (*v - m).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    s.iter_mut().for_each(|v| *v *= inv);
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
    let (last, rest) = prompt.split_last().unwrap_or((&0, &[]));
    for &t in rest {
        dec.step(model, t)?;
    }
    let mut next = *last;
    for i in 0..max_new {
        let logits = dec.step(model, next)?;
        next = sampler.pick(logits)?;
        out.push(next);
        if i + 1 == max_new {
            break;
        }
    }
    Ok(())
}
