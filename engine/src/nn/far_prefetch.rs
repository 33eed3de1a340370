//! The calibration's stage 8 (`crate::tune`), `gemv_far_above`: from how many bytes of weights the decoder's gemvs
//! should also prefetch far ahead into L2 (`nn/gemv.rs`, `Sweep::far`).
//!
//! A decoding step streams every weight matrix once. While the weights stay in the
//! last-level cache, the far prefetch only adds requests; once they come from DRAM, it
//! keeps enough of them in flight. Where that turns depends on the CPU and not only on
//! the cache's size (same 32 MiB L3 over 2 CPUs: on Zen 4 it paid from ≈ 8 MB, on
//! Zen 5 from ≈ 25 MB), so it is measured on the decoder itself: models of medium's
//! layer shape (C = 256) whose steps stream ¼ to 3× this CPU's share of the last-level
//! cache, decoded with and without the far prefetch in interleaved rounds. (Sets of
//! bare gemvs of the same sizes did not show it: equal within 1 % from 8 to 24 MB,
//! where the decoder's steps ran 4–20 % slower with it.)

use super::decode::streamed_bytes;
use super::gemv::far_above_for;
use super::{Decoder, Gpt2, Gpt2Config};
use crate::matmul::cache::llc_share;
use crate::matmul::tuning::TuningError;
use crate::matmul::tuning::calibrate::{MARGIN, median};
use std::time::Instant;

/// The set sizes, as fractions (numerator, denominator) of the last-level share.
const FRACTIONS: [(usize, usize); 6] = [(1, 4), (1, 2), (1, 1), (3, 2), (2, 1), (3, 1)];

/// The prompt each measurement prefills and the steps it takes before the timed ones
/// (untimed: the prefill's products leave the weights elsewhere than a step does; the
/// first steps after it ran up to 1.3× faster with the far prefetch, the later ones
/// slower), then the steps timed.
const PROMPT: [u32; 4] = [1, 2, 3, 4];
const WARM: usize = 2;
const STEPS: usize = 8;

/// One measured set: its bytes, and the median GFLOPS without and with the far prefetch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SetResult {
    pub(crate) bytes: usize,
    pub(crate) near_gflops: f64,
    pub(crate) far_gflops: f64,
    /// Median over rounds of the per-round time ratio far ÷ near.
    pub(crate) ratio: f64,
}

/// The threshold from the measured sets (ascending by size): far above the largest set
/// from which on the far prefetch does not win by [`MARGIN`] at every larger set; 0
/// when it wins at all of them, the largest set when it wins at none (then only sets
/// past everything measured would use it).
pub(crate) fn threshold(sets: &[SetResult]) -> usize {
    let wins = |s: &SetResult| s.ratio < 1.0 - MARGIN;
    let first_of_run = sets
        .iter()
        .rposition(|s| !wins(s))
        .map_or(0, |last_loss| last_loss + 1);
    match first_of_run {
        0 => 0,
        i if i == sets.len() => sets.last().map_or(0, |s| s.bytes),
        i => sets[i - 1].bytes,
    }
}

/// Measure the sets (`largest` scales them as it scales the products: 1024 is the
/// full size) in `rounds` interleaved rounds; ascending by size. The decoder runs on
/// the tier in force (`SMALLMIND_SIMD`), as generation will.
pub(crate) fn measure_sets(rounds: usize, largest: usize) -> Result<Vec<SetResult>, TuningError> {
    let share = llc_share().unwrap_or(2 * far_above_for(None));
    let fail = |e: crate::Error| TuningError::Calibration(format!("gemv_far_above: {e}"));
    let config = |n_layer: usize| Gpt2Config {
        n_embd: (256 * largest / 1024).clamp(32, 256) / 8 * 8,
        n_layer,
        n_head: 8,
        n_positions: PROMPT.len() + WARM + STEPS,
        ..Gpt2Config::medium()
    };
    let per_layer = streamed_bytes(&config(2)) - streamed_bytes(&config(1));
    // Layers of each set (tiny test sizes can round two fractions to one count).
    let mut layer_counts: Vec<usize> = FRACTIONS
        .iter()
        .map(|&(p, q)| (share * p / q * largest / 1024 / per_layer).max(1))
        .collect();
    layer_counts.dedup();
    let mut sets = Vec::new();
    for layers in layer_counts {
        let model = Gpt2::new(config(layers), 5).map_err(fail)?;
        let decoders = [false, true].map(|far| Decoder::new(&model).with_far(far));
        // Each measurement streams at least as many bytes as the largest set.
        let reps = (3 * share * largest / 1024 / (layers * per_layer)).max(1);
        sets.push((reps, model, decoders));
    }
    // secs[set][far as usize][round]
    let mut secs = vec![[Vec::new(), Vec::new()]; sets.len()];
    for round in 0..rounds.max(1) {
        for (s, (reps, model, decoders)) in sets.iter_mut().enumerate() {
            for turn in 0..2 {
                let far = (round + turn) % 2;
                let dec = &mut decoders[far];
                let mut timed = 0.0;
                for _ in 0..*reps {
                    dec.reset();
                    dec.prefill(model, &PROMPT).map_err(fail)?;
                    for i in 0..WARM {
                        std::hint::black_box(dec.step(model, i as u32).map_err(fail)?);
                    }
                    let t0 = Instant::now();
                    for i in 0..STEPS {
                        std::hint::black_box(dec.step(model, i as u32).map_err(fail)?);
                    }
                    timed += t0.elapsed().as_secs_f64();
                }
                secs[s][far].push(timed / (*reps * STEPS) as f64);
            }
        }
    }
    Ok(sets
        .iter()
        .zip(&secs)
        .map(|((_, model, _), [near, far])| {
            let bytes = streamed_bytes(model.config());
            // A step's multiply-adds: one per weight it streams.
            let flops = 2.0 * (bytes / 4) as f64;
            let ratio = median(far.iter().zip(near).map(|(f, n)| f / n).collect());
            let near_gflops = flops / median(near.clone()) / 1e9;
            SetResult {
                bytes,
                near_gflops,
                far_gflops: near_gflops / ratio,
                ratio,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(ratios: &[f64]) -> Vec<SetResult> {
        ratios
            .iter()
            .enumerate()
            .map(|(i, &ratio)| SetResult {
                bytes: (i + 1) << 20,
                near_gflops: 20.0,
                far_gflops: 20.0 / ratio,
                ratio,
            })
            .collect()
    }

    #[test]
    fn the_threshold_is_the_largest_set_from_which_on_far_does_not_win_everywhere() {
        // Zen 5 as measured: far slower up to 19 MB, faster from 25 MB.
        assert_eq!(
            threshold(&sets(&[1.25, 1.2, 1.08, 0.95, 0.93, 0.96])),
            3 << 20
        );
        // Zen 4: faster from 8 MB (the second set) on.
        assert_eq!(
            threshold(&sets(&[1.1, 0.9, 0.89, 0.9, 0.92, 0.95])),
            1 << 20
        );
        // A win inside the margin is no win; a lone win below a loss does not count.
        assert_eq!(
            threshold(&sets(&[1.2, 0.95, 1.0, 0.995, 0.97, 0.96])),
            4 << 20
        );
        // Wins everywhere: from 0; nowhere: only past the largest set.
        assert_eq!(threshold(&sets(&[0.9, 0.9])), 0);
        assert_eq!(threshold(&sets(&[1.1, 0.999])), 2 << 20);
        assert_eq!(threshold(&[]), 0);
    }

    #[test]
    fn a_quick_measurement_covers_every_set_in_ascending_order() {
        let r = measure_sets(1, 64).unwrap();
        assert!(!r.is_empty() && r.len() <= FRACTIONS.len());
        assert!(r.windows(2).all(|w| w[0].bytes < w[1].bytes));
        assert!(
            r.iter()
                .all(|s| s.ratio > 0.0 && s.near_gflops > 0.0 && s.far_gflops > 0.0)
        );
    }
}
