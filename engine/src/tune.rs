//! Calibrating the engine for this CPU (`sgemm_tune`): per tier the sgemm's tile and
//! cache blocks (`matmul::tuning::calibrate`, stages 1–7), then once the decoder's
//! far-prefetch threshold (`nn::far_prefetch`, stage 8), into one [`TierTuning`] per
//! tier for the cache file (`docs/sgemm-tuning.md`). Above both: the decoder's stage
//! times `nn`'s decoder, which itself runs on `matmul`.

use crate::matmul::tuning::calibrate::{self, Options};
use crate::matmul::tuning::{TierTuning, Trial, TuningError};
use crate::nn::far_prefetch;
use crate::simd::Tier;
use std::collections::BTreeMap;
use std::time::Instant;

/// Calibrate `tiers` on this CPU (one thread, a few seconds each), reporting each
/// measured candidate through `progress`; the tuning of each, by tier name. Every tier
/// must be available. The decoder runs on the tier in force (`SMALLMIND_SIMD`), as
/// generation will, so stage 8 is measured once and its threshold goes to every tier.
pub fn calibrate(
    tiers: &[Tier],
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<BTreeMap<String, TierTuning>, TuningError> {
    let mut out = BTreeMap::new();
    for &tier in tiers {
        let t0 = Instant::now();
        let tuning = calibrate::calibrate(tier, opts, progress)?;
        progress(&format!(
            "{tier} stages 1–7 done in {:.1} s",
            t0.elapsed().as_secs_f64()
        ));
        out.insert(tier.as_str().to_string(), tuning);
    }
    if out.is_empty() {
        return Ok(out);
    }
    // 8. The decoder's far prefetch: no product depends on it, so after the final checks.
    let t0 = Instant::now();
    let sets = far_prefetch::measure_sets(opts.rounds, opts.largest)?;
    let far_above = far_prefetch::threshold(&sets);
    let trials: Vec<Trial> = sets
        .iter()
        .flat_map(|s| [("near", s.near_gflops), ("far", s.far_gflops)].map(|side| (s, side)))
        .map(|(s, (side, gflops))| Trial {
            stage: "gemv_far_above".into(),
            value: format!("{} {side}", s.bytes),
            gflops,
        })
        .collect();
    for t in &trials {
        progress(&format!(
            "gemv_far_above {}: {:.1} GFLOPS",
            t.value, t.gflops
        ));
    }
    progress(&format!(
        "gemv_far_above: far prefetch above {far_above} bytes ({:.1} s)",
        t0.elapsed().as_secs_f64()
    ));
    for tuning in out.values_mut() {
        tuning.trials.extend(trials.iter().cloned());
        tuning.blocking.gemv_far_above = Some(far_above);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quick_calibration_adds_the_decoders_stage_to_the_sgemms() {
        // (Unavailable tiers and the scalar one fail in stages 1–7: their own test.)
        let tiers: Vec<Tier> = [Tier::Avx2, Tier::Avx512]
            .into_iter()
            .filter(|t| t.is_available())
            .collect();
        let mut lines = Vec::new();
        let all = calibrate(&tiers, &Options::quick(), &mut |l| {
            lines.push(l.to_string())
        })
        .unwrap();
        assert_eq!(all.len(), tiers.len());
        for (tier, t) in &all {
            let far = t
                .blocking
                .gemv_far_above
                .expect("stage 8 sets the threshold");
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
