//! `smprof.toml`: thresholds, critical workloads, α, pool target and waivers.
//! Optional; every field has a documented default (docs/configuration.md).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod load;
pub use load::{ResolvedRule, pattern_matches};

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
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(crate::Error::io(path, e)),
        };
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
        self.validate_rules()
    }
}
