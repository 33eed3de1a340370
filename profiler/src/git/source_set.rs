//! The files the smprof binary is built from, and the manifest that names them.
//! std only: `profiler/build.rs` includes this file (`#[path]`) to write the
//! manifest of the build, and [`super::source`] to rebuild it from a commit or
//! the work tree, so both sides list exactly the same files.
//!
//! A manifest is one line per file, `<git blob id> <path>\n`, sorted by path
//! (paths relative to the workspace root, `/`-separated).

use std::path::Path;

/// What goes into the binary, relative to the workspace root: the manifests and
/// lock file, the engine's and the profiler's sources, and the embedded templates.
/// Tests, benches and docs are left out: they do not change what is measured.
pub const ROOTS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "engine/Cargo.toml",
    "engine/src",
    "profiler/Cargo.toml",
    "profiler/build.rs",
    "profiler/src",
    "templates",
];

/// Hidden entries (editor swap files, `.gitkeep`) are never part of the set.
pub fn skipped(name: &str) -> bool {
    name.starts_with('.')
}

/// The files of the set under the workspace `root`, relative and sorted. Regular
/// files only (symlinks are skipped); a root that does not exist contributes nothing.
pub fn files_on_disk(root: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for r in ROOTS {
        collect(root, r, &mut out)?;
    }
    out.sort();
    Ok(out)
}

fn collect(root: &Path, rel: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    let meta = match std::fs::symlink_metadata(root.join(rel)) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.is_file() {
        out.push(rel.to_string());
    } else if meta.is_dir() {
        for entry in std::fs::read_dir(root.join(rel))? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !skipped(&name) {
                collect(root, &format!("{rel}/{name}"), out)?;
            }
        }
    }
    Ok(())
}

/// The manifest text of `(blob id, path)` pairs, sorted by path.
pub fn manifest_text(entries: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.1.cmp(&b.1));
    sorted
        .iter()
        .map(|(oid, path)| format!("{oid} {path}\n"))
        .collect()
}
