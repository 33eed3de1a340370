//! A throwaway git repository holding a copy of the sources this smprof was built
//! from (`smprof::git::source_set`), so that `smprof run` in it measures its own
//! commit and passes the check that the binary was built from HEAD's sources.

use std::path::Path;

/// Copy the sources of the binary's build (this work tree) into `dir`.
pub fn copy_sources(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for rel in smprof::git::source_set::files_on_disk(root).unwrap() {
        let to = dir.join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(&rel), to).unwrap();
    }
}

/// Commit every file of the work tree; returns the new commit's sha.
#[allow(dead_code)]
pub fn commit_all(repo: &git2::Repository, message: &str) -> String {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
        .unwrap()
        .to_string()
}
