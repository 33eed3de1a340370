//! Two built binaries as a [`PairMeasurer`] through their `run` command: whole
//! processes in alternating rounds ([`ab::measure_interleaved`]). For binaries
//! that do not speak the worker protocol (the [`super::Lockstep`] measurer needs
//! `smprof worker`), e.g. old commits in a bisection.

use super::PairMeasurer;
use crate::build::ab::{self, AbOptions, BuiltSide};
use crate::error::Result;
use crate::result::RunResult;

/// Both sides and how to run them; `rounds` and `filter` of `opts` are replaced
/// by each measurement's own.
#[derive(Debug)]
pub struct Interleaved<'a> {
    pub a: &'a BuiltSide,
    pub b: &'a BuiltSide,
    pub opts: &'a AbOptions,
}

impl PairMeasurer for Interleaved<'_> {
    fn measure(&mut self, workloads: &[String], rounds: u32) -> Result<(RunResult, RunResult)> {
        let mut opts = self.opts.clone();
        opts.rounds = rounds;
        opts.filter = Some(workloads.join(","));
        ab::measure_interleaved(self.a, self.b, &opts, &mut |_| {})
    }
}
