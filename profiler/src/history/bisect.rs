//! Statistical bisection over the first-parent history between a good and a bad
//! commit.
//!
//! The search is over `range = [good, c1, …, bad]` (N commits). Every probe measures
//! a candidate against the good end and decides, as `compare` does, whether it
//! regressed. The bad end is not assumed: it is a candidate like the others, with a
//! virtual "nothing regressed" position past it, so the answer is always a commit
//! measured bad whose predecessor was measured (or given) good, and a range that
//! does not reproduce the regression says so. That costs at most ⌈log2 N⌉ probes,
//! plus one build of the good end. Unbuildable candidates are skipped like
//! `git bisect skip`: the nearest untested commit in the interval is tried instead.

use crate::build::ab::{self, AbOptions, BuiltSide};
use crate::compare::Floors;
use crate::compare::model::{Comparison, VerdictKind};
use crate::config::Config;
use crate::decision::rounds::RoundPlan;
use crate::decision::{Interleaved, Lockstep, decide_paired};
use crate::error::{Error, Result};
use crate::result::CommitInfo;
use crate::result::RunResult;
use crate::store::{Resolved, Store};
use serde::Serialize;

/// A probe's figures: the candidate against the good end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub good: f64,
    pub candidate: f64,
    /// `candidate / good − 1`.
    pub change: f64,
    pub regressed: bool,
    /// How it was decided (q-value and interval, or the tolerance).
    pub detail: String,
}

/// Measures a candidate against the good end. The seam between the search and
/// building/measuring (tests use a double).
pub trait Prober {
    /// `Ok(None)` when the candidate cannot be built or measured (skip it).
    fn probe(&mut self, candidate: &CommitInfo) -> Result<Option<Figures>>;
}

/// What a probe concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Good,
    Bad,
    Skip,
}

/// One step of the search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub commit: CommitInfo,
    pub kind: StepKind,
    pub figures: Option<Figures>,
    /// Candidates still possible after this step.
    pub remaining: usize,
}

/// How a bisection ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The first commit measured bad after one measured (or given) good.
    Found {
        first_bad: Box<CommitInfo>,
        last_good: Box<CommitInfo>,
        /// The metric before and after the step, and the relative step.
        before: f64,
        after: f64,
        step: f64,
        steps: Vec<Step>,
    },
    /// The bad end does not regress against the good end.
    NotReproduced { steps: Vec<Step> },
    /// Only skipped commits are left: the first bad commit is one of these.
    Ambiguous {
        candidates: Vec<CommitInfo>,
        steps: Vec<Step>,
    },
}

/// The first-parent range `[good, …, bad]`, oldest first. `good` must be a
/// first-parent ancestor of `bad`.
pub fn first_parent_range(
    repo: &git2::Repository,
    good: &str,
    bad: &str,
) -> Result<Vec<CommitInfo>> {
    let good_c = crate::git::resolve_commit(repo, good)?;
    let bad_c = crate::git::resolve_commit(repo, bad)?;
    let mut chain = Vec::new();
    let mut cur = Some(bad_c);
    while let Some(c) = cur {
        let done = c.id() == good_c.id();
        chain.push(crate::git::commit_info(repo, &c)?);
        if done {
            chain.reverse();
            if chain.len() < 2 {
                return Err(Error::Git(format!(
                    "--good {good} and --bad {bad} are the same commit"
                )));
            }
            return Ok(chain);
        }
        cur = c.parent(0).ok();
    }
    Err(Error::Git(format!(
        "--good {good} ({}) is not on the first-parent history of --bad {bad}: bisect follows first parents",
        &good_c.id().to_string()[..10]
    )))
}

/// Bisect `range` (`[good, …, bad]`). `on_step` sees each step as it happens.
pub fn bisect(
    range: &[CommitInfo],
    prober: &mut dyn Prober,
    on_step: &mut dyn FnMut(&Step),
) -> Result<Outcome> {
    if range.len() < 2 {
        return Err(Error::Other {
            what: "bisect".into(),
            reason: "the range needs a good and a bad commit".into(),
        });
    }
    let cands = &range[1..];
    let m = cands.len() as isize;
    // lo: last known good (−1 = the good end); hi: first known bad (m = none yet).
    let (mut lo, mut hi) = (-1isize, m);
    let mut skipped = vec![false; cands.len()];
    let mut values: Vec<Option<f64>> = vec![None; cands.len()];
    let mut good_value = None;
    let mut steps = Vec::new();
    while hi - lo > 1 {
        let mid = (lo + hi).div_euclid(2);
        // The untested candidate in (lo, hi) nearest the middle.
        let pick = (0..m)
            .flat_map(|d| [mid - d, mid + d + 1])
            .find(|&i| i > lo && i < hi && i < m && !skipped[i as usize]);
        let Some(i) = pick else {
            let last = hi.min(m - 1);
            let candidates = ((lo + 1)..=last)
                .map(|i| cands[i as usize].clone())
                .collect();
            return Ok(Outcome::Ambiguous { candidates, steps });
        };
        let commit = cands[i as usize].clone();
        let figures = prober.probe(&commit)?;
        let kind = match &figures {
            None => {
                skipped[i as usize] = true;
                StepKind::Skip
            }
            Some(f) => {
                values[i as usize] = Some(f.candidate);
                good_value = good_value.or(Some(f.good));
                if f.regressed {
                    hi = i;
                    StepKind::Bad
                } else {
                    lo = i;
                    StepKind::Good
                }
            }
        };
        let remaining = ((lo + 1)..hi.min(m))
            .filter(|&j| !skipped[j as usize])
            .count();
        let step = Step {
            commit,
            kind,
            figures,
            remaining,
        };
        on_step(&step);
        steps.push(step);
    }
    if hi == m {
        return Ok(Outcome::NotReproduced { steps });
    }
    let after = values[hi as usize].unwrap_or(f64::NAN);
    let (last_good, before) = if lo < 0 {
        (range[0].clone(), good_value.unwrap_or(f64::NAN))
    } else {
        (
            cands[lo as usize].clone(),
            values[lo as usize].unwrap_or(f64::NAN),
        )
    };
    Ok(Outcome::Found {
        first_bad: Box::new(cands[hi as usize].clone()),
        last_good: Box::new(last_good),
        before,
        after,
        step: if before != 0.0 {
            after / before - 1.0
        } else {
            f64::NAN
        },
        steps,
    })
}

/// The real prober: builds each candidate, measures it against the good end's
/// binary (interleaved rounds for wall time, one count for instructions), decides
/// with [`crate::compare_workflow::compare`], and keeps both measurements as probes in the
/// store (`Store::save_probe`), apart from the commits' results.
pub struct BuildProber<'a> {
    pub repo: &'a git2::Repository,
    pub good: BuiltSide,
    pub opts: AbOptions,
    pub workload: String,
    pub metric: String,
    pub config: Config,
    pub floors: Option<Floors>,
    pub store: Option<&'a Store>,
    /// Wall time in lockstep through `smprof worker` (smprof builds), or whole
    /// `run` processes in alternation (any binary that speaks `run --out`).
    pub lockstep: bool,
    /// Builds done (the good end included).
    pub builds: usize,
    pub progress: Box<dyn FnMut(&str) + 'a>,
}

impl std::fmt::Debug for BuildProber<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildProber")
            .field("good", &self.good.commit.short)
            .field("workload", &self.workload)
            .finish()
    }
}

impl Prober for BuildProber<'_> {
    fn probe(&mut self, candidate: &CommitInfo) -> Result<Option<Figures>> {
        (self.progress)(&format!(
            "building {} \"{}\"",
            candidate.short, candidate.subject
        ));
        let built = crate::build::build(self.repo, &candidate.sha, &self.opts.build)?;
        self.builds += 1;
        let side = match built {
            crate::build::Built::Ok { commit, binary, .. } => BuiltSide { commit, binary },
            crate::build::Built::Failed { log_tail, .. } => {
                (self.progress)(&format!(
                    "{} does not build; skipping:\n{log_tail}",
                    candidate.short
                ));
                return Ok(None);
            }
        };
        let measured = if self.opts.instructions {
            self.measure_counts(&side)
        } else {
            self.measure_lockstep(&side)
        };
        let (good, cand, cmp) = match measured {
            Ok(m) => m,
            Err(e) => {
                (self.progress)(&format!(
                    "{} cannot be measured; skipping: {e}",
                    candidate.short
                ));
                return Ok(None);
            }
        };
        if let Some(store) = self.store {
            // Probes (one workload) are kept apart from results: never a commit's result.
            store.save_probe(&cand)?;
            store.save_probe(&good)?;
        }
        let Some(v) = cmp
            .verdicts
            .iter()
            .find(|v| v.workload == self.workload && v.metric == self.metric)
        else {
            (self.progress)(&format!(
                "{} has no {} for {}; skipping",
                candidate.short, self.metric, self.workload
            ));
            return Ok(None);
        };
        let rounds = if v.n[0] > 1 {
            format!(", {} samples", v.n[0])
        } else {
            String::new()
        };
        let detail = match (v.q_value, v.ci95) {
            (Some(q), Some(ci)) => format!(
                "{}, q = {q:.4}, 95% CI [{:+.1}%, {:+.1}%]{rounds}",
                v.verdict.as_str(),
                ci[0] * 100.0,
                ci[1] * 100.0
            ),
            (Some(q), None) => format!("{}, q = {q:.4}", v.verdict.as_str()),
            _ => format!("tolerance {:.1}%", v.threshold * 100.0),
        };
        Ok(Some(Figures {
            good: v.baseline,
            candidate: v.current,
            change: v.change,
            regressed: probe_regressed(v),
            detail,
        }))
    }
}

/// Whether a probe's verdict puts the candidate after the regression. An
/// inconclusive one (the most rounds left its interval straddling the
/// threshold) goes by the midpoint: bad when its change is past half the
/// threshold, closer to a change at the threshold than to none.
pub fn probe_regressed(v: &crate::compare::model::Verdict) -> bool {
    match v.verdict {
        VerdictKind::Regression => true,
        VerdictKind::Inconclusive => crate::compare::effect(v.change, v.better) > v.threshold / 2.0,
        _ => false,
    }
}

impl BuildProber<'_> {
    /// Instruction counts: one interleaved run of each (deterministic).
    fn measure_counts(&mut self, side: &BuiltSide) -> Result<(RunResult, RunResult, Comparison)> {
        let progress = &mut self.progress;
        let (good, cand) =
            ab::measure_interleaved(&self.good, side, &self.opts, &mut |s: &str| progress(s))?;
        let cmp = compare_probe(
            &self.good,
            side,
            &good,
            &cand,
            &self.config,
            self.floors.as_ref(),
        );
        Ok((good, cand, cmp))
    }

    /// Wall time: the good end and the candidate sampled in lockstep, decided
    /// sequentially by the decision engine (rounds from α, never a fixed count).
    fn measure_lockstep(&mut self, side: &BuiltSide) -> Result<(RunResult, RunResult, Comparison)> {
        let mut lockstep = Lockstep {
            baseline_exe: self.good.binary.clone(),
            current_exe: side.binary.clone(),
            samples_per_round: self.opts.samples.max(1),
            threads: 1,
            mode: "custom".into(),
            repo_dir: Some(self.opts.workdir.clone()),
            progress: false,
            commits: [Some(self.good.commit.clone()), Some(side.commit.clone())],
        };
        let mut interleaved = Interleaved {
            a: &self.good,
            b: side,
            opts: &self.opts,
        };
        let m: &mut dyn crate::decision::PairMeasurer = if self.lockstep {
            &mut lockstep
        } else {
            &mut interleaved
        };
        let plan = RoundPlan::new(1, self.config.alpha, self.opts.rounds);
        let workloads = [self.workload.clone()];
        let progress = &mut self.progress;
        let pd = decide_paired(
            m,
            &workloads,
            &self.config,
            self.floors.as_ref(),
            plan,
            &mut |s: &str| progress(s),
        )?;
        Ok((pd.baseline, pd.current, pd.comparison))
    }
}

fn compare_probe(
    good: &BuiltSide,
    cand: &BuiltSide,
    g: &RunResult,
    c: &RunResult,
    config: &Config,
    floors: Option<&Floors>,
) -> Comparison {
    let g = Resolved {
        reference: good.commit.short.clone(),
        path: format!("ab:{}", good.commit.short).into(),
        result: g.clone(),
    };
    let c = Resolved {
        reference: cand.commit.short.clone(),
        path: format!("ab:{}", cand.commit.short).into(),
        result: c.clone(),
    };
    crate::compare_workflow::compare(&g, &c, config, floors)
}
