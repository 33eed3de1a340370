//! Measurement: timing pass in worker processes, allocation pass, instruction counts.

pub mod callgrind;
