//! The CI gate: waivers, hard limits, confirmation.
