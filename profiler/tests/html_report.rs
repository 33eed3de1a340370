//! The HTML report: self-contained, under 1 MB for a full comparison, and it loads
//! in headless Chromium without console errors (skipped with a message when
//! chromium is not installed).

mod history_support;

use history_support::{instructions_metric, repo_with_commits, result_for};
use smprof::compare::model::Comparison;
use smprof::store::Store;

/// A comparison the size of the full catalogue: 48 workloads × 3 metrics, made by
/// `compare` itself from synthetic results.
fn full_comparison() -> Comparison {
    let changes = [0.31, -0.12, 0.004, -0.45, 0.07];
    let mut names = Vec::new();
    for g in ["matmul", "gelu", "softmax", "layernorm", "model", "train"] {
        for size in 0..8 {
            names.push(format!("{g}/<{size}&{}>", 64 << size));
        }
    }
    let side = |factor: &dyn Fn(usize) -> f64| {
        let workloads: Vec<(&str, Vec<f64>)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let base = 1000.0 * (i % 8 + 1) as f64 * factor(i);
                (
                    n.as_str(),
                    (0..12)
                        .map(|k| base * (1.0 + 0.003 * ((k * 7 % 5) as f64 - 2.0)))
                        .collect(),
                )
            })
            .collect();
        let mut r = result_for(None, &workloads);
        for (i, w) in r.workloads.iter_mut().enumerate() {
            let f = factor(i);
            w.metrics.insert(
                "instructions".into(),
                instructions_metric(1e6 * (i + 1) as f64 * f),
            );
            let mut bytes = instructions_metric(4096.0 * f.round().max(1.0));
            bytes.unit = "B".into();
            w.metrics.insert("alloc_bytes".into(), bytes);
        }
        r
    };
    let base = side(&|_| 1.0);
    let cur = side(&|i| 1.0 + changes[i % 5]);
    let to_side = |label: &str, r: &smprof::result::RunResult| {
        let mut s = smprof::compare::side_of(label, r);
        s.label = label.into();
        s
    };
    smprof::compare::compare_results(
        to_side("abc1234", &base),
        to_side("def5678", &cur),
        &base,
        &cur,
        &Default::default(),
        None,
        "2026-11-21T21:00:00Z".into(),
    )
}

#[test]
fn a_full_comparison_page_is_self_contained_and_under_one_megabyte() {
    let cmp = full_comparison();
    assert!(cmp.verdicts.len() >= 144, "{}", cmp.verdicts.len());
    assert!(cmp.summary.regressions > 0 && cmp.summary.improvements > 0);
    let page = smprof::report::html::comparison_page(&cmp, None, None).unwrap();
    assert!(page.len() < 1_000_000, "{} bytes", page.len());
    assert!(page.starts_with("<!DOCTYPE html>"));
    let charts: std::collections::BTreeSet<(&str, &str)> = cmp
        .verdicts
        .iter()
        .map(|v| (v.group.as_str(), v.metric.as_str()))
        .collect();
    assert_eq!(
        page.matches("<svg").count(),
        charts.len(),
        "one chart per group and metric"
    );
    assert!(cmp_has_all_verdicts(&page));
    // Nothing fetched from anywhere, and user text is escaped.
    assert!(!page.contains("http://") || page.matches("http://").all(|_| page.contains("xmlns")));
    assert!(!page.contains("https://"));
    assert!(!page.contains("<script"));
    assert!(
        !page.contains("matmul/<0&"),
        "workload names must be escaped"
    );
    assert!(page.contains("matmul/&lt;0&amp;64&gt;"));
    eprintln!("full comparison page: {} bytes", page.len());
}

fn history_fixture(dir: &std::path::Path) -> smprof::history::History {
    let (repo, ids) = repo_with_commits(dir, 24);
    let store = Store::with_repo(
        &dir.join("baselines"),
        Some(git2::Repository::open(dir).unwrap()),
    );
    for (i, id) in ids.iter().enumerate() {
        let level = if i >= 12 { 130.0 } else { 100.0 };
        let wiggle = [0.99, 1.01, 1.0, 0.995, 1.005][i % 5];
        let r = result_for(
            Some((&repo, *id)),
            &[
                ("matmul/64", vec![level * wiggle; 3]),
                ("gelu/1k", vec![50.0 * wiggle; 3]),
            ],
        );
        store.save(&r, smprof::store::Replace::Always).unwrap();
    }
    smprof::history::collect(&store, &smprof::history::Options::default()).unwrap()
}

#[test]
fn history_page_marks_the_change_point() {
    let tmp = tempfile::tempdir().unwrap();
    let h = history_fixture(tmp.path());
    let page = smprof::report::html::history_page(&h).unwrap();
    assert_eq!(page.matches("<svg").count(), 2);
    let cp = &h
        .series
        .iter()
        .find(|s| s.workload == "matmul/64")
        .unwrap()
        .change_points;
    assert_eq!(cp.len(), 1, "{cp:?}");
    assert_eq!(h.commits[cp[0].commit].commit.subject, "commit 12");
    assert!((cp[0].change - 0.30).abs() < 0.01, "{cp:?}");
    let shown = format!("{:+.1}%", cp[0].change * 100.0);
    assert!(
        page.contains(&cp[0].short) && page.contains(&shown),
        "change point named in the page"
    );
}

#[test]
fn pages_load_in_headless_chromium_without_console_errors() {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/html-screenshot.sh");
    if std::process::Command::new("sh")
        .args(["-c", "command -v chromium"])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        eprintln!(
            "chromium is not installed (apt-get install -y chromium): skipping the browser check"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let compare = tmp.path().join("compare.html");
    std::fs::write(
        &compare,
        smprof::report::html::comparison_page(&full_comparison(), None, None).unwrap(),
    )
    .unwrap();
    // The full comparison only: each page costs two browser launches (~3 s each).
    {
        let page = &compare;
        let out = std::process::Command::new("bash")
            .arg(&script)
            .arg(page)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}{}",
            page.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(page.with_extension("png").metadata().unwrap().len() > 10_000);
    }
}

#[test]
#[ignore = "writes pages to $SMPROF_HTML_OUT for looking at them"]
fn write_pages_for_inspection() {
    let out = std::path::PathBuf::from(std::env::var("SMPROF_HTML_OUT").unwrap());
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("compare.html"),
        smprof::report::html::comparison_page(&full_comparison(), None, None).unwrap(),
    )
    .unwrap();
    let h = history_fixture(&out.join("repo"));
    std::fs::write(
        out.join("history.html"),
        smprof::report::html::history_page(&h).unwrap(),
    )
    .unwrap();
}

fn cmp_has_all_verdicts(page: &str) -> bool {
    page.matches("<tr class=").count() >= 144
}
