//! Change points confirmed in lockstep. E-divisive finds shifts in stored
//! results, which are a screen: runs made hours apart on a shared machine drift,
//! and drift both invents shifts and hides them. `history --confirm` builds the
//! commit of each wall-time shift and the measured commit before it, and lets
//! the decision engine ([`decide_paired`]) measure the two in lockstep, as
//! `compare` confirms its screen. A shift is confirmed only when the lockstep
//! verdict is a change in the same direction.

use super::{History, Shift};
use crate::build::BuildOptions;
use crate::build::ab::build_side;
use crate::compare::model::VerdictKind;
use crate::config::Config;
use crate::decision::rounds::RoundPlan;
use crate::decision::{Lockstep, PairMeasurer, decide_paired};
use crate::error::Result;
use crate::result::CommitInfo;
use serde::Serialize;
use std::path::PathBuf;

/// What the lockstep measurement of a shift's two commits concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A change in the shift's direction, beyond the threshold.
    Confirmed,
    /// Within the threshold: the stored runs' shift was the machine, not the commit.
    NotConfirmed,
    /// A change the other way than the stored runs showed.
    Opposite,
    /// The most rounds left the interval straddling the threshold.
    Inconclusive,
    /// One of the two commits could not be built or measured.
    Unmeasured,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::NotConfirmed => "not confirmed",
            Status::Opposite => "opposite",
            Status::Inconclusive => "inconclusive",
            Status::Unmeasured => "unmeasured",
        }
    }
}

/// A shift's lockstep confirmation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confirmation {
    pub status: Status,
    /// The measured commit before the shift, the lockstep baseline.
    pub against: String,
    /// The lockstep verdict's relative change of the median, its 95 % interval
    /// and q-value (absent when unmeasured).
    pub change: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub q_value: Option<f64>,
    /// Lockstep rounds taken.
    pub rounds: u32,
    /// Why it could not be measured (when `Unmeasured`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Confirmation {
    /// No lockstep figures against `against`, for `reason`.
    fn unmeasured(against: &CommitInfo, reason: String) -> Confirmation {
        Confirmation {
            status: Status::Unmeasured,
            against: against.short.clone(),
            change: None,
            ci95: None,
            q_value: None,
            rounds: 0,
            reason: Some(reason),
        }
    }
}

/// Builds two commits and measures them in lockstep. The seam between the
/// confirmation and building (tests use a double).
pub trait PairBuilder {
    /// A measurer of `before`'s and `after`'s builds, or `Err` with the reason
    /// one of them cannot be built.
    fn pair(
        &mut self,
        before: &CommitInfo,
        after: &CommitInfo,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Box<dyn PairMeasurer + '_>>;
}

/// (index into `History::commits` of the commit before, of the shift's commit).
type CommitPair = (usize, usize);
/// (index of the series, of its change point).
type ShiftAt = (usize, usize);

/// The shifts to confirm, grouped by their two commits.
fn groups(h: &History) -> Vec<(CommitPair, Vec<ShiftAt>)> {
    let mut out: Vec<(CommitPair, Vec<ShiftAt>)> = Vec::new();
    for (si, s) in h.series.iter().enumerate() {
        for (ci, c) in s.change_points.iter().enumerate() {
            let Some(pos) = s.points.iter().position(|p| p.0 == c.commit) else {
                continue;
            };
            if pos == 0 {
                continue;
            }
            let key = (s.points[pos - 1].0, c.commit);
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push((si, ci)),
                None => out.push((key, vec![(si, ci)])),
            }
        }
    }
    out
}

/// Confirm every change point of `h` (a wall-time history) in lockstep and
/// attach the outcome to each [`Shift`]. Rounds follow α and the number of
/// shifts, as every paired decision's do.
pub fn confirm(
    h: &mut History,
    builder: &mut dyn PairBuilder,
    config: &Config,
    progress: &mut dyn FnMut(&str),
) -> Result<()> {
    let groups = groups(h);
    let tests: usize = groups.iter().map(|(_, v)| v.len()).sum();
    if tests == 0 {
        return Ok(());
    }
    let plan = RoundPlan::new(tests, config.alpha, 1);
    for ((before, after), shifts) in groups {
        let (b, a) = (
            h.commits[before].commit.clone(),
            h.commits[after].commit.clone(),
        );
        let mut workloads: Vec<String> = shifts
            .iter()
            .map(|&(si, _)| h.series[si].workload.clone())
            .collect();
        workloads.sort();
        workloads.dedup();
        progress(&format!(
            "confirming {} shift(s) at {} against {} in lockstep: {}",
            shifts.len(),
            a.short,
            b.short,
            workloads.join(", ")
        ));
        let decided = builder
            .pair(&b, &a, progress)
            .and_then(|mut m| decide_paired(m.as_mut(), &workloads, config, None, plan, progress));
        for (si, ci) in shifts {
            let workload = h.series[si].workload.clone();
            let metric = h.series[si].metric.clone();
            let shift = &mut h.series[si].change_points[ci];
            shift.confirmation = Some(match &decided {
                Err(e) => Confirmation::unmeasured(&b, e.to_string()),
                Ok(pd) => {
                    let v = pd
                        .comparison
                        .verdicts
                        .iter()
                        .find(|v| v.workload == workload && v.metric == metric);
                    match v {
                        None => Confirmation::unmeasured(
                            &b,
                            format!("the lockstep measurement has no {metric} for {workload}"),
                        ),
                        Some(v) => Confirmation {
                            status: status(shift, v.verdict),
                            against: b.short.clone(),
                            change: Some(v.change),
                            ci95: v.ci95,
                            q_value: v.q_value,
                            rounds: pd.rounds.get(&workload).copied().unwrap_or(0),
                            reason: None,
                        },
                    }
                }
            });
        }
    }
    Ok(())
}

/// A lockstep verdict read against the shift it was to confirm.
fn status(shift: &Shift, verdict: VerdictKind) -> Status {
    match (verdict, shift.regression) {
        (VerdictKind::Regression, true) | (VerdictKind::Improvement, false) => Status::Confirmed,
        (VerdictKind::Regression, false) | (VerdictKind::Improvement, true) => Status::Opposite,
        (VerdictKind::Inconclusive | VerdictKind::Unstable, _) => Status::Inconclusive,
        _ => Status::NotConfirmed,
    }
}

/// The real builder: each commit's smprof built in the cache (per commit and
/// toolchain, as `ab` and `bisect` build), the two measured in lockstep on one
/// thread from the work tree (for fixtures).
pub struct CacheBuilder<'a> {
    pub repo: &'a git2::Repository,
    pub build: BuildOptions,
    pub workdir: PathBuf,
    /// Sample pairs per round and workload.
    pub samples: u32,
}

impl std::fmt::Debug for CacheBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheBuilder")
            .field("workdir", &self.workdir)
            .finish()
    }
}

impl PairBuilder for CacheBuilder<'_> {
    fn pair(
        &mut self,
        before: &CommitInfo,
        after: &CommitInfo,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Box<dyn PairMeasurer + '_>> {
        // The cached build of each commit, as `ab` and `bisect` take theirs.
        let baseline_exe = build_side(self.repo, &before.sha, &self.build, progress)?.binary;
        let current_exe = build_side(self.repo, &after.sha, &self.build, progress)?.binary;
        Ok(Box::new(Lockstep {
            baseline_exe,
            current_exe,
            samples_per_round: self.samples.max(1),
            threads: 1,
            mode: "custom".into(),
            repo_dir: Some(self.workdir.clone()),
            progress: false,
            commits: [Some(before.clone()), Some(after.clone())],
        }))
    }
}
