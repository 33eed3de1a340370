//! The worker side of a run (`smprof worker`, hidden): measure the given workloads
//! in the given order, one pass, and print one JSON line per workload on stdout.
//! The orchestrator reads the lines as they come (progress) and merges them.

use super::alloc::{self, AllocFigures};
use super::attribution::{self, Attribution};
use super::{callgrind, measured_op, timing};
use crate::error::{Error, Result};
use crate::workloads;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::time::Instant;

/// Operations measured per workload in the allocation pass (its figures are exact,
/// so one steady-state operation with pooling on and one with it off suffice).
pub const ALLOC_OPS: u32 = 1;
/// Operation pairs (instrumentation off, on) in the attribution pass.
pub const ATTRIBUTION_OPS: u32 = 2;

/// What a worker measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pass {
    /// Wall-clock samples.
    Time,
    /// Heap and pool statistics, then per-op attribution.
    Alloc,
    /// A warm-up, then exactly `samples` calls of `measured_op` (run under callgrind).
    Instructions,
}

impl Pass {
    pub fn as_str(self) -> &'static str {
        match self {
            Pass::Time => "time",
            Pass::Alloc => "alloc",
            Pass::Instructions => "instructions",
        }
    }
}

impl std::str::FromStr for Pass {
    type Err = Error;
    fn from_str(s: &str) -> Result<Pass> {
        match s {
            "time" => Ok(Pass::Time),
            "alloc" => Ok(Pass::Alloc),
            "instructions" => Ok(Pass::Instructions),
            other => Err(Error::Other {
                what: format!("worker pass {other:?}"),
                reason: "expected time, alloc or instructions".into(),
            }),
        }
    }
}

/// What one worker process is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Workloads, in the order to run them.
    pub workloads: Vec<String>,
    pub pass: Pass,
    /// Samples per workload (time pass), operations (instructions pass).
    pub samples: u32,
    /// Index of this process among the run's workers.
    pub process: u32,
}

/// One line of a worker's output: the figures of one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub workload: String,
    pub pass: Pass,
    pub process: u32,
    /// The SIMD tier the engine ran.
    pub simd_tier: String,
    /// Wall-clock seconds this workload took in this worker (setup included).
    pub elapsed_s: f64,
    /// Set when the workload failed; nothing else is meaningful then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Time pass: nanoseconds per operation, one per sample.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples_ns: Vec<f64>,
    /// Time pass: operations per sample.
    #[serde(default)]
    pub iters_per_sample: u64,
    /// Time pass: samples discarded and taken again because the worker was preempted.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retaken: u32,
    /// Alloc pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alloc: Option<AllocFigures>,
    /// Alloc pass: per-op attribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
    /// Instructions pass: calls of `measured_op` made.
    #[serde(default)]
    pub operations: u32,
}

impl Line {
    /// An empty line for workload `name` of worker `spec`, on the active SIMD tier.
    pub fn new(name: &str, spec: &Spec) -> Line {
        Line {
            workload: name.to_string(),
            pass: spec.pass,
            process: spec.process,
            simd_tier: smallmind::simd::active().as_str().to_string(),
            elapsed_s: 0.0,
            error: None,
            samples_ns: Vec::new(),
            iters_per_sample: 0,
            retaken: 0,
            alloc: None,
            attribution: None,
            operations: 0,
        }
    }
}

/// Write `line` as one JSON line and flush (the orchestrator reads as it comes).
pub fn write_line(out: &mut dyn Write, line: &Line) -> Result<()> {
    let text = serde_json::to_string(line).map_err(|e| Error::Other {
        what: "worker output".into(),
        reason: e.to_string(),
    })?;
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("<stdout>", e))
}

/// Run a worker, printing lines to `out`. A failing workload is reported in its
/// line and ends the worker with the error.
pub fn run(spec: &Spec, out: &mut dyn Write) -> Result<()> {
    if spec.pass == Pass::Alloc {
        alloc::enable_heap_profiling();
    }
    let scope_ns = if spec.pass == Pass::Alloc {
        attribution::disabled_scope_ns()
    } else {
        0.0
    };
    for name in &spec.workloads {
        let start = Instant::now();
        let mut line = Line::new(name, spec);
        let outcome = measure_one(name, spec, scope_ns, &mut line).map_err(|e| match e {
            e @ Error::Workload { .. } => e,
            e => Error::Workload {
                workload: name.clone(),
                reason: e.to_string(),
            },
        });
        line.elapsed_s = start.elapsed().as_secs_f64();
        if let Err(e) = &outcome {
            line.error = Some(e.to_string());
        }
        write_line(out, &line)?;
        outcome?;
    }
    Ok(())
}

fn measure_one(name: &str, spec: &Spec, scope_ns: f64, line: &mut Line) -> Result<()> {
    let def = workloads::find(name).ok_or_else(|| Error::Workload {
        workload: name.to_string(),
        reason: "not in the catalogue".into(),
    })?;
    let mut w = (def.setup)()?;
    match spec.pass {
        Pass::Time => {
            let s = timing::measure(w.as_mut(), &timing::Config::new(spec.samples))?;
            line.samples_ns = s.per_op_ns;
            line.iters_per_sample = s.iters;
            line.retaken = s.retaken;
        }
        Pass::Alloc => {
            line.alloc = Some(alloc::measure(w.as_mut(), ALLOC_OPS)?);
            line.attribution = Some(attribution::measure(w.as_mut(), ATTRIBUTION_OPS, scope_ns)?);
        }
        Pass::Instructions => {
            // Setup and this warm-up run before callgrind instruments anything
            // (`--instr-atstart=no`); only the counted calls run instrumented.
            w.warm_up()?;
            callgrind::requests::start_instrumentation();
            let counted = (0..spec.samples).try_for_each(|_| measured_op(w.as_mut()));
            callgrind::requests::stop_instrumentation();
            counted?;
            line.operations = spec.samples;
        }
    }
    Ok(())
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
