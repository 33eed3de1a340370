//! Where a training step's time goes: the engine's op profile (`smallmind::profile`)
//! over `STEPS` AdamW steps (20) of each model named (`small`, `medium`; both by
//! default) on the training shapes of `train_step_server` (small 32 × 64, medium
//! 8 × 256), one thread unless `SMALLMIND_THREADS` says otherwise, after 3 untimed steps.
//!
//! ```sh
//! cargo run --release -p smallmind --example train_profile -- small medium
//! ```
//!
//! Prints the mean step time and, per op, its share of it (an op's time includes
//! every op it calls that has no scope of its own).

#[path = "common/training.rs"]
mod training;

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("SMALLMIND_THREADS").is_none() {
        smallmind::threads::set_threads(1)?;
    }
    let steps: usize = match std::env::var("STEPS") {
        Ok(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| format!("STEPS={v:?}: want a whole number ≥ 1"))?,
        Err(_) => 20,
    };
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        names = vec!["small".into(), "medium".into()];
    }
    for name in names {
        let mut run = training::Run::new(&name)?;
        smallmind::profile::reset();
        smallmind::profile::set_enabled(true);
        let t0 = Instant::now();
        for _ in 0..steps {
            run.step()?;
        }
        let step = t0.elapsed().as_secs_f64() / steps as f64;
        smallmind::profile::set_enabled(false);
        println!("{name}: {:.1} ms a step ({steps} steps)", step * 1e3);
        let mut ops = smallmind::profile::snapshot();
        ops.sort_by_key(|(_, st)| std::cmp::Reverse(st.time_ns));
        for (op, st) in ops {
            let ms = st.time_ns as f64 / 1e6 / steps as f64;
            println!(
                "  {:<14} {:8.2} ms  {:5.1} %  {} calls a step",
                op.as_str(),
                ms,
                100.0 * ms / (step * 1e3),
                st.calls / steps as u64
            );
        }
    }
    Ok(())
}
