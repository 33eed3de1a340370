//! A valid result for tests of the result format and loader.

use smprof::measure::assemble::{deterministic, sampled};
use smprof::result::*;
use std::collections::BTreeMap;

pub fn sample_result() -> RunResult {
    let mut metrics = BTreeMap::new();
    metrics.insert(
        "time_ns".to_string(),
        sampled(
            "ns",
            Better::Lower,
            vec![1000.0, 1010.0, 990.0, 1005.0, 2000.0, 1001.0],
            Some(vec![0, 0, 0, 1, 1, 1]),
        ),
    );
    metrics.insert(
        "alloc_bytes".to_string(),
        deterministic("B", Better::Lower, 4096.0),
    );
    let mut ops = BTreeMap::new();
    ops.insert(
        "matmul".to_string(),
        OpFigures {
            calls: 3.0,
            time_ns: 800.0,
            alloc_bytes: 0.0,
        },
    );
    RunResult {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "smprof".into(),
            version: "0.1.0".into(),
            source_hash: None,
        },
        created_at: "2026-11-21T20:00:00Z".into(),
        commit: Some(CommitInfo {
            sha: "0123456789abcdef0123456789abcdef01234567".into(),
            short: "0123456".into(),
            dirty: false,
            branch: Some("main".into()),
            subject: "a commit".into(),
            time: "2026-11-21T19:00:00Z".into(),
            stale: false,
        }),
        env: smprof::env::capture("scalar", 1),
        settings: RunSettings {
            mode: "custom".into(),
            processes: 2,
            samples_per_process: 3,
            suites: vec!["code".into()],
            filter: Some("matmul".into()),
            metric_mode: "time".into(),
            pairing: None,
            paired_samples: false,
        },
        durations_s: [("code".to_string(), 1.5), ("total".to_string(), 2.0)]
            .into_iter()
            .collect(),
        workloads: vec![WorkloadResult {
            name: "matmul_backward/128x256x128".into(),
            suite: "alloc".into(),
            group: "matmul_backward".into(),
            metrics,
            ops,
        }],
    }
}
