//! Per-op attribution: a separate instrumented pass (`smallmind::profile` on)
//! that splits a composite workload's operation into engine ops (matmul, gelu,
//! attention, …) with their calls, exclusive time and pool bytes per operation.
//! It runs in the allocation-pass worker, never in the timing pass.
//!
//! The pass also bounds what instrumentation costs when it is *off*: every call
//! of an engine op then pays one disabled `profile::scope` (a relaxed load and a
//! branch). Its cost is measured here, multiplied by the calls per operation,
//! and divided by the uninstrumented time of the operation.

use super::measured_op;
use crate::error::Result;
use crate::result::OpFigures;
use crate::workloads::Workload;
use serde::{Deserialize, Serialize};
use smallmind::profile;
use std::collections::BTreeMap;
use std::time::Instant;

/// What the attribution pass found for one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// Op name → figures per operation.
    pub ops: BTreeMap<String, OpFigures>,
    /// Instrumented scopes entered per operation.
    pub scopes_per_op: f64,
    /// Cost of one disabled scope, ns.
    pub disabled_scope_ns: f64,
    /// Time of one operation with instrumentation off, ns (mean of the pass's operations).
    pub time_off_ns: f64,
    /// Time of one operation with instrumentation on, ns.
    pub time_on_ns: f64,
    /// Upper bound of the cost of instrumentation when off, as a fraction of the operation.
    pub off_overhead: f64,
}

/// The cost of entering and leaving one `profile::scope` while instrumentation is off:
/// the fastest of 20 batches, so that a preemption during one batch (shared
/// machine) does not inflate what is a constant cost.
pub fn disabled_scope_ns() -> f64 {
    let was = profile::enabled();
    profile::set_enabled(false);
    const N: u32 = 200_000;
    let mut best = f64::INFINITY;
    for _ in 0..20 {
        let t0 = Instant::now();
        for _ in 0..N {
            let s = profile::scope(std::hint::black_box(profile::Op::Other));
            std::hint::black_box(&s);
        }
        best = best.min(t0.elapsed().as_nanos() as f64 / N as f64);
    }
    profile::set_enabled(was);
    best
}

/// Attribute `ops` operations of a set-up (and warmed-up) workload, interleaving
/// instrumentation off and on so that drift affects both alike.
pub fn measure(w: &mut dyn Workload, ops: u32, scope_ns: f64) -> Result<Attribution> {
    let ops = ops.max(1);
    let (mut off_ns, mut on_ns) = (0u128, 0u128);
    let mut totals: BTreeMap<String, OpFigures> = BTreeMap::new();
    let mut scopes = 0u64;
    let outcome = (|| -> Result<()> {
        for _ in 0..ops {
            profile::set_enabled(false);
            let t0 = Instant::now();
            measured_op(w)?;
            off_ns += t0.elapsed().as_nanos();

            profile::reset();
            profile::set_enabled(true);
            let t0 = Instant::now();
            measured_op(w)?;
            on_ns += t0.elapsed().as_nanos();
            profile::set_enabled(false);
            for (op, s) in profile::snapshot() {
                scopes += s.calls;
                let e = totals.entry(op.as_str().to_string()).or_insert(OpFigures {
                    calls: 0.0,
                    time_ns: 0.0,
                    alloc_bytes: 0.0,
                });
                e.calls += s.calls as f64;
                e.time_ns += s.time_ns as f64;
                e.alloc_bytes += s.alloc_bytes as f64;
            }
        }
        Ok(())
    })();
    profile::set_enabled(false);
    profile::reset();
    outcome?;
    let n = ops as f64;
    for f in totals.values_mut() {
        f.calls /= n;
        f.time_ns /= n;
        f.alloc_bytes /= n;
    }
    let time_off_ns = off_ns as f64 / n;
    let scopes_per_op = scopes as f64 / n;
    Ok(Attribution {
        ops: totals,
        scopes_per_op,
        disabled_scope_ns: scope_ns,
        time_off_ns,
        time_on_ns: on_ns as f64 / n,
        off_overhead: if time_off_ns > 0.0 {
            scopes_per_op * scope_ns / time_off_ns
        } else {
            0.0
        },
    })
}
