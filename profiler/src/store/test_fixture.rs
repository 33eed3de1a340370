//! A small result for the store's unit tests: named workloads, no metrics.

use crate::result::{CommitInfo, Env, RunResult, RunSettings, Tool, WorkloadResult};

/// A clean result of commit `abab…` with these workloads in `mode`; `tag`
/// (one digit) makes otherwise equal results differ.
pub fn result(workloads: &[&str], mode: &str, tag: &str) -> RunResult {
    RunResult {
        schema_version: crate::result::SCHEMA_VERSION,
        tool: Tool {
            name: "smprof".into(),
            version: "0".into(),
            source_hash: None,
        },
        created_at: format!("2026-01-01T00:00:0{tag}Z"),
        commit: Some(CommitInfo {
            sha: "ab".repeat(20),
            short: "ababab".into(),
            dirty: false,
            branch: None,
            subject: "s".into(),
            time: "2026-01-01T00:00:00Z".into(),
            stale: false,
        }),
        env: Env {
            cpu_model: "x".into(),
            logical_cores: 1,
            simd_tier: "scalar".into(),
            threads: 1,
            os: "linux".into(),
            kernel: "6".into(),
            rustc: "r".into(),
            profile: "release".into(),
            fingerprint: "f".into(),
        },
        settings: RunSettings {
            mode: "custom".into(),
            processes: 1,
            samples_per_process: 1,
            suites: vec!["code".into()],
            filter: None,
            metric_mode: mode.into(),
            pairing: None,
            paired_samples: false,
        },
        durations_s: Default::default(),
        workloads: workloads
            .iter()
            .map(|n| WorkloadResult {
                name: n.to_string(),
                suite: "code".into(),
                group: n.split('/').next().unwrap().into(),
                metrics: Default::default(),
                ops: Default::default(),
            })
            .collect(),
    }
}
