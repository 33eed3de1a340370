//! Waivers: accepted regressions that stop failing the gate until they expire.
//!
//! A waiver ends on its `expires` day (it applies through that day, UTC) or once
//! the current commit contains its `until_commit`. An ended waiver no longer waives,
//! and the gate says so — silently re-failing would look like a new regression.
//! A waiver whose commit cannot be checked (unknown sha, shallow clone) does not
//! waive either: a gate that cannot verify an exception must not grant it.

use crate::compare::model::{Comparison, VerdictKind};
use crate::config::{Waiver, pattern_matches};
use serde::Serialize;

/// Whether a waiver applies now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WaiverState {
    Active,
    /// `expires` is before today.
    ExpiredByDate {
        expires: String,
    },
    /// The current commit contains `until_commit`.
    ExpiredByCommit {
        commit: String,
    },
    /// The expiry could not be checked; the waiver does not apply.
    Unverifiable {
        reason: String,
    },
}

/// One waiver of `smprof.toml` with its state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaiverStatus {
    /// Index in `[[waivers]]`.
    pub index: usize,
    pub waiver: Waiver,
    pub state: WaiverState,
}

impl WaiverStatus {
    pub fn is_active(&self) -> bool {
        self.state == WaiverState::Active
    }

    /// One line for people: what it covers and why it does or does not apply.
    pub fn describe(&self) -> String {
        let w = &self.waiver;
        let what = format!("waivers[{}] ({} {})", self.index, w.workload, w.metric);
        match &self.state {
            WaiverState::Active => format!("{what} is active: {}", w.reason),
            WaiverState::ExpiredByDate { expires } => {
                format!(
                    "{what} expired on {expires} and no longer waives (reason was: {})",
                    w.reason
                )
            }
            WaiverState::ExpiredByCommit { commit } => format!(
                "{what} ended: the current commit contains {commit}; it no longer waives (reason was: {})",
                w.reason
            ),
            WaiverState::Unverifiable { reason } => {
                format!("{what} does not apply: {reason}")
            }
        }
    }

    /// Whether it covers this workload and metric (either may be a `*` pattern).
    pub fn covers(&self, workload: &str, metric: &str) -> bool {
        pattern_matches(&self.waiver.workload, workload)
            && pattern_matches(&self.waiver.metric, metric)
    }
}

/// The state of one waiver on day `today` (days since the epoch, UTC). `contains(sha)`
/// answers whether the current commit contains that commit (itself or an ancestor).
pub fn waiver_state(
    w: &Waiver,
    today: i64,
    contains: &dyn Fn(&str) -> Result<bool, String>,
) -> WaiverState {
    if let Some(d) = &w.expires {
        match crate::timefmt::parse_date(d) {
            Some(day) if today > day => {
                return WaiverState::ExpiredByDate { expires: d.clone() };
            }
            Some(_) => {}
            None => {
                return WaiverState::Unverifiable {
                    reason: format!("expires = {d:?} is not a YYYY-MM-DD date"),
                };
            }
        }
    }
    if let Some(c) = &w.until_commit {
        match contains(c) {
            Ok(true) => return WaiverState::ExpiredByCommit { commit: c.clone() },
            Ok(false) => {}
            Err(reason) => {
                return WaiverState::Unverifiable {
                    reason: format!("cannot check until_commit = {c:?}: {reason}"),
                };
            }
        }
    }
    WaiverState::Active
}

/// The state of every waiver.
pub fn evaluate(
    waivers: &[Waiver],
    today: i64,
    contains: &dyn Fn(&str) -> Result<bool, String>,
) -> Vec<WaiverStatus> {
    waivers
        .iter()
        .enumerate()
        .map(|(index, w)| WaiverStatus {
            index,
            waiver: w.clone(),
            state: waiver_state(w, today, contains),
        })
        .collect()
}

/// `contains` backed by git: does `current_sha` equal or descend from the given commit?
pub fn git_contains(
    repo: &git2::Repository,
    current_sha: Option<&str>,
) -> impl Fn(&str) -> Result<bool, String> {
    move |until: &str| {
        let current = current_sha.ok_or("the current result has no commit")?;
        let current = git2::Oid::from_str(current).map_err(|e| e.message().to_string())?;
        let until = crate::git::resolve_commit(repo, until)
            .map_err(|e| format!("{e} (a shallow clone? fetch more history)"))?
            .id();
        if current == until {
            return Ok(true);
        }
        repo.graph_descendant_of(current, until)
            .map_err(|e| e.message().to_string())
    }
}

/// Mark regressions covered by an active waiver (`Verdict::waiver` = the reason).
/// Returns, for regressions that an ended waiver would have covered, what happened.
pub fn apply(comparison: &mut Comparison, statuses: &[WaiverStatus]) -> Vec<String> {
    let mut notes = Vec::new();
    for v in comparison
        .verdicts
        .iter_mut()
        .filter(|v| v.verdict == VerdictKind::Regression)
    {
        let covering: Vec<&WaiverStatus> = statuses
            .iter()
            .filter(|s| s.covers(&v.workload, &v.metric))
            .collect();
        if let Some(s) = covering.iter().find(|s| s.is_active()) {
            let until = match (&s.waiver.expires, &s.waiver.until_commit) {
                (Some(d), Some(c)) => format!("until {d} or commit {c}"),
                (Some(d), None) => format!("until {d}"),
                (None, Some(c)) => format!("until commit {c}"),
                (None, None) => String::new(),
            };
            v.waiver = Some(format!(
                "{} (waivers[{}], {until})",
                s.waiver.reason, s.index
            ));
        } else {
            for s in covering {
                notes.push(format!(
                    "{} {}: not waived: {}",
                    v.workload,
                    v.metric,
                    s.describe()
                ));
            }
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiver(expires: Option<&str>, until: Option<&str>) -> Waiver {
        Waiver {
            workload: "matmul/*".into(),
            metric: "time_ns".into(),
            reason: "accepted for the new blocking".into(),
            expires: expires.map(str::to_string),
            until_commit: until.map(str::to_string),
        }
    }

    #[test]
    fn date_expiry_is_inclusive_of_the_day() {
        let day = crate::timefmt::parse_date("2026-03-01").unwrap();
        let never = |_: &str| Ok(false);
        let w = waiver(Some("2026-03-01"), None);
        assert_eq!(waiver_state(&w, day, &never), WaiverState::Active);
        assert!(matches!(
            waiver_state(&w, day + 1, &never),
            WaiverState::ExpiredByDate { .. }
        ));
    }

    #[test]
    fn commit_expiry_and_unverifiable_commits() {
        let w = waiver(None, Some("abcdef12"));
        assert_eq!(waiver_state(&w, 0, &|_| Ok(false)), WaiverState::Active);
        assert!(matches!(
            waiver_state(&w, 0, &|_| Ok(true)),
            WaiverState::ExpiredByCommit { .. }
        ));
        let s = waiver_state(&w, 0, &|_| Err("unknown".into()));
        assert!(matches!(s, WaiverState::Unverifiable { .. }));
    }
}
