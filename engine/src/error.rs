//! The engine's typed errors. Every variant carries the context a user needs
//! to find the problem: the op, the shapes, the path.

use std::path::PathBuf;

/// Result alias used across the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the engine can refuse to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Two operands whose shapes do not fit together.
    #[error("{op}: shape mismatch between {lhs:?} and {rhs:?}")]
    ShapeMismatch {
        op: &'static str,
        lhs: Vec<usize>,
        rhs: Vec<usize>,
    },
    /// A shape that is invalid on its own (rank, element count, zero where not allowed).
    #[error("{op}: invalid shape {shape:?}: {reason}")]
    InvalidShape {
        op: &'static str,
        shape: Vec<usize>,
        reason: String,
    },
    /// An argument outside what the op accepts (leading dimension, index, parameter).
    #[error("{op}: invalid argument: {reason}")]
    InvalidArgument { op: &'static str, reason: String },
    /// A SIMD tier was requested that this CPU (or this build) cannot run.
    #[error("SIMD tier `{requested}` is not available on this CPU (available: {available})")]
    TierUnavailable {
        requested: String,
        available: String,
    },
    /// `SMALLMIND_SIMD` or `SMALLMIND_THREADS` holds something that is not a valid value.
    #[error("environment variable {var}={value:?} is invalid: {reason}")]
    BadEnv {
        var: &'static str,
        value: String,
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint or config file that does not fit what it claims to be.
    #[error("{path}: {reason}")]
    Checkpoint { path: PathBuf, reason: String },
}

impl Error {
    /// Shorthand for a shape mismatch between two shapes.
    pub fn shape(op: &'static str, lhs: &[usize], rhs: &[usize]) -> Self {
        Error::ShapeMismatch {
            op,
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
        }
    }

    /// Shorthand for an invalid argument.
    pub fn arg(op: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            op,
            reason: reason.into(),
        }
    }
}
