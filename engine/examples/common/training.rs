//! The training run the lockstep and profile examples share: a model by name on the
//! shapes of the `model` bench, a fixed random batch, warmed up.

use smallmind::nn::{Gpt2, Gpt2Config};
use smallmind::rng::Rng;
use smallmind::train::{TrainConfig, Trainer};

/// A trainer for `small` (batch 32 × 64 positions) or `medium` (8 × 256) with its
/// fixed random token ids and targets, after three untimed steps.
pub struct Run {
    pub trainer: Trainer,
    pub ids: Vec<u32>,
    pub targets: Vec<u32>,
    pub batch: usize,
}

impl Run {
    pub fn new(name: &str) -> Result<Run, Box<dyn std::error::Error>> {
        let (cfg, batch, seq) = match name {
            "small" => (Gpt2Config::small(), 32, 64),
            "medium" => (Gpt2Config::medium(), 8, 256),
            other => return Err(format!("expected small or medium, got {other:?}").into()),
        };
        let trainer = Trainer::new(Gpt2::new(cfg, 1)?, TrainConfig::new(batch, seq, 1000))?;
        let mut rng = Rng::new(2);
        let ids = (0..batch * seq).map(|_| rng.below(256) as u32).collect();
        let targets = (0..batch * seq).map(|_| rng.below(256) as u32).collect();
        let mut run = Run {
            trainer,
            ids,
            targets,
            batch,
        };
        for _ in 0..3 {
            run.step()?;
        }
        Ok(run)
    }

    /// One AdamW step on the batch.
    pub fn step(&mut self) -> Result<(), Box<dyn std::error::Error>> {
        std::hint::black_box(self.trainer.step_on(&self.ids, &self.targets, self.batch)?);
        Ok(())
    }
}
