//! `model/small`, `model/medium`: greedy generation of 25 tokens after an
//! 8-token prompt, batch 1, with the KV cache, on a GPT-2 with seeded random weights.

use super::{Def, Derived, Suite, Workload};
use crate::error::Result;
use smallmind::nn::{Decoder, Gpt2, Gpt2Config, Sampler, Sampling, generate_into};

/// Tokens generated per operation.
const NEW_TOKENS: usize = 25;
const PROMPT: [u32; 8] = [84, 104, 101, 32, 112, 114, 111, 102];

const FILES: &[&str] = &[
    "engine/src/nn/decode.rs",
    "engine/src/nn/gemv.rs",
    "engine/src/nn/gpt2.rs",
    "engine/src/nn/sample.rs",
    "engine/src/matmul/gemv.rs",
    "engine/src/kernels/layernorm.rs",
    "engine/src/kernels/gelu.rs",
];

fn derived() -> Vec<Derived> {
    let n = NEW_TOKENS as f64;
    vec![
        Derived::Throughput {
            name: "tokens_per_s",
            unit: "tok/s",
            work_per_op: n,
        },
        Derived::TimePerUnit {
            name: "latency_per_token_ns",
            unit: "ns/token",
            units_per_op: n,
        },
        Derived::AllocPerUnit {
            name: "alloc_bytes_per_token",
            unit: "B/token",
            units_per_op: n,
        },
    ]
}

pub fn defs() -> Vec<Def> {
    vec![
        Def {
            name: "model/small",
            suite: Suite::Code,
            group: "model",
            description: "GPT-2 small (128 wide, 2 layers, 4 heads): greedy generation of 25 tokens after 8, KV cache",
            files: FILES,
            derived: derived(),
            setup: || setup(Gpt2Config::small()),
        },
        Def {
            name: "model/medium",
            suite: Suite::Code,
            group: "model",
            description: "GPT-2 medium (256 wide, 4 layers, 8 heads): greedy generation of 25 tokens after 8, KV cache",
            files: FILES,
            derived: derived(),
            setup: || setup(Gpt2Config::medium()),
        },
    ]
}

/// Model, cache, sampler and output reused across operations (nothing allocated per token).
struct Generate {
    model: Gpt2,
    decoder: Decoder,
    sampler: Sampler,
    out: Vec<u32>,
}

fn setup(cfg: Gpt2Config) -> Result<Box<dyn Workload>> {
    let vocab = cfg.vocab_size;
    let model = Gpt2::new(cfg, 0x6770_7432)?;
    let decoder = Decoder::new(&model);
    Ok(Box::new(Generate {
        model,
        decoder,
        sampler: Sampler::new(Sampling::Greedy, vocab)?,
        out: Vec::with_capacity(NEW_TOKENS),
    }))
}

impl Workload for Generate {
    fn run(&mut self) -> Result<()> {
        generate_into(
            &self.model,
            &mut self.decoder,
            &mut self.sampler,
            std::hint::black_box(&PROMPT),
            NEW_TOKENS,
            &mut self.out,
        )?;
        std::hint::black_box(&self.out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_workload_sets_up_and_runs_with_its_declared_metrics() {
        for def in defs() {
            let mut w = (def.setup)().unwrap();
            w.run().unwrap();
            w.run().unwrap();
            assert_eq!(def.derived.len(), 3, "{}", def.name);
            assert!(def.files.iter().all(|f| f.starts_with("engine/src/")));
        }
    }
}
