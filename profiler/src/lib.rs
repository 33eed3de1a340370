//! smprof as a library: everything but argument parsing.
//!
//! Data flows one way: [`workloads`] describe, `measure` measures, `stats`
//! decides, `analysis` explains, `report` renders. [`result`] is the file format
//! between `run` and everything after it; [`compare::model`] the format of a comparison.

pub mod compare;
pub mod config;
pub mod error;
pub mod result;

pub use error::{Error, Result};
