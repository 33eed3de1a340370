//! Reading results defensively.
//!
//! A damaged file must give a clear error naming the file and the problem,
//! never a panic: the version is checked first, then the structure, then the
//! values (finite, consistent lengths).

use super::schema::{MetricKind, RunResult, SCHEMA_VERSION};
use crate::error::{Error, Result};
use std::path::Path;

/// Load and validate a result file.
pub fn load(path: &Path) -> Result<RunResult> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    from_str(&text, path)
}

/// Parse and validate a result; `path` is only used in messages.
pub fn from_str(text: &str, path: &Path) -> Result<RunResult> {
    let json_err = |e: serde_json::Error| Error::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(json_err)?;
    match value.get("schema_version") {
        Some(v) if v.as_u64() == Some(SCHEMA_VERSION as u64) => {}
        Some(v) => {
            return Err(Error::SchemaVersion {
                path: path.to_path_buf(),
                found: v.to_string(),
                expected: SCHEMA_VERSION,
            });
        }
        None => {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                reason: "no schema_version field: this is not an smprof result".into(),
            });
        }
    }
    let result: RunResult = serde_json::from_value(value).map_err(|e| Error::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    validate(&result).map_err(|reason| Error::Invalid {
        path: path.to_path_buf(),
        reason,
    })?;
    Ok(result)
}

/// Semantic checks serde cannot express.
fn validate(r: &RunResult) -> std::result::Result<(), String> {
    if let Some(c) = &r.commit
        && (c.sha.len() != 40 || !c.sha.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(format!("commit.sha {:?} is not 40 hex digits", c.sha));
    }
    let mut seen = std::collections::BTreeSet::new();
    for w in &r.workloads {
        if w.name.is_empty() {
            return Err("a workload has an empty name".into());
        }
        if !seen.insert(&w.name) {
            return Err(format!("workload {} appears twice", w.name));
        }
        for (m, metric) in &w.metrics {
            let ctx = |what: &str| format!("workload {} metric {m}: {what}", w.name);
            let s = &metric.summary;
            for (field, v) in [
                ("median", s.median),
                ("mean", s.mean),
                ("stddev", s.stddev),
                ("min", s.min),
                ("max", s.max),
                ("mad", s.mad),
                ("ci95[0]", s.ci95[0]),
                ("ci95[1]", s.ci95[1]),
            ] {
                if !v.is_finite() {
                    return Err(ctx(&format!("{field} is not a finite number")));
                }
            }
            match (&metric.kind, &metric.samples) {
                (MetricKind::Sampled | MetricKind::Derived, None) => {
                    return Err(ctx("a sampled metric has no samples"));
                }
                (MetricKind::Sampled | MetricKind::Derived, Some(xs)) => {
                    if xs.is_empty() {
                        return Err(ctx("samples is empty"));
                    }
                    if xs.iter().any(|x| !x.is_finite() || *x < 0.0) {
                        return Err(ctx("samples must be finite and non-negative"));
                    }
                    if let Some(p) = &metric.process
                        && p.len() != xs.len()
                    {
                        return Err(ctx(&format!(
                            "process has {} entries for {} samples",
                            p.len(),
                            xs.len()
                        )));
                    }
                }
                (MetricKind::Deterministic, _) => {}
            }
            if metric.kind == MetricKind::Derived && metric.derived_from.is_none() {
                return Err(ctx("a derived metric does not say what it is derived from"));
            }
        }
    }
    Ok(())
}
