//! History never mixes environments: results of another fingerprint are a
//! series of their own, and where the environment changes is listed as an
//! environment change, not as a shift of the code.

use crate::history_support;

use history_support::{repo_with_commits, result_for};
use smprof::history::{History, Options, collect};
use smprof::store::Store;

/// 24 commits of matmul/128 and matmul/1024 at 100 ns; `other(i)` says which commits ran in a
/// scalar-tier environment instead, at `level` ns.
fn history(dir: &std::path::Path, other: &dyn Fn(usize) -> bool, level: f64) -> History {
    let (repo, ids) = repo_with_commits(dir, 24);
    let store = Store::with_repo(
        &dir.join("baselines"),
        Some(git2::Repository::open(dir).unwrap()),
    );
    for (i, id) in ids.iter().enumerate() {
        let wiggle = [0.99, 1.01, 1.0, 0.995, 1.005][i % 5];
        let scalar = other(i);
        let t = if scalar { level } else { 100.0 } * wiggle;
        let mut r = result_for(
            Some((&repo, *id)),
            &[("matmul/1024", vec![t; 3]), ("matmul/128", vec![t; 3])],
        );
        if scalar {
            r.env.simd_tier = "avx2".into();
            r.env.fingerprint = "fp-avx2".into();
        }
        store.save(&r, smprof::store::Replace::Always).unwrap();
    }
    collect(&store, &Options::default()).unwrap()
}

#[test]
fn a_run_in_another_environment_is_its_own_series_not_a_spike() {
    let tmp = tempfile::tempdir().unwrap();
    let h = history(tmp.path(), &|i| i == 15, 1000.0);
    assert_eq!(h.environments.len(), 2);
    let main: Vec<_> = h.series.iter().filter(|s| s.env == 0).collect();
    let other: Vec<_> = h.series.iter().filter(|s| s.env == 1).collect();
    assert_eq!(main.len(), 2);
    assert_eq!(other.len(), 2);
    assert!(
        main.iter()
            .all(|s| s.points.len() == 23 && s.change_points.is_empty())
    );
    assert!(other.iter().all(|s| s.points.len() == 1));
    // Into the other environment and back.
    assert_eq!(h.env_changes.len(), 2);
    assert_eq!(h.env_changes[0].fields, vec!["simd_tier".to_string()]);
    assert_eq!(
        h.commits[h.env_changes[0].commit].commit.subject,
        "commit 15"
    );
    let table = smprof::report::history::table(&h, false);
    assert!(table.contains("Environment changes"), "{table}");
    assert!(table.contains("environment change at"), "{table}");
    assert!(!table.contains("▲ regression"), "{table}");
    // Series in catalogue order (stored by name, 1024 would sort before 128).
    let names: Vec<&str> = main.iter().map(|s| s.workload.as_str()).collect();
    assert_eq!(names, ["matmul/128", "matmul/1024"]);
}

#[test]
fn a_change_of_machine_is_an_environment_change_not_a_regression() {
    let tmp = tempfile::tempdir().unwrap();
    let h = history(tmp.path(), &|i| i >= 12, 130.0);
    assert_eq!(h.env_changes.len(), 1);
    assert_eq!(
        h.commits[h.env_changes[0].commit].commit.subject,
        "commit 12"
    );
    assert!(
        h.series.iter().all(|s| s.change_points.is_empty()),
        "{:?}",
        h.series
    );
    let page = smprof::report::html::history_page(&h).unwrap();
    assert!(page.contains("Environment changes"));
    assert!(
        page.contains(">\nenvironment\n</text>"),
        "the change is marked on the chart"
    );
    // One chart per workload, a line per environment with a legend.
    assert_eq!(page.matches("<figure class=\"chart\"").count(), 2);
    assert!(
        page.contains(">\navx2\n</text>"),
        "legend names the environment"
    );
    let csv = smprof::report::history::csv(&h);
    assert!(csv.lines().any(|l| l.contains(",fp-avx2,")));
}
