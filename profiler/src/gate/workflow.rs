//! The gate from two results to a decision, behind the [`PairMeasurer`] seam
//! (the binary passes the lockstep measurer of two smprof builds; tests pass a
//! double):
//!
//! 1. the two stored results are compared: a screen (deterministic metrics
//!    decide here; wall time does not, the machine drifts between runs);
//! 2. every wall-time workload is decided on both builds measured in lockstep,
//!    sequentially ([`crate::decision`]), and those verdicts replace the screen's;
//! 3. waivers and hard limits apply, and [`super::decide`] says what fails;
//! 4. each wall-time regression is measured once more, and fails only if that
//!    measurement does not clear it ([`super::confirm`]).
//!
//! With `confirm` off (`--no-confirm`) the stored runs decide and every report
//! says the wall-time verdicts are unconfirmed.

use super::decision::{GateDecision, GateOptions};
use super::waivers::WaiverStatus;
use super::{confirm, limits};
use crate::compare::model::Comparison;
use crate::compare::{self, Floors};
use crate::config::Config;
use crate::decision::rounds::RoundPlan;
use crate::decision::{self as engine, PairMeasurer};
use crate::error::{Error, Result};
use crate::result::RunResult;
use crate::store::Resolved;

/// What the gate decides on.
#[derive(Debug)]
pub struct GateRequest<'a> {
    pub baseline: &'a Resolved,
    pub current: &'a Resolved,
    pub config: &'a Config,
    pub floors: Option<&'a Floors>,
    /// Waivers evaluated for today and the current commit.
    pub waivers: &'a [WaiverStatus],
    pub options: GateOptions,
    /// Decide wall time on both builds in lockstep and re-measure what fails.
    pub confirm: bool,
}

/// The gate's outcome.
#[derive(Debug)]
pub struct GateOutcome {
    /// The screen: the two stored results compared.
    pub stored: Comparison,
    /// What the gate decided on: the screen with lockstep wall-time verdicts.
    pub decided: Comparison,
    pub decision: GateDecision,
    /// Lockstep measurements taken, as `{step}-{side}` → result.
    pub measured: Vec<(String, RunResult)>,
}

/// Run the gate. `measurer` measures both builds; it is needed when `confirm`
/// is on and a wall-time metric is compared (an error names the way out).
pub fn run(
    req: &GateRequest,
    mut measurer: Option<&mut dyn PairMeasurer>,
    progress: &mut dyn FnMut(&str),
) -> Result<GateOutcome> {
    let (base, cur) = (&req.baseline.result, &req.current.result);
    compare::check_comparable(base, cur)?;
    let stored =
        crate::compare_workflow::compare(req.baseline, req.current, req.config, req.floors);
    let mut decided = stored.clone();
    let mut measured = Vec::new();
    let mut notes = Vec::new();
    let at_least = cur.settings.processes;
    let wall = engine::confirm::wall_time_workloads(&stored);
    let already_decided = compare::paired::is_paired(base, cur);
    if req.confirm && !wall.is_empty() && !already_decided {
        let m = measurer.as_deref_mut().ok_or_else(no_measurer)?;
        let plan = RoundPlan::new(wall.len(), req.config.alpha, at_least);
        progress(&format!(
            "deciding {} wall-time workload(s) on both builds in lockstep",
            wall.len()
        ));
        let pd = engine::decide_paired(m, &wall, req.config, req.floors, plan, progress)?;
        notes.extend(
            engine::confirm::apply(&mut decided, &pd.comparison)
                .iter()
                .map(|d| d.describe()),
        );
        notes.push(format!(
            "wall-time verdicts from both builds sampled in lockstep and compared round by round ({}–{} rounds of {} sample pairs, {} look(s), each at α = {:.4})",
            pd.plan.first,
            pd.rounds.values().max().copied().unwrap_or(pd.plan.first),
            pd.baseline.settings.samples_per_process,
            pd.looks,
            pd.plan.alpha_look
        ));
        measured.push(("alternation-baseline".to_string(), pd.baseline));
        measured.push(("alternation-current".to_string(), pd.current));
        crate::compare_workflow::refresh(&mut decided, base, cur, req.config);
    } else if !req.confirm && !wall.is_empty() && !already_decided {
        notes.push(
            "wall-time verdicts from the stored runs only (--no-confirm): unconfirmed, the machine's drift between the runs is not ruled out".to_string(),
        );
    }
    let waiver_notes = super::waivers::apply(&mut decided, req.waivers);
    let breaches = limits::check_limits(cur, req.config);
    let mut d = super::decide(&decided, &breaches, req.config, req.options, req.confirm);
    d.notices.extend(notes);
    d.notices.extend(
        req.waivers
            .iter()
            .filter(|s| !s.is_active())
            .map(|s| s.describe()),
    );
    d.notices.extend(waiver_notes);

    let pending = d.pending_confirmation();
    if !pending.is_empty() {
        let m = measurer.ok_or_else(no_measurer)?;
        let mut workloads: Vec<String> = Vec::new();
        for (w, _) in &pending {
            if !workloads.contains(w) {
                workloads.push(w.clone());
            }
        }
        progress(&format!(
            "confirming {} wall-time regression(s): measuring {} again",
            pending.len(),
            workloads.join(", ")
        ));
        let plan = RoundPlan::new(workloads.len(), req.config.alpha, at_least);
        let pd = engine::decide_paired(m, &workloads, req.config, req.floors, plan, progress)?;
        confirm::apply_confirmation(&mut d, &pd.comparison, "both");
        measured.push(("confirm-baseline".to_string(), pd.baseline));
        measured.push(("confirm-current".to_string(), pd.current));
    }
    Ok(GateOutcome {
        stored,
        decided,
        decision: d,
        measured,
    })
}

fn no_measurer() -> Error {
    Error::Other {
        what: "deciding wall time".into(),
        reason: "both builds are needed to measure in lockstep and none was given: build the baseline (inside its git repository smprof does it), pass --baseline-exe, or --no-confirm for an unconfirmed decision from the stored runs".into(),
    }
}
