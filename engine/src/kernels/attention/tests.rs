use super::*;
use crate::rng::Rng;

/// Shapes with odd lengths, head dims below, at and past a vector's lanes, a T that is no
/// multiple of RB, and Ts of whole vectors (the padded rows reach the row's end exactly).
const SHAPES: [(usize, usize, usize, usize); 8] = [
    (1, 1, 8, 2),
    (2, 7, 12, 3),
    (1, 19, 40, 2),
    (2, 33, 64, 2),
    (1, 5, 17, 1),
    (1, 16, 8, 1),
    (1, 32, 48, 3),
    (2, 64, 64, 2),
];

fn shape((batch, seq, channels, heads): (usize, usize, usize, usize)) -> AttnShape {
    AttnShape {
        batch,
        seq,
        channels,
        heads,
    }
}

fn randv(n: usize, rng: &mut Rng) -> Vec<f32> {
    (0..n).map(|_| rng.normal()).collect()
}

/// f64 reference forward: out (B, T, C).
fn reference(qkv: &[f64], s: AttnShape) -> Vec<f64> {
    let (t, c, h, d) = (s.seq, s.channels, s.heads, s.head_dim());
    let mut out = vec![0.0; s.batch * t * c];
    let at = |b: usize, i: usize, part: usize, hd: usize, x: usize| {
        qkv[(b * t + i) * 3 * c + part * c + hd * d + x]
    };
    for b in 0..s.batch {
        for hd in 0..h {
            for i in 0..t {
                let sc: Vec<f64> = (0..=i)
                    .map(|j| {
                        (0..d)
                            .map(|x| at(b, i, 0, hd, x) * at(b, j, 1, hd, x))
                            .sum::<f64>()
                    })
                    .map(|v| v / (d as f64).sqrt())
                    .collect();
                let m = sc.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let z: f64 = sc.iter().map(|v| (v - m).exp()).sum();
                for (j, v) in sc.iter().enumerate() {
                    for x in 0..d {
                        out[(b * t + i) * c + hd * d + x] += (v - m).exp() / z * at(b, j, 2, hd, x);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn forward_matches_the_f64_reference_on_every_tier() {
    let mut rng = Rng::new(11);
    for sh in SHAPES {
        let s = shape(sh);
        let qkv = randv(s.batch * s.seq * 3 * s.channels, &mut rng);
        let want = reference(&qkv.iter().map(|&v| v as f64).collect::<Vec<_>>(), s);
        crate::simd::for_each_available_tier(|tier| {
            let mut att = vec![f32::NAN; s.batch * s.heads * s.seq * s.seq];
            let mut out = vec![f32::NAN; want.len()];
            let mut scratch = vec![0.0; s.scratch_len()];
            causal_attention_with(tier, &qkv, &mut att, &mut out, s, &mut scratch).unwrap();
            for (i, (&o, &w)) in out.iter().zip(&want).enumerate() {
                assert!(
                    (o as f64 - w).abs() < 1e-5,
                    "{tier:?} {sh:?} [{i}]: {o} vs {w}"
                );
            }
            // rows sum to one, exact zeros above the diagonal
            for (r, row) in att.chunks_exact(s.seq).enumerate() {
                let i = r % s.seq;
                assert!((row[..=i].iter().sum::<f32>() - 1.0).abs() < 1e-5);
                assert!(
                    row[i + 1..].iter().all(|&v| v == 0.0),
                    "{tier:?} {sh:?} row {r}"
                );
            }
        });
    }
}

#[test]
fn backward_matches_finite_differences_of_the_reference_on_every_tier() {
    let mut rng = Rng::new(12);
    // Finite differences cost one reference forward per input: the small shapes only
    // (the large one is checked against the scalar tier below).
    for sh in [SHAPES[0], SHAPES[1], SHAPES[2], SHAPES[4], SHAPES[5]] {
        let s = shape(sh);
        let qkv = randv(s.batch * s.seq * 3 * s.channels, &mut rng);
        let gout = randv(s.batch * s.seq * s.channels, &mut rng);
        // d/dqkv of Σ out ⊙ gout by central differences in f64
        let q64: Vec<f64> = qkv.iter().map(|&v| v as f64).collect();
        let loss = |x: &[f64]| -> f64 {
            reference(x, s)
                .iter()
                .zip(&gout)
                .map(|(o, &g)| o * g as f64)
                .sum()
        };
        let want: Vec<f64> = (0..q64.len())
            .map(|i| {
                let (mut a, mut b) = (q64.clone(), q64.clone());
                a[i] += 1e-5;
                b[i] -= 1e-5;
                (loss(&a) - loss(&b)) / 2e-5
            })
            .collect();
        crate::simd::for_each_available_tier(|tier| {
            let mut att = vec![0.0; s.batch * s.heads * s.seq * s.seq];
            let mut out = vec![0.0; gout.len()];
            let mut scratch = vec![f32::NAN; s.scratch_len()];
            causal_attention_with(tier, &qkv, &mut att, &mut out, s, &mut scratch).unwrap();
            // accumulates: start from ones and subtract them after
            let mut dqkv = vec![1.0; qkv.len()];
            causal_attention_backward_with(tier, &gout, &qkv, &att, &mut dqkv, s, &mut scratch)
                .unwrap();
            for (i, (&g, &w)) in dqkv.iter().zip(&want).enumerate() {
                let g = g as f64 - 1.0;
                assert!(
                    (g - w).abs() < 1e-4 * (1.0 + w.abs()),
                    "{tier:?} {sh:?} [{i}]: {g} vs {w}"
                );
            }
        });
    }
}

#[test]
fn simd_backward_matches_the_scalar_specification() {
    let mut rng = Rng::new(14);
    for sh in SHAPES {
        let s = shape(sh);
        let qkv = randv(s.batch * s.seq * 3 * s.channels, &mut rng);
        let gout = randv(s.batch * s.seq * s.channels, &mut rng);
        let run = |tier| {
            let mut att = vec![0.0; s.batch * s.heads * s.seq * s.seq];
            let mut out = vec![0.0; gout.len()];
            let mut scratch = vec![0.0; s.scratch_len()];
            causal_attention_with(tier, &qkv, &mut att, &mut out, s, &mut scratch).unwrap();
            let mut dqkv = vec![0.0; qkv.len()];
            causal_attention_backward_with(tier, &gout, &qkv, &att, &mut dqkv, s, &mut scratch)
                .unwrap();
            dqkv
        };
        let want = run(Tier::Scalar);
        crate::simd::for_each_available_tier(|tier| {
            for (i, (g, w)) in run(tier).iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() < 1e-4 * (1.0 + w.abs()),
                    "{tier:?} {sh:?} [{i}]: {g} vs {w}"
                );
            }
        });
    }
}

#[test]
fn forward_for_backward_leaves_the_upper_triangle_and_the_backward_never_reads_it() {
    let mut rng = Rng::new(16);
    for sh in SHAPES {
        let s = shape(sh);
        let qkv = randv(s.batch * s.seq * 3 * s.channels, &mut rng);
        let gout = randv(s.batch * s.seq * s.channels, &mut rng);
        crate::simd::for_each_available_tier(|tier| {
            let n_att = s.batch * s.heads * s.seq * s.seq;
            let (mut att, mut out) = (vec![f32::NAN; n_att], vec![0.0; gout.len()]);
            let mut scratch = vec![0.0; s.scratch_len()];
            causal_attention_with(tier, &qkv, &mut att, &mut out, s, &mut scratch).unwrap();
            let mut want = vec![0.0; qkv.len()];
            causal_attention_backward_with(tier, &gout, &qkv, &att, &mut want, s, &mut scratch)
                .unwrap();
            // stale NaN in att: whatever the forward leaves must never reach a gradient
            let (mut att2, mut out2) = (vec![f32::NAN; n_att], vec![f32::NAN; gout.len()]);
            causal_attention_for_backward_with(tier, &qkv, &mut att2, &mut out2, s, &mut scratch)
                .unwrap();
            assert_eq!(out2, out, "{tier:?} {sh:?} out");
            for (r, (a2, a)) in att2
                .chunks_exact(s.seq)
                .zip(att.chunks_exact(s.seq))
                .enumerate()
            {
                let i = r % s.seq;
                assert_eq!(a2[..=i], a[..=i], "{tier:?} {sh:?} row {r}");
            }
            let mut got = vec![0.0; qkv.len()];
            causal_attention_backward_with(tier, &gout, &qkv, &att2, &mut got, s, &mut scratch)
                .unwrap();
            assert_eq!(got, want, "{tier:?} {sh:?} accumulating");
            let mut got = vec![f32::NAN; qkv.len()];
            causal_attention_backward_overwrite_with(
                tier,
                &gout,
                &qkv,
                &att2,
                &mut got,
                s,
                &mut scratch,
            )
            .unwrap();
            assert_eq!(got, want, "{tier:?} {sh:?} overwriting");
        });
    }
}

#[test]
fn overwriting_backward_equals_accumulating_into_zeros_and_reads_nothing_stale() {
    let mut rng = Rng::new(15);
    for sh in SHAPES {
        let s = shape(sh);
        let qkv = randv(s.batch * s.seq * 3 * s.channels, &mut rng);
        let gout = randv(s.batch * s.seq * s.channels, &mut rng);
        crate::simd::for_each_available_tier(|tier| {
            let mut att = vec![0.0; s.batch * s.heads * s.seq * s.seq];
            let mut out = vec![0.0; gout.len()];
            let mut scratch = vec![f32::NAN; s.scratch_len()];
            causal_attention_with(tier, &qkv, &mut att, &mut out, s, &mut scratch).unwrap();
            let mut want = vec![0.0; qkv.len()];
            causal_attention_backward_with(tier, &gout, &qkv, &att, &mut want, s, &mut scratch)
                .unwrap();
            // stale NaN everywhere: an overwrite never reads it
            let mut got = vec![f32::NAN; qkv.len()];
            scratch.fill(f32::NAN);
            causal_attention_backward_overwrite_with(
                tier,
                &gout,
                &qkv,
                &att,
                &mut got,
                s,
                &mut scratch,
            )
            .unwrap();
            assert_eq!(got, want, "{tier:?} {sh:?}");
        });
    }
}

#[test]
fn cached_row_equals_the_last_row_of_the_full_forward() {
    let mut rng = Rng::new(13);
    for (t, c, h, p) in [
        (1, 8, 2, 4),
        (9, 12, 3, 16),
        (33, 64, 2, 40),
        (17, 40, 2, 17),
    ] {
        let s = shape((1, t, c, h));
        let d = c / h;
        let qkv = randv(t * 3 * c, &mut rng);
        // cache: keys and values (H, P, D)
        let (mut k, mut v) = (vec![0.0; c * p], vec![0.0; c * p]);
        for j in 0..t {
            for hd in 0..h {
                for x in 0..d {
                    k[hd * p * d + j * d + x] = qkv[j * 3 * c + c + hd * d + x];
                    v[hd * p * d + j * d + x] = qkv[j * 3 * c + 2 * c + hd * d + x];
                }
            }
        }
        let want = reference(&qkv.iter().map(|&x| x as f64).collect::<Vec<_>>(), s);
        let q = &qkv[(t - 1) * 3 * c..(t - 1) * 3 * c + c];
        crate::simd::for_each_available_tier(|tier| {
            let (mut scores, mut out) = (vec![0.0; h * t], vec![0.0; c]);
            attend_cached_with(tier, q, &k, &v, h, p, t, &mut scores, &mut out).unwrap();
            for (i, &o) in out.iter().enumerate() {
                let w = want[(t - 1) * c + i];
                assert!(
                    (o as f64 - w).abs() < 1e-5,
                    "{tier:?} t{t} [{i}]: {o} vs {w}"
                );
            }
        });
    }
}

#[test]
fn bad_shapes_are_errors() {
    let s = shape((1, 4, 6, 4));
    let mut scratch = vec![0.0; 64];
    let r = causal_attention(&[0.0; 72], &mut [0.0; 64], &mut [0.0; 24], s, &mut scratch);
    assert!(r.is_err(), "6 channels in 4 heads");
    let s = shape((1, 4, 8, 2));
    let r = causal_attention(&[0.0; 95], &mut [0.0; 32], &mut [0.0; 32], s, &mut scratch);
    assert!(r.is_err(), "qkv one short");
    let r = causal_attention(&[0.0; 96], &mut [0.0; 32], &mut [0.0; 32], s, &mut [0.0; 3]);
    assert!(r.is_err(), "scratch too small");
    let r = attend_cached(
        &[0.0; 8],
        &[0.0; 32],
        &[0.0; 32],
        2,
        4,
        5,
        &mut [0.0; 8],
        &mut [0.0; 8],
    );
    assert!(r.is_err(), "5 of 4 positions");
}
