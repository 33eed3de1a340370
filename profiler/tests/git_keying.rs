//! Results are keyed by git commit: clean commits by sha, dirty trees apart,
//! reruns keep the previous file, and outside git a timestamp key with a warning.
//! Each run is a tiny subset (`gelu/1k`, one process, two samples) to stay fast.

use crate::source_tree;

use assert_cmd::Command;
use smprof::result::load;
use std::path::Path;

fn smprof_run(dir: &Path) -> assert_cmd::assert::Assert {
    Command::cargo_bin("smprof")
        .unwrap()
        .current_dir(dir)
        .env_remove("SMPROF_BASELINES")
        .env_remove("SMALLMIND_SIMD")
        .args([
            "run",
            "--suite",
            "code",
            "--filter",
            "gelu/1k",
            "--samples",
            "2",
            "--processes",
            "1",
        ])
        .assert()
}

fn commit_all(repo: &git2::Repository, message: &str) -> String {
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

#[test]
fn results_are_keyed_by_commit_dirty_apart_and_reruns_keep_the_previous() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let repo = git2::Repository::init(dir).unwrap();
    // The binary's own sources: `run` refuses to save figures of other code.
    source_tree::copy_sources(dir);
    std::fs::write(dir.join("a.txt"), "one\n").unwrap();
    let sha = commit_all(&repo, "first commit");

    smprof_run(dir).success();
    let clean = dir.join("baselines").join(format!("{sha}.json"));
    let r = load(&clean).unwrap();
    let c = r.commit.as_ref().unwrap();
    assert_eq!(
        (c.sha.as_str(), c.dirty, c.subject.as_str()),
        (sha.as_str(), false, "first commit")
    );
    let t = &r.workloads[0].metrics["time_ns"];
    assert_eq!(r.workloads[0].name, "gelu/1k");
    assert_eq!(t.samples.as_ref().unwrap().len(), 2);
    assert_eq!(t.process.as_deref(), Some(&[0u32, 0][..]));
    assert!(r.workloads[0].metrics.contains_key("alloc_bytes"));
    assert_eq!(r.settings.mode, "custom");

    // A rerun replaces the file and keeps the previous one beside it.
    smprof_run(dir).success();
    let prev = dir.join("baselines").join(format!("{sha}.prev.json"));
    assert_eq!(load(&prev).unwrap(), r);
    assert_ne!(load(&clean).unwrap(), r);

    // Uncommitted changes to a tracked file: saved apart, marked dirty.
    std::fs::write(dir.join("a.txt"), "two\n").unwrap();
    smprof_run(dir)
        .success()
        .stderr(predicates::str::contains("uncommitted changes"));
    let dirty = load(&dir.join("baselines").join(format!("{sha}-dirty.json"))).unwrap();
    assert!(dirty.commit.unwrap().dirty);
    assert_eq!(
        load(&prev).unwrap(),
        r,
        "the clean result's backup is untouched"
    );
}

#[test]
fn outside_git_the_key_is_the_time_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    smprof_run(tmp.path())
        .success()
        .stderr(predicates::str::contains("not in a git repository"));
    let files: Vec<_> = std::fs::read_dir(tmp.path().join("baselines"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let r = load(&files[0]).unwrap();
    assert!(r.commit.is_none());
    assert_eq!(
        files[0].file_name().unwrap().to_str().unwrap(),
        format!("{}.json", r.created_at.replace(':', ""))
    );
}
