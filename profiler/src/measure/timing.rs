//! Timing inside one worker: warm-up, calibration of iterations per sample,
//! then per-operation samples.
//!
//! A sample is the mean time of `iters` back-to-back operations, with `iters`
//! chosen so that a sample lasts at least [`Config::min_sample`]: long enough
//! for the clock's resolution and for one interrupt not to dominate.
//!
//! A sample during which the process was preempted (an involuntary context
//! switch: another task ran on its CPU) timed that task's slice too, up to 10×
//! the operation on a loaded machine; it is discarded and taken again, at most
//! [`MAX_RETAKES_PER_SAMPLE`] times per sample on average, after which the
//! remaining samples are kept as they come (a machine that busy is reported,
//! not hidden: the count of retaken samples goes into the worker's line).

use super::measured_op;
use super::preemption::involuntary_switches;
use crate::error::Result;
use crate::workloads::Workload;
use std::time::{Duration, Instant};

/// Timing parameters of one worker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Warm-up: run at least this long (and at least one operation) before sampling.
    pub warmup: Duration,
    /// A sample lasts at least this long.
    pub min_sample: Duration,
    /// Samples to take.
    pub samples: u32,
}

impl Config {
    /// Defaults: 50 ms warm-up, samples of ≥ 5 ms.
    pub fn new(samples: u32) -> Config {
        Config {
            warmup: Duration::from_millis(50),
            min_sample: Duration::from_millis(5),
            samples,
        }
    }
}

/// The samples of one workload in one process.
#[derive(Debug, Clone, PartialEq)]
pub struct Samples {
    /// Nanoseconds per operation, one entry per sample.
    pub per_op_ns: Vec<f64>,
    /// Operations per sample.
    pub iters: u64,
    /// Samples discarded and taken again because the process was preempted.
    pub retaken: u32,
}

/// Retakes allowed per requested sample, on average over the workload.
pub const MAX_RETAKES_PER_SAMPLE: u32 = 4;

/// Iterations per sample so that one sample lasts at least `min_sample`, given an
/// estimate of one operation's duration.
pub fn iterations_for(per_op: Duration, min_sample: Duration) -> u64 {
    let per = per_op.as_nanos().max(1);
    min_sample.as_nanos().div_ceil(per).clamp(1, 1 << 40) as u64
}

/// Warm up, calibrate and sample `w`.
pub fn measure(w: &mut dyn Workload, cfg: &Config) -> Result<Samples> {
    let mut sampler = Sampler::new(w, cfg)?;
    let mut per_op_ns = Vec::with_capacity(cfg.samples as usize);
    for _ in 0..cfg.samples {
        per_op_ns.push(sampler.take(w)?);
    }
    Ok(Samples {
        per_op_ns,
        iters: sampler.iters,
        retaken: sampler.retaken,
    })
}

/// Takes samples of one warmed-up workload, one at a time (the lockstep worker
/// takes each when told to).
#[derive(Debug, Clone)]
pub struct Sampler {
    /// Operations per sample, fixed by the warm-up.
    pub iters: u64,
    /// Samples retaken so far.
    pub retaken: u32,
    budget: u32,
}

impl Sampler {
    /// Warm `w` up for [`Config::warmup`] and choose the operations per sample.
    pub fn new(w: &mut dyn Workload, cfg: &Config) -> Result<Sampler> {
        let start = Instant::now();
        let mut ops: u64 = 0;
        loop {
            measured_op(w)?;
            ops += 1;
            if start.elapsed() >= cfg.warmup {
                break;
            }
        }
        let per_op = start.elapsed() / ops.min(u32::MAX as u64) as u32;
        Ok(Sampler {
            iters: iterations_for(per_op, cfg.min_sample),
            retaken: 0,
            budget: cfg.samples.saturating_mul(MAX_RETAKES_PER_SAMPLE),
        })
    }

    /// One sample, in nanoseconds per operation; taken again while the process
    /// was preempted during it and the retake budget lasts.
    pub fn take(&mut self, w: &mut dyn Workload) -> Result<f64> {
        loop {
            let before = involuntary_switches();
            let t0 = Instant::now();
            for _ in 0..self.iters {
                measured_op(w)?;
            }
            let ns = t0.elapsed().as_nanos() as f64 / self.iters as f64;
            let preempted = matches!((before, involuntary_switches()), (Some(a), Some(b)) if b > a);
            if preempted && self.retaken < self.budget {
                self.retaken += 1;
                continue;
            }
            return Ok(ns);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterations_reach_the_minimum_sample_length() {
        let ms = Duration::from_millis(1);
        assert_eq!(iterations_for(Duration::from_micros(3), ms), 334);
        assert_eq!(iterations_for(Duration::from_millis(7), ms), 1);
        assert_eq!(iterations_for(Duration::ZERO, ms), 1_000_000);
    }

    struct Sleep;
    impl Workload for Sleep {
        fn run(&mut self) -> Result<()> {
            std::thread::sleep(Duration::from_micros(200));
            Ok(())
        }
    }

    #[test]
    fn samples_are_per_operation() {
        let cfg = Config {
            warmup: Duration::from_millis(2),
            min_sample: Duration::from_millis(1),
            samples: 3,
        };
        let s = measure(&mut Sleep, &cfg).unwrap();
        assert_eq!(s.per_op_ns.len(), 3);
        assert!(s.iters >= 1 && s.iters <= 5, "{}", s.iters);
        assert!(
            s.per_op_ns.iter().all(|&t| t >= 200_000.0),
            "{:?}",
            s.per_op_ns
        );
    }
}
