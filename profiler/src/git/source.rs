//! Whether this binary was built from the code being measured. `profiler/build.rs`
//! embeds the manifest of the sources it compiled ([`super::source_set`]: git blob
//! ids of the engine's and the profiler's sources, the manifests, the lock file and
//! the templates); `run` rebuilds the same manifest from HEAD's tree (or the work
//! tree when it is dirty) and compares. A binary not rebuilt after a commit would
//! otherwise measure the old code and save it under the new commit.

use super::source_set;
use crate::error::{Error, Result};
use crate::result::Tool;
use std::collections::BTreeMap;
use std::path::Path;

/// The build's manifest, written by build.rs (empty when it could not hash the sources).
const BUILD_MANIFEST: &str = include_str!(concat!(env!("OUT_DIR"), "/source-manifest.txt"));
/// Why build.rs could not hash the sources (empty when it could).
const BUILD_PROBLEM: &str = env!("SMPROF_SOURCE_PROBLEM");

/// Paths → git blob ids of one set of sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    files: BTreeMap<String, git2::Oid>,
}

/// How one file differs between the build and the sources measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// In both, with other contents.
    Modified,
    /// In the sources, not in the build (added since).
    Added,
    /// In the build, not in the sources (removed since, or never committed).
    Removed,
}

/// One file that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub change: Change,
}

/// What the build was compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Against {
    /// HEAD's committed tree (a clean work tree).
    Head,
    /// The files in the work tree (uncommitted changes).
    WorkTree,
}

/// The answer of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// The binary was built from exactly these sources.
    Fresh,
    /// It was built from other sources: the files that differ, sorted by path.
    Stale {
        against: Against,
        changes: Vec<FileChange>,
        /// Files of the set in the sources (0: not SmallMind's repository at all).
        source_files: usize,
    },
    /// The build could not record its sources (no `git` when it was built).
    Unknown { reason: String },
}

impl Manifest {
    /// Parse `<blob id> <path>` lines.
    pub fn parse(text: &str) -> Result<Manifest> {
        let mut files = BTreeMap::new();
        for line in text.lines() {
            let (oid, path) = line.split_once(' ').ok_or_else(|| bad(line))?;
            let oid = git2::Oid::from_str(oid).map_err(|_| bad(line))?;
            files.insert(path.to_string(), oid);
        }
        Ok(Manifest { files })
    }

    /// The manifest text, as build.rs writes it.
    pub fn text(&self) -> String {
        let entries: Vec<(String, String)> = self
            .files
            .iter()
            .map(|(p, o)| (o.to_string(), p.clone()))
            .collect();
        source_set::manifest_text(&entries)
    }

    /// The git blob id of the manifest text: one hash for the whole source set.
    pub fn hash(&self) -> String {
        git2::Oid::hash_object(git2::ObjectType::Blob, self.text().as_bytes())
            .map(|o| o.to_string())
            .unwrap_or_default()
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The set as a commit's tree records it (blob ids straight from the tree).
    pub fn of_tree(repo: &git2::Repository, tree: &git2::Tree<'_>) -> Result<Manifest> {
        let mut files = BTreeMap::new();
        for root in source_set::ROOTS {
            let entry = match tree.get_path(Path::new(root)) {
                Ok(e) => e,
                Err(e) if e.code() == git2::ErrorCode::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            match entry.kind() {
                Some(git2::ObjectType::Blob) if entry.filemode() != 0o120000 => {
                    files.insert(root.to_string(), entry.id());
                }
                Some(git2::ObjectType::Tree) => {
                    let sub = repo.find_tree(entry.id())?;
                    walk_tree(repo, &sub, root, &mut files)?;
                }
                _ => {}
            }
        }
        Ok(Manifest { files })
    }

    /// The set as it is in the work tree at `root`, hashed as git would store it.
    pub fn of_work_tree(root: &Path) -> Result<Manifest> {
        let mut files = BTreeMap::new();
        for rel in source_set::files_on_disk(root).map_err(|e| Error::io(root, e))? {
            let path = root.join(&rel);
            let oid = git2::Oid::hash_file(git2::ObjectType::Blob, &path)
                .map_err(|e| Error::Git(format!("hashing {}: {}", path.display(), e.message())))?;
            files.insert(rel, oid);
        }
        Ok(Manifest { files })
    }

    /// How `sources` differ from this (the build's) manifest, sorted by path.
    pub fn changes_to(&self, sources: &Manifest) -> Vec<FileChange> {
        let mut out = Vec::new();
        for (path, oid) in &sources.files {
            match self.files.get(path) {
                None => out.push(FileChange {
                    path: path.clone(),
                    change: Change::Added,
                }),
                Some(b) if b != oid => out.push(FileChange {
                    path: path.clone(),
                    change: Change::Modified,
                }),
                Some(_) => {}
            }
        }
        for path in self.files.keys() {
            if !sources.files.contains_key(path) {
                out.push(FileChange {
                    path: path.clone(),
                    change: Change::Removed,
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }
}

fn walk_tree(
    repo: &git2::Repository,
    tree: &git2::Tree<'_>,
    prefix: &str,
    files: &mut BTreeMap<String, git2::Oid>,
) -> Result<()> {
    for entry in tree.iter() {
        let Some(name) = entry.name() else { continue };
        if source_set::skipped(name) {
            continue;
        }
        let path = format!("{prefix}/{name}");
        match entry.kind() {
            // Symlinks (mode 120000) are blobs in git but skipped on disk.
            Some(git2::ObjectType::Blob) if entry.filemode() != 0o120000 => {
                files.insert(path, entry.id());
            }
            Some(git2::ObjectType::Tree) => {
                walk_tree(repo, &repo.find_tree(entry.id())?, &path, files)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn bad(line: &str) -> Error {
    Error::Other {
        what: "the build's source manifest".into(),
        reason: format!("unreadable line {line:?}"),
    }
}

/// This binary as a result records it: smprof, its version and the hash of the
/// sources it was built from (none when build.rs could not hash them).
pub fn this_build() -> Tool {
    Tool {
        name: "smprof".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        source_hash: build_manifest().ok().map(|m| m.hash()),
    }
}

/// The manifest of the sources this binary was built from; `Err` with build.rs's
/// reason when it could not hash them.
pub fn build_manifest() -> std::result::Result<Manifest, String> {
    if !BUILD_PROBLEM.is_empty() {
        return Err(BUILD_PROBLEM.to_string());
    }
    match Manifest::parse(BUILD_MANIFEST) {
        Ok(m) if !m.is_empty() => Ok(m),
        Ok(_) => Err("the build recorded no sources".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Compare `build` with the sources of `repo`: HEAD's tree when the work tree is
/// clean (`dirty` = false), the work tree's files otherwise.
pub fn compare(repo: &git2::Repository, build: &Manifest, dirty: bool) -> Result<Freshness> {
    let (against, sources) = if dirty {
        let root = repo
            .workdir()
            .ok_or_else(|| Error::Git("the repository has no work tree".into()))?;
        (Against::WorkTree, Manifest::of_work_tree(root)?)
    } else {
        let tree = repo.head()?.peel_to_tree()?;
        (Against::Head, Manifest::of_tree(repo, &tree)?)
    };
    let changes = build.changes_to(&sources);
    Ok(if changes.is_empty() {
        Freshness::Fresh
    } else {
        Freshness::Stale {
            against,
            changes,
            source_files: sources.len(),
        }
    })
}

/// Whether this binary was built from the sources `run` would measure in `repo`.
pub fn check(repo: &git2::Repository, dirty: bool) -> Result<Freshness> {
    match build_manifest() {
        Ok(build) => compare(repo, &build, dirty),
        Err(reason) => Ok(Freshness::Unknown { reason }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The library's only tests that open repositories: they too read no git
    // configuration of the user's or the system's (`profiler/tests/no_user_config.rs`).
    mod no_user_config {
        include!("../../tests/no_user_config.rs");
    }

    fn commit_all(repo: &git2::Repository) {
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &[])
            .unwrap();
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn the_tree_and_the_work_tree_give_the_same_manifest_and_changes_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let repo = git2::Repository::init(root).unwrap();
        write(root, "Cargo.toml", "[workspace]\n");
        write(root, "engine/src/lib.rs", "pub fn f() {}\n");
        write(root, "engine/src/.lib.rs.swp", "editor state");
        write(root, "engine/tests/t.rs", "not in the binary");
        write(root, "profiler/src/main.rs", "fn main() {}\n");
        write(root, "README.md", "outside the set");
        commit_all(&repo);
        let tree = repo.head().unwrap().peel_to_tree().unwrap();
        let committed = Manifest::of_tree(&repo, &tree).unwrap();
        let on_disk = Manifest::of_work_tree(root).unwrap();
        assert_eq!(committed, on_disk);
        assert_eq!(committed.len(), 3, "{}", committed.text());
        assert_eq!(Manifest::parse(&committed.text()).unwrap(), committed);
        assert_eq!(committed.hash().len(), 40);
        assert_eq!(compare(&repo, &committed, false).unwrap(), Freshness::Fresh);

        // The work tree moves on; the "build" (the committed manifest) does not.
        write(root, "engine/src/lib.rs", "pub fn f() { g() }\n");
        write(root, "engine/src/g.rs", "pub fn g() {}\n");
        std::fs::remove_file(root.join("profiler/src/main.rs")).unwrap();
        write(root, "README.md", "edited, outside the set");
        let Freshness::Stale {
            against,
            changes,
            source_files: 3,
        } = compare(&repo, &committed, true).unwrap()
        else {
            panic!("stale expected")
        };
        assert_eq!(against, Against::WorkTree);
        let got: Vec<(&str, Change)> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.change))
            .collect();
        assert_eq!(
            got,
            [
                ("engine/src/g.rs", Change::Added),
                ("engine/src/lib.rs", Change::Modified),
                ("profiler/src/main.rs", Change::Removed),
            ]
        );
        assert_ne!(
            Manifest::of_work_tree(root).unwrap().hash(),
            committed.hash()
        );
    }

    #[test]
    fn this_binary_was_built_from_this_work_tree() {
        // build.rs hashed the files with `git hash-object`; git2 hashes them here.
        // Equal manifests prove both sides list and hash the same files alike.
        let build = build_manifest().expect("build.rs hashed the sources");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let here = Manifest::of_work_tree(root).unwrap();
        assert_eq!(build.changes_to(&here), Vec::new());
        assert!(build.len() > 50, "{} files", build.len());
    }
}
