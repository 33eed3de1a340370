//! What a metric stands for: the classes the analysis, the gate and the
//! reports group verdicts by.

use crate::compare::model::Verdict;

/// The class of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Time per operation (`time_ns`, `instructions`) and what is computed from it
    /// (throughput, latency per token).
    Time,
    /// What an operation allocates (`alloc_bytes`, `alloc_count`, `peak_bytes`,
    /// `alloc_bytes_per_token`) and how much the pool saves (`pool_reduction`).
    Allocation,
    /// The same figures with the buffer pool switched off (`*_unpooled`):
    /// a point of comparison for the pool, never a thing to gate or explain.
    Diagnostic,
    /// Anything else a result may carry.
    Other,
}

/// The class of metric `name`.
pub fn class(name: &str, derived_from: Option<&str>) -> Class {
    if crate::result::is_diagnostic(name) {
        Class::Diagnostic
    } else if name == "time_ns" || name == "instructions" || derived_from == Some("time_ns") {
        Class::Time
    } else if name.starts_with("alloc_") || name.starts_with("peak_") || name == "pool_reduction" {
        Class::Allocation
    } else {
        Class::Other
    }
}

/// The class of a verdict's metric.
pub fn class_of(v: &Verdict) -> Class {
    class(&v.metric, v.derived_from.as_deref())
}

/// The metric that stands for a workload's cost: wall time, or instruction
/// counts when the results were measured under callgrind.
pub fn is_primary(metric: &str) -> bool {
    metric == "time_ns" || metric == "instructions"
}

/// Allocation metrics that show an op allocating more (not `pool_reduction`,
/// which moves with them).
pub fn is_allocation_amount(metric: &str) -> bool {
    class(metric, None) == Class::Allocation && metric != "pool_reduction"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(class("time_ns", None), Class::Time);
        assert_eq!(class("gflops", Some("time_ns")), Class::Time);
        assert_eq!(class("instructions", None), Class::Time);
        assert_eq!(class("alloc_bytes", None), Class::Allocation);
        assert_eq!(class("alloc_bytes_per_token", None), Class::Allocation);
        assert_eq!(class("peak_bytes", None), Class::Allocation);
        assert_eq!(class("pool_reduction", None), Class::Allocation);
        assert_eq!(class("pool_reduction_unpooled", None), Class::Diagnostic);
        assert_eq!(class("alloc_bytes_unpooled", None), Class::Diagnostic);
        assert_eq!(class("cache_misses", None), Class::Other);
        assert!(is_allocation_amount("alloc_count"));
        assert!(!is_allocation_amount("pool_reduction"));
    }
}
