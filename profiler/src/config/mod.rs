//! `smprof.toml`: thresholds, critical workloads, α, pool target and waivers.
//! Optional; every field has a documented default (docs/configuration.md).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod load;
pub use load::{ResolvedRule, pattern_matches};

/// Where a verdict's threshold came from (`threshold_source` in a comparison,
/// docs/comparison-format.md). Defined with the configuration that is one of its
/// sources, so config needs nothing of compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThresholdSource {
    Default,
    Config,
    Calibrated,
}

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// False-discovery rate for timing verdicts.
    pub alpha: f64,
    /// Default relative threshold for timing metrics, in percent.
    pub threshold_pct: f64,
    /// Relative tolerance for deterministic byte metrics, in percent.
    pub bytes_tolerance_pct: f64,
    /// Relative tolerance for deterministic counts, in percent.
    pub count_tolerance_pct: f64,
    /// Relative tolerance for instruction counts, in percent.
    pub instructions_tolerance_pct: f64,
    /// Pool reduction below this (0–1) raises a P2 action.
    pub pool_reduction_target: f64,
    /// Severity bands, in percent of change.
    pub severity: SeverityBands,
    /// Per-metric soft thresholds (percent), e.g. `time_ns = 5`.
    pub metrics: BTreeMap<String, MetricRule>,
    /// Per-workload rules, keyed by workload name.
    pub workloads: BTreeMap<String, WorkloadRule>,
    /// Accepted regressions.
    pub waivers: Vec<Waiver>,
}

/// Severity bands (percent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeverityBands {
    pub good_pct: f64,
    pub excellent_pct: f64,
    pub outstanding_pct: f64,
    pub critical_pct: f64,
}

/// Thresholds for one metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricRule {
    /// Soft relative threshold, percent.
    pub threshold_pct: Option<f64>,
    /// Hard absolute limit: a current value beyond it always fails.
    pub max: Option<f64>,
    pub min: Option<f64>,
}

/// Rules for one workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadRule {
    /// Any regression of a critical workload is CRITICAL.
    pub critical: bool,
    /// Per-metric rules for this workload (override the global ones).
    pub metrics: BTreeMap<String, MetricRule>,
}

/// An accepted regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub workload: String,
    pub metric: String,
    pub reason: String,
    /// YYYY-MM-DD; the waiver stops applying after this day.
    pub expires: Option<String>,
    /// A commit; the waiver stops applying once HEAD descends from it.
    pub until_commit: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            alpha: 0.01,
            threshold_pct: 5.0,
            bytes_tolerance_pct: 1.0,
            count_tolerance_pct: 0.0,
            instructions_tolerance_pct: 1.0,
            pool_reduction_target: 0.80,
            severity: SeverityBands::default(),
            metrics: BTreeMap::new(),
            workloads: BTreeMap::new(),
            waivers: Vec::new(),
        }
    }
}

impl Default for SeverityBands {
    fn default() -> Self {
        SeverityBands {
            good_pct: 25.0,
            excellent_pct: 50.0,
            outstanding_pct: 90.0,
            critical_pct: 50.0,
        }
    }
}

/// Calibrated noise floors for one environment fingerprint: the relative A/A
/// spread of each workload's metric, measured by `smprof calibrate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoiseFloors {
    pub fingerprint: String,
    /// `workload` → `metric` → relative floor (0.03 = 3 %).
    pub floors: BTreeMap<String, BTreeMap<String, f64>>,
}

impl NoiseFloors {
    /// The floor for a workload's metric, if calibrated.
    pub fn floor(&self, workload: &str, metric: &str) -> Option<f64> {
        self.floors
            .get(workload)
            .and_then(|m| m.get(metric))
            .copied()
    }
}

impl Config {
    /// Read `path`; a missing file means the documented defaults. A file that
    /// does not parse is an error naming the file and the problem.
    pub fn load_or_default(path: &std::path::Path) -> crate::Result<Config> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            _ => Config::load(path),
        }
    }

    /// Read `path`, which must exist (a file named with `--config`).
    pub fn load(path: &std::path::Path) -> crate::Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => crate::Error::Config {
                path: path.to_path_buf(),
                reason: "no such file (named by --config; without --config a missing smprof.toml means the defaults)".into(),
            },
            _ => crate::Error::io(path, e),
        })?;
        let config: Config = toml::from_str(&text).map_err(|e| crate::Error::Config {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        config.validate().map_err(|reason| crate::Error::Config {
            path: path.to_path_buf(),
            reason,
        })?;
        Ok(config)
    }

    /// Range checks serde cannot express.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(format!("alpha = {} must lie in (0, 1)", self.alpha));
        }
        for (name, v) in [
            ("threshold_pct", self.threshold_pct),
            ("bytes_tolerance_pct", self.bytes_tolerance_pct),
            ("count_tolerance_pct", self.count_tolerance_pct),
            (
                "instructions_tolerance_pct",
                self.instructions_tolerance_pct,
            ),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{name} = {v} must be a non-negative number"));
            }
        }
        if !(0.0..=1.0).contains(&self.pool_reduction_target) {
            return Err(format!(
                "pool_reduction_target = {} must lie in [0, 1]",
                self.pool_reduction_target
            ));
        }
        self.severity.validate()?;
        self.validate_rules()
    }
}

impl SeverityBands {
    /// Every band a non-negative percentage; the improvement bands rising
    /// (good ≤ excellent ≤ outstanding), or a larger improvement would rank lower.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let bands = [
            ("good_pct", self.good_pct),
            ("excellent_pct", self.excellent_pct),
            ("outstanding_pct", self.outstanding_pct),
            ("critical_pct", self.critical_pct),
        ];
        for (name, v) in bands {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!(
                    "severity.{name} = {v} must be a non-negative percentage"
                ));
            }
        }
        for pair in bands[..3].windows(2) {
            let ((lo_name, lo), (hi_name, hi)) = (pair[0], pair[1]);
            if hi < lo {
                return Err(format!(
                    "severity.{hi_name} = {hi} is below severity.{lo_name} = {lo}: the improvement bands rise (good_pct ≤ excellent_pct ≤ outstanding_pct)"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> String {
        let c: Config = toml::from_str(text).unwrap();
        c.validate().unwrap_err()
    }

    #[test]
    fn every_documented_range_is_checked_and_named() {
        for (text, key) in [
            ("alpha = 0", "alpha"),
            ("alpha = 1.5", "alpha"),
            ("alpha = nan", "alpha"),
            ("threshold_pct = -1", "threshold_pct"),
            ("bytes_tolerance_pct = -0.5", "bytes_tolerance_pct"),
            ("count_tolerance_pct = inf", "count_tolerance_pct"),
            (
                "instructions_tolerance_pct = -2",
                "instructions_tolerance_pct",
            ),
            ("pool_reduction_target = 1.2", "pool_reduction_target"),
            ("[severity]\ncritical_pct = -1", "severity.critical_pct"),
            ("[severity]\ngood_pct = nan", "severity.good_pct"),
            (
                "[severity]\ngood_pct = 90\nexcellent_pct = 10\noutstanding_pct = 95",
                "severity.excellent_pct = 10 is below severity.good_pct = 90",
            ),
            (
                "[severity]\ngood_pct = 90\nexcellent_pct = 10\noutstanding_pct = -3",
                "severity.outstanding_pct = -3",
            ),
            (
                "[severity]\noutstanding_pct = 40",
                "severity.outstanding_pct = 40 is below severity.excellent_pct = 50",
            ),
        ] {
            let r = reason(text);
            assert!(r.contains(key), "{text:?}: {r}");
        }
        assert_eq!(Config::default().validate(), Ok(()));
        let equal: Config =
            toml::from_str("[severity]\ngood_pct = 50\nexcellent_pct = 50\ncritical_pct = 0")
                .unwrap();
        assert_eq!(equal.validate(), Ok(()));
    }

    #[test]
    fn a_named_file_must_exist_the_default_one_need_not() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("missing.toml");
        assert_eq!(
            Config::load_or_default(&missing).unwrap(),
            Config::default()
        );
        let err = Config::load(&missing).unwrap_err().to_string();
        assert!(
            err.contains("missing.toml") && err.contains("no such file"),
            "{err}"
        );
        let bad = tmp.path().join("bad.toml");
        std::fs::write(&bad, "[severity]\ncritical_pct = -1\n").unwrap();
        let err = Config::load_or_default(&bad).unwrap_err().to_string();
        assert!(
            err.contains("bad.toml: invalid configuration: severity.critical_pct"),
            "{err}"
        );
    }
}
