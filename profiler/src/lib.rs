//! smprof as a library: everything but argument parsing.
//!
//! Data flows one way: [`workloads`] describe, [`measure`] measures, [`stats`]
//! decides, [`analysis`] explains, [`report`] renders. [`result`] is the file
//! format between `run` and everything after it; [`compare::model`] the format
//! of a comparison; [`store`] finds results by commit, name or path.

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
pub mod workloads;

pub use error::{Error, Result};
