//! Calibrating the engine for this CPU, one tier at a time (`sgemm_tune`): the sgemm's
//! tile and cache blocks (`matmul::tuning::calibrate`, stages 1–9), then the decoder's
//! far-prefetch threshold (`nn::far_prefetch`, stage 10), into one [`TierTuning`] for
//! the cache file (`docs/sgemm-tuning.md`). Above both: the decoder's stage times
//! `nn`'s decoder, which itself runs on `matmul`.

use crate::matmul::tuning::calibrate::{self, Options};
use crate::matmul::tuning::{TierTuning, Trial, TuningError};
use crate::nn::far_prefetch;
use crate::simd::Tier;

/// Calibrate `tier` on this CPU (one thread, a few seconds), reporting each measured
/// candidate through `progress`. The tier must be available.
pub fn calibrate(
    tier: Tier,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<TierTuning, TuningError> {
    let mut tuning = calibrate::calibrate(tier, opts, progress)?;
    // 10. The decoder's far prefetch: no product depends on it, so after the final check.
    let sets = far_prefetch::measure_sets(opts.rounds, opts.largest)?;
    for s in &sets {
        for (side, gflops) in [("near", s.near_gflops), ("far", s.far_gflops)] {
            let value = format!("{} {side}", s.bytes);
            progress(&format!(
                "{tier} gemv_far_above {value}: {gflops:.1} GFLOPS"
            ));
            tuning.trials.push(Trial {
                stage: "gemv_far_above".into(),
                value,
                gflops,
            });
        }
    }
    let far_above = far_prefetch::threshold(&sets);
    progress(&format!(
        "{tier} gemv_far_above: far prefetch above {far_above} bytes"
    ));
    tuning.blocking.gemv_far_above = Some(far_above);
    Ok(tuning)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quick_calibration_adds_the_decoders_stage_to_the_sgemms() {
        // (Unavailable tiers and the scalar one fail in stages 1–9: their own test.)
        let opts = Options::quick();
        for tier in [Tier::Avx2, Tier::Avx512]
            .into_iter()
            .filter(|t| t.is_available())
        {
            let mut lines = Vec::new();
            let t = calibrate(tier, &opts, &mut |l| lines.push(l.to_string())).unwrap();
            let far = t
                .blocking
                .gemv_far_above
                .expect("stage 10 sets the threshold");
            let measured: Vec<&Trial> = t
                .trials
                .iter()
                .filter(|x| x.stage == "gemv_far_above")
                .collect();
            assert!(
                !measured.is_empty() && measured.len().is_multiple_of(2),
                "{tier}"
            );
            // The threshold is 0 or one of the measured sets' sizes.
            let sizes: Vec<usize> = measured
                .iter()
                .map(|x| x.value.split(' ').next().unwrap().parse().unwrap())
                .collect();
            assert!(
                far == 0 || sizes.contains(&far),
                "{tier}: {far} not in {sizes:?}"
            );
            assert!(
                measured
                    .iter()
                    .all(|x| x.gflops.is_finite() && x.gflops > 0.0)
            );
            assert!(lines.iter().any(|l| l.contains("far prefetch above")));
            // The sgemm's stages come first, unchanged.
            assert_eq!(t.trials[0].stage, "tile");
        }
    }
}
