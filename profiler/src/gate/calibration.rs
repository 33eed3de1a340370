//! Calibrated noise floors: how much a workload's median moves between runs of
//! the *same* commit on *this* machine (A/A), stored per environment fingerprint
//! under `<baselines>/noise/<fingerprint>.json`.
//!
//! Method. For N runs, take each metric's median per run, m₁…m_N. The floor is
//! the larger of
//! - the largest A/A change seen, max over ordered pairs |m_j / m_i − 1|, and
//! - 3·√2·s, where s is the sample standard deviation of ln m_i: the change between
//!   two independent runs has standard deviation √2·s, and 3 of them bound it
//!   two-sidedly at ≈ 0.3 % under normality.
//!
//! The first term is what was observed; the second extrapolates past the few
//! pairs N runs give (5 runs are only 10 pairs). Three sigmas, not more, because
//! the floor is the *first* of three guards: a verdict must also be significant
//! after Benjamini–Hochberg, and a wall-time regression must hold on re-measurement
//! before the gate fails. Compare and gate use max(threshold, floor).
//!
//! Floors belong to the kind of comparison they were measured on. The floor
//! above is the *stored-runs* floor (two runs minutes apart, which drift by
//! 10–80 % on a shared machine). The *paired* floor (`paired`, schema 2) comes
//! from one A/A lockstep measurement of this binary against itself: the
//! largest change its 95 % Hodges–Lehmann interval admits per workload. A
//! lockstep verdict takes only the paired floor ([`crate::compare::Floors`]),
//! so calibrating never blinds the lockstep gate with the run-to-run spread.

use crate::compare::model::ThresholdSource;
use crate::config::NoiseFloors;
use crate::error::{Error, Result};
use crate::result::{MetricKind, RunResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The schema version of `noise/<fingerprint>.json`.
pub const NOISE_SCHEMA_VERSION: u32 = 2;

/// Standard deviations of the A/A difference the floor covers.
pub const SIGMAS: f64 = 3.0;

/// A stored calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseFile {
    pub schema_version: u32,
    /// The environment fingerprint the runs share.
    pub fingerprint: String,
    /// RFC 3339.
    pub created_at: String,
    /// The commit calibrated on (sha), if any.
    pub commit: Option<String>,
    /// Runs the floors come from.
    pub runs: u32,
    /// Run mode of those runs (`quick`, `default`, `custom`): floors are only
    /// meaningful for comparisons of runs of the same size.
    pub mode: String,
    /// One line saying how floors were computed.
    pub method: String,
    /// workload → metric → floor and the figures behind it.
    pub workloads: BTreeMap<String, BTreeMap<String, FloorDetail>>,
    /// The paired (lockstep) floors, when calibrated (schema 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<PairedFloors>,
}

/// Floors of lockstep comparisons: one A/A measurement of a binary against itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairedFloors {
    /// Rounds of the A/A measurement.
    pub rounds: u32,
    /// Sample pairs per round.
    pub samples_per_round: u32,
    pub method: String,
    /// `workload` → `metric` → floor.
    pub workloads: BTreeMap<String, BTreeMap<String, PairedFloor>>,
}

/// The paired floor of one metric with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairedFloor {
    /// max(|lo|, |hi|) of the A/A change's 95 % interval (0.02 = 2 %).
    pub floor: f64,
    /// The A/A change estimate (Hodges–Lehmann) and its 95 % interval.
    pub change: f64,
    pub ci95: [f64; 2],
}

/// The paired floors from the two sides of an A/A lockstep comparison.
pub fn paired_floors(
    aa: &crate::compare::model::Comparison,
    rounds: u32,
    samples: u32,
) -> PairedFloors {
    let mut workloads: BTreeMap<String, BTreeMap<String, PairedFloor>> = BTreeMap::new();
    for v in aa.verdicts.iter().filter(|v| v.kind == MetricKind::Sampled) {
        let Some([lo, hi]) = v.ci95 else { continue };
        workloads.entry(v.workload.clone()).or_default().insert(
            v.metric.clone(),
            PairedFloor {
                floor: lo.abs().max(hi.abs()),
                change: v.change,
                ci95: [lo, hi],
            },
        );
    }
    PairedFloors {
        rounds,
        samples_per_round: samples,
        method: format!(
            "max(|lo|, |hi|) of the 95 % Hodges–Lehmann interval of one A/A lockstep measurement, {rounds} rounds × {samples} sample pairs"
        ),
        workloads,
    }
}

/// The floor of one metric with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorDetail {
    /// Relative floor (0.03 = 3 %).
    pub floor: f64,
    /// Largest A/A change between two runs.
    pub max_pairwise: f64,
    /// Standard deviation of ln(median) across runs.
    pub sd_log: f64,
    /// The per-run medians.
    pub medians: Vec<f64>,
}

impl NoiseFile {
    /// Both kinds of floors, as compare and gate use them.
    pub fn floors(&self) -> crate::compare::Floors {
        crate::compare::Floors {
            stored: Some(self.stored_floors()),
            paired: self.paired.as_ref().map(|p| NoiseFloors {
                fingerprint: self.fingerprint.clone(),
                floors: p
                    .workloads
                    .iter()
                    .map(|(w, ms)| {
                        (
                            w.clone(),
                            ms.iter().map(|(m, d)| (m.clone(), d.floor)).collect(),
                        )
                    })
                    .collect(),
            }),
        }
    }

    /// One line: which calibration applies, and of which kinds.
    pub fn describe(&self, comparing_mode: &str) -> String {
        let mut note = format!(
            "calibrated noise floors of fingerprint {} ({} {} runs, {}; {})",
            self.fingerprint,
            self.runs,
            self.mode,
            self.created_at,
            match &self.paired {
                Some(p) => format!("lockstep floors from {} A/A rounds", p.rounds),
                None => "no lockstep floors: lockstep verdicts use the thresholds".into(),
            }
        );
        if self.mode != comparing_mode {
            note.push_str(&format!(
                "; calibrated with {} runs but comparing {comparing_mode} runs",
                self.mode
            ));
        }
        note
    }

    /// Floors above `threshold` (relative), by kind: (`stored`/`paired`, workload, metric, floor).
    pub fn above(&self, threshold: f64) -> Vec<(&'static str, String, String, f64)> {
        let mut out = Vec::new();
        for (w, ms) in &self.workloads {
            for (m, d) in ms {
                if d.floor > threshold {
                    out.push(("stored", w.clone(), m.clone(), d.floor));
                }
            }
        }
        if let Some(p) = &self.paired {
            for (w, ms) in &p.workloads {
                for (m, d) in ms {
                    if d.floor > threshold {
                        out.push(("paired", w.clone(), m.clone(), d.floor));
                    }
                }
            }
        }
        out
    }

    /// The stored-runs floors.
    pub fn stored_floors(&self) -> NoiseFloors {
        NoiseFloors {
            fingerprint: self.fingerprint.clone(),
            floors: self
                .workloads
                .iter()
                .map(|(w, ms)| {
                    (
                        w.clone(),
                        ms.iter().map(|(m, d)| (m.clone(), d.floor)).collect(),
                    )
                })
                .collect(),
        }
    }
}

/// The floor from per-run medians (at least two, all positive and finite).
pub fn floor_from_medians(medians: &[f64]) -> Option<FloorDetail> {
    if medians.len() < 2 || medians.iter().any(|m| !(m.is_finite() && *m > 0.0)) {
        return None;
    }
    let mut max_pairwise: f64 = 0.0;
    for (i, a) in medians.iter().enumerate() {
        for (j, b) in medians.iter().enumerate() {
            if i != j {
                max_pairwise = max_pairwise.max((b / a - 1.0).abs());
            }
        }
    }
    let logs: Vec<f64> = medians.iter().map(|m| m.ln()).collect();
    let n = logs.len() as f64;
    let mean = logs.iter().sum::<f64>() / n;
    let sd_log = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // exp(kσ) − 1 turns the log-scale bound back into a relative change.
    let parametric = (SIGMAS * std::f64::consts::SQRT_2 * sd_log).exp() - 1.0;
    Some(FloorDetail {
        floor: max_pairwise.max(parametric),
        max_pairwise,
        sd_log,
        medians: medians.to_vec(),
    })
}

/// Floors for every sampled and derived metric measured in all `runs`.
/// The runs must share one environment fingerprint (and should share a commit).
pub fn compute(runs: &[RunResult]) -> Result<NoiseFile> {
    let first = runs.first().ok_or_else(|| Error::Other {
        what: "calibration".into(),
        reason: "no runs".into(),
    })?;
    if runs.len() < 2 {
        return Err(Error::Other {
            what: "calibration".into(),
            reason: "needs at least 2 runs (5 or more recommended)".into(),
        });
    }
    for r in runs {
        if r.env.fingerprint != first.env.fingerprint {
            return Err(Error::Other {
                what: "calibration".into(),
                reason: format!(
                    "runs come from different environments ({} vs {}): floors are per machine and tier",
                    first.env.fingerprint, r.env.fingerprint
                ),
            });
        }
        if r.commit.as_ref().map(|c| &c.sha) != first.commit.as_ref().map(|c| &c.sha) {
            return Err(Error::Other {
                what: "calibration".into(),
                reason: "runs come from different commits: an A/A spread needs one commit".into(),
            });
        }
    }
    let mut workloads: BTreeMap<String, BTreeMap<String, FloorDetail>> = BTreeMap::new();
    for w in &first.workloads {
        for (name, m) in &w.metrics {
            if m.kind == MetricKind::Deterministic {
                continue;
            }
            let medians: Option<Vec<f64>> = runs
                .iter()
                .map(|r| r.workload(&w.name)?.metrics.get(name).map(|m| m.value()))
                .collect();
            if let Some(d) = medians.as_deref().and_then(floor_from_medians) {
                workloads
                    .entry(w.name.clone())
                    .or_default()
                    .insert(name.clone(), d);
            }
        }
    }
    Ok(NoiseFile {
        schema_version: NOISE_SCHEMA_VERSION,
        fingerprint: first.env.fingerprint.clone(),
        created_at: crate::timefmt::rfc3339(crate::timefmt::now_unix()),
        commit: first.commit.as_ref().map(|c| c.sha.clone()),
        runs: runs.len() as u32,
        mode: first.settings.mode.clone(),
        method: format!(
            "max(largest pairwise |median change|, exp({SIGMAS}·√2·sd(ln median)) − 1) over {} runs",
            runs.len()
        ),
        workloads,
        paired: None,
    })
}

/// Where the floors of a fingerprint live.
pub fn noise_path(baselines: &Path, fingerprint: &str) -> PathBuf {
    let safe: String = fingerprint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    baselines.join("noise").join(format!("{safe}.json"))
}

/// Store a calibration atomically; returns the path.
pub fn save(baselines: &Path, file: &NoiseFile) -> Result<PathBuf> {
    let path = noise_path(baselines, &file.fingerprint);
    let bytes = serde_json::to_vec_pretty(file).map_err(|e| Error::Other {
        what: "serialising noise floors".into(),
        reason: e.to_string(),
    })?;
    crate::result::write_atomic(&path, &bytes)?;
    Ok(path)
}

/// Read the stored calibration of a fingerprint; `None` when never calibrated.
pub fn load(baselines: &Path, fingerprint: &str) -> Result<Option<NoiseFile>> {
    let path = noise_path(baselines, fingerprint);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Json {
        path: path.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    match value.get("schema_version").and_then(|v| v.as_u64()) {
        // Version 1 is version 2 without lockstep floors.
        Some(v) if v == NOISE_SCHEMA_VERSION as u64 || v == 1 => {}
        other => {
            return Err(Error::SchemaVersion {
                path,
                found: other.map_or("none".into(), |v| v.to_string()),
                expected: NOISE_SCHEMA_VERSION,
            });
        }
    }
    let file: NoiseFile = serde_json::from_value(value).map_err(|e| Error::Invalid {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if file.fingerprint != fingerprint {
        return Err(Error::Invalid {
            path,
            reason: format!(
                "holds fingerprint {} where {fingerprint} was expected",
                file.fingerprint
            ),
        });
    }
    if let Some((w, m, _)) = file
        .workloads
        .iter()
        .flat_map(|(w, ms)| ms.iter().map(move |(m, d)| (w, m, d)))
        .find(|(_, _, d)| !(d.floor.is_finite() && d.floor >= 0.0))
    {
        return Err(Error::Invalid {
            path,
            reason: format!("floor of {w} {m} is not a non-negative number"),
        });
    }
    Ok(Some(file))
}

/// The calibrated floors of a fingerprint, if any (what compare and gate take).
pub fn load_floors(baselines: &Path, fingerprint: &str) -> Result<Option<crate::compare::Floors>> {
    Ok(load(baselines, fingerprint)?.map(|f| f.floors()))
}

/// max(threshold, floor) and which of the two applied. `threshold` is relative,
/// `source` where it came from.
pub fn effective_threshold(
    threshold: f64,
    source: ThresholdSource,
    floor: Option<f64>,
) -> (f64, ThresholdSource) {
    match floor {
        Some(f) if f > threshold => (f, ThresholdSource::Calibrated),
        _ => (threshold, source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_covers_observed_spread_and_extrapolates() {
        let d = floor_from_medians(&[100.0, 102.0, 99.0, 101.0, 100.5]).unwrap();
        assert!((d.max_pairwise - (102.0 / 99.0 - 1.0)).abs() < 1e-12);
        assert!(d.floor >= d.max_pairwise);
        assert!(d.floor < 0.08, "{}", d.floor);
        // Identical runs: no noise, floor 0.
        assert_eq!(floor_from_medians(&[5.0, 5.0, 5.0]).unwrap().floor, 0.0);
        assert!(floor_from_medians(&[5.0]).is_none());
        assert!(floor_from_medians(&[5.0, f64::NAN]).is_none());
    }

    #[test]
    fn effective_threshold_says_which_applied() {
        assert_eq!(
            effective_threshold(0.05, ThresholdSource::Default, Some(0.08)),
            (0.08, ThresholdSource::Calibrated)
        );
        assert_eq!(
            effective_threshold(0.05, ThresholdSource::Config, Some(0.01)),
            (0.05, ThresholdSource::Config)
        );
        assert_eq!(
            effective_threshold(0.05, ThresholdSource::Default, None),
            (0.05, ThresholdSource::Default)
        );
    }
}
