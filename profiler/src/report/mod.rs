//! Rendering: every output smprof prints or writes is formatted here.
//!
//! Reports only render: every figure, verdict, cause and action comes from the
//! [`Comparison`] (or the gate's decision, or a history). [`units`] (at the
//! crate's root, so that `measure`'s progress display shares it) is the one
//! place numbers become text; [`result_table`] lays out a run's result; [`labels`] names metrics and verdicts;
//! [`findings`] puts typed findings and actions into words; [`causes`] groups
//! verdicts one line per cause. [`view`] lays a comparison out for the tera
//! templates of `templates/` (embedded, overridable with `--templates DIR`);
//! [`terminal`], [`gate`], [`history`] and [`html`] render their own outputs.

pub mod bars;
pub mod causes;
pub mod findings;
pub mod gate;
pub mod history;
pub mod html;
pub mod json;
pub mod labels;
pub mod markdown;
pub mod result_table;
pub mod templates;
pub mod terminal;
pub mod text;
pub use crate::units;
pub mod view;

use crate::compare::model::Comparison;
use crate::error::{Error, Result};
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

/// Render every report of `cmp` into `dir`. `templates_dir` overrides the
/// embedded templates. Every report is rendered before anything is written, so
/// a template that fails leaves nothing behind; a new directory is written
/// beside its place and renamed into it whole, an existing one gets each file
/// atomically. Returns the paths written.
pub fn write_all(
    cmp: &Comparison,
    dir: &Path,
    templates_dir: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    let templates = templates::Templates::load(templates_dir)?;
    let view = view::View::new(cmp);
    let mut rendered: Vec<(&str, String)> = Vec::new();
    for name in REPORT_FILES {
        let text = if name == "comparison.json" {
            json::to_json(cmp)?
        } else {
            templates.render(name, &view)?
        };
        rendered.push((name, text));
    }
    let written: Vec<PathBuf> = rendered.iter().map(|(n, _)| dir.join(n)).collect();
    if !dir.exists() && write_new_dir(dir, &rendered)? {
        return Ok(written);
    }
    for (name, text) in &rendered {
        crate::result::write_atomic(&dir.join(name), text.as_bytes())?;
    }
    Ok(written)
}

/// Write the reports into a temporary directory beside `dir` and rename it to
/// `dir`. `Ok(false)` when `dir` appeared meanwhile (the caller then writes
/// file by file).
fn write_new_dir(dir: &Path, rendered: &[(&str, String)]) -> Result<bool> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".smprof-report-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    for (name, text) in rendered {
        crate::result::write_atomic(&tmp.path().join(name), text.as_bytes())?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(tmp.path(), e))?;
    }
    let staged = tmp.keep();
    match std::fs::rename(&staged, dir) {
        Ok(()) => Ok(true),
        Err(_) if dir.exists() => {
            // Someone created it first: fall back to file by file, clean up.
            let _ = std::fs::remove_dir_all(&staged);
            Ok(false)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staged);
            Err(Error::io(dir, e))
        }
    }
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
