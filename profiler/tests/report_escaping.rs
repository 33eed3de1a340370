//! Strings from results and git (branch names, subjects, references, workload
//! names) are escaped in every output: markdown can neither format, nor inject
//! HTML, nor break a table; HTML and SVG escape them; terminal and text
//! outputs show control characters as `?`.

use smprof::compare::model::Comparison;
use smprof::compare::side_of;
use smprof::compare_workflow::compare_results;
use smprof::config::Config;
use smprof::gate::{GateOptions, decide};
use smprof::report::{self, templates::Templates, view::View};
use std::path::Path;

const BRANCH: &str = "fix<b>|evil";
const WORKLOAD: &str = "gelu/1m|<i>`x`";
const BACKWARD: &str = "matmul_backward/1|<i>`x`";

fn hostile() -> Comparison {
    let load = |n: &str| {
        smprof::result::load(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(n),
        )
        .unwrap()
    };
    let (mut b, mut c) = (load("baseline.json"), load("current.json"));
    for r in [&mut b, &mut c] {
        let commit = r.commit.as_mut().unwrap();
        commit.branch = Some(BRANCH.into());
        commit.subject = "`rm -rf` | <script>alert(1)</script> \u{1b}[31mred".into();
        for w in &mut r.workloads {
            if w.name == "gelu/1m" {
                w.name = WORKLOAD.into();
            }
            if w.name.starts_with("matmul_backward/") {
                w.name = BACKWARD.into();
            }
        }
    }
    compare_results(
        side_of("ref|`x`<y>", &b),
        side_of("current.json", &c),
        &b,
        &c,
        &Config::default(),
        None,
        "2026-11-21T12:00:00Z".into(),
    )
}

/// Table lines of a markdown text: each must have as many unescaped cell
/// separators as its table's header.
fn tables_are_whole(name: &str, md: &str) {
    let cells = |l: &str| {
        let mut n = 0;
        let mut escaped = false;
        for c in l.chars() {
            if c == '|' && !escaped {
                n += 1;
            }
            escaped = c == '\\' && !escaped;
        }
        n
    };
    let mut header: Option<usize> = None;
    for l in md.lines() {
        if l.starts_with('|') {
            let n = cells(l);
            match header {
                None => header = Some(n),
                Some(h) => assert_eq!(n, h, "{name}: a cell broke the table: {l}"),
            }
        } else {
            header = None;
        }
    }
}

/// The text outside fenced code blocks; panics on a fence left open.
fn outside_fences(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<&str> = None;
    for l in md.lines() {
        let ticks = l.len() - l.trim_start_matches('`').len();
        match fence {
            Some(f) if l.trim_end() == f => fence = None,
            Some(_) => {}
            None if ticks >= 3 && l.trim_end().len() == ticks => fence = Some(l.trim_end()),
            None => {
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    assert!(fence.is_none(), "a fence was left open");
    out
}

/// `md` with its code spans (a run of backticks to the next run of the same
/// length) taken out.
fn without_code_spans(md: &str) -> String {
    let chars: Vec<char> = md.chars().collect();
    let run = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = run(i);
        let mut j = i + n;
        let mut closed = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let m = run(j);
                if m == n {
                    closed = Some(j + m);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match closed {
            Some(end) => i = end,
            None => {
                out.extend(&chars[i..i + n]);
                i += n;
            }
        }
    }
    out
}

#[test]
fn markdown_reports_escape_every_string() {
    let cmp = hostile();
    let templates = Templates::load(None).unwrap();
    let view = View::new(&cmp);
    for name in [
        "INDEX.md",
        "COMPARISON_CHART.md",
        "METRICS_SUMMARY.md",
        "ROOT_CAUSE.md",
        "PR_COMMENT.md",
    ] {
        let md = templates.render(name, &view).unwrap();
        // Inside fenced blocks and code spans text is literal; elsewhere it
        // must be escaped.
        let prose = without_code_spans(&outside_fences(&md));
        for raw in ["<b>", "<i>", "<script>", "fix<b>|evil", "\u{1b}"] {
            assert!(!prose.contains(raw), "{name} holds {raw:?}:\n{prose}");
        }
        assert!(!md.contains('\u{1b}'));
        tables_are_whole(name, &md);
    }
    let index = templates.render("INDEX.md", &view).unwrap();
    assert!(index.contains("fix&lt;b&gt;\\|evil"), "{index}");
    let d = decide(&cmp, &[], &Config::default(), GateOptions::default(), false);
    let gate = report::gate::render_markdown(&d, &cmp);
    assert!(!without_code_spans(&gate).contains("<i>"), "{gate}");
    tables_are_whole("gate.md", &gate);
}

#[test]
fn text_outputs_show_control_characters_as_marks() {
    let cmp = hostile();
    let summary = Templates::load(None)
        .unwrap()
        .render("SUMMARY.txt", &View::new(&cmp))
        .unwrap();
    assert!(!summary.contains('\u{1b}'));
    assert!(summary.contains("?[31mred"));
    let term = report::terminal::render(&cmp, false);
    assert!(!term.contains('\u{1b}'), "{term}");
    let d = decide(&cmp, &[], &Config::default(), GateOptions::default(), false);
    assert!(!report::gate::render_text(&d, &cmp).contains('\u{1b}'));
}

#[test]
fn html_and_svg_escape_every_string() {
    let cmp = hostile();
    let page = report::html::comparison_page(&cmp, None, None).unwrap();
    for raw in ["<b>", "<i>", "<script", "\u{1b}"] {
        assert!(!page.contains(raw), "the page holds {raw:?}");
    }
    assert!(page.contains("gelu/1m|&lt;i&gt;`x`"));
    assert!(page.contains("fix&lt;b&gt;|evil") || !page.contains("fix"));
}

#[test]
fn commands_quote_names_from_results() {
    let cmp = hostile();
    let quoted = cmp
        .actions
        .iter()
        .filter_map(|a| a.command.as_deref())
        .find(|c| c.contains("matmul_backward/"))
        .expect("a command for the renamed workload");
    assert!(quoted.contains("'matmul_backward/1|<i>`x`'"), "{quoted}");
    // In markdown, the command is one code span that holds it whole.
    let root = Templates::load(None)
        .unwrap()
        .render("ROOT_CAUSE.md", &View::new(&cmp))
        .unwrap();
    assert!(
        root.contains("`` smprof bisect --workload 'matmul_backward/1\\|<i>`x`'"),
        "{root}"
    );
}
