//! The workload catalogue. Each workload is defined in one place: its name,
//! suite, group, what one operation is, how to set it up, and its derived
//! metrics. Adding a workload is adding one `Def` to its group's file.

mod backward;
mod buffer;
mod gelu;
mod matmul;
mod model;
mod select;
mod softmax;
mod tensor;
mod train;

use crate::error::Result;

pub use select::{close_names, matches_filter, require_filter, require_name};

/// Which suite a workload belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suite {
    /// Timing of kernels and models.
    Code,
    /// Time and memory together (backward passes, training steps).
    Alloc,
}

impl Suite {
    pub fn as_str(self) -> &'static str {
        match self {
            Suite::Code => "code",
            Suite::Alloc => "alloc",
        }
    }
}

/// A metric computed from a measured one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Derived {
    /// value = work_per_op / seconds per op (`gflops` with work in GFLOP, `tokens_per_s`, …). Higher is better.
    Throughput {
        name: &'static str,
        unit: &'static str,
        work_per_op: f64,
    },
    /// value = time_ns per op / units_per_op (`latency_per_token_ns`). Lower is better.
    TimePerUnit {
        name: &'static str,
        unit: &'static str,
        units_per_op: f64,
    },
    /// value = allocated bytes per op (allocation pass) / units_per_op (`alloc_bytes_per_token`). Lower is better.
    AllocPerUnit {
        name: &'static str,
        unit: &'static str,
        units_per_op: f64,
    },
}

/// One operation of a workload, ready to run repeatedly.
pub trait Workload {
    /// Perform one operation. State must stay ready for the next call; results
    /// should reach `std::hint::black_box` so the work cannot be optimised away.
    fn run(&mut self) -> Result<()>;

    /// Bring the workload to the state a counted [`Workload::run`] starts from
    /// (buffers rented, first-use initialisation done) before the instructions
    /// pass counts one call. Under valgrind an FMA lane costs ≈ 50 ns, so a
    /// workload whose operation is long may do less than a whole `run`, as long
    /// as the `run` after it is in steady state (allocation-free, no pool miss).
    fn warm_up(&mut self) -> Result<()> {
        self.run()
    }
}

/// The definition of a workload.
#[derive(Debug, Clone)]
pub struct Def {
    /// Stable key (`matmul/512`).
    pub name: &'static str,
    pub suite: Suite,
    /// Family, the prefix of the name (`matmul`).
    pub group: &'static str,
    /// What one operation is, for `smprof list` and reports.
    pub description: &'static str,
    /// Source files of the engine code it exercises (for actions in reports).
    pub files: &'static [&'static str],
    pub derived: Vec<Derived>,
    /// Build the workload (inputs, model, …); not timed.
    pub setup: fn() -> Result<Box<dyn Workload>>,
}

/// Every workload, in catalogue order.
pub fn catalogue() -> Vec<Def> {
    let mut defs = Vec::new();
    defs.extend(matmul::defs());
    defs.extend(gelu::defs());
    defs.extend(softmax::defs());
    defs.extend(tensor::defs());
    defs.extend(model::defs());
    defs.extend(backward::defs());
    defs.extend(train::defs());
    defs
}

/// The definition of one workload by name.
pub fn find(name: &str) -> Option<Def> {
    catalogue().into_iter().find(|d| d.name == name)
}
