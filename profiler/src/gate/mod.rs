//! The CI gate, as pure functions over a [`crate::compare::model::Comparison`]:
//! [`waivers`] accept known regressions until they expire, [`limits`] enforce
//! hard budgets, [`decision`] says what fails and the exit code, [`confirm`]
//! records re-measurements of wall-time regressions, [`calibration`] turns
//! repeated runs of one commit into per-workload noise floors, and
//! [`alternation`] swaps in wall-time verdicts from a measurement of both builds
//! in alternation. `crate::report::gate` renders the outcome.

pub mod alternation;
pub mod calibration;
pub mod confirm;
pub mod decision;
pub mod limits;
pub mod waivers;

pub use decision::{GateDecision, GateOptions, decide};
