//! Which environment fields differ between two results. Only the fields that
//! change speed are compared (OS and kernel details are informative).

use super::model::EnvDifference;
use crate::result::Env;

/// The differing fields, in a fixed order.
pub fn env_differences(baseline: &Env, current: &Env) -> Vec<EnvDifference> {
    let fields: [(&str, String, String); 6] = [
        (
            "cpu_model",
            baseline.cpu_model.clone(),
            current.cpu_model.clone(),
        ),
        (
            "logical_cores",
            baseline.logical_cores.to_string(),
            current.logical_cores.to_string(),
        ),
        (
            "simd_tier",
            baseline.simd_tier.clone(),
            current.simd_tier.clone(),
        ),
        (
            "threads",
            baseline.threads.to_string(),
            current.threads.to_string(),
        ),
        ("rustc", baseline.rustc.clone(), current.rustc.clone()),
        ("profile", baseline.profile.clone(), current.profile.clone()),
    ];
    fields
        .into_iter()
        .filter(|(_, b, c)| b != c)
        .map(|(field, baseline, current)| EnvDifference {
            field: field.to_string(),
            baseline,
            current,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        Env {
            cpu_model: "AMD EPYC".into(),
            logical_cores: 2,
            simd_tier: "avx512".into(),
            threads: 1,
            os: "linux".into(),
            kernel: "6.1".into(),
            rustc: "rustc 1.90.0".into(),
            profile: "release".into(),
            fingerprint: "abc".into(),
        }
    }

    #[test]
    fn lists_only_speed_relevant_differences() {
        let a = env();
        let mut b = env();
        assert!(env_differences(&a, &b).is_empty());
        b.simd_tier = "scalar".into();
        b.kernel = "6.2".into();
        b.fingerprint = "def".into();
        let d = env_differences(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field, "simd_tier");
        assert_eq!(
            (d[0].baseline.as_str(), d[0].current.as_str()),
            ("avx512", "scalar")
        );
    }
}
