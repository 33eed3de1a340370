//! Shared by the history, bisect, notes, html and ab tests: throwaway git
//! repositories and synthetic results.
#![allow(dead_code)]

use smprof::result::{
    Better, CommitInfo, Env, Metric, MetricKind, RunResult, RunSettings, Summary, Tool,
    WorkloadResult,
};
use std::collections::BTreeMap;
use std::path::Path;

/// A repository at `dir` with `n` first-parent commits, each touching `file.txt`.
/// Returns the commit ids, oldest first.
pub fn repo_with_commits(dir: &Path, n: usize) -> (git2::Repository, Vec<git2::Oid>) {
    let repo = git2::Repository::init(dir).unwrap();
    let sig = git2::Signature::new(
        "Tester",
        "t@example.invalid",
        &git2::Time::new(1_700_000_000, 0),
    )
    .unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        std::fs::write(dir.join("file.txt"), format!("version {i}\n")).unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("file.txt")).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parents: Vec<git2::Commit> = ids
            .last()
            .map(|&p| repo.find_commit(p).unwrap())
            .into_iter()
            .collect();
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let sig_i = git2::Signature::new(
            "Tester",
            "t@example.invalid",
            &git2::Time::new(1_700_000_000 + i as i64 * 60, 0),
        )
        .unwrap();
        let id = repo
            .commit(
                Some("HEAD"),
                &sig_i,
                &sig,
                &format!("commit {i}"),
                &tree,
                &parent_refs,
            )
            .unwrap();
        drop(tree);
        ids.push(id);
    }
    (repo, ids)
}

fn summary_of(xs: &[f64]) -> Summary {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    let mean = s.iter().sum::<f64>() / n as f64;
    Summary {
        n: n as u32,
        median,
        mean,
        stddev: 0.0,
        min: s[0],
        max: s[n - 1],
        mad: 0.0,
        ci95: [s[0], s[n - 1]],
        outliers: 0,
    }
}

/// A sampled `time_ns` metric.
pub fn time_metric(samples: &[f64]) -> Metric {
    Metric {
        unit: "ns".into(),
        better: Better::Lower,
        kind: MetricKind::Sampled,
        derived_from: None,
        samples: Some(samples.to_vec()),
        process: None,
        summary: summary_of(samples),
        modes: None,
    }
}

/// A deterministic `instructions` metric.
pub fn instructions_metric(v: f64) -> Metric {
    Metric {
        unit: "instructions".into(),
        better: Better::Lower,
        kind: MetricKind::Deterministic,
        derived_from: None,
        samples: None,
        process: None,
        summary: summary_of(&[v]),
        modes: None,
    }
}

/// A result for `commit` with the given workloads (name → time samples).
pub fn result_for(
    commit: Option<(&git2::Repository, git2::Oid)>,
    workloads: &[(&str, Vec<f64>)],
) -> RunResult {
    let commit = commit.map(|(repo, id)| {
        let c = repo.find_commit(id).unwrap();
        CommitInfo {
            sha: id.to_string(),
            short: id.to_string()[..7].to_string(),
            dirty: false,
            branch: None,
            subject: c.summary().unwrap_or("").to_string(),
            time: smprof::timefmt::rfc3339(c.time().seconds()),
            stale: false,
        }
    });
    RunResult {
        schema_version: smprof::result::SCHEMA_VERSION,
        tool: Tool {
            name: "smprof".into(),
            version: "0.1.0".into(),
            source_hash: None,
        },
        created_at: "2026-11-21T20:00:00Z".into(),
        commit,
        env: Env {
            cpu_model: "test cpu".into(),
            logical_cores: 2,
            simd_tier: "scalar".into(),
            threads: 1,
            os: "linux".into(),
            kernel: "6".into(),
            rustc: "1.88".into(),
            profile: "release".into(),
            fingerprint: "fp".into(),
        },
        settings: RunSettings {
            mode: "custom".into(),
            processes: 1,
            samples_per_process: 5,
            suites: vec!["code".into()],
            filter: None,
            metric_mode: "time".into(),
            pairing: None,
            paired_samples: false,
        },
        durations_s: BTreeMap::new(),
        workloads: workloads
            .iter()
            .map(|(name, samples)| WorkloadResult {
                name: name.to_string(),
                suite: "code".into(),
                group: name.split('/').next().unwrap().to_string(),
                metrics: BTreeMap::from([("time_ns".to_string(), time_metric(samples))]),
                ops: BTreeMap::new(),
            })
            .collect(),
    }
}
