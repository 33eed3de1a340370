//! The terminal output of `compare`: what changed and a count of the rest
//! (`--all` for every metric), within 100 columns; and an undecided paired
//! verdict rendered as such in every output.

use assert_cmd::Command;
use smprof::compare::model::{Basis, Comparison, VerdictKind};
use smprof::compare::side_of;
use smprof::compare_workflow::compare_results;
use smprof::config::Config;
use smprof::report::terminal::{Options, render_with};
use smprof::report::text::display_width;
use smprof::report::{self, templates::Templates, view::View};
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn comparison(base: &str, cur: &str) -> Comparison {
    let (b, c) = (
        smprof::result::load(&data(base)).unwrap(),
        smprof::result::load(&data(cur)).unwrap(),
    );
    compare_results(
        side_of(base, &b),
        side_of(cur, &c),
        &b,
        &c,
        &Config::default(),
        None,
        "2026-11-21T12:00:00Z".into(),
    )
}

fn widest(text: &str) -> usize {
    text.lines().map(display_width).max().unwrap_or(0)
}

#[test]
fn by_default_only_what_changed_within_100_columns() {
    for (b, c) in [
        ("baseline.json", "current.json"),
        ("scalar_avx512.json", "scalar_scalar.json"),
        ("seeded_base.json", "seeded_gelu_alloc.json"),
        ("seeded_base.json", "seeded_matmul_slow.json"),
    ] {
        let cmp = comparison(b, c);
        let text = render_with(&cmp, Options::default());
        assert!(widest(&text) <= 100, "{b} → {c}:\n{text}");
        // A line per changed metric and per workload that has one, a few
        // around them: stable and derived ones are counted, not listed.
        let changed: Vec<_> = cmp
            .verdicts
            .iter()
            .filter(|v| v.verdict != VerdictKind::Stable && v.is_independent())
            .collect();
        let mut workloads: Vec<&str> = changed.iter().map(|v| v.workload.as_str()).collect();
        workloads.dedup();
        assert!(
            text.lines().count() <= changed.len() + workloads.len() + 30,
            "{} lines for {} changed metrics:\n{text}",
            text.lines().count(),
            changed.len()
        );
        assert!(text.contains("metrics not shown"), "{text}");
    }
}

#[test]
fn all_lists_every_metric_once_per_workload() {
    let cmp = comparison("baseline.json", "current.json");
    let all = render_with(
        &cmp,
        Options {
            color: false,
            all: true,
        },
    );
    let short = report::terminal::render(&cmp, false);
    assert!(all.lines().count() > short.lines().count());
    assert!(!all.contains("metrics not shown"));
    // Each workload heads its metrics once.
    for w in ["matmul/128", "model/small", "gelu/1m"] {
        assert_eq!(all.lines().filter(|l| *l == w).count(), 1, "{w} in:\n{all}");
    }
    assert!(
        all.contains("  GFLOP/s"),
        "derived metrics shown with --all"
    );
    assert!(
        !short.contains("  GFLOP/s"),
        "derived metrics fold into time"
    );
    assert!(widest(&all) <= 100, "{} columns:\n{all}", widest(&all));
}

#[test]
fn the_cli_takes_all_and_colours_only_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let out = Command::cargo_bin("smprof")
            .unwrap()
            .current_dir(dir.path())
            .args([
                "--baselines-dir",
                "baselines",
                "compare",
                "--no-confirm",
                "--no-reports",
            ])
            .arg("--baseline")
            .arg(data("baseline.json"))
            .arg("--current")
            .arg(data("current.json"))
            .args(extra)
            .env_remove("NO_COLOR")
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let (short, all) = (run(&[]), run(&["--all"]));
    assert!(all.lines().count() > short.lines().count());
    assert!(!short.contains('\u{1b}'), "not a terminal: no colour");
}

/// The mixed comparison with gelu/1m's time undecided after a paired measurement.
fn undecided() -> Comparison {
    let mut cmp = comparison("baseline.json", "current.json");
    for v in cmp.verdicts.iter_mut().filter(|v| v.workload == "gelu/1m") {
        v.verdict = VerdictKind::Inconclusive;
        v.severity = None;
        v.basis = Basis::Paired;
    }
    cmp
}

#[test]
fn an_undecided_verdict_renders_everywhere() {
    let cmp = undecided();
    let term = report::terminal::render(&cmp, false);
    assert!(term.contains("INCONCLUSIVE"), "{term}");
    let view = View::new(&cmp);
    let t = Templates::load(None).unwrap();
    let pr = t.render("PR_COMMENT.md", &view).unwrap();
    assert!(
        pr.contains("UNDECIDED") && pr.contains("undecided after 5 rounds"),
        "{pr}"
    );
    let chart = t.render("COMPARISON_CHART.md", &view).unwrap();
    assert!(chart.contains("undecided after 5 rounds"), "{chart}");
    for name in ["METRICS_SUMMARY.md", "SUMMARY.txt"] {
        assert!(
            t.render(name, &view).unwrap().contains("INCONCLUSIVE"),
            "{name}"
        );
    }
    // Paired and pooled tests in one comparison: both named.
    let footer = pr.lines().last().unwrap();
    assert!(
        footer.contains("Wilcoxon signed-rank") && footer.contains("Mann-Whitney U"),
        "{footer}"
    );
    let html = report::html::comparison_page(&cmp, None, None).unwrap();
    assert!(html.contains("INCONCLUSIVE"));
}

#[test]
fn a_paired_comparison_names_the_wilcoxon_test_only() {
    let mut cmp = comparison("baseline.json", "current.json");
    for v in &mut cmp.verdicts {
        if v.basis == Basis::Stored {
            v.basis = Basis::Paired;
        }
    }
    let view = View::new(&cmp);
    let t = Templates::load(None).unwrap();
    for name in [
        "PR_COMMENT.md",
        "INDEX.md",
        "SUMMARY.txt",
        "COMPARISON_CHART.md",
    ] {
        let text = t.render(name, &view).unwrap();
        assert!(!text.contains("Mann-Whitney"), "{name}:\n{text}");
        assert!(text.contains("Wilcoxon signed-rank"), "{name}");
    }
}
