//! `smprof history` and `smprof baseline push|pull` from the command line, in a
//! throwaway repository with stored results.

use crate::history_support;

use assert_cmd::Command;
use history_support::{repo_with_commits, result_for};
use predicates::prelude::PredicateBooleanExt;
use smprof::store::Store;

/// 20 commits with results; matmul/64 slows down by 40 % at commit 10. Commit 15
/// has no result; commit 17's result is shared as a git note only.
fn measured_repo(dir: &std::path::Path) -> (git2::Repository, Vec<git2::Oid>) {
    let (repo, ids) = repo_with_commits(dir, 20);
    let store = Store::with_repo(&dir.join("baselines"), None);
    for (i, id) in ids.iter().enumerate() {
        if i == 15 {
            continue;
        }
        let wiggle = [1.0, 1.01, 0.99, 1.005, 0.995][i % 5];
        let level = if i >= 10 { 140.0 } else { 100.0 };
        let r = result_for(
            Some((&repo, *id)),
            &[
                ("matmul/64", vec![level * wiggle; 3]),
                ("gelu/1k", vec![20.0 * wiggle; 3]),
            ],
        );
        if i == 17 {
            smprof::git::notes::write(&repo, &r).unwrap();
        } else {
            store.save(&r, smprof::store::Replace::Always).unwrap();
        }
    }
    (repo, ids)
}

fn smprof(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("smprof").unwrap();
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SMPROF_BASELINES");
    c
}

#[test]
fn history_table_csv_json_and_html() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, ids) = measured_repo(tmp.path());
    let out = smprof(tmp.path()).args(["history"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    eprintln!("{text}");
    assert!(text.contains("19 measured commits"), "{text}");
    let c10 = &ids[10].to_string()[..7];
    assert!(
        text.contains(&format!("at {c10}")),
        "the change point names commit 10:\n{text}"
    );
    assert!(
        text.contains("▲ regression +40.0%") || text.contains("▲ regression +39"),
        "{text}"
    );
    assert!(
        text.contains('▁') && text.contains('█'),
        "sparklines:\n{text}"
    );

    let out = smprof(tmp.path())
        .args(["history", "--workload", "matmul", "--format", "csv"])
        .assert()
        .success();
    let csv = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "workload,metric,unit,environment,sha,short,time,value,change_point"
    );
    assert_eq!(lines.len(), 1 + 19);
    assert!(
        lines.iter().any(|l| l.contains(&ids[17].to_string())),
        "the note's result is included"
    );
    assert!(!lines.iter().any(|l| l.contains(&ids[15].to_string())));
    let cp_rows: Vec<&&str> = lines.iter().filter(|l| !l.ends_with(',')).skip(1).collect();
    assert_eq!(cp_rows.len(), 1, "{csv}");
    assert!(cp_rows[0].contains(&ids[10].to_string()));

    let out = smprof(tmp.path())
        .args([
            "history",
            "--format",
            "json",
            "--since",
            &ids[1].to_string(),
            "--html",
            "h.html",
        ])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["commits"].as_array().unwrap().len(), 17);
    assert_eq!(json["series"].as_array().unwrap().len(), 2);
    let html = std::fs::read_to_string(tmp.path().join("h.html")).unwrap();
    assert!(html.contains("<svg") && html.contains(c10));
}

#[test]
fn history_errors_are_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, ids) = measured_repo(tmp.path());
    smprof(tmp.path())
        .args(["history", "--since", "no-such-ref"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot resolve \"no-such-ref\""));
    // Counts are deterministic: only wall time's change points are confirmed.
    smprof(tmp.path())
        .args(["history", "--confirm", "--metric", "instructions"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--confirm measures wall time"));
    // A damaged result is reported and skipped, not fatal.
    std::fs::write(
        tmp.path()
            .join("baselines")
            .join(format!("{}.json", ids[3])),
        "{oops",
    )
    .unwrap();
    smprof(tmp.path())
        .args(["history"])
        .assert()
        .success()
        .stdout(
            predicates::str::contains("warning: skipped")
                .and(predicates::str::contains("invalid JSON")),
        );
    let outside = tempfile::tempdir().unwrap();
    smprof(outside.path())
        .args(["history"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("git repository"));
}

#[test]
fn baseline_push_and_pull_through_a_bare_remote() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let (repo, ids) = measured_repo(&a);
    let bare = tmp.path().join("shared.git");
    git2::Repository::init_bare(&bare).unwrap();
    repo.remote("origin", bare.to_str().unwrap()).unwrap();
    repo.find_remote("origin")
        .unwrap()
        .push(&["refs/heads/master:refs/heads/master"], None)
        .unwrap();
    smprof(&a)
        .args(["baseline", "push"])
        .assert()
        .success()
        .stderr(
            predicates::str::contains("18 results stored as notes")
                .and(predicates::str::contains("pushed 19 notes")),
        );

    let b = tmp.path().join("b");
    git2::Repository::clone(bare.to_str().unwrap(), &b).unwrap();
    smprof(&b)
        .args(["baseline", "pull"])
        .assert()
        .success()
        .stderr(predicates::str::contains("fetched 19 results"));
    // The clone has no baselines/ directory: history and compare read the notes.
    let out = smprof(&b)
        .args(["history", "--format", "csv", "--workload", "gelu"])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout)
            .lines()
            .count(),
        20
    );
    smprof(&b)
        .args([
            "compare",
            "--no-confirm",
            "--baseline",
            &ids[9].to_string(),
            "--current",
            &ids[10].to_string(),
            "--no-reports",
            "--format",
            "json",
        ])
        .assert()
        .success();
    smprof(&b)
        .args(["baseline", "pull", "nowhere"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("nowhere"));
}
