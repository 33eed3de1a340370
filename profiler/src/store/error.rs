//! What the store refuses, as values: a caller (the `run` command) adds what the
//! user can do about it.

use std::path::PathBuf;

/// The workloads and metric mode of a result, to say what a replacement would lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub workloads: usize,
    pub metric_mode: String,
}

impl std::fmt::Display for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = if self.workloads == 1 { "" } else { "s" };
        write!(f, "{} workload{s}, {}", self.workloads, self.metric_mode)
    }
}

/// A store operation refused to go ahead.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Saving would replace a result with one of fewer workloads or another metric mode.
    #[error(
        "{path} holds a result of {existing}; this one ({new}) would replace it{missing}: refused so that a partial run never loses a full one",
        missing = fmt_missing(missing)
    )]
    WouldNarrow {
        path: PathBuf,
        existing: Coverage,
        new: Coverage,
        /// Workloads of the existing result the new one lacks (the first few).
        missing: Vec<String>,
    },
    /// Another process holds the directory's lock.
    #[error(
        "{path} is held by another smprof{holder}: two runs at once would disturb each other's figures; wait for it to finish",
        holder = holder.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Locked { path: PathBuf, holder: Option<u32> },
    /// The directory cannot be written (checked before measuring).
    #[error("{path} is not writable: {source}")]
    NotWritable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn fmt_missing(missing: &[String]) -> String {
    if missing.is_empty() {
        String::new()
    } else {
        format!(" without {}", missing.join(", "))
    }
}
