//! The PR-comment-sized markdown summary (`--format markdown`).

use super::templates::Templates;
use super::view::View;
use crate::compare::model::Comparison;
use crate::error::Result;

/// Render the PR comment with the given templates.
pub fn pr_comment(cmp: &Comparison, templates: &Templates) -> Result<String> {
    templates.render("PR_COMMENT.md", &View::new(cmp))
}
