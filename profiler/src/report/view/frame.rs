//! The box-drawn frames of the text reports (the reference reports' layout).

use crate::report::text::{center, pad_right};

/// Inner width of the box-drawn frames (the reference reports' 69 columns).
pub(super) const BOX: usize = 69;
/// Width of a chart bar.
pub(super) const BAR: usize = 36;

pub(super) fn heading(title: &str) -> String {
    format!("│{}│", center(title, BOX + 6))
}

/// A boxed line: `│ content … │`.
pub(super) fn boxed(content: &str) -> String {
    format!("│ {} │", pad_right(content, BOX + 4))
}
