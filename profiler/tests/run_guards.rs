//! What `smprof run` refuses before it measures anything: a results directory
//! locked by another run (naming its pid), one it cannot write, a binary not built
//! from the sources it would save the result under, and a partial run that would
//! replace a wider result. Each refusal is exit 2 and comes before "measuring".

use crate::source_tree;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use smprof::result::load;
use std::path::Path;

fn smprof(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("smprof").unwrap();
    c.current_dir(dir)
        .env_remove("SMPROF_BASELINES")
        .env_remove("SMALLMIND_SIMD")
        .env("NO_COLOR", "1");
    c
}

/// A tiny run: one workload, one process, one sample.
fn run_args(filter: &str) -> Vec<String> {
    ["run", "--suite", "code", "--filter", filter]
        .iter()
        .map(|s| s.to_string())
        .chain(["--samples", "1", "--processes", "1"].map(String::from))
        .collect()
}

#[test]
fn a_second_run_on_one_results_directory_fails_at_once_naming_the_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let store = smprof::store::Store::with_repo(&tmp.path().join("baselines"), None);
    let _held = store.lock().unwrap();
    smprof(tmp.path())
        .args(run_args("gelu/1k"))
        .assert()
        .code(2)
        .stderr(
            contains(format!("(pid {})", std::process::id()))
                .and(contains("baselines/.lock"))
                .and(contains("measuring").not()),
        );
    // --no-save writes nothing there and needs no lock.
    smprof(tmp.path())
        .args(run_args("gelu/1k"))
        .arg("--no-save")
        .assert()
        .success();
}

#[test]
fn an_unwritable_results_directory_is_refused_before_measuring() {
    let tmp = tempfile::tempdir().unwrap();
    let baselines = tmp.path().join("baselines");
    std::fs::create_dir(&baselines).unwrap();
    // Permissions do not stop root: a read-only mount does.
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"])
        .arg(&baselines)
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&baselines, std::fs::Permissions::from_mode(0o555)).unwrap();
        if tempfile::tempfile_in(&baselines).is_ok() {
            eprintln!("skipped: cannot make a read-only directory here (root without mount)");
            return;
        }
    }
    let out = smprof(tmp.path()).args(run_args("gelu/1k")).assert();
    if mounted {
        let _ = std::process::Command::new("umount")
            .arg(&baselines)
            .status();
    }
    out.code(2).stderr(
        contains("baselines")
            .and(contains("not writable"))
            .and(contains("measuring").not()),
    );
    // The same for --out.
    smprof(tmp.path())
        .args(run_args("gelu/1k"))
        .args(["--no-save", "--out", "/proc/smprof-result.json"])
        .assert()
        .code(2)
        .stderr(contains("--out").and(contains("measuring").not()));
}

#[test]
fn a_binary_not_built_from_head_refuses_unless_allowed_and_then_saves_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let repo = git2::Repository::init(dir).unwrap();
    source_tree::copy_sources(dir);
    let built = source_tree::commit_all(&repo, "the sources smprof was built from");
    smprof(dir).args(run_args("gelu/1k")).assert().success();
    let r = load(&dir.join(format!("baselines/{built}.json"))).unwrap();
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    let manifest = smprof::git::source::Manifest::of_tree(&repo, &tree).unwrap();
    assert_eq!(r.tool.source_hash, Some(manifest.hash()));
    assert!(!r.commit.as_ref().unwrap().stale);

    // A fix is committed but smprof is not rebuilt.
    let lib = dir.join("engine/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("{text}\n// a fix\n")).unwrap();
    let fix = source_tree::commit_all(&repo, "a fix");
    smprof(dir)
        .args(run_args("gelu/1k"))
        .assert()
        .code(2)
        .stderr(
            contains("not built from the sources of")
                .and(contains("engine/src/lib.rs  (changed since the build)"))
                .and(contains("cargo run --release -p smprof -- run"))
                .and(contains("--allow-stale"))
                .and(contains("measuring").not()),
        );
    assert!(!dir.join(format!("baselines/{fix}.json")).exists());

    smprof(dir)
        .args(run_args("gelu/1k"))
        .arg("--allow-stale")
        .assert()
        .success()
        .stderr(contains("warning: --allow-stale: saved as").and(contains("-stale")));
    assert!(!dir.join(format!("baselines/{fix}.json")).exists());
    let stale = load(&dir.join(format!("baselines/{fix}-stale.json"))).unwrap();
    let c = stale.commit.unwrap();
    assert!(c.stale && !c.dirty && c.sha == fix);
    // The figures are of the build's sources, whatever the commit says.
    assert_eq!(stale.tool.source_hash, Some(manifest.hash()));

    // Uncommitted changes: compared with the work tree, saved as dirty and stale.
    std::fs::write(&lib, format!("{text}\n// another fix\n")).unwrap();
    smprof(dir)
        .args(run_args("gelu/1k"))
        .assert()
        .code(2)
        .stderr(contains("the work tree (uncommitted changes"));
    smprof(dir)
        .args(run_args("gelu/1k"))
        .arg("--allow-stale")
        .assert()
        .success();
    assert!(
        dir.join(format!("baselines/{fix}-dirty-stale.json"))
            .is_file()
    );
}

#[test]
fn a_partial_run_does_not_replace_a_wider_result_unless_told() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let repo = git2::Repository::init(dir).unwrap();
    source_tree::copy_sources(dir);
    let sha = source_tree::commit_all(&repo, "c");
    let key = dir.join(format!("baselines/{sha}.json"));
    smprof(dir)
        .args(run_args("gelu/1k,softmax/256"))
        .assert()
        .success();
    let wide = load(&key).unwrap();
    assert_eq!(wide.workloads.len(), 2);

    smprof(dir)
        .args(run_args("gelu/1k"))
        .assert()
        .code(2)
        .stderr(
            contains("holds a result of 2 workloads, time")
                .and(contains("without softmax/256"))
                .and(contains("--replace"))
                .and(contains("measuring").not()),
        );
    assert_eq!(load(&key).unwrap(), wide);

    smprof(dir)
        .args(run_args("gelu/1k"))
        .arg("--replace")
        .assert()
        .success();
    assert_eq!(load(&key).unwrap().workloads.len(), 1);
    let prev = dir.join(format!("baselines/{sha}.prev.json"));
    assert_eq!(load(&prev).unwrap(), wide);
}
