//! The profiler library's typed errors; `anyhow` is used only in `main.rs`.

use std::path::PathBuf;

/// Result alias for the profiler library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong, with the file, workload or ref it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid JSON at line {line}, column {column}: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: schema_version {found} is not supported by this smprof (it reads version {expected}); re-run `smprof run` to produce a current result"
    )]
    SchemaVersion {
        path: PathBuf,
        found: String,
        expected: u32,
    },
    #[error("{path}: invalid result: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("no result for {reference}{hint}")]
    NotFound { reference: String, hint: String },
    #[error("git: {0}")]
    Git(String),
    #[error("{path}: invalid configuration: {reason}")]
    Config { path: PathBuf, reason: String },
    #[error("template {name}: {reason}")]
    Template { name: String, reason: String },
    #[error("workload {workload}: {reason}")]
    Workload { workload: String, reason: String },
    #[error("{0}")]
    Engine(#[from] smallmind::Error),
    #[error(
        "cannot compare {baseline_label} ({baseline_mode}) with {current_label} ({current_mode}): one counts instructions, the other times; measure both sides the same way (`smprof run --metric {baseline_mode}` or `--metric {current_mode}`)"
    )]
    MixedModes {
        baseline_label: String,
        baseline_mode: String,
        current_label: String,
        current_mode: String,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{what}: {reason}")]
    Other { what: String, reason: String },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<git2::Error> for Error {
    fn from(e: git2::Error) -> Self {
        Error::Git(e.message().to_string())
    }
}
