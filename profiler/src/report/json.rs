//! `comparison.json`: the comparison itself, pretty-printed (docs/comparison-format.md).

use crate::compare::model::Comparison;
use crate::error::{Error, Result};

/// The JSON text of a comparison, with a trailing newline.
pub fn to_json(cmp: &Comparison) -> Result<String> {
    serde_json::to_string_pretty(cmp)
        .map(|s| s + "\n")
        .map_err(|e| Error::Other {
            what: "serialising comparison".into(),
            reason: e.to_string(),
        })
}
