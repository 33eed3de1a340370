//! The one decision engine: every command that decides whether two builds
//! differ in wall time (`compare`'s confirmation, `gate`, `ab`, `bisect`)
//! decides here, the same way.
//!
//! - Two stored runs taken minutes apart are a *screen*: the machine drifts
//!   between them by more than most regressions. A wall-time change is decided
//!   only on both builds measured in lockstep ([`measurer::PairMeasurer`]),
//!   compared round by round ([`crate::compare::paired`]).
//! - The rounds follow from the decision ([`rounds`]): enough for the exact
//!   signed-rank test to reach α after FDR control over the workloads tested,
//!   never a hard-coded count.
//! - Sequentially ([`sequential`]): a result that is neither clearly changed nor
//!   clearly unchanged (its interval straddles the threshold) earns more rounds,
//!   up to a cap, and is `inconclusive` if it stays undecided.
//! - [`confirm`] puts the lockstep verdicts into a screened comparison and
//!   explains it again, so root causes rest on confirmed evidence only.

pub mod confirm;
pub mod interleaved;
pub mod measurer;
pub mod rounds;
pub mod screen;
pub mod sequential;

pub use interleaved::Interleaved;
pub use measurer::{Lockstep, PairMeasurer};
pub use sequential::{PairedDecision, decide_paired};
