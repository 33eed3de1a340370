//! The HTML reports: self-contained, at most 400 KB for a full comparison, a
//! chart only where a figure moved, in catalogue order, no emoji, the units of
//! the markdown reports, and they load in headless Chromium without console
//! errors (skipped with a message when chromium is not installed).

use crate::history_support;

use history_support::{instructions_metric, repo_with_commits, result_for};
use smprof::compare::model::{Comparison, VerdictKind};
use smprof::store::Store;

/// A comparison the size of a large catalogue: 48 workloads × 3 metrics, made
/// by `compare` itself from synthetic results, with hostile workload names.
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
    smprof::compare_workflow::compare_results(
        to_side("abc1234", &base),
        to_side("def5678", &cur),
        &base,
        &cur,
        &Default::default(),
        None,
        "2026-11-21T21:00:00Z".into(),
    )
}

/// Emoji and the symbols that need an emoji font (⚠, ➡, 🔴, 🟢, …).
fn emoji(page: &str) -> Vec<char> {
    page.chars()
        .filter(|&c| matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F))
        .collect()
}

#[test]
fn a_full_comparison_page_is_self_contained_small_and_charts_only_what_moved() {
    let cmp = full_comparison();
    assert!(cmp.verdicts.len() >= 144, "{}", cmp.verdicts.len());
    assert!(cmp.summary.regressions > 0 && cmp.summary.improvements > 0);
    let page = smprof::report::html::comparison_page(&cmp, None, None).unwrap();
    assert!(page.len() <= 400_000, "{} bytes", page.len());
    assert!(page.starts_with("<!DOCTYPE html>"));
    // One chart per family and metric with a verdict other than stable.
    let moved: std::collections::BTreeSet<(&str, &str)> = cmp
        .verdicts
        .iter()
        .filter(|v| v.verdict != VerdictKind::Stable)
        .map(|v| (v.group.as_str(), v.metric.as_str()))
        .collect();
    let all: std::collections::BTreeSet<(&str, &str)> = cmp
        .verdicts
        .iter()
        .map(|v| (v.group.as_str(), v.metric.as_str()))
        .collect();
    assert!(
        moved.len() < all.len(),
        "the fixture has families that did not move"
    );
    assert_eq!(
        page.matches("<figure class=\"chart\"").count(),
        moved.len(),
        "a chart only where a figure moved"
    );
    // Every verdict is in the table.
    assert!(page.matches("<tr class=").count() >= 144);
    // Nothing fetched from anywhere, no script, and user text is escaped.
    assert!(!page.contains("https://"));
    assert!(!page.contains("<script"));
    assert!(
        !page.contains("matmul/<0&"),
        "workload names must be escaped"
    );
    assert!(page.contains("matmul/&lt;0&amp;64&gt;"));
    // No emoji: verdicts are words with SVG marks.
    assert_eq!(emoji(&page), Vec::<char>::new());
    assert!(page.contains("<svg class=\"mark regression\""));
    // q in scientific notation, never rounded to zero; units as in the markdown.
    assert!(!page.contains(">0.0000<"));
    assert!(page.contains("e-"), "q values in scientific notation");
    assert!(page.contains("4.00 KiB"), "bytes in binary units");
    assert!(!page.contains(" k B"));
    eprintln!("full comparison page: {} bytes", page.len());
}

#[test]
fn charts_follow_the_catalogue_order() {
    // Stored by name, matmul/1024 sorts before matmul/128; the catalogue has 128 first.
    let mk = |f: f64| {
        result_for(
            None,
            &[
                ("matmul/1024", vec![1000.0 * f; 12]),
                ("matmul/128", vec![100.0 * f; 12]),
                ("gelu/1k", vec![10.0; 12]),
            ],
        )
    };
    let (b, c) = (mk(1.0), mk(1.5));
    let mut cmp = smprof::compare_workflow::compare_results(
        smprof::compare::side_of("b", &b),
        smprof::compare::side_of("c", &c),
        &b,
        &c,
        &Default::default(),
        None,
        "2026-11-21T21:00:00Z".into(),
    );
    // Whatever the order of the verdicts.
    cmp.verdicts.reverse();
    let page = smprof::report::html::comparison_page(&cmp, None, None).unwrap();
    let chart = &page[page.find("<figure class=\"chart\"").unwrap()..];
    // Top to bottom on the page: the label's y coordinate in the SVG.
    let y_of = |label: &str| -> f64 {
        let end = chart.find(&format!(">\n{label}\n</text>")).unwrap();
        let start = chart[..end].rfind("<text").unwrap();
        let tag = &chart[start..end];
        let y = &tag[tag.find(" y=\"").unwrap() + 4..];
        y[..y.find('"').unwrap()].parse().unwrap()
    };
    assert!(
        y_of("matmul/128") < y_of("matmul/1024"),
        "matmul/128 above matmul/1024"
    );
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
    assert_eq!(page.matches("<figure class=\"chart\"").count(), 2);
    let cp = &h
        .series
        .iter()
        .find(|s| s.workload == "matmul/64")
        .unwrap()
        .change_points;
    assert_eq!(cp.len(), 1, "{cp:?}");
    assert_eq!(h.commits[cp[0].commit].commit.subject, "commit 12");
    assert!((cp[0].change - 0.30).abs() < 0.01, "{cp:?}");
    let shown = smprof::report::units::relative(cp[0].change);
    assert!(
        page.contains(&cp[0].short) && page.contains(&shown),
        "change point named in the page"
    );
    assert_eq!(emoji(&page), Vec::<char>::new());
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
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg(&compare)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}{}",
        compare.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(compare.with_extension("png").metadata().unwrap().len() > 10_000);
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
