//! Golden files (insta) of every report, rendered from the checked-in results
//! of `tests/data/` (written by `data/generate/`): the mixed pair, the
//! scalar-tier pair, and the gate output and PR comment of three seeded
//! changes (a GELU allocation, an sgemm slowdown at every size, softmax slower
//! on long rows only). A change to a report shows up as a snapshot diff to review.

use smprof::compare::model::Comparison;
use smprof::compare::side_of;
use smprof::compare_workflow::compare_results;
use smprof::config::Config;
use smprof::gate::{GateOptions, decide};
use smprof::report::{self, templates::Templates, view::View};
use std::path::Path;

fn comparison(base: &str, cur: &str) -> Comparison {
    let load = |n: &str| {
        smprof::result::load(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(n),
        )
        .unwrap()
    };
    let (b, c) = (load(base), load(cur));
    let mut cmp = compare_results(
        side_of(&format!("baselines/{base}"), &b),
        side_of(&format!("baselines/{cur}"), &c),
        &b,
        &c,
        &Config::default(),
        None,
        "2026-11-21T12:00:00Z".into(),
    );
    // Source files come from the workload catalogue, which other areas edit;
    // compare_decisions.rs checks them, the golden files leave them out.
    for a in &mut cmp.actions {
        a.files.clear();
    }
    cmp
}

fn render(cmp: &Comparison, name: &str) -> String {
    Templates::load(None)
        .unwrap()
        .render(name, &View::new(cmp))
        .unwrap()
}

#[test]
fn mixed_pair_reports() {
    let cmp = comparison("baseline.json", "current.json");
    insta::assert_snapshot!("mixed_SUMMARY.txt", render(&cmp, "SUMMARY.txt"));
    insta::assert_snapshot!(
        "mixed_COMPARISON_CHART.md",
        render(&cmp, "COMPARISON_CHART.md")
    );
    insta::assert_snapshot!(
        "mixed_METRICS_SUMMARY.md",
        render(&cmp, "METRICS_SUMMARY.md")
    );
    insta::assert_snapshot!("mixed_ROOT_CAUSE.md", render(&cmp, "ROOT_CAUSE.md"));
    insta::assert_snapshot!("mixed_INDEX.md", render(&cmp, "INDEX.md"));
    insta::assert_snapshot!("mixed_PR_COMMENT.md", render(&cmp, "PR_COMMENT.md"));
    insta::assert_snapshot!("mixed_terminal.txt", report::terminal::render(&cmp, false));
    insta::assert_snapshot!(
        "mixed_comparison.json",
        report::json::to_json(&cmp).unwrap()
    );
}

#[test]
fn scalar_pair_reports() {
    let cmp = comparison("scalar_avx512.json", "scalar_scalar.json");
    let summary = render(&cmp, "SUMMARY.txt");
    // The environment difference is at the top of every output.
    assert!(summary.find("ENVIRONMENTS DIFFER").unwrap() < summary.find("OVERALL").unwrap());
    insta::assert_snapshot!("scalar_SUMMARY.txt", summary);
    insta::assert_snapshot!("scalar_ROOT_CAUSE.md", render(&cmp, "ROOT_CAUSE.md"));
    insta::assert_snapshot!("scalar_PR_COMMENT.md", render(&cmp, "PR_COMMENT.md"));
    let term = report::terminal::render(&cmp, false);
    assert!(term.starts_with("ENVIRONMENTS DIFFER"));
}

/// The gate's terminal and markdown output and the PR comment of a seeded change.
fn seeded(name: &str) {
    let cmp = comparison("seeded_base.json", &format!("seeded_{name}.json"));
    let d = decide(&cmp, &[], &Config::default(), GateOptions::default(), false);
    insta::assert_snapshot!(
        format!("seeded_{name}_gate.txt"),
        report::gate::render_text(&d, &cmp)
    );
    insta::assert_snapshot!(
        format!("seeded_{name}_gate.md"),
        report::gate::render_markdown(&d, &cmp)
    );
    let pr = render(&cmp, "PR_COMMENT.md");
    // One screen: a comment a reader takes in without scrolling.
    assert!(pr.lines().count() <= 30, "{pr}");
    insta::assert_snapshot!(format!("seeded_{name}_PR_COMMENT.md"), pr);
}

#[test]
fn seeded_gelu_allocation() {
    seeded("gelu_alloc");
}

#[test]
fn seeded_matmul_slower_at_every_size() {
    seeded("matmul_slow");
}

#[test]
fn seeded_softmax_slower_on_long_rows() {
    seeded("softmax_long");
}

#[test]
fn commit_subjects_are_escaped_in_markdown_only() {
    let cmp = comparison("baseline.json", "current.json");
    let raw = "softmax: *online* max | sum in one pass <fused> [#42]";
    let escaped = "softmax: \\*online\\* max \\| sum in one pass &lt;fused&gt; \\[#42\\]";
    for name in ["INDEX.md", "COMPARISON_CHART.md"] {
        let md = render(&cmp, name);
        assert!(md.contains(escaped), "{name} does not escape the subject");
        assert!(!md.contains(raw), "{name} holds the raw subject");
    }
    assert!(render(&cmp, "SUMMARY.txt").contains(raw));
}

#[test]
fn a_over_a_reports_say_nothing_changed() {
    let cmp = comparison("aa_first.json", "aa_second.json");
    let summary = render(&cmp, "SUMMARY.txt");
    assert!(summary.contains("No regression to explain."));
    assert!(summary.contains("No significant improvement."));
    assert!(!summary.contains("🔴"));
    assert!(render(&cmp, "PR_COMMENT.md").contains("Every metric is stable"));
    assert!(report::terminal::render(&cmp, false).contains("No metric changed"));
}

#[test]
fn write_all_writes_every_report_atomically() {
    let cmp = comparison("baseline.json", "current.json");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/report");
    let written = report::write_all(&cmp, &out, None).unwrap();
    assert_eq!(written.len(), report::REPORT_FILES.len());
    for name in report::REPORT_FILES {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(!text.is_empty(), "{name} is empty");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("comparison.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["schema_version"],
        smprof::compare::model::COMPARISON_SCHEMA_VERSION
    );
    // No temporary files or directories left behind, in the report directory or beside it.
    for d in [&out, &dir.path().join("nested")] {
        let leftovers: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    // Writing again into the existing directory replaces the files.
    report::write_all(&cmp, &out, None).unwrap();
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), REPORTS);
    assert_eq!(
        report::default_dir(Path::new("reports"), &cmp),
        Path::new("reports/20261121-120000-3f9c2a71d4-vs-b71e04c95a")
    );
}

const REPORTS: usize = report::REPORT_FILES.len();

#[test]
fn a_template_that_fails_leaves_no_report_behind() {
    let cmp = comparison("baseline.json", "current.json");
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    // METRICS_SUMMARY.md is the fourth file rendered: three would come before it.
    std::fs::write(
        templates.join("METRICS_SUMMARY.md.tera"),
        "{{ no_such_field }}",
    )
    .unwrap();
    let out = dir.path().join("out");
    let err = report::write_all(&cmp, &out, Some(&templates))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("template METRICS_SUMMARY.md:"), "{err}");
    assert!(!out.exists(), "a partial report directory was left");
    let beside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("templates")]);
    // Over an existing report, the old files stay untouched.
    report::write_all(&cmp, &out, None).unwrap();
    let before = std::fs::read_to_string(out.join("INDEX.md")).unwrap();
    std::fs::write(templates.join("INDEX.md.tera"), "changed {{ headline }}").unwrap();
    assert!(report::write_all(&cmp, &out, Some(&templates)).is_err());
    assert_eq!(
        std::fs::read_to_string(out.join("INDEX.md")).unwrap(),
        before
    );
}

#[test]
fn templates_can_be_overridden_and_errors_are_clear() {
    let cmp = comparison("baseline.json", "current.json");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("SUMMARY.txt.tera"),
        "{{ baseline.short }} -> {{ current.short }}: {{ headline }}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    report::write_all(&cmp, &out, Some(dir.path())).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join("SUMMARY.txt")).unwrap(),
        format!("3f9c2a71d4 -> b71e04c95a: {}\n", cmp.summary.headline)
    );
    // Templates not overridden stay the embedded ones.
    assert!(
        std::fs::read_to_string(out.join("INDEX.md"))
            .unwrap()
            .starts_with("# SmallMind Profiling Results")
    );

    std::fs::write(dir.path().join("INDEX.md.tera"), "{{ no_such_field }}").unwrap();
    let err = report::write_all(&cmp, &out, Some(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("template INDEX.md:"), "{err}");
    assert!(err.contains("no_such_field"), "{err}");

    std::fs::write(dir.path().join("INDEX.md.tera"), "{% for %}").unwrap();
    let err = Templates::load(Some(dir.path())).unwrap_err().to_string();
    assert!(err.starts_with("template INDEX.md:"), "{err}");

    let err = Templates::load(Some(&dir.path().join("missing")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not exist"), "{err}");
}
