//! The result file: one run of the catalogue on one commit (`baselines/<sha>.json`).
//! Every field is documented in `docs/results-format.md`; this is the contract.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

// Plain-number types of the schema live with the statistics that compute them
// (stats imports nothing else of the crate); the schema names them here.
pub use crate::stats::modality::Mode;
pub use crate::stats::summary::Summary;

/// The schema version this build writes and reads. Readers reject any other.
pub const SCHEMA_VERSION: u32 = 1;

/// One run of (part of) the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunResult {
    pub schema_version: u32,
    pub tool: Tool,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The commit measured; `None` outside a git repository (the file is then keyed by time).
    pub commit: Option<CommitInfo>,
    pub env: Env,
    /// How the run was configured (mode, processes, samples).
    pub settings: RunSettings,
    /// Wall-clock seconds spent per pass (`code`, `alloc`, `instructions`).
    pub durations_s: BTreeMap<String, f64>,
    pub workloads: Vec<WorkloadResult>,
}

/// The tool that wrote the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
    /// Hash of the sources the writing binary was built from (`git::source`):
    /// 40 hex digits; absent when the build could not hash them (or an older writer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_hash: Option<String>,
}

/// The git commit a result belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitInfo {
    /// 40 hex digits.
    pub sha: String,
    /// Abbreviated sha (as git abbreviates it, at least 7 digits).
    pub short: String,
    /// The work tree had uncommitted changes to tracked files.
    pub dirty: bool,
    /// Branch checked out, if any (None when HEAD is detached).
    pub branch: Option<String>,
    /// First line of the commit message.
    pub subject: String,
    /// Commit time, RFC 3339.
    pub time: String,
    /// The measuring binary was not built from these sources (`run --allow-stale`):
    /// the figures are of other code than the commit's. Absent = false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// The environment figures depend on; `fingerprint` hashes the fields that make
/// two results comparable (everything but `os` details that do not change speed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Env {
    pub cpu_model: String,
    pub logical_cores: u32,
    /// `scalar`, `avx2` or `avx512`: the tier the engine ran.
    pub simd_tier: String,
    pub threads: u32,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
    /// Cargo profile the measured binary was built with (`release`, `dev`).
    pub profile: String,
    pub fingerprint: String,
}

/// How a run was configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    /// `default`, `quick` or `custom`.
    pub mode: String,
    /// Fresh worker processes in the timing pass.
    pub processes: u32,
    /// Samples each process contributes per workload.
    pub samples_per_process: u32,
    /// Suites run: `code`, `alloc`.
    pub suites: Vec<String>,
    /// `--filter` pattern, if any.
    pub filter: Option<String>,
    /// `time` (wall clock) or `instructions` (callgrind).
    pub metric_mode: String,
    /// Set on both results of one alternating measurement (the same value on
    /// each): worker process k of one side ran right before or after process k
    /// of the other (round k), so the two compare round by round. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing: Option<String>,
    /// With `pairing`: the two sides took their samples in lockstep, so sample i
    /// of round k on one side ran right before or after sample i of round k on
    /// the other, and rounds compare sample pair by sample pair. Absent = false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paired_samples: bool,
}

/// Which way is better for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Lower,
    Higher,
}

/// Whether metric `name` is a diagnostic: the allocation figures with the engine's
/// buffer pool switched off (`*_unpooled`), a point of comparison for the pool that
/// no verdict count, gate or explanation treats as a change of the code
/// (`docs/results-format.md`).
pub fn is_diagnostic(name: &str) -> bool {
    name.ends_with("_unpooled")
}

/// How a metric was obtained, which decides how it is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// Per-operation wall-clock samples: compared with a rank test.
    Sampled,
    /// Computed per sample from another sampled metric (`derived_from`): shares its test.
    Derived,
    /// Exact and repeatable (bytes, counts, instructions): compared with a tolerance.
    Deterministic,
}

/// One measured workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadResult {
    /// Stable key, e.g. `matmul/512`.
    pub name: String,
    /// `code` or `alloc`.
    pub suite: String,
    /// The family (`matmul`, `gelu`, `model`, …): the prefix of the name.
    pub group: String,
    /// Metric name → figures. Always has `time_ns` in time mode.
    pub metrics: BTreeMap<String, Metric>,
    /// Per-op attribution for composite workloads: op name → figures per operation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ops: BTreeMap<String, OpFigures>,
}

/// One metric of one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub unit: String,
    pub better: Better,
    pub kind: MetricKind,
    /// For `derived`: the sampled metric it is computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<String>,
    /// Per-operation samples (sampled and derived metrics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<Vec<f64>>,
    /// The worker process of each sample (same length as `samples`); absent = one process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<Vec<u32>>,
    /// Summary of the samples, or the single figure of a deterministic metric.
    pub summary: Summary,
    /// Set when the samples fall into separated clusters: the metric is `unstable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modes: Option<Vec<Mode>>,
}

/// An op's figures per operation of a composite workload.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpFigures {
    pub calls: f64,
    pub time_ns: f64,
    pub alloc_bytes: f64,
}

impl RunResult {
    /// The workload of that name, if measured.
    pub fn workload(&self, name: &str) -> Option<&WorkloadResult> {
        self.workloads.iter().find(|w| w.name == name)
    }

    /// The key the result is stored under: the sha (with `-dirty` and/or `-stale`,
    /// so neither is ever mistaken for the commit), or the creation time.
    pub fn key(&self) -> String {
        match &self.commit {
            Some(c) => format!("{}{}", c.sha, c.suffix()),
            None => self.created_at.replace(':', ""),
        }
    }

    /// A short human label: short sha (+dirty, +stale) or time.
    pub fn label(&self) -> String {
        match &self.commit {
            Some(c) => format!("{}{}", c.short, c.suffix()),
            None => self.created_at.clone(),
        }
    }
}

/// What sets a result's key apart from its commit's own result: `""`, `-dirty`,
/// `-stale` or `-dirty-stale`.
pub fn key_suffix(dirty: bool, stale: bool) -> &'static str {
    match (dirty, stale) {
        (false, false) => "",
        (true, false) => "-dirty",
        (false, true) => "-stale",
        (true, true) => "-dirty-stale",
    }
}

impl CommitInfo {
    /// [`key_suffix`] of this commit's state.
    pub fn suffix(&self) -> &'static str {
        key_suffix(self.dirty, self.stale)
    }
}

impl Metric {
    /// The figure compared and shown: the median of the samples or the deterministic value.
    pub fn value(&self) -> f64 {
        self.summary.median
    }

    /// Whether this metric is marked multimodal.
    pub fn is_unstable(&self) -> bool {
        self.modes.as_ref().is_some_and(|m| m.len() > 1)
    }
}
