//! Results shared as git notes through a local bare repository.

use crate::history_support;

use history_support::{repo_with_commits, result_for};
use smprof::git::notes;
use smprof::store::Store;

#[test]
fn push_and_pull_share_results_through_a_bare_remote() {
    let tmp = tempfile::tempdir().unwrap();
    let a_dir = tmp.path().join("a");
    let (a, ids) = repo_with_commits(&a_dir, 3);
    let bare = tmp.path().join("remote.git");
    git2::Repository::init_bare(&bare).unwrap();
    a.remote("origin", bare.to_str().unwrap()).unwrap();
    // Share the commits themselves.
    a.find_remote("origin")
        .unwrap()
        .push(&["refs/heads/master:refs/heads/master"], None)
        .unwrap();

    let r0 = result_for(
        Some((&a, ids[0])),
        &[("matmul/64", vec![100.0, 101.0, 99.0])],
    );
    let r1 = result_for(
        Some((&a, ids[1])),
        &[("matmul/64", vec![120.0, 121.0, 119.0])],
    );
    notes::write(&a, &r0).unwrap();
    notes::write(&a, &r1).unwrap();
    let s = notes::push(&a, "origin").unwrap();
    assert_eq!(s.pushed, 2);

    // A second clone gets them with pull, and the store resolves them by commit.
    let b_dir = tmp.path().join("b");
    let b = git2::Repository::clone(bare.to_str().unwrap(), &b_dir).unwrap();
    assert!(notes::read(&b, ids[0]).unwrap().is_none());
    let s = notes::pull(&b, "origin").unwrap();
    assert_eq!(s.fetched, 2);
    assert_eq!(notes::read(&b, ids[1]).unwrap().unwrap(), r1);
    let store = Store::with_repo(
        &b_dir.join("baselines"),
        Some(git2::Repository::open(&b_dir).unwrap()),
    );
    let resolved = store.resolve(&ids[0].to_string()[..10]).unwrap();
    assert_eq!(resolved.result, r0);
    assert!(
        resolved
            .path
            .to_string_lossy()
            .starts_with(notes::NOTES_REF)
    );

    // Both sides add notes concurrently: pushes merge instead of overwriting.
    let r2 = result_for(Some((&b, ids[2])), &[("matmul/64", vec![90.0, 91.0])]);
    notes::write(&b, &r2).unwrap();
    notes::push(&b, "origin").unwrap();
    let mut r0_again = r0.clone();
    r0_again.created_at = "2026-11-22T00:00:00Z".into();
    notes::write(&a, &r0_again).unwrap();
    let s = notes::push(&a, "origin").unwrap();
    assert_eq!(s.fetched, 1, "{s:?}");
    // Both hold a note for ids[0] and they differ: the local (newer) one is kept.
    assert_eq!(s.conflicts, 1, "{s:?}");
    assert_eq!(s.pushed, 3);
    let s = notes::pull(&b, "origin").unwrap();
    assert_eq!(notes::list(&b).unwrap().len(), 3, "{s:?}");
    assert_eq!(notes::read(&b, ids[0]).unwrap().unwrap(), r0_again);
}

#[test]
fn a_damaged_note_is_a_clear_error_and_dirty_results_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, ids) = repo_with_commits(tmp.path(), 1);
    let sig = git2::Signature::now("t", "t@t").unwrap();
    repo.note(
        &sig,
        &sig,
        Some(notes::NOTES_REF),
        ids[0],
        "{not json",
        true,
    )
    .unwrap();
    let err = notes::read(&repo, ids[0]).unwrap_err().to_string();
    assert!(
        err.contains("refs/notes/smprof") && err.contains("invalid JSON"),
        "{err}"
    );

    let mut dirty = result_for(Some((&repo, ids[0])), &[("gelu/1k", vec![5.0])]);
    dirty.commit.as_mut().unwrap().dirty = true;
    assert!(
        notes::write(&repo, &dirty)
            .unwrap_err()
            .to_string()
            .contains("dirty")
    );
}

#[test]
fn pulling_from_a_remote_without_notes_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, _) = repo_with_commits(&tmp.path().join("a"), 1);
    let bare = tmp.path().join("r.git");
    git2::Repository::init_bare(&bare).unwrap();
    let s = notes::pull(&repo, bare.to_str().unwrap()).unwrap();
    assert_eq!(s, notes::SyncSummary::default());
    assert!(notes::list(&repo).unwrap().is_empty());
}
