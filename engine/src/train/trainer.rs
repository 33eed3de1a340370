//! The GPT-2 training loop and its resumable checkpoints.
//!
//! A training checkpoint is a model checkpoint (`config.json`,
//! `model.safetensors`) plus `optimizer.safetensors` (AdamW moments, named
//! `m.<param>` / `v.<param>`) and `trainer.json` (schema version, step,
//! hyper-parameters). Batches depend only on (seed, step), so resuming
//! continues the very same loss curve.

use super::adamw::{AdamW, AdamWConfig};
use super::data::ByteCorpus;
use super::schedule::LrSchedule;
use super::step::optimize;
use crate::error::{Error, Result};
use crate::nn::Gpt2;
use crate::nn::checkpoint::{F32View, copy_into, read_tensors, serialize, write_atomic};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The optimizer state file inside a training checkpoint.
pub const OPTIMIZER_FILE: &str = "optimizer.safetensors";
/// The trainer state file inside a training checkpoint.
pub const TRAINER_FILE: &str = "trainer.json";
const SCHEMA_VERSION: u32 = 1;

/// Hyper-parameters of a training run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Sequences per step.
    pub batch: usize,
    /// Tokens per sequence (≤ the model's context).
    pub seq_len: usize,
    pub schedule: LrSchedule,
    pub adamw: AdamWConfig,
    /// Clip the global gradient norm to this (None: no clipping).
    pub grad_clip: Option<f32>,
    /// Seed of the batch sampler.
    pub seed: u64,
}

impl TrainConfig {
    /// Defaults for `steps` steps at batch × seq_len: lr 1e-3 → 1e-4, warm-up of 5 % (≥ 1), clip 1.0.
    pub fn new(batch: usize, seq_len: usize, steps: u64) -> TrainConfig {
        TrainConfig {
            batch,
            seq_len,
            schedule: LrSchedule {
                max_lr: 1e-3,
                min_lr: 1e-4,
                warmup: (steps / 20).max(1),
                total: steps,
            },
            adamw: AdamWConfig::default(),
            grad_clip: Some(1.0),
            seed: 0,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct TrainerState {
    schema_version: u32,
    step: u64,
    config: TrainConfig,
}

/// A GPT-2 with its optimizer, training on byte-level text.
#[derive(Debug)]
pub struct Trainer {
    model: Gpt2,
    opt: AdamW,
    config: TrainConfig,
    step: u64,
    ids: Vec<u32>,
    targets: Vec<u32>,
}

impl Trainer {
    /// A trainer at step 0.
    pub fn new(model: Gpt2, config: TrainConfig) -> Result<Trainer> {
        if config.batch == 0 || config.seq_len == 0 || config.seq_len > model.config().n_positions {
            return Err(Error::arg(
                "trainer",
                format!(
                    "batch {} × seq_len {} does not fit a context of {}",
                    config.batch,
                    config.seq_len,
                    model.config().n_positions
                ),
            ));
        }
        let opt = AdamW::new(model.graph(), config.adamw)?;
        let n = config.batch * config.seq_len;
        Ok(Trainer {
            model,
            opt,
            config,
            step: 0,
            ids: Vec::with_capacity(n),
            targets: Vec::with_capacity(n),
        })
    }

    /// The model.
    pub fn model(&self) -> &Gpt2 {
        &self.model
    }

    /// The model, mutable.
    pub fn model_mut(&mut self) -> &mut Gpt2 {
        &mut self.model
    }

    /// Consume the trainer, keeping the model.
    pub fn into_model(self) -> Gpt2 {
        self.model
    }

    /// Steps taken so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// One step on the corpus batch of this step; returns the loss before the update.
    pub fn step(&mut self, corpus: &ByteCorpus) -> Result<f32> {
        let (b, t) = (self.config.batch, self.config.seq_len);
        corpus.batch(
            self.config.seed,
            self.step,
            b,
            t,
            &mut self.ids,
            &mut self.targets,
        )?;
        let ids = std::mem::take(&mut self.ids);
        let targets = std::mem::take(&mut self.targets);
        let r = self.step_on(&ids, &targets, b);
        self.ids = ids;
        self.targets = targets;
        r
    }

    /// One step on explicit token ids (B·T) and targets (B·T).
    pub fn step_on(&mut self, ids: &[u32], targets: &[u32], batch: usize) -> Result<f32> {
        let lr = self.config.schedule.lr(self.step);
        self.model.graph_mut().clear();
        let loss = self.model.loss(ids, targets, batch)?;
        let v = optimize(
            self.model.graph_mut(),
            loss,
            &mut self.opt,
            lr,
            self.config.grad_clip,
        )?;
        self.step += 1;
        Ok(v)
    }

    /// Save model, optimizer and trainer state to `dir` (each file atomically).
    pub fn save(&self, dir: &Path) -> Result<()> {
        self.model.save(dir)?;
        let path = dir.join(OPTIMIZER_FILE);
        let mut tensors = Vec::new();
        for (i, (name, _)) in self.model.named_params().into_iter().enumerate() {
            tensors.push((format!("m.{name}"), F32View::new(&self.opt.m[i])));
            tensors.push((format!("v.{name}"), F32View::new(&self.opt.v[i])));
        }
        write_atomic(&path, &serialize(tensors, &path)?)?;
        let state = TrainerState {
            schema_version: SCHEMA_VERSION,
            step: self.step,
            config: self.config,
        };
        let json = serde_json::to_string_pretty(&state).map_err(|e| Error::Checkpoint {
            path: dir.join(TRAINER_FILE),
            reason: e.to_string(),
        })?;
        write_atomic(&dir.join(TRAINER_FILE), json.as_bytes())
    }

    /// Resume from a directory written by [`Trainer::save`].
    pub fn resume(dir: &Path) -> Result<Trainer> {
        let spath = dir.join(TRAINER_FILE);
        let bad = |path: &Path, reason: String| Error::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(&spath).map_err(|source| Error::Io {
            path: spath.clone(),
            source,
        })?;
        let raw: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(&spath, format!("not valid JSON: {e}")))?;
        match raw.get("schema_version").and_then(|v| v.as_u64()) {
            Some(v) if v == SCHEMA_VERSION as u64 => {}
            other => {
                return Err(bad(
                    &spath,
                    format!(
                        "schema_version {other:?} is not supported (expected {SCHEMA_VERSION})"
                    ),
                ));
            }
        }
        let state: TrainerState = serde_json::from_value(raw)
            .map_err(|e| bad(&spath, format!("not a trainer state: {e}")))?;
        let model = Gpt2::load(dir)?;
        let mut tr = Trainer::new(model, state.config)?;
        tr.step = state.step;
        tr.opt.t = state.step;
        let opath = dir.join(OPTIMIZER_FILE);
        let bytes = read_tensors(&opath)?;
        let st = safetensors::SafeTensors::deserialize(&bytes)
            .map_err(|e| bad(&opath, format!("not a safetensors file: {e}")))?;
        for (i, (name, _)) in tr.model.named_params().into_iter().enumerate() {
            for (prefix, dst) in [("m", &mut tr.opt.m[i]), ("v", &mut tr.opt.v[i])] {
                let key = format!("{prefix}.{name}");
                let view = st
                    .tensor(&key)
                    .map_err(|_| bad(&opath, format!("tensor {key} is missing")))?;
                copy_into(&opath, &key, &view, dst)?;
            }
        }
        Ok(tr)
    }
}
