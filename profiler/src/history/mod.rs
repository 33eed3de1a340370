//! Results along the first-parent history of HEAD, one series per workload,
//! metric and environment, with the change points E-divisive finds in each.
//!
//! A commit's result comes from `baselines/<sha>.json` or, failing that, from its
//! git note (`refs/notes/smprof`). Commits without a result are skipped: a
//! series is the sequence of measured commits, oldest first.
//!
//! Results of different environments (fingerprints: CPU, SIMD tier, threads,
//! compiler, profile) are never one series: a scalar-tier run is not a spike
//! in the avx512 series but a point of its own series, and the commit where the
//! environment changed is listed as an environment change, not a shift.
//! `crate::report::history` renders it.

pub mod bisect;
pub mod confirm;

use crate::error::{Error, Result};
use crate::result::{CommitInfo, Env, RunResult};
use crate::stats::edivisive;
use crate::store::Store;
use serde::Serialize;

/// What to collect.
#[derive(Debug, Clone)]
pub struct Options {
    /// Workloads whose name contains this (or matches it as a glob with `*`).
    pub workload: Option<String>,
    /// The metric of each series (`time_ns`, `instructions`, `gflops`, …).
    pub metric: String,
    /// Only commits after this revision (exclusive).
    pub since: Option<String>,
    /// At most this many commits back from HEAD.
    pub max_commits: usize,
    pub detector: edivisive::Settings,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            workload: None,
            metric: "time_ns".into(),
            since: None,
            max_commits: 1000,
            detector: edivisive::Settings::default(),
        }
    }
}

/// Where a commit's result was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    File,
    Note,
}

/// A measured commit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasuredCommit {
    pub commit: CommitInfo,
    pub source: Source,
    /// Index into [`History::environments`] of the environment it was measured in.
    pub env: usize,
}

/// One environment results were measured in (one fingerprint).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    pub fingerprint: String,
    /// The environment of its first result.
    pub env: Env,
}

/// Consecutive measured commits in different environments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvChange {
    /// Index into [`History::commits`] of the first commit in the new environment.
    pub commit: usize,
    /// Indices into [`History::environments`].
    pub from: usize,
    pub to: usize,
    /// The environment fields that differ (`simd_tier`, `cpu_model`, …; empty
    /// when only the fingerprint does).
    pub fields: Vec<String>,
}

/// One workload's metric along the history, in one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub workload: String,
    /// Index into [`History::environments`].
    pub env: usize,
    pub metric: String,
    pub unit: String,
    /// `lower` or `higher`: which way is better.
    pub better: crate::result::Better,
    /// (index into [`History::commits`], value), oldest first.
    pub points: Vec<(usize, f64)>,
    pub change_points: Vec<Shift>,
}

/// A change point, named by the commit where the new level starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shift {
    /// Index into [`History::commits`].
    pub commit: usize,
    pub sha: String,
    pub short: String,
    pub subject: String,
    pub time: String,
    /// Mean level before and after.
    pub before: f64,
    pub after: f64,
    /// Relative change, `after / before − 1`.
    pub change: f64,
    /// Whether the shift is a regression for this metric.
    pub regression: bool,
    pub p_value: f64,
    /// The lockstep measurement of this commit against the one before it
    /// (`history --confirm`); absent when not confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<confirm::Confirmation>,
}

/// The collected history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct History {
    pub metric: String,
    /// The test that decided each change point (`either`, `t_test` or `permutation`).
    pub significance: edivisive::Significance,
    /// Measured commits on the first-parent chain, oldest first.
    pub commits: Vec<MeasuredCommit>,
    /// The environments of the results, in first-seen order.
    pub environments: Vec<Environment>,
    /// Where consecutive measured commits change environment.
    pub env_changes: Vec<EnvChange>,
    /// In catalogue order (sizes ascending), then by environment.
    pub series: Vec<Series>,
    /// Results that could not be read (damaged files or notes), with the reason.
    pub warnings: Vec<String>,
}

/// Collect the history of HEAD from `store` (and the repository's notes).
pub fn collect(store: &Store, opts: &Options) -> Result<History> {
    let repo = store.repo().ok_or_else(|| Error::Git(
        "history needs a git repository: run smprof inside one (or set --baselines-dir inside one)".into(),
    ))?;
    let chain = first_parent_chain(repo, opts.since.as_deref(), opts.max_commits)?;
    let mut commits = Vec::new();
    let mut results: Vec<RunResult> = Vec::new();
    let mut environments: Vec<Environment> = Vec::new();
    let mut warnings = Vec::new();
    for oid in chain.into_iter().rev() {
        let path = store.dir().join(format!("{oid}.json"));
        let found = if path.is_file() {
            crate::result::load(&path).map(|r| Some((r, Source::File)))
        } else {
            crate::git::notes::read(repo, oid).map(|r| r.map(|r| (r, Source::Note)))
        };
        match found {
            Ok(Some((r, source))) => {
                let commit = repo.find_commit(oid)?;
                let info = crate::git::commit_info(repo, &commit)?;
                let env = match environments
                    .iter()
                    .position(|e| e.fingerprint == r.env.fingerprint)
                {
                    Some(i) => i,
                    None => {
                        environments.push(Environment {
                            fingerprint: r.env.fingerprint.clone(),
                            env: r.env.clone(),
                        });
                        environments.len() - 1
                    }
                };
                commits.push(MeasuredCommit {
                    commit: info,
                    source,
                    env,
                });
                results.push(r);
            }
            Ok(None) => {}
            Err(e) => warnings.push(e.to_string()),
        }
    }
    let env_changes = commits
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0].env != w[1].env)
        .map(|(i, w)| EnvChange {
            commit: i + 1,
            from: w[0].env,
            to: w[1].env,
            fields: crate::compare::env_differences(
                &environments[w[0].env].env,
                &environments[w[1].env].env,
            )
            .into_iter()
            .map(|d| d.field)
            .collect(),
        })
        .collect();
    // (workload, environment) pairs that have the metric.
    let mut keys: Vec<(String, usize)> = Vec::new();
    for (r, c) in results.iter().zip(&commits) {
        for w in &r.workloads {
            if opts.workload.as_deref().is_none_or(|p| matches(p, &w.name))
                && w.metrics.contains_key(&opts.metric)
                && !keys.iter().any(|(n, e)| *n == w.name && *e == c.env)
            {
                keys.push((w.name.clone(), c.env));
            }
        }
    }
    keys.sort_by(|a, b| {
        catalogue_order(&a.0)
            .cmp(&catalogue_order(&b.0))
            .then(a.1.cmp(&b.1))
    });
    let mut series = Vec::new();
    for (name, env) in keys {
        let mut points = Vec::new();
        let mut unit = String::new();
        let mut better = crate::result::Better::Lower;
        for (i, (r, c)) in results.iter().zip(&commits).enumerate() {
            if c.env != env {
                continue;
            }
            if let Some(m) = r.workload(&name).and_then(|w| w.metrics.get(&opts.metric)) {
                points.push((i, m.value()));
                unit.clone_from(&m.unit);
                better = m.better;
            }
        }
        let values: Vec<f64> = points.iter().map(|p| p.1).collect();
        let change_points = edivisive::detect(&values, &opts.detector)
            .unwrap_or_default()
            .into_iter()
            .map(|cp| {
                let at = points[cp.index].0;
                let c = &commits[at].commit;
                Shift {
                    commit: at,
                    sha: c.sha.clone(),
                    short: c.short.clone(),
                    subject: c.subject.clone(),
                    time: c.time.clone(),
                    before: cp.mean_before,
                    after: cp.mean_after,
                    change: cp.change,
                    regression: match better {
                        crate::result::Better::Lower => cp.change > 0.0,
                        crate::result::Better::Higher => cp.change < 0.0,
                    },
                    p_value: cp.p_value,
                    confirmation: None,
                }
            })
            .collect();
        series.push(Series {
            workload: name,
            env,
            metric: opts.metric.clone(),
            unit,
            better,
            points,
            change_points,
        });
    }
    Ok(History {
        metric: opts.metric.clone(),
        significance: opts.detector.significance,
        commits,
        environments,
        env_changes,
        series,
        warnings,
    })
}

/// A sort key putting workloads in catalogue order (so sizes ascend: 128
/// before 1024), unknown ones after, by name with numbers compared as numbers.
pub fn catalogue_order(name: &str) -> (usize, Vec<NamePart>) {
    let index = crate::workloads::catalogue()
        .iter()
        .position(|d| d.name == name)
        .unwrap_or(usize::MAX);
    (index, natural_key(name))
}

/// A piece of a name for natural ordering.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum NamePart {
    Number(u128),
    Text(String),
}

/// `gelu/10k` → [Text("gelu/"), Number(10), Text("k")].
fn natural_key(name: &str) -> Vec<NamePart> {
    let mut out = Vec::new();
    let mut digits = String::new();
    let mut text = String::new();
    for c in name.chars() {
        if c.is_ascii_digit() {
            if !text.is_empty() {
                out.push(NamePart::Text(std::mem::take(&mut text)));
            }
            digits.push(c);
        } else {
            if !digits.is_empty() {
                out.push(NamePart::Number(digits.parse().unwrap_or(u128::MAX)));
                digits.clear();
            }
            text.push(c);
        }
    }
    if !digits.is_empty() {
        out.push(NamePart::Number(digits.parse().unwrap_or(u128::MAX)));
    }
    if !text.is_empty() {
        out.push(NamePart::Text(text));
    }
    out
}

/// The first-parent chain from HEAD back to (not including) `since`, newest first.
pub fn first_parent_chain(
    repo: &git2::Repository,
    since: Option<&str>,
    max: usize,
) -> Result<Vec<git2::Oid>> {
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|e| Error::Git(format!("HEAD: {}", e.message())))?;
    let stop = since
        .map(|s| crate::git::resolve_commit(repo, s).map(|c| c.id()))
        .transpose()?;
    let mut out = Vec::new();
    let mut cur = Some(head);
    while let Some(c) = cur {
        if Some(c.id()) == stop || out.len() >= max {
            return Ok(out);
        }
        out.push(c.id());
        cur = c.parent(0).ok();
    }
    if let (Some(s), Some(stop)) = (since, stop) {
        return Err(Error::Git(format!(
            "--since {s} ({}) is not on the first-parent history of HEAD",
            &stop.to_string()[..10]
        )));
    }
    Ok(out)
}

/// `pattern` matches `name`: a glob when it has `*`, otherwise a substring.
pub fn matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return name.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return part.is_empty() || rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::{catalogue_order, matches};

    #[test]
    fn workloads_sort_by_catalogue_then_naturally() {
        let mut names = vec!["matmul/1024", "zz/10", "matmul/128", "zz/9", "gelu/1k"];
        names.sort_by_key(|n| catalogue_order(n));
        assert_eq!(
            names,
            ["matmul/128", "matmul/1024", "gelu/1k", "zz/9", "zz/10"]
        );
    }

    #[test]
    fn glob_and_substring() {
        assert!(matches("matmul", "matmul/512"));
        assert!(matches("matmul/*", "matmul/512"));
        assert!(matches("*/512", "matmul/512"));
        assert!(matches("m*l/5*", "matmul/512"));
        assert!(!matches("gelu*", "matmul/512"));
        assert!(!matches("*/64", "matmul/512"));
        assert!(matches("matmul/512", "matmul/512"));
    }
}
