//! Causal multi-head self-attention on GPT-2's fused QKV layout, forward and
//! backward side by side (as llm.c writes them), and one query row over a KV
//! cache for decoding.
//!
//! ```text
//! // qkv: (B, T, 3C): Q, K, V at columns 0, C, 2C; head h at h·D inside each (D = C/H)
//! // att: (B, H, T, T): row t holds softmax(q_t·k_j/√D) for j ≤ t, exact zeros after
//! // out: (B, T, C): heads concatenated, as the output projection wants them
//! ```
//!
//! Working on the fused layout removes the head split/merge copies; one call per
//! layer replaces 2·B·H small sgemms (4·B·H in backward) and B·H·T row softmaxes,
//! and only the causal half of every T×T product is computed. The SIMD body
//! works on register tiles of R query rows (8 on AVX-512, 4 on AVX2) × NV
//! vectors: scores are R rows × NV·LANES key columns against a transposed K
//! (D, T), weighted sums R rows × NV·LANES channels, so every loaded vector
//! feeds R FMAs and every broadcast NV.

use super::whole_rows;
use crate::error::{Error, Result};
use crate::profile::{Op, scope};
use crate::simd::{self, Tier, simd_kernel};

/// Vectors per register tile row: R × NV accumulators, R broadcasts and NV
/// loads per R·NV FMAs.
const NV: usize = 2;

/// The shape of a self-attention call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttnShape {
    /// Sequences (B).
    pub batch: usize,
    /// Positions per sequence (T).
    pub seq: usize,
    /// Channels (C), a multiple of `heads`.
    pub channels: usize,
    /// Heads (H).
    pub heads: usize,
}

impl AttnShape {
    /// Channels per head (D).
    pub fn head_dim(&self) -> usize {
        self.channels / self.heads
    }

    /// Floats of scratch space the kernels need: one head's keys or values
    /// transposed (D, T) and one T×T block.
    pub fn scratch_len(&self) -> usize {
        self.head_dim() * self.seq + self.seq * self.seq
    }

    fn check(&self, op: &'static str, lens: &[(usize, usize)], scratch: usize) -> Result<()> {
        let (b, t, c, h) = (self.batch, self.seq, self.channels, self.heads);
        if h == 0 || !c.is_multiple_of(h) {
            return Err(Error::arg(
                op,
                format!("{c} channels do not split into {h} heads"),
            ));
        }
        for &(len, want) in lens {
            if len != want {
                return Err(Error::shape(op, &[b, t, c, h], &[len, want]));
            }
        }
        if scratch < self.scratch_len() {
            return Err(Error::arg(
                op,
                format!("scratch of {scratch} floats < {}", self.scratch_len()),
            ));
        }
        Ok(())
    }
}

/// Forward: `att` and `out` are written (see the module's layout).
pub fn causal_attention(
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    causal_attention_with(simd::active(), qkv, att, out, shape, scratch)
}

/// [`causal_attention`] on a chosen tier.
pub fn causal_attention_with(
    tier: Tier,
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    checked_forward(
        "causal_attention",
        tier,
        qkv,
        att,
        out,
        shape,
        scratch,
        true,
    )
}

/// Check the buffers against `shape` (errors name `op`), then run the forward;
/// `full_att` writes every row of `att` to its end (exact zeros above the diagonal).
fn checked_forward(
    op: &'static str,
    tier: Tier,
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
    full_att: bool,
) -> Result<()> {
    let AttnShape {
        batch: b,
        seq: t,
        channels: c,
        heads: h,
    } = shape;
    shape.check(
        op,
        &[
            (qkv.len(), b * t * 3 * c),
            (att.len(), b * h * t * t),
            (out.len(), b * t * c),
        ],
        scratch.len(),
    )?;
    simd::ensure_available(tier)?;
    let _s = scope(Op::Attention);
    forward(tier, qkv, att, out, shape, scratch, full_att);
    Ok(())
}

/// Forward whose `att` only the backward reads: as [`causal_attention`], but
/// row t of `att` is written only up to its causal end rounded up to whole
/// SIMD vectors (exact zeros from t + 1 to there); the rest of the row keeps
/// its old contents. [`causal_attention_backward`] reads nothing past that
/// end, and not writing the upper triangle halves the forward's memory traffic
/// on `att` (B·H·T² floats, 16.8 MB a layer at the medium training shape).
pub fn causal_attention_for_backward(
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    causal_attention_for_backward_with(simd::active(), qkv, att, out, shape, scratch)
}

/// [`causal_attention_for_backward`] on a chosen tier.
pub fn causal_attention_for_backward_with(
    tier: Tier,
    qkv: &[f32],
    att: &mut [f32],
    out: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    checked_forward(
        "causal_attention_for_backward",
        tier,
        qkv,
        att,
        out,
        shape,
        scratch,
        false,
    )
}

/// Backward: `dqkv` (B, T, 3C) += the gradient of `out` = `dout` (B, T, C)
/// through the attention saved by the forward.
pub fn causal_attention_backward(
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    causal_attention_backward_with(simd::active(), dout, qkv, att, dqkv, shape, scratch)
}

/// [`causal_attention_backward`] on a chosen tier.
pub fn causal_attention_backward_with(
    tier: Tier,
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    backward_checked(tier, dout, qkv, att, dqkv, shape, scratch, true)
}

/// Backward that overwrites: `dqkv` (B, T, 3C) = the gradient (its old
/// contents are never read), for a gradient buffer written for the first time.
pub fn causal_attention_backward_overwrite(
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    causal_attention_backward_overwrite_with(simd::active(), dout, qkv, att, dqkv, shape, scratch)
}

/// [`causal_attention_backward_overwrite`] on a chosen tier.
pub fn causal_attention_backward_overwrite_with(
    tier: Tier,
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
) -> Result<()> {
    backward_checked(tier, dout, qkv, att, dqkv, shape, scratch, false)
}

fn backward_checked(
    tier: Tier,
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    dqkv: &mut [f32],
    shape: AttnShape,
    scratch: &mut [f32],
    add: bool,
) -> Result<()> {
    let AttnShape {
        batch: b,
        seq: t,
        channels: c,
        heads: h,
    } = shape;
    shape.check(
        "causal_attention_backward",
        &[
            (dout.len(), b * t * c),
            (qkv.len(), b * t * 3 * c),
            (att.len(), b * h * t * t),
            (dqkv.len(), b * t * 3 * c),
        ],
        scratch.len(),
    )?;
    simd::ensure_available(tier)?;
    let _s = scope(Op::Attention);
    backward(tier, dout, qkv, att, dqkv, shape, scratch, add);
    Ok(())
}

mod cached;
mod scalar;
mod tiled;

pub(crate) use cached::attend_one;
pub use cached::{attend_cached, attend_cached_with};
use scalar::{backward_scalar, forward_scalar};
use tiled::{backward_simd, forward_simd};

simd_kernel! {
    fn forward(
        qkv: &[f32],
        att: &mut [f32],
        out: &mut [f32],
        s: AttnShape,
        scratch: &mut [f32],
        zero_upper: bool,
    );
    scalar = forward_scalar;
    simd = forward_simd;
}

simd_kernel! {
    fn backward(
        dout: &[f32],
        qkv: &[f32],
        att: &[f32],
        dqkv: &mut [f32],
        s: AttnShape,
        scratch: &mut [f32],
        add: bool,
    );
    scalar = backward_scalar;
    simd = backward_simd;
}

#[cfg(test)]
mod tests;
