//! Training: AdamW with decoupled weight decay, gradient clipping by global
//! norm, warm-up then cosine learning rate, a byte-level corpus, and a GPT-2
//! trainer whose checkpoints resume the same loss curve.

mod adamw;
mod clip;
mod data;
mod schedule;
mod step;
mod trainer;

pub use adamw::{AdamW, AdamWConfig};
pub use clip::clip_grad_norm;
pub use data::ByteCorpus;
pub use schedule::LrSchedule;
pub use step::optimize;
pub use trainer::{TrainConfig, Trainer};
