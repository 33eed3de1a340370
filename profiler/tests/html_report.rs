//! The HTML report: self-contained, under 1 MB for a full comparison, and it loads
//! in headless Chromium without console errors (skipped with a message when
//! chromium is not installed).

mod history_support;

use history_support::{repo_with_commits, result_for};
use smprof::compare::model::*;
use smprof::result::{Better, Env};
use smprof::store::Store;

fn env() -> Env {
    result_for(None, &[]).env
}

/// A comparison the size of the full catalogue: 48 workloads × 4 metrics.
fn full_comparison() -> Comparison {
    let side = |label: &str| Side {
        reference: label.into(),
        label: label.into(),
        commit: None,
        env: env(),
        created_at: "2026-11-21T20:00:00Z".into(),
    };
    let mut verdicts = Vec::new();
    for g in ["matmul", "gelu", "softmax", "layernorm", "model", "train"] {
        for size in 0..8 {
            for (m, unit) in [
                ("time_ns", "ns"),
                ("gflops", "GFLOP/s"),
                ("alloc_bytes", "B"),
                ("instructions", ""),
            ] {
                let k = (size * 7 + g.len()) % 5;
                let change = [0.31, -0.12, 0.004, -0.45, 0.07][k];
                let verdict = [
                    VerdictKind::Regression,
                    VerdictKind::Improvement,
                    VerdictKind::Stable,
                    VerdictKind::Improvement,
                    VerdictKind::Unstable,
                ][k];
                verdicts.push(Verdict {
                    workload: format!("{g}/<{size}&{}>", 64 << size),
                    group: g.into(),
                    metric: m.into(),
                    unit: unit.into(),
                    better: Better::Lower,
                    baseline: 1000.0 * (size + 1) as f64,
                    current: 1000.0 * (size + 1) as f64 * (1.0 + change),
                    change,
                    ci95: (m == "time_ns").then_some([change - 0.02, change + 0.03]),
                    p_value: Some(0.001),
                    q_value: Some(0.004),
                    verdict,
                    severity: match verdict {
                        VerdictKind::Regression => Some(Severity::Regression),
                        VerdictKind::Improvement => Some(Severity::Good),
                        _ => None,
                    },
                    threshold: 0.05,
                    threshold_source: ThresholdSource::Default,
                    modes: None,
                    waiver: None,
                    borderline: false,
                });
            }
        }
    }
    Comparison {
        schema_version: COMPARISON_SCHEMA_VERSION,
        created_at: "2026-11-21T21:00:00Z".into(),
        baseline: side("abc1234"),
        current: side("def5678"),
        env_differences: vec![],
        settings: DecisionSettings {
            alpha: 0.01,
            threshold: 0.05,
            count_tolerance: 0.0,
            bytes_tolerance: 0.01,
            instructions_tolerance: 0.01,
        },
        verdicts,
        added: vec!["matmul/new".into()],
        removed: vec![],
        root_causes: vec![RootCause {
            title: "primary issue: matmul <script>".into(),
            kind: "op".into(),
            workloads: vec![],
            evidence: vec!["+31 %".into()],
        }],
        actions: vec![Action {
            priority: Priority::P0,
            text: "bisect matmul".into(),
            command: Some("smprof bisect --workload matmul/64 --good abc --bad def".into()),
            files: vec![],
        }],
        success_stories: vec![],
        summary: ComparisonSummary {
            regressions: 10,
            improvements: 20,
            stable: 10,
            unstable: 8,
            critical: 0,
            headline: "10 regressions".into(),
        },
    }
}

#[test]
fn a_full_comparison_page_is_self_contained_and_under_one_megabyte() {
    let page = smprof::report::html::comparison_page(&full_comparison(), None, None).unwrap();
    assert!(page.len() < 1_000_000, "{} bytes", page.len());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        page.matches("<svg").count(),
        24,
        "one chart per group and metric"
    );
    // Nothing fetched from anywhere, and user text is escaped.
    assert!(!page.contains("http://") || page.matches("http://").all(|_| page.contains("xmlns")));
    assert!(!page.contains("https://"));
    assert!(
        !page.contains("<script"),
        "workload names and root causes must be escaped"
    );
    assert!(page.contains("&lt;script&gt;"));
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
        store.save(&r).unwrap();
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
