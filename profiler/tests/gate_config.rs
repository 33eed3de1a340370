//! smprof.toml: the shipped file is the defaults, its commented examples are
//! valid, and bad files fail with the file and key named.

use smprof::config::Config;
use std::path::{Path, PathBuf};

fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

#[test]
fn the_shipped_file_is_the_documented_defaults() {
    let c = Config::load_or_default(&repo_file("smprof.toml")).unwrap();
    assert_eq!(c, Config::default());
}

#[test]
fn the_shipped_examples_parse_when_uncommented() {
    let text = std::fs::read_to_string(repo_file("smprof.toml")).unwrap();
    // Uncomment lines that are TOML (`# key = …`, `# [table]`), not prose.
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with('[')
                    || rest.split_once(" = ").is_some_and(|(k, _)| {
                        k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    }) =>
            {
                rest.to_string()
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smprof.toml");
    std::fs::write(&path, &uncommented).unwrap();
    let c = Config::load_or_default(&path).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    assert!(c.is_critical("model/medium/forward"));
    assert_eq!(c.waivers.len(), 1);
    let r = c.resolve_rule("matmul/512", "time_ns", smprof::result::MetricKind::Sampled);
    assert_eq!(r.threshold_pct, 3.0);
}

fn load_err(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smprof.toml");
    std::fs::write(&path, text).unwrap();
    let e = Config::load_or_default(&path).unwrap_err().to_string();
    assert!(e.contains("smprof.toml"), "the error names the file: {e}");
    e
}

#[test]
fn bad_files_name_the_file_and_key() {
    assert!(load_err("alpha = 2").contains("alpha"));
    assert!(load_err("thresold_pct = 5").contains("thresold_pct"));
    assert!(load_err("[workloads.\"gelu/*\"]\ncritcal = true").contains("critcal"));
    let e = load_err(
        "[[waivers]]\nworkload = \"gelu/*\"\nmetric = \"time_ns\"\nreason = \"x\"\nexpires = \"next week\"",
    );
    assert!(e.contains("waivers[0].expires"), "{e}");
    let e = load_err("[[waivers]]\nworkload = \"gelu/*\"\nmetric = \"time_ns\"\nreason = \"x\"");
    assert!(e.contains("must end"), "{e}");
    let e = load_err("[metrics.time_ns]\nthreshold_pct = -3");
    assert!(e.contains("metrics.time_ns.threshold_pct"), "{e}");
    assert!(load_err("alpha = ").contains("line 1"));
}

#[test]
fn a_missing_file_means_the_defaults() {
    let c = Config::load_or_default(Path::new("/nonexistent/smprof.toml")).unwrap();
    assert_eq!(c, Config::default());
}
