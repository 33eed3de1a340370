//! Rendering comparisons: terminal, markdown, JSON, HTML.
//!
//! Reports only render: every figure, verdict, cause and action comes from the
//! [`Comparison`]; [`view`] lays it out and the tera templates in `templates/`
//! (embedded, overridable with `--templates DIR`) place it on the page.

pub mod bars;
pub mod html;
pub mod json;
pub mod markdown;
pub mod templates;
pub mod terminal;
pub mod text;
pub mod view;

use crate::compare::model::Comparison;
use crate::error::Result;
use std::path::{Path, PathBuf};

/// The report files [`write_all`] writes, in order.
pub const REPORT_FILES: [&str; 6] = [
    "INDEX.md",
    "SUMMARY.txt",
    "COMPARISON_CHART.md",
    "METRICS_SUMMARY.md",
    "ROOT_CAUSE.md",
    "comparison.json",
];

/// Render every report of `cmp` into `dir` (created if needed), each written
/// atomically. `templates_dir` overrides the embedded templates. Returns the paths written.
pub fn write_all(
    cmp: &Comparison,
    dir: &Path,
    templates_dir: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    let templates = templates::Templates::load(templates_dir)?;
    let view = view::View::new(cmp);
    let mut written = Vec::new();
    for name in REPORT_FILES {
        let text = if name == "comparison.json" {
            json::to_json(cmp)?
        } else {
            templates.render(name, &view)?
        };
        let path = dir.join(name);
        crate::result::write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// `root/<YYYYMMDD-HHMMSS>-<base>-vs-<current>/`, the time taken from the
/// comparison so the name matches its contents.
pub fn default_dir(root: &Path, cmp: &Comparison) -> PathBuf {
    let stamp: String = cmp
        .created_at
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect::<String>()
        .replacen('T', "-", 1);
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    root.join(format!(
        "{}-{}-vs-{}",
        stamp,
        clean(&cmp.baseline.label),
        clean(&cmp.current.label)
    ))
}
