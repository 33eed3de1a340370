//! Cached generation against full recomputation, and sampling through the model.

use smallmind::nn::{Decoder, Gpt2, Gpt2Config, Sampling, generate};

fn tiny(tied: bool) -> Gpt2 {
    let cfg = Gpt2Config {
        n_embd: 48,
        n_layer: 3,
        n_head: 6,
        n_positions: 24,
        vocab_size: 256,
        tie_word_embeddings: tied,
        layer_norm_epsilon: 1e-5,
    };
    Gpt2::new(cfg, 11).unwrap()
}

#[test]
fn cached_logits_equal_full_recomputation() {
    for tied in [false, true] {
        let mut m = tiny(tied);
        // Larger weights than the init so attention is far from uniform.
        for v in m.graph().params().collect::<Vec<_>>() {
            m.graph_mut()
                .value_mut(v)
                .data_mut()
                .iter_mut()
                .for_each(|x| *x *= 20.0);
        }
        let ids: Vec<u32> = (0..24).map(|i| (i * 37 % 256) as u32).collect();
        let full = m.logits(&ids).unwrap();
        let mut dec = Decoder::new(&m);
        for (t, &id) in ids.iter().enumerate() {
            let got = dec.step(&m, id).unwrap();
            let want = &full.data()[t * 256..(t + 1) * 256];
            let worst = got
                .iter()
                .zip(want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            let scale = want.iter().map(|x| x.abs()).fold(1.0, f32::max);
            assert!(
                worst <= 1e-4 * scale,
                "position {t}: max |Δ| {worst} (scale {scale})"
            );
        }
        // The context is full now.
        assert!(dec.step(&m, 0).unwrap_err().to_string().contains("context"));
        dec.reset();
        assert!(dec.is_empty());
    }
}

#[test]
fn greedy_generation_equals_argmax_of_recomputed_logits() {
    let mut m = tiny(false);
    let prompt = [72u32, 105, 33];
    let new = generate(&m, &prompt, 10, Sampling::Greedy).unwrap();
    let mut seq = prompt.to_vec();
    for &tok in &new {
        let l = m.logits(&seq).unwrap();
        let last = &l.data()[(seq.len() - 1) * 256..];
        let best = (0..256)
            .max_by(|&a, &b| last[a].total_cmp(&last[b]).then(b.cmp(&a)))
            .unwrap();
        assert_eq!(tok, best as u32);
        seq.push(tok);
    }
}

#[test]
fn sampling_is_seeded_and_checks_its_arguments() {
    let m = tiny(true);
    let mode = |seed| Sampling::Sample {
        temperature: 1.5,
        top_k: Some(40),
        top_p: Some(0.95),
        seed,
    };
    let a = generate(&m, &[1, 2], 12, mode(7)).unwrap();
    assert_eq!(a, generate(&m, &[1, 2], 12, mode(7)).unwrap());
    assert_eq!(a.len(), 12);
    assert!(
        generate(&m, &[1, 2], 30, Sampling::Greedy)
            .unwrap_err()
            .to_string()
            .contains("context")
    );
    assert!(generate(&m, &[], 3, Sampling::Greedy).is_err());
    let bad = Sampling::Sample {
        temperature: -1.0,
        top_k: None,
        top_p: None,
        seed: 0,
    };
    assert!(generate(&m, &[1], 3, bad).is_err());
    // Exactly filling the context is allowed: the last token is never fed back.
    assert_eq!(
        generate(&m, &[1; 20], 5, Sampling::Greedy).unwrap().len(),
        5
    );
}

#[test]
fn prefill_equals_feeding_one_token_at_a_time() {
    let m = tiny(false);
    // 21 tokens: one full chunk of 16 and a tail of 5.
    let ids: Vec<u32> = (0..21).map(|i| (i * 53 % 256) as u32).collect();
    let mut one = Decoder::new(&m);
    let mut want = Vec::new();
    for &t in &ids {
        want = one.step(&m, t).unwrap().to_vec();
    }
    let mut many = Decoder::new(&m);
    let got = many.prefill(&m, &ids).unwrap().to_vec();
    let worst = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst <= 1e-5, "max |Δ| {worst}");
    assert_eq!(many.len(), 21);
    // Then both continue identically.
    let a = one.step(&m, 7).unwrap().to_vec();
    let b = many.step(&m, 7).unwrap().to_vec();
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    assert!(worst <= 1e-5, "max |Δ| {worst}");
    assert!(
        many.prefill(&m, &[1, 2, 3])
            .unwrap_err()
            .to_string()
            .contains("exceed")
    );
    assert!(many.prefill(&m, &[]).is_err());
}
