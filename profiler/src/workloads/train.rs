//! `train/mlp`: one AdamW step of the MLP 256 → 256 → 256 → 10 (GELU,
//! cross-entropy) at batch 32. `train/gpt_small`: one AdamW step of the small
//! GPT-2 at batch 8 × context 64.

use super::{Def, Derived, Suite, Workload};
use crate::error::Result;
use smallmind::Tensor;
use smallmind::nn::{Gpt2, Gpt2Config, Mlp};
use smallmind::rng::Rng;
use smallmind::train::{AdamW, AdamWConfig, TrainConfig, Trainer, optimize};

const MLP_BATCH: usize = 32;
const GPT_BATCH: usize = 8;
const GPT_SEQ: usize = 64;

pub fn defs() -> Vec<Def> {
    vec![
        Def {
            name: "train/mlp",
            suite: Suite::Alloc,
            group: "train",
            description: "one AdamW step of the MLP 256→256→256→10 (GELU, cross-entropy) at batch 32",
            files: &[
                "engine/src/nn/mlp.rs",
                "engine/src/autograd/ops/matmul.rs",
                "engine/src/autograd/ops/activation.rs",
                "engine/src/autograd/ops/loss.rs",
                "engine/src/train/adamw.rs",
                "engine/src/matmul/mod.rs",
            ],
            derived: vec![Derived::Throughput {
                name: "samples_per_s",
                unit: "samples/s",
                work_per_op: MLP_BATCH as f64,
            }],
            setup: setup_mlp,
        },
        Def {
            name: "train/gpt_small",
            suite: Suite::Alloc,
            group: "train",
            description: "one AdamW step of GPT-2 small at batch 8 × context 64 (forward, backward, clip, update)",
            files: &[
                "engine/src/nn/gpt2.rs",
                "engine/src/autograd/mod.rs",
                "engine/src/autograd/ops/attention.rs",
                "engine/src/autograd/ops/matmul.rs",
                "engine/src/autograd/ops/layernorm.rs",
                "engine/src/train/trainer.rs",
                "engine/src/train/adamw.rs",
                "engine/src/matmul/mod.rs",
            ],
            derived: vec![Derived::Throughput {
                name: "tokens_per_s",
                unit: "tok/s",
                work_per_op: (GPT_BATCH * GPT_SEQ) as f64,
            }],
            setup: setup_gpt,
        },
    ]
}

struct MlpStep {
    mlp: Mlp,
    opt: AdamW,
    x: Tensor,
    y: Vec<u32>,
}

fn setup_mlp() -> Result<Box<dyn Workload>> {
    let mlp = Mlp::new(&[256, 256, 256, 10], 0x006d_6c70)?;
    let opt = AdamW::new(mlp.graph(), AdamWConfig::default())?;
    let mut rng = Rng::new(7);
    let x = Tensor::randn(&[MLP_BATCH, 256], 1.0, &mut rng)?;
    let y = (0..MLP_BATCH).map(|_| rng.below(10) as u32).collect();
    Ok(Box::new(MlpStep { mlp, opt, x, y }))
}

impl Workload for MlpStep {
    fn run(&mut self) -> Result<()> {
        let loss = self.mlp.loss(std::hint::black_box(&self.x), &self.y)?;
        let v = optimize(self.mlp.graph_mut(), loss, &mut self.opt, 1e-3, None)?;
        std::hint::black_box(v);
        Ok(())
    }
}

struct GptStep {
    trainer: Trainer,
    ids: Vec<u32>,
    targets: Vec<u32>,
}

fn setup_gpt() -> Result<Box<dyn Workload>> {
    let model = Gpt2::new(Gpt2Config::small(), 0x0067_7074)?;
    // A long schedule so the learning rate stays sensible however many operations run.
    let trainer = Trainer::new(model, TrainConfig::new(GPT_BATCH, GPT_SEQ, 1_000_000))?;
    let mut rng = Rng::new(11);
    let n = GPT_BATCH * GPT_SEQ;
    let ids = (0..n).map(|_| rng.below(256) as u32).collect();
    let targets = (0..n).map(|_| rng.below(256) as u32).collect();
    Ok(Box::new(GptStep {
        trainer,
        ids,
        targets,
    }))
}

impl Workload for GptStep {
    fn run(&mut self) -> Result<()> {
        let v = self
            .trainer
            .step_on(std::hint::black_box(&self.ids), &self.targets, GPT_BATCH)?;
        std::hint::black_box(v);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_workload_sets_up_and_runs() {
        for def in defs() {
            let mut w = (def.setup)().unwrap();
            for _ in 0..2 {
                w.run().unwrap();
            }
            assert_eq!(def.suite, Suite::Alloc, "{}", def.name);
        }
    }
}
