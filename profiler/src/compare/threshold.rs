//! Which threshold or tolerance applies to a metric, and where it came from.

use super::model::ThresholdSource;
use crate::config::{Config, NoiseFloors};
use crate::result::Metric;

/// The tolerance class of a deterministic metric.
/// Calibrated noise floors by the kind of measurement they were taken from. A
/// floor is the spread of one kind of comparison: two stored runs minutes apart
/// drift by 10–80 % on a shared machine, two builds sampled in lockstep by 1–3 %;
/// a lockstep verdict never takes the run-to-run floor (it would blind it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Floors {
    /// From repeated stored runs of one commit (pooled comparisons).
    pub stored: Option<NoiseFloors>,
    /// From an A/A lockstep measurement (paired comparisons).
    pub paired: Option<NoiseFloors>,
}

impl Floors {
    /// The floors that apply to a comparison that is `paired` or not.
    pub fn for_kind(&self, paired: bool) -> Option<&NoiseFloors> {
        if paired {
            self.paired.as_ref()
        } else {
            self.stored.as_ref()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tolerance {
    /// Allocation counts, calls, blocks: exact.
    Count,
    /// Bytes and other deterministic quantities (ratios such as pool reduction).
    Bytes,
    /// Instruction counts (callgrind).
    Instructions,
}

impl Tolerance {
    /// Classify by unit first, then by name.
    pub fn of(name: &str, metric: &Metric) -> Tolerance {
        let unit = metric.unit.to_ascii_lowercase();
        if unit.contains("instr") || unit == "ir" || name.contains("instructions") {
            Tolerance::Instructions
        } else if matches!(
            unit.as_str(),
            "count" | "calls" | "blocks" | "allocations" | "allocs" | "gc"
        ) || name.ends_with("_count")
            || name.ends_with("blocks")
        {
            Tolerance::Count
        } else {
            Tolerance::Bytes
        }
    }
}

/// The relative threshold for a timing metric: the per-workload rule, else the
/// per-metric rule, else the global one, raised to the calibrated noise floor
/// when that is larger.
pub fn timing_threshold(
    config: &Config,
    floors: Option<&NoiseFloors>,
    workload: &str,
    metric: &str,
) -> (f64, ThresholdSource) {
    let rule = config
        .workload_rule(workload)
        .and_then(|(_, w)| w.metrics.get(metric))
        .and_then(|r| r.threshold_pct)
        .or_else(|| config.metrics.get(metric).and_then(|r| r.threshold_pct));
    let (pct, source) = match rule {
        Some(p) => (p, ThresholdSource::Config),
        None if config.threshold_pct != Config::default().threshold_pct => {
            (config.threshold_pct, ThresholdSource::Config)
        }
        None => (config.threshold_pct, ThresholdSource::Default),
    };
    let t = pct / 100.0;
    match floors.and_then(|f| f.floor(workload, metric)) {
        Some(floor) if floor > t => (floor, ThresholdSource::Calibrated),
        _ => (t, source),
    }
}

/// The relative tolerance of a deterministic metric and its source.
pub fn tolerance(config: &Config, class: Tolerance) -> (f64, ThresholdSource) {
    let d = Config::default();
    let (v, default) = match class {
        Tolerance::Count => (config.count_tolerance_pct, d.count_tolerance_pct),
        Tolerance::Bytes => (config.bytes_tolerance_pct, d.bytes_tolerance_pct),
        Tolerance::Instructions => (
            config.instructions_tolerance_pct,
            d.instructions_tolerance_pct,
        ),
    };
    let source = if v == default {
        ThresholdSource::Default
    } else {
        ThresholdSource::Config
    };
    (v / 100.0, source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MetricRule, WorkloadRule};

    #[test]
    fn precedence_and_floor() {
        let mut c = Config::default();
        assert_eq!(
            timing_threshold(&c, None, "gelu/1k", "time_ns"),
            (0.05, ThresholdSource::Default)
        );
        c.metrics.insert(
            "time_ns".into(),
            MetricRule {
                threshold_pct: Some(8.0),
                ..MetricRule::default()
            },
        );
        assert_eq!(
            timing_threshold(&c, None, "gelu/1k", "time_ns"),
            (0.08, ThresholdSource::Config)
        );
        let mut w = WorkloadRule::default();
        w.metrics.insert(
            "time_ns".into(),
            MetricRule {
                threshold_pct: Some(3.0),
                ..MetricRule::default()
            },
        );
        c.workloads.insert("gelu/1k".into(), w);
        assert_eq!(
            timing_threshold(&c, None, "gelu/1k", "time_ns"),
            (0.03, ThresholdSource::Config)
        );
        let mut f = NoiseFloors::default();
        f.floors
            .entry("gelu/1k".into())
            .or_default()
            .insert("time_ns".into(), 0.12);
        assert_eq!(
            timing_threshold(&c, Some(&f), "gelu/1k", "time_ns"),
            (0.12, ThresholdSource::Calibrated)
        );
    }
}
