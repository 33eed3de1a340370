//! The environment fingerprint.
