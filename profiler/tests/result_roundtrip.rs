//! A result survives serialisation, atomic writing and loading unchanged, and the
//! loader rejects what it must with messages naming the file.

use crate::result_fixture;

use result_fixture::sample_result;
use smprof::result::*;
use std::path::Path;

#[test]
fn round_trip_through_a_file() {
    let r = sample_result();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    write_atomic(&path, &serde_json::to_vec_pretty(&r).unwrap()).unwrap();
    assert_eq!(load(&path).unwrap(), r);
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
    // The summary was computed from the samples: median of the six samples is 1003.
    let t = &r.workloads[0].metrics["time_ns"];
    assert_eq!(t.summary.median, 1003.0);
    assert_eq!(t.summary.outliers, 1);
}

#[test]
fn unknown_schema_version_is_rejected_clearly() {
    let mut v = serde_json::to_value(sample_result()).unwrap();
    v["schema_version"] = serde_json::json!(2);
    let e = from_str(&v.to_string(), Path::new("old.json")).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("old.json") && msg.contains("schema_version 2"),
        "{msg}"
    );
}

#[test]
fn corrupt_json_names_the_line() {
    let text = serde_json::to_string_pretty(&sample_result()).unwrap();
    let broken = text.replacen("\"unit\": \"ns\"", "\"unit\": ns", 1);
    let line = broken
        .lines()
        .position(|l| l.contains("\"unit\": ns"))
        .unwrap()
        + 1;
    let msg = from_str(&broken, Path::new("b.json"))
        .unwrap_err()
        .to_string();
    assert!(msg.starts_with("b.json: invalid JSON at line"), "{msg}");
    assert!(msg.contains(&format!("line {line}")), "{msg}");
}

#[test]
fn semantic_damage_is_rejected() {
    let base = serde_json::to_value(sample_result()).unwrap();
    type Damage = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Damage)> = vec![
        (
            "process has",
            Box::new(|v| {
                v["workloads"][0]["metrics"]["time_ns"]["process"] = serde_json::json!([0])
            }),
        ),
        (
            "non-negative",
            Box::new(|v| {
                v["workloads"][0]["metrics"]["time_ns"]["samples"][0] = serde_json::json!(-1.0)
            }),
        ),
        (
            "no samples",
            Box::new(|v| {
                v["workloads"][0]["metrics"]["time_ns"]
                    .as_object_mut()
                    .unwrap()
                    .remove("samples");
            }),
        ),
        (
            "40 hex",
            Box::new(|v| v["commit"]["sha"] = serde_json::json!("xyz")),
        ),
        (
            "unknown field",
            Box::new(|v| v["extra"] = serde_json::json!(1)),
        ),
    ];
    for (expect, damage) in cases {
        let mut v = base.clone();
        damage(&mut v);
        let msg = from_str(&v.to_string(), Path::new("d.json"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("d.json: ") && msg.contains(expect),
            "{expect}: {msg}"
        );
    }
}
