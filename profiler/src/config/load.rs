//! Resolving `smprof.toml` rules for one workload and metric, and the checks
//! serde cannot express (every message names the key at fault, e.g.
//! `workloads."matmul/*".metrics.time_ns.threshold_pct`).
//!
//! Precedence, most specific first: a rule of the workload (exact name, then the
//! longest matching `*` pattern) → the global `[metrics.<name>]` rule → the
//! built-in default for the metric's kind.

use super::{Config, MetricRule, ThresholdSource, Waiver, WorkloadRule};
use crate::result::MetricKind;

/// The rule that applies to one workload's metric, after precedence.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedRule {
    /// Soft relative threshold, percent.
    pub threshold_pct: f64,
    /// `Config` when smprof.toml set it, `Default` otherwise.
    pub source: ThresholdSource,
    /// Where it was set, for messages (`workloads."matmul/*".metrics.time_ns`, `metrics.time_ns`, `default`).
    pub origin: String,
    /// Hard absolute limits on the current value.
    pub max: Option<f64>,
    pub min: Option<f64>,
    /// Where the limits were set (`default` when none).
    pub limit_origin: String,
}

/// Whether `name` matches `pattern`: exact, or a glob where `*` matches any run of characters.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

impl Config {
    /// The workload rule for `workload`: an exact key wins, then the matching
    /// pattern with the most literal characters (the most specific).
    pub fn workload_rule(&self, workload: &str) -> Option<(&str, &WorkloadRule)> {
        if let Some((k, r)) = self.workloads.get_key_value(workload) {
            return Some((k.as_str(), r));
        }
        self.workloads
            .iter()
            .filter(|(k, _)| k.contains('*') && pattern_matches(k, workload))
            .max_by_key(|(k, _)| k.chars().filter(|c| *c != '*').count())
            .map(|(k, r)| (k.as_str(), r))
    }

    /// Whether `smprof.toml` marks `workload` critical.
    pub fn is_critical(&self, workload: &str) -> bool {
        self.workload_rule(workload)
            .is_some_and(|(_, r)| r.critical)
    }

    /// The threshold (percent) smprof.toml sets for this workload's metric, if any:
    /// the workload's rule, else the global `[metrics.<metric>]` rule.
    pub fn threshold_override_pct(&self, workload: &str, metric: &str) -> Option<f64> {
        self.workload_rule(workload)
            .and_then(|(_, w)| w.metrics.get(metric))
            .and_then(|r| r.threshold_pct)
            .or_else(|| self.metrics.get(metric).and_then(|r| r.threshold_pct))
    }

    /// The built-in relative threshold (percent) for a metric of this kind and name.
    pub fn default_threshold_pct(&self, metric: &str, kind: MetricKind) -> f64 {
        match kind {
            MetricKind::Sampled | MetricKind::Derived => self.threshold_pct,
            MetricKind::Deterministic if metric == "instructions" || metric == "est_cycles" => {
                self.instructions_tolerance_pct
            }
            MetricKind::Deterministic if metric.contains("bytes") => self.bytes_tolerance_pct,
            MetricKind::Deterministic => self.count_tolerance_pct,
        }
    }

    /// The threshold and hard limits for `workload`'s `metric`, with where they came from.
    pub fn resolve_rule(&self, workload: &str, metric: &str, kind: MetricKind) -> ResolvedRule {
        let mut out = ResolvedRule {
            threshold_pct: self.default_threshold_pct(metric, kind),
            source: ThresholdSource::Default,
            origin: "default".into(),
            max: None,
            min: None,
            limit_origin: "default".into(),
        };
        // Global rule first, then the workload's own overrides field by field.
        let mut layers: Vec<(String, &MetricRule)> = Vec::new();
        if let Some(r) = self.metrics.get(metric) {
            layers.push((format!("metrics.{metric}"), r));
        }
        if let Some((key, w)) = self.workload_rule(workload)
            && let Some(r) = w.metrics.get(metric)
        {
            layers.push((format!("workloads.{key:?}.metrics.{metric}"), r));
        }
        for (origin, rule) in layers {
            if let Some(t) = rule.threshold_pct {
                out.threshold_pct = t;
                out.source = ThresholdSource::Config;
                out.origin = origin.clone();
            }
            if rule.max.is_some() {
                out.max = rule.max;
                out.limit_origin = origin.clone();
            }
            if rule.min.is_some() {
                out.min = rule.min;
                out.limit_origin = origin.clone();
            }
        }
        out
    }

    /// Checks of rules and waivers beyond [`Config::validate`]'s ranges: every
    /// threshold non-negative, `min ≤ max`, every waiver complete with a valid expiry.
    pub fn validate_rules(&self) -> std::result::Result<(), String> {
        for (name, rule) in &self.metrics {
            check_rule(&format!("metrics.{name}"), rule)?;
        }
        for (key, w) in &self.workloads {
            if key.trim().is_empty() {
                return Err("workloads: an empty workload name".into());
            }
            for (name, rule) in &w.metrics {
                check_rule(&format!("workloads.{key:?}.metrics.{name}"), rule)?;
            }
        }
        for (i, w) in self.waivers.iter().enumerate() {
            check_waiver(i, w)?;
        }
        Ok(())
    }
}

fn check_rule(key: &str, rule: &MetricRule) -> std::result::Result<(), String> {
    if let Some(t) = rule.threshold_pct
        && !(t.is_finite() && t >= 0.0)
    {
        return Err(format!(
            "{key}.threshold_pct = {t} must be a non-negative number"
        ));
    }
    for (field, v) in [("max", rule.max), ("min", rule.min)] {
        if let Some(v) = v
            && !v.is_finite()
        {
            return Err(format!("{key}.{field} = {v} must be a finite number"));
        }
    }
    if let (Some(lo), Some(hi)) = (rule.min, rule.max)
        && lo > hi
    {
        return Err(format!("{key}: min = {lo} is above max = {hi}"));
    }
    Ok(())
}

fn check_waiver(i: usize, w: &Waiver) -> std::result::Result<(), String> {
    let key = format!("waivers[{i}]");
    for (field, v) in [
        ("workload", &w.workload),
        ("metric", &w.metric),
        ("reason", &w.reason),
    ] {
        if v.trim().is_empty() {
            return Err(format!("{key}.{field} must not be empty"));
        }
    }
    if w.expires.is_none() && w.until_commit.is_none() {
        return Err(format!(
            "{key} ({} {}) needs `expires = \"YYYY-MM-DD\"` or `until_commit = \"<sha>\"`: a waiver must end",
            w.workload, w.metric
        ));
    }
    if let Some(d) = &w.expires
        && crate::timefmt::parse_date(d).is_none()
    {
        return Err(format!("{key}.expires = {d:?} is not a YYYY-MM-DD date"));
    }
    if let Some(c) = &w.until_commit
        && (c.len() < 4 || !c.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(format!(
            "{key}.until_commit = {c:?} is not a commit sha (at least 4 hex digits)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("matmul/*", "matmul/512"));
        assert!(pattern_matches("*", "x"));
        assert!(pattern_matches("*/512", "matmul/512"));
        assert!(pattern_matches("m*l/*2", "matmul/512"));
        assert!(!pattern_matches("matmul/*", "gelu/512"));
        assert!(!pattern_matches("ab*ba", "aba"));
        assert!(pattern_matches("gelu/1k", "gelu/1k"));
        assert!(!pattern_matches("gelu/1k", "gelu/1k2"));
    }

    #[test]
    fn precedence_exact_then_specific_pattern_then_global() {
        let c = config(
            r#"
            threshold_pct = 5
            [metrics.time_ns]
            threshold_pct = 7
            max = 1e9
            [workloads."matmul/*".metrics.time_ns]
            threshold_pct = 8
            [workloads."matmul/5*".metrics.time_ns]
            threshold_pct = 9
            [workloads."matmul/512"]
            critical = true
            "#,
        );
        let r = c.resolve_rule("gelu/1k", "time_ns", MetricKind::Sampled);
        assert_eq!(
            (r.threshold_pct, r.source, r.max),
            (7.0, ThresholdSource::Config, Some(1e9))
        );
        let r = c.resolve_rule("matmul/64", "time_ns", MetricKind::Sampled);
        assert_eq!(r.threshold_pct, 8.0);
        let r = c.resolve_rule("matmul/544", "time_ns", MetricKind::Sampled);
        assert_eq!(r.threshold_pct, 9.0);
        assert!(r.origin.contains("matmul/5*"), "{}", r.origin);
        // The exact key wins and has no time_ns rule: the global one applies.
        let r = c.resolve_rule("matmul/512", "time_ns", MetricKind::Sampled);
        assert_eq!(r.threshold_pct, 7.0);
        assert!(c.is_critical("matmul/512"));
        assert!(!c.is_critical("matmul/64"));
        let r = c.resolve_rule("matmul/64", "instructions", MetricKind::Deterministic);
        assert_eq!((r.threshold_pct, r.source), (1.0, ThresholdSource::Default));
    }

    #[test]
    fn bad_rules_and_waivers_name_the_key() {
        let err = |text: &str| config(text).validate_rules().unwrap_err();
        assert!(
            err("[workloads.\"gelu/*\".metrics.time_ns]\nthreshold_pct = -1")
                .contains("workloads.\"gelu/*\".metrics.time_ns.threshold_pct")
        );
        assert!(err("[metrics.time_ns]\nmin = 5\nmax = 1").contains("metrics.time_ns"));
        let w = "[[waivers]]\nworkload = \"a\"\nmetric = \"time_ns\"\nreason = \"r\"\n";
        assert!(err(w).contains("waivers[0]"));
        assert!(err(&format!("{w}expires = \"2026-02-30x\"")).contains("waivers[0].expires"));
        assert!(err(&format!("{w}until_commit = \"zz\"")).contains("until_commit"));
        assert!(
            config(&format!("{w}expires = \"2026-02-03\""))
                .validate_rules()
                .is_ok()
        );
    }
}
