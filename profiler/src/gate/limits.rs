//! Hard absolute limits (`max`, `min` in `smprof.toml`): a current value beyond
//! one fails the gate whatever the baseline was. Waivers do not lift them: a
//! limit is a budget, not a comparison.

use crate::config::Config;
use crate::result::RunResult;
use serde::Serialize;

/// Which side of a limit was crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    Max,
    Min,
}

/// A current value beyond its hard limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitBreach {
    pub workload: String,
    pub metric: String,
    pub unit: String,
    /// The current value (median or deterministic value).
    pub value: f64,
    pub limit: f64,
    pub bound: Bound,
    /// The `smprof.toml` key that set it.
    pub origin: String,
}

/// Every metric of `current` that lies beyond a hard limit, in result order.
pub fn check_limits(current: &RunResult, config: &Config) -> Vec<LimitBreach> {
    let mut out = Vec::new();
    for w in &current.workloads {
        for (name, m) in &w.metrics {
            let rule = config.resolve_rule(&w.name, name, m.kind);
            let value = m.value();
            let mut breach = |limit: f64, bound: Bound| {
                out.push(LimitBreach {
                    workload: w.name.clone(),
                    metric: name.clone(),
                    unit: m.unit.clone(),
                    value,
                    limit,
                    bound,
                    origin: rule.limit_origin.clone(),
                })
            };
            if let Some(max) = rule.max
                && value > max
            {
                breach(max, Bound::Max);
            }
            if let Some(min) = rule.min
                && value < min
            {
                breach(min, Bound::Min);
            }
        }
    }
    out
}
