//! One GPT-2 training step per request, for measuring the engine in lockstep
//! with another implementation (`scripts/train_lockstep.py` alternates it step
//! by step with PyTorch, so a slow spell of a shared host falls on both).
//!
//! `cargo run --release -p smallmind --example train_step_server -- small|medium`
//! then, on stdin, one line per step: `step` runs one AdamW step on a fixed random
//! batch (small: 32 × 64, medium: 8 × 256, as the `model` bench) and answers with
//! its wall time in nanoseconds; end of input ends it. One thread unless
//! `SMALLMIND_THREADS` says otherwise. Prints `ready` once built and warmed up.

#[path = "common/training.rs"]
mod training;

use std::io::{BufRead, Write};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("SMALLMIND_THREADS").is_none() {
        smallmind::threads::set_threads(1)?;
    }
    let which = std::env::args().nth(1).unwrap_or_default();
    let mut run = training::Run::new(&which)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        match line?.trim() {
            "step" => {
                let t0 = Instant::now();
                run.step()?;
                writeln!(out, "{}", t0.elapsed().as_nanos())?;
                out.flush()?;
            }
            other => return Err(format!("unexpected request {other:?}").into()),
        }
    }
    Ok(())
}
