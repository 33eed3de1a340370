//! Deciding what changed between two results.

pub mod model;
