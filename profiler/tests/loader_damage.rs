//! The loader under damaged input: truncated files, flipped bytes, fields of the
//! wrong type. Every case must give an error naming the file (or a valid result),
//! never a panic.

use proptest::prelude::*;
use serde_json::{Value, json};
use smprof::result::from_str;
use std::path::Path;

use crate::result_fixture;

/// The valid result every case damages (built once: summaries run a bootstrap).
fn valid_text() -> String {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| serde_json::to_string_pretty(&result_fixture::sample_result()).unwrap())
        .clone()
}

fn check(text: &str) -> Result<(), TestCaseError> {
    match std::panic::catch_unwind(|| from_str(text, Path::new("damaged.json"))) {
        Err(_) => Err(TestCaseError::fail("the loader panicked")),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            let msg = e.to_string();
            prop_assert!(msg.starts_with("damaged.json: "), "unclear error: {msg}");
            prop_assert!(
                msg.len() > "damaged.json: ".len() + 5,
                "empty reason: {msg}"
            );
            Ok(())
        }
    }
}

/// Every path to a value in a JSON document.
fn paths(v: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                prefix.push(json!(k));
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                prefix.push(json!(i));
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |cur, key| match key {
        Value::String(k) => &mut cur[k.as_str()],
        Value::Number(i) => &mut cur[i.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(true)),
        Just(json!("text")),
        Just(json!("")),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1e308)),
        Just(json!(u64::MAX)),
        Just(json!(-1.5)),
        Just(json!([])),
        Just(json!([1, "a", null])),
        Just(json!({})),
        Just(json!({"unexpected": 1})),
        Just(json!("NaN")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn truncated_files_are_errors(cut in 0usize..100_000) {
        let text = valid_text();
        let cut = cut % text.len();
        let mut end = cut;
        while !text.is_char_boundary(end) { end -= 1; }
        let r = from_str(&text[..end], Path::new("damaged.json"));
        prop_assert!(r.is_err(), "a truncated file loaded");
        check(&text[..end])?;
    }

    #[test]
    fn flipped_bytes_never_panic(pos in 0usize..100_000, byte in any::<u8>(), count in 1usize..4) {
        let mut bytes = valid_text().into_bytes();
        for k in 0..count {
            let i = (pos + k * 7919) % bytes.len();
            bytes[i] = byte;
        }
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn retyped_fields_never_panic(pick in any::<prop::sample::Index>(), new in replacement()) {
        let mut v: Value = serde_json::from_str(&valid_text()).unwrap();
        let mut all = Vec::new();
        paths(&v, &mut Vec::new(), &mut all);
        let path = &all[pick.index(all.len())];
        if path.is_empty() {
            v = new;
        } else {
            *at(&mut v, path) = new;
        }
        check(&v.to_string())?;
    }
}

#[test]
fn invalid_utf8_on_disk_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bin.json");
    let mut bytes = valid_text().into_bytes();
    bytes[10] = 0xff;
    std::fs::write(&path, bytes).unwrap();
    let msg = smprof::result::load(&path).unwrap_err().to_string();
    assert!(msg.contains("bin.json"), "{msg}");
}
