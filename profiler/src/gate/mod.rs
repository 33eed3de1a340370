//! The CI gate, as pure functions over a [`crate::compare::model::Comparison`]:
//! [`waivers`] accept known regressions until they expire, [`limits`] enforce
//! hard budgets, [`decision`] says what fails and the exit code, [`confirm`]
//! records re-measurements of wall-time regressions, [`calibration`] turns
//! repeated runs of one commit into per-workload noise floors, and [`workflow`]
//! runs them in order around the lockstep decision of wall time
//! ([`crate::decision`]). `crate::report::gate` renders the outcome.

pub mod calibration;
pub mod confirm;
pub mod decision;
pub mod limits;
pub mod waivers;
pub mod workflow;

pub use decision::{GateDecision, GateOptions, decide};
