//! `compare`'s confirmation of a screen: the verdicts of two stored runs
//! decided again on both builds in lockstep ([`decide_paired`]), adopted
//! ([`confirm::apply`]) and explained again. The command supplies the
//! measurer (or none, for `--no-confirm`); tests supply a double.

use super::confirm::{self, Disagreement};
use super::measurer::PairMeasurer;
use super::rounds::RoundPlan;
use super::sequential::decide_paired;
use crate::compare::Floors;
use crate::compare::model::{Comparison, ConfirmationState};
use crate::config::Config;
use crate::error::Result;
use crate::result::RunResult;

/// What the confirmation did.
#[derive(Debug, Clone, PartialEq)]
pub enum Screened {
    /// Nothing to confirm: no wall-time verdict rests on stored runs.
    NotNeeded,
    /// No measurer: the wall-time verdicts of `workloads` stay a screen
    /// (`confirmation` unconfirmed); `flagged` are the changes it shows.
    Skipped {
        workloads: Vec<String>,
        flagged: Vec<String>,
    },
    /// `workloads` were decided in lockstep; where that disagreed with the screen.
    Confirmed {
        workloads: Vec<String>,
        flagged: Vec<String>,
        disagreements: Vec<Disagreement>,
    },
}

/// Confirm `cmp` (a comparison of the stored `baseline` and `current`) with
/// `measurer`: every wall-time workload ([`confirm::to_confirm`]) in lockstep,
/// rounds from α and their number, then the analysis again on the result.
pub fn confirm_screen(
    cmp: &mut Comparison,
    measurer: Option<&mut dyn PairMeasurer>,
    (baseline, current): (&RunResult, &RunResult),
    config: &Config,
    floors: Option<&Floors>,
    progress: &mut dyn FnMut(&str),
) -> Result<Screened> {
    if cmp.confirmation != ConfirmationState::Unconfirmed {
        return Ok(Screened::NotNeeded); // lockstep results or counts: already decided
    }
    let workloads = confirm::to_confirm(cmp);
    if workloads.is_empty() {
        cmp.confirmation = ConfirmationState::NotNeeded;
        return Ok(Screened::NotNeeded);
    }
    let flagged = confirm::flagged(cmp);
    let Some(measurer) = measurer else {
        return Ok(Screened::Skipped { workloads, flagged });
    };
    progress(&format!(
        "measuring {} wall-time workload(s) on both builds in lockstep (the stored runs show changes in: {})",
        workloads.len(),
        confirm::listed(&flagged)
    ));
    let plan = RoundPlan::new(workloads.len(), config.alpha, current.settings.processes);
    let pd = decide_paired(measurer, &workloads, config, floors, plan, progress)?;
    let disagreements = confirm::apply(cmp, &pd.comparison);
    crate::compare_workflow::refresh(cmp, baseline, current, config);
    Ok(Screened::Confirmed {
        workloads,
        flagged,
        disagreements,
    })
}
