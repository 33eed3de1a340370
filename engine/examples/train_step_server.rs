//! One GPT-2 training step per request, for measuring the engine in lockstep
//! with another implementation (`scripts/train_lockstep.py` alternates it step
//! by step with PyTorch, so a slow spell of a shared host falls on both).
//!
//! `cargo run --release -p smallmind --example train_step_server -- small|medium`
//! then, on stdin, one line per step: `step` runs one AdamW step on a fixed random
//! batch (small: 32 × 64, medium: 8 × 256, as the `model` bench) and answers with
//! its wall time in nanoseconds; end of input ends it. One thread unless
//! `SMALLMIND_THREADS` says otherwise. Prints `ready` once built and warmed up.

use smallmind::nn::{Gpt2, Gpt2Config};
use smallmind::rng::Rng;
use smallmind::train::{TrainConfig, Trainer};
use std::io::{BufRead, Write};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("SMALLMIND_THREADS").is_none() {
        smallmind::threads::set_threads(1)?;
    }
    let which = std::env::args().nth(1).unwrap_or_default();
    let (cfg, batch, seq) = match which.as_str() {
        "small" => (Gpt2Config::small(), 32, 64),
        "medium" => (Gpt2Config::medium(), 8, 256),
        other => return Err(format!("expected small or medium, got {other:?}").into()),
    };
    let mut tr = Trainer::new(Gpt2::new(cfg, 1)?, TrainConfig::new(batch, seq, 1000))?;
    let mut rng = Rng::new(2);
    let ids: Vec<u32> = (0..batch * seq).map(|_| rng.below(256) as u32).collect();
    let targets: Vec<u32> = (0..batch * seq).map(|_| rng.below(256) as u32).collect();
    for _ in 0..3 {
        tr.step_on(&ids, &targets, batch)?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        match line?.trim() {
            "step" => {
                let t0 = Instant::now();
                std::hint::black_box(tr.step_on(&ids, &targets, batch)?);
                writeln!(out, "{}", t0.elapsed().as_nanos())?;
                out.flush()?;
            }
            other => return Err(format!("unexpected request {other:?}").into()),
        }
    }
    Ok(())
}
