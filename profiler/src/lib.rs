//! smprof as a library: everything but argument parsing.
//!
//! Data flows one way: [`workloads`] describe, [`measure`] measures, [`stats`]
//! decides, [`analysis`] explains, [`report`] renders. [`result`] is the file
//! format between `run` and everything after it; [`compare::model`] the format
//! of a comparison; [`store`] finds results by commit, name or path.
//!
//! The imports follow the flow in layers, each importing only lower ones
//! (`tests/layering.rs` enforces it): [`error`], [`timefmt`] and [`stats`]
//! (plain numbers) import nothing of the crate; then [`workloads`] and
//! [`result`]; [`config`], [`env`](mod@env) and [`git`]; [`measure`] and [`store`];
//! [`compare`] (each metric's verdict); [`analysis`] and [`build`];
//! [`compare_workflow`] (decide, then explain); [`decision`] (both builds in
//! lockstep); [`gate`] and [`history`]; [`report`]; the binary's `cli` and
//! `commands` on top. One exception: [`Error`] wraps the store's own
//! `StoreError`.

pub mod analysis;
pub mod build;
pub mod compare;
pub mod compare_workflow;
pub mod config;
pub mod decision;
pub mod env;
pub mod error;
pub mod gate;
pub mod git;
pub mod history;
pub mod measure;
pub mod report;
pub mod result;
pub mod stats;
pub mod store;
pub mod timefmt;
pub mod units;
pub mod workloads;

pub use error::{Error, Result};
