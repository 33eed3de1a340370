//! GPT-2 against the Hugging Face fixture: logits at every prompt position,
//! greedy generation, checkpoint round trip and shape errors.

use smallmind::nn::{Gpt2, Gpt2Config, Sampling, generate};
use std::path::{Path, PathBuf};

/// The fixture, committed with the crate: a small GPT-2 written by Hugging Face
/// transformers and its outputs (`tests/fixtures/gpt2-tiny/README.md` says how it
/// was made and what each file holds).
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpt2-tiny")
}

struct Reference {
    prompt: Vec<u32>,
    logits: Vec<Vec<f32>>,
    greedy: Vec<u32>,
    param_count: usize,
}

fn reference(dir: &Path) -> Reference {
    let text = std::fs::read_to_string(dir.join("reference.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ids = |k: &str| -> Vec<u32> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect()
    };
    Reference {
        prompt: ids("prompt_ids"),
        greedy: ids("greedy_new_ids"),
        logits: v["prompt_logits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap() as f32)
                    .collect()
            })
            .collect(),
        param_count: v["parameter_count"].as_u64().unwrap() as usize,
    }
}

#[test]
fn logits_match_transformers_at_every_position() {
    let dir = fixture();
    let r = reference(&dir);
    let mut m = Gpt2::load(&dir).unwrap();
    assert!(m.config().tie_word_embeddings);
    assert_eq!(m.param_count(), r.param_count);
    assert_eq!(m.config().param_count(), r.param_count);
    let logits = m.logits(&r.prompt).unwrap();
    assert_eq!(logits.dims(), &[r.prompt.len(), 256]);
    let mut worst = 0.0f32;
    for (t, row) in r.logits.iter().enumerate() {
        for (j, &want) in row.iter().enumerate() {
            worst = worst.max((logits.data()[t * 256 + j] - want).abs());
        }
    }
    assert!(worst <= 1e-4, "max |Δlogit| = {worst}");
}

#[test]
fn greedy_generation_matches_transformers() {
    let dir = fixture();
    let r = reference(&dir);
    let m = Gpt2::load(&dir).unwrap();
    let new = generate(&m, &r.prompt, r.greedy.len(), Sampling::Greedy).unwrap();
    assert_eq!(new, r.greedy);
}

#[test]
fn save_load_round_trip_gives_identical_logits() {
    let dir = fixture();
    let r = reference(&dir);
    let mut m = Gpt2::load(&dir).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    m.save(tmp.path()).unwrap();
    let mut back = Gpt2::load(tmp.path()).unwrap();
    assert_eq!(back.config(), m.config());
    assert_eq!(
        back.logits(&r.prompt).unwrap().data(),
        m.logits(&r.prompt).unwrap().data()
    );

    // An untied model round-trips too, with lm_head.weight stored.
    let mut small = Gpt2::new(Gpt2Config::small(), 3).unwrap();
    assert_eq!(small.param_count(), 470_528);
    let d2 = tmp.path().join("small");
    small.save(&d2).unwrap();
    let mut back = Gpt2::load(&d2).unwrap();
    let ids = [1, 2, 3, 250];
    assert_eq!(
        back.logits(&ids).unwrap().data(),
        small.logits(&ids).unwrap().data()
    );
}

#[test]
fn mismatched_checkpoint_names_the_tensor_and_both_shapes() {
    let dir = fixture();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.join("model.safetensors"),
        tmp.path().join("model.safetensors"),
    )
    .unwrap();
    let cfg = std::fs::read_to_string(dir.join("config.json")).unwrap();
    std::fs::write(
        tmp.path().join("config.json"),
        cfg.replace("\"n_positions\": 64", "\"n_positions\": 32"),
    )
    .unwrap();
    let err = Gpt2::load(tmp.path()).unwrap_err().to_string();
    assert!(
        err.contains("wpe.weight") && err.contains("[64, 64]") && err.contains("[32, 64]"),
        "{err}"
    );

    // Untied config over a tied checkpoint: the head is missing.
    std::fs::write(
        tmp.path().join("config.json"),
        cfg.replace(
            "\"tie_word_embeddings\": true",
            "\"tie_word_embeddings\": false",
        ),
    )
    .unwrap();
    let err = Gpt2::load(tmp.path()).unwrap_err().to_string();
    assert!(
        err.contains("lm_head.weight") && err.contains("missing"),
        "{err}"
    );

    // Malformed config and a missing directory are errors, not panics.
    std::fs::write(tmp.path().join("config.json"), "{ not json").unwrap();
    assert!(
        Gpt2::load(tmp.path())
            .unwrap_err()
            .to_string()
            .contains("JSON")
    );
    assert!(Gpt2::load(&tmp.path().join("nope")).is_err());
}

#[test]
fn forward_rejects_bad_input() {
    let mut m = Gpt2::new(Gpt2Config::small(), 1).unwrap();
    assert!(
        m.logits(&[0; 65])
            .unwrap_err()
            .to_string()
            .contains("context")
    );
    assert!(m.logits(&[300]).unwrap_err().to_string().contains("300"));
    assert!(m.logits(&[]).is_err());
}
