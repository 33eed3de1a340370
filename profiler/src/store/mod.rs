//! The results directory (`baselines/`): one file per commit, named baselines,
//! and resolution of a user's REF (path, name, commit prefix, `HEAD~n`) to a result.
//!
//! Layout:
//! - `<sha>.json` — the result for a clean commit; `<sha>-dirty.json` for a work tree
//!   with uncommitted changes, `<sha>-stale.json` (`<sha>-dirty-stale.json`) for a
//!   binary not built from the sources it ran in (never mistaken for the commit);
//! - `<key>.prev.json` — the result a rerun replaced (nothing is lost);
//! - `named/<name>.json` — a copy of the result a name was pinned to;
//! - `probes/` — bisect's partial measurements ([`probe`]), never results;
//! - `.lock` — held by the one `run` measuring for this directory ([`lock`]).

mod error;
pub mod lock;
pub mod probe;
mod save;
#[cfg(test)]
mod test_fixture;

pub use error::{Coverage, StoreError};
pub use lock::StoreLock;
pub use save::Replace;

use crate::error::{Error, Result};
use crate::result::{self, RunResult};
use std::path::{Path, PathBuf};

/// Suffixes of keys that are not a commit's own result.
const KEY_SUFFIXES: [&str; 3] = ["-dirty-stale", "-dirty", "-stale"];

/// A result found for a reference.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// What the user wrote.
    pub reference: String,
    pub path: PathBuf,
    pub result: RunResult,
}

/// An entry of `smprof baseline list`.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub path: PathBuf,
    /// `commit`, `dirty`, `stale`, `previous`, `named` or `time`.
    pub kind: &'static str,
}

/// The results directory and the repository it belongs to.
pub struct Store {
    dir: PathBuf,
    repo: Option<git2::Repository>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

impl Store {
    /// The store in `dir`, with the repository around the current directory (if any).
    pub fn open(dir: &Path) -> Store {
        let repo = crate::git::open(Path::new("."));
        Store {
            dir: dir.to_path_buf(),
            repo,
        }
    }

    /// The store in `dir` with an explicit repository (tests, worktrees).
    pub fn with_repo(dir: &Path, repo: Option<git2::Repository>) -> Store {
        Store {
            dir: dir.to_path_buf(),
            repo,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The repository, if the store sits in one.
    pub fn repo(&self) -> Option<&git2::Repository> {
        self.repo.as_ref()
    }

    /// Where a result is stored.
    pub fn path_for(&self, r: &RunResult) -> PathBuf {
        self.dir.join(format!("{}.json", r.key()))
    }

    /// The result for HEAD: the dirty result if the work tree is dirty and one
    /// exists, else the clean one.
    pub fn resolve_head(&self) -> Result<Resolved> {
        let repo = self.repo.as_ref().ok_or_else(|| Error::NotFound {
            reference: "HEAD".into(),
            hint: ": not in a git repository; name the result with a path".into(),
        })?;
        let info = crate::git::head_info(repo)?.ok_or_else(|| Error::NotFound {
            reference: "HEAD".into(),
            hint: ": the repository has no commits".into(),
        })?;
        let candidates = if info.dirty {
            vec![format!("{}-dirty", info.sha), info.sha.clone()]
        } else {
            vec![info.sha.clone()]
        };
        for key in &candidates {
            let path = self.dir.join(format!("{key}.json"));
            if path.exists() {
                return Ok(Resolved {
                    reference: "HEAD".into(),
                    result: result::load(&path)?,
                    path,
                });
            }
        }
        if let Ok(oid) = git2::Oid::from_str(&info.sha)
            && let Some(result) = crate::git::notes::read(repo, oid)?
        {
            return Ok(Resolved {
                reference: "HEAD".into(),
                path: crate::git::notes::note_path(oid),
                result,
            });
        }
        Err(Error::NotFound {
            reference: format!("HEAD ({})", info.short),
            hint: format!(
                " in {}: run `smprof run` first{}",
                self.dir.display(),
                self.available_hint()
            ),
        })
    }

    /// Resolve a reference: an existing file path, a named baseline, a stored key
    /// (full or prefix), or a git revision whose commit has a stored result.
    pub fn resolve(&self, reference: &str) -> Result<Resolved> {
        let found = |path: PathBuf| -> Result<Resolved> {
            Ok(Resolved {
                reference: reference.to_string(),
                result: result::load(&path)?,
                path,
            })
        };
        let as_path = Path::new(reference);
        if as_path.is_file() {
            return found(as_path.to_path_buf());
        }
        let named = self.named_path(reference);
        if valid_name(reference) && named.is_file() {
            return found(named);
        }
        if reference.eq_ignore_ascii_case("HEAD") {
            return self.resolve_head();
        }
        // `<rev>-dirty`, `<rev>-stale`: that variant of a commit's result.
        if let Some(repo) = &self.repo
            && let Some((rev, suffix)) = KEY_SUFFIXES
                .iter()
                .find_map(|s| reference.strip_suffix(s).map(|r| (r, *s)))
            && let Ok(commit) = crate::git::resolve_commit(repo, rev)
        {
            let path = self.dir.join(format!("{}{suffix}.json", commit.id()));
            if path.is_file() {
                return found(path);
            }
        }
        if let Some(repo) = &self.repo
            && let Ok(commit) = crate::git::resolve_commit(repo, reference)
        {
            let path = self.dir.join(format!("{}.json", commit.id()));
            if path.is_file() {
                return found(path);
            }
            // Shared through git notes (`smprof baseline pull`).
            if let Some(result) = crate::git::notes::read(repo, commit.id())? {
                return Ok(Resolved {
                    reference: reference.to_string(),
                    path: crate::git::notes::note_path(commit.id()),
                    result,
                });
            }
            return Err(Error::NotFound {
                reference: reference.to_string(),
                hint: format!(
                    " (commit {}): no result stored in {}; run `smprof run` on that commit{}",
                    &commit.id().to_string()[..10],
                    self.dir.display(),
                    self.available_hint()
                ),
            });
        }
        // A key or key prefix among stored files (works outside git too).
        if reference.len() >= 4 {
            let matches: Vec<Entry> = self
                .list()?
                .into_iter()
                .filter(|e| {
                    matches!(e.kind, "commit" | "dirty" | "stale" | "time")
                        && e.key.starts_with(reference)
                })
                .collect();
            match matches.len() {
                1 => return found(matches[0].path.clone()),
                n if n > 1 => {
                    return Err(Error::NotFound {
                        reference: reference.to_string(),
                        hint: format!(
                            ": ambiguous, {n} results match: {}",
                            matches
                                .iter()
                                .map(|e| e.key.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
                _ => {}
            }
        }
        Err(Error::NotFound {
            reference: reference.to_string(),
            hint: format!(
                ": not a file, a named baseline, or a commit with a result in {}{}",
                self.dir.display(),
                self.available_hint()
            ),
        })
    }

    /// Every stored result, sorted by key.
    pub fn list(&self) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        let read = match std::fs::read_dir(&self.dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io(&self.dir, e)),
        };
        for entry in read {
            let entry = entry.map_err(|e| Error::io(&self.dir, e))?;
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(key) = name.strip_suffix(".json") else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let kind = if key.ends_with(".prev") {
                "previous"
            } else if key.ends_with("-stale") {
                "stale"
            } else if key.ends_with("-dirty") {
                "dirty"
            } else if key.len() == 40 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
                "commit"
            } else {
                "time"
            };
            out.push(Entry {
                key: key.to_string(),
                path,
                kind,
            });
        }
        for name in self.names()? {
            out.push(Entry {
                path: self.named_path(&name),
                key: name,
                kind: "named",
            });
        }
        out.sort_by(|a, b| (a.kind, &a.key).cmp(&(b.kind, &b.key)));
        Ok(out)
    }

    /// Names of named baselines.
    pub fn names(&self) -> Result<Vec<String>> {
        let dir = self.dir.join("named");
        let read = match std::fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&dir, e)),
        };
        let mut names: Vec<String> = read
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".json"))
                    .map(str::to_string)
            })
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Pin `name` to a copy of `result`.
    pub fn save_name(&self, name: &str, result: &RunResult) -> Result<PathBuf> {
        if !valid_name(name) {
            return Err(Error::Other {
                what: format!("baseline name {name:?}"),
                reason: "use letters, digits, '.', '-' and '_' only".into(),
            });
        }
        let path = self.named_path(name);
        let bytes = serde_json::to_vec_pretty(result).map_err(|e| Error::Other {
            what: "serialising result".into(),
            reason: e.to_string(),
        })?;
        result::write_atomic(&path, &bytes)?;
        Ok(path)
    }

    /// Remove a named baseline.
    pub fn remove_name(&self, name: &str) -> Result<()> {
        let path = self.named_path(name);
        if !valid_name(name) || !path.is_file() {
            return Err(Error::NotFound {
                reference: name.to_string(),
                hint: format!(
                    ": no such named baseline (names: {})",
                    self.names()?.join(", ")
                ),
            });
        }
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))
    }

    fn named_path(&self, name: &str) -> PathBuf {
        self.dir.join("named").join(format!("{name}.json"))
    }

    fn available_hint(&self) -> String {
        let entries = self.list().unwrap_or_default();
        if entries.is_empty() {
            return String::from(" (no results stored yet)");
        }
        let shown: Vec<String> = entries
            .iter()
            .filter(|e| e.kind != "previous")
            .take(8)
            .map(|e| match e.kind {
                "named" => e.key.clone(),
                _ => e.key.chars().take(12).collect(),
            })
            .collect();
        format!(" (available: {})", shown.join(", "))
    }
}

/// Names are file names: no separators, no leading dot.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}
