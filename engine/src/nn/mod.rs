//! Neural networks built on [`crate::autograd`]: GPT-2 (as Hugging Face's
//! `GPT2LMHeadModel` computes it), its checkpoints, cached generation, and
//! the MLP of the reference training workload.

pub(crate) mod checkpoint;
mod config;
mod decode;
pub(crate) mod far_prefetch;
mod gemv;
mod gpt2;
mod mlp;
mod sample;

pub use config::Gpt2Config;
pub use decode::{Decoder, generate, generate_into};
pub use gpt2::Gpt2;
pub use mlp::Mlp;
pub use sample::{Sampler, Sampling};
