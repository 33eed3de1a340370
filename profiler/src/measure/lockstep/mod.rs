//! Lockstep measurement: the baseline's and the current build's workers take
//! their samples of one workload alternately, one sample at a time, on one CPU
//! (on one engine thread; on more, unpinned).
//!
//! Why: on a shared VM the speed of a vCPU changes in spells of 0.1–0.5 s (by
//! 30–45 % here, when another tenant runs on its core). Alternating whole worker
//! processes leaves ~0.1–0.3 s between the two halves of a pair, so a spell
//! often catches one half and not the other, and a round's ratio swings by
//! ±30 %. Samples of 5–15 ms taken alternately are a few milliseconds apart:
//! a spell covers both halves of nearly every sample pair, and the median of a
//! round's sample-pair ratios stays within a few percent. (The idea is the one
//! of paired benchmarking, as in the `tango-bench` crate, which alternates two
//! builds loaded into one process; here the builds stay separate processes.)
//!
//! Protocol (`smprof worker --lockstep`, one workload, time pass), one line per
//! message:
//! - the worker sets the workload up, warms it up, then writes `ready`;
//! - each `sample` line on its stdin makes it take one sample (retaken while
//!   preempted) and answer `ok`;
//! - before each answer it lets the engine's thread team park
//!   (`smallmind::threads::rest`), so that the other build's next sample does not
//!   share the CPUs with this one's workers polling for a next call;
//! - at the end of its stdin it writes its [`super::worker::Line`] (every
//!   sample, in order) and exits.
//!
//! A worker that fails writes its `Line` with `error` set instead of a reply.

pub mod driver;
pub mod worker;

/// The worker's answer once warmed up.
pub const READY: &str = "ready";
/// The orchestrator's request for one sample.
pub const SAMPLE: &str = "sample";
/// The worker's answer once the sample is taken.
pub const OK: &str = "ok";
