//! Engine ops and workloads: which op a kernel benchmark measures, and which
//! ops carry a composite workload's slowdown or extra allocations (from the
//! per-op attribution of the results).

use crate::result::{OpFigures, RunResult, WorkloadResult};

/// Share of an increase an op must carry to be named for it.
const EXPLAINING_SHARE: f64 = 0.25;

/// The op a workload benchmarks alone, if it is a kernel benchmark: by the
/// catalogue's naming (`matmul/…`, `gelu/…`, `softmax/…`, `layer_norm/…`,
/// `attention/…`, `tensor/add…`, `tensor/mul…`). Everything else (models,
/// training steps, backward passes, broadcasts) is composite: its slowdown is
/// placed on ops by attribution.
pub fn kernel_op(name: &str) -> Option<&'static str> {
    let (group, rest) = name.split_once('/')?;
    match group {
        "matmul" => Some("matmul"),
        "gelu" => Some("gelu"),
        "softmax" => Some("softmax"),
        "layer_norm" => Some("layer_norm"),
        "attention" => Some("attention"),
        "tensor" if rest.starts_with("add") => Some("add"),
        "tensor" if rest.starts_with("mul") => Some("mul"),
        _ => None,
    }
}

/// The name prefix of the workloads that benchmark `op` alone, for the files
/// to read about it.
pub fn kernel_prefix(op: &str) -> Option<&'static str> {
    match op {
        "matmul" => Some("matmul/"),
        "gelu" => Some("gelu/"),
        "softmax" => Some("softmax/"),
        "add" => Some("tensor/add"),
        "mul" => Some("tensor/mul"),
        "layer_norm" => Some("layer_norm/"),
        "attention" => Some("attention/"),
        _ => None,
    }
}

/// Engine source files of a workload (from the catalogue), if it is known.
pub fn files_of(workload: &str) -> Vec<String> {
    crate::workloads::find(workload)
        .map(|d| d.files.iter().map(|f| f.to_string()).collect())
        .unwrap_or_default()
}

/// Engine source files of an op's kernel (from its kernel benchmarks).
pub fn files_of_op(op: &str) -> Vec<String> {
    let Some(prefix) = kernel_prefix(op) else {
        return Vec::new();
    };
    crate::workloads::catalogue()
        .into_iter()
        .find(|d| d.name.starts_with(prefix))
        .map(|d| d.files.iter().map(|f| f.to_string()).collect())
        .unwrap_or_default()
}

/// The ops that explain an increase of one workload, with their shares of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// (op, share of the increase), largest first.
    pub ops: Vec<(String, f64)>,
    /// The attributed relative increase of the whole workload (Σ current / Σ baseline − 1).
    pub total_change: f64,
}

/// Which ops carry the increase of `figure` (time or allocated bytes per
/// operation) between the two sides of a workload: those with a quarter of it
/// or more (at most three), else the largest. `None` without attribution on
/// both sides or without an increase.
pub fn attribute(
    name: &str,
    baseline: &RunResult,
    current: &RunResult,
    figure: fn(&OpFigures) -> f64,
) -> Option<Attribution> {
    let (bw, cw) = (baseline.workload(name)?, current.workload(name)?);
    if bw.ops.is_empty() || cw.ops.is_empty() {
        return None;
    }
    let value = |w: &WorkloadResult, op: &str| w.ops.get(op).map_or(0.0, figure);
    let mut names: Vec<&String> = bw.ops.keys().chain(cw.ops.keys()).collect();
    names.sort();
    names.dedup();
    let mut deltas: Vec<(String, f64)> = names
        .iter()
        .map(|op| ((*op).clone(), value(cw, op) - value(bw, op)))
        .filter(|(_, d)| *d > 0.0)
        .collect();
    let increase: f64 = deltas.iter().map(|d| d.1).sum();
    if increase <= 0.0 {
        return None;
    }
    let base_total: f64 = bw.ops.values().map(figure).sum();
    let cur_total: f64 = cw.ops.values().map(figure).sum();
    deltas.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut ops: Vec<(String, f64)> = deltas
        .iter()
        .filter(|d| d.1 / increase >= EXPLAINING_SHARE)
        .take(3)
        .map(|(op, d)| (op.clone(), d / increase))
        .collect();
    if ops.is_empty() {
        ops.push((deltas[0].0.clone(), deltas[0].1 / increase));
    }
    Some(Attribution {
        ops,
        total_change: if base_total > 0.0 {
            cur_total / base_total - 1.0
        } else {
            f64::INFINITY
        },
    })
}

/// The size in a workload name (`matmul/512` → 512, `gelu/10k` → 10 000,
/// `matmul_backward/128x256x128` → product), if the name is a pure size.
pub fn size_of(name: &str) -> Option<f64> {
    let tail = name.rsplit('/').next()?;
    let mut product = 1.0;
    for part in tail.split('x') {
        let (num, mult) = match part.chars().last()? {
            'k' => (&part[..part.len() - 1], 1e3),
            'm' => (&part[..part.len() - 1], 1e6),
            _ => (part, 1.0),
        };
        product *= num.parse::<f64>().ok()? * mult;
    }
    Some(product)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(size_of("matmul/512"), Some(512.0));
        assert_eq!(size_of("gelu/10k"), Some(10_000.0));
        assert_eq!(size_of("gelu/1m"), Some(1e6));
        assert_eq!(size_of("tensor/broadcast_100x100"), None);
        assert_eq!(
            size_of("matmul_backward/128x256x128"),
            Some(128.0 * 256.0 * 128.0)
        );
        assert_eq!(size_of("model/small"), None);
    }

    #[test]
    fn kernel_ops_by_name() {
        assert_eq!(kernel_op("matmul/512"), Some("matmul"));
        assert_eq!(kernel_op("tensor/add_10k"), Some("add"));
        assert_eq!(kernel_op("tensor/broadcast_100x100"), None);
        assert_eq!(kernel_op("matmul_backward/128x256x128"), None);
        assert_eq!(kernel_op("model/small"), None);
    }
}
