//! Every differentiable op's gradient against central finite differences.
//!
//! L = Σ w ⊙ op(inputs) with a random w; the analytic gradient of L (from
//! `backward_with(out, w)`) must match (L(x + ε) − L(x − ε)) / 2ε, with L
//! accumulated in f64.

use smallmind::autograd::{Graph, Var};
use smallmind::rng::Rng;
use smallmind::{Result, Tensor};

type Build = dyn Fn(&mut Graph, &[Var]) -> Result<Var>;

fn loss(inputs: &[Tensor], w: &Tensor, build: &Build) -> f64 {
    let mut g = Graph::new();
    g.set_recording(false);
    let vars: Vec<Var> = inputs.iter().map(|t| g.input(t.clone())).collect();
    let y = build(&mut g, &vars).unwrap();
    g.value(y)
        .data()
        .iter()
        .zip(w.data())
        .map(|(&a, &b)| a as f64 * b as f64)
        .sum()
}

/// Check d L / d input for every input and (a sample of) every element.
fn check(inputs: Vec<Tensor>, build: &Build) {
    check_with(inputs, build, &[], 1e-2, 2e-2)
}

fn check_with(inputs: Vec<Tensor>, build: &Build, no_grad: &[usize], eps: f32, tol: f64) {
    let mut g = Graph::new();
    let vars: Vec<Var> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if no_grad.contains(&i) {
                g.input(t.clone())
            } else {
                g.input_with_grad(t.clone())
            }
        })
        .collect();
    let y = build(&mut g, &vars).unwrap();
    let mut rng = Rng::new(99);
    let w = Tensor::randn(g.value(y).dims(), 1.0, &mut rng).unwrap();
    g.backward_with(y, w.clone()).unwrap();
    for (i, v) in vars.iter().enumerate() {
        if no_grad.contains(&i) {
            assert!(g.grad(*v).is_none(), "input {i} needs no gradient");
            continue;
        }
        let analytic = g
            .grad(*v)
            .expect("gradient reached the input")
            .data()
            .to_vec();
        let n = inputs[i].numel();
        let step = (n / 40).max(1);
        for j in (0..n).step_by(step) {
            let mut plus = inputs.clone();
            plus[i].data_mut()[j] += eps;
            let mut minus = inputs.clone();
            minus[i].data_mut()[j] -= eps;
            let numeric = (loss(&plus, &w, build) - loss(&minus, &w, build)) / (2.0 * eps as f64);
            let a = analytic[j] as f64;
            assert!(
                (a - numeric).abs() <= tol * (1.0 + numeric.abs()),
                "input {i} element {j}: analytic {a} vs numeric {numeric}"
            );
        }
    }
}

fn randn(dims: &[usize], seed: u64) -> Tensor {
    Tensor::randn(dims, 1.0, &mut Rng::new(seed)).unwrap()
}

/// A fused op's (value, gradients) against the same computation by separate
/// ops: values within `value_tol` and gradients within 1e-5, relative to 1 + |b|.
fn assert_fused_matches(
    fused: (Vec<f32>, Vec<Vec<f32>>),
    plain: (Vec<f32>, Vec<Vec<f32>>),
    value_tol: f32,
) {
    let ((fv, fg), (pv, pg)) = (fused, plain);
    assert_eq!((fv.len(), fg.len()), (pv.len(), pg.len()));
    for (a, b) in fv.iter().zip(&pv) {
        assert!((a - b).abs() <= value_tol * (1.0 + b.abs()), "{a} vs {b}");
    }
    for (ga, gb) in fg.iter().zip(&pg) {
        for (a, b) in ga.iter().zip(gb) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }
}

#[test]
fn matmul_and_linear() {
    check(vec![randn(&[2, 3, 5], 1), randn(&[5, 4], 2)], &|g, v| {
        g.matmul(v[0], v[1])
    });
    check(
        vec![randn(&[7, 5], 3), randn(&[5, 3], 4), randn(&[3], 5)],
        &|g, v| g.linear(v[0], v[1], Some(v[2])),
    );
    check(
        vec![randn(&[2, 3, 5], 6), randn(&[6, 5], 7), randn(&[6], 8)],
        &|g, v| g.linear_t(v[0], v[1], Some(v[2])),
    );
}

#[test]
fn fused_linear_gelu() {
    check(
        vec![randn(&[2, 3, 5], 40), randn(&[5, 19], 41), randn(&[19], 42)],
        &|g, v| g.linear_gelu(v[0], v[1], v[2]),
    );
    // Without a bias gradient: x and w still get theirs.
    check_with(
        vec![randn(&[4, 6], 43), randn(&[6, 17], 44), randn(&[17], 45)],
        &|g, v| g.linear_gelu(v[0], v[1], v[2]),
        &[2],
        1e-2,
        2e-2,
    );
    // The same values and gradients as linear then gelu.
    let (x, w, b) = (randn(&[3, 7, 9], 46), randn(&[9, 33], 47), randn(&[33], 48));
    let seed = randn(&[3, 7, 33], 49);
    let run = |fused: bool| {
        let mut g = Graph::new();
        let (xv, wv, bv) = (
            g.input_with_grad(x.clone()),
            g.input_with_grad(w.clone()),
            g.input_with_grad(b.clone()),
        );
        let y = if fused {
            g.linear_gelu(xv, wv, bv).unwrap()
        } else {
            let h = g.linear(xv, wv, Some(bv)).unwrap();
            g.gelu(h).unwrap()
        };
        let value = g.value(y).data().to_vec();
        g.backward_with(y, seed.clone()).unwrap();
        let grads: Vec<Vec<f32>> = [xv, wv, bv]
            .iter()
            .map(|&v| g.grad(v).unwrap().data().to_vec())
            .collect();
        (value, grads)
    };
    assert_fused_matches(run(true), run(false), 1e-6);
    let mut g = Graph::new();
    let (x, w, b) = (
        g.input(randn(&[2, 4], 1)),
        g.input(randn(&[5, 3], 2)),
        g.input(randn(&[3], 3)),
    );
    let err = g.linear_gelu(x, w, b).unwrap_err().to_string();
    assert!(err.contains("[2, 4]") && err.contains("[5, 3]"), "{err}");
}

#[test]
fn fused_linear_residual() {
    let build: &Build = &|g, v| g.linear_residual(v[0], v[1], v[2], v[3]);
    let inputs = |s: u64| {
        vec![
            randn(&[2, 3, 19], s),
            randn(&[2, 3, 5], s + 1),
            randn(&[5, 19], s + 2),
            randn(&[19], s + 3),
        ]
    };
    check(inputs(50), build);
    // Without gradients for the residual and the bias: x and w still get theirs.
    check_with(inputs(54), build, &[0, 3], 1e-2, 2e-2);
    // The residual also feeds another op whose backward runs first: its gradient
    // is then added to, not handed over.
    check(inputs(58), &|g, v| {
        let o = g.linear_residual(v[0], v[1], v[2], v[3])?;
        g.mul(o, v[0])
    });
    // The same values and gradients as linear then add.
    let (r, x, w, b) = (
        randn(&[3, 7, 33], 62),
        randn(&[3, 7, 9], 63),
        randn(&[9, 33], 64),
        randn(&[33], 65),
    );
    let seed = randn(&[3, 7, 33], 66);
    let run = |fused: bool| {
        let mut g = Graph::new();
        let vars: Vec<Var> = [&r, &x, &w, &b]
            .iter()
            .map(|t| g.input_with_grad((*t).clone()))
            .collect();
        let y = if fused {
            g.linear_residual(vars[0], vars[1], vars[2], vars[3])
                .unwrap()
        } else {
            let h = g.linear(vars[1], vars[2], Some(vars[3])).unwrap();
            g.add(vars[0], h).unwrap()
        };
        let value = g.value(y).data().to_vec();
        g.backward_with(y, seed.clone()).unwrap();
        let grads: Vec<Vec<f32>> = vars
            .iter()
            .map(|&v| g.grad(v).unwrap().data().to_vec())
            .collect();
        (value, grads)
    };
    assert_fused_matches(run(true), run(false), 1e-5);
    // Shape mismatches are errors naming the shapes.
    let mut g = Graph::new();
    let (r, x, w, b) = (
        g.input(randn(&[2, 3], 1)),
        g.input(randn(&[2, 4], 2)),
        g.input(randn(&[4, 5], 3)),
        g.input(randn(&[5], 4)),
    );
    let err = g.linear_residual(r, x, w, b).unwrap_err().to_string();
    assert!(err.contains("[2, 3]") && err.contains("[2, 4]"), "{err}");
    let bad_w = g.input(randn(&[5, 3], 5));
    let err = g.linear_residual(r, x, bad_w, b).unwrap_err().to_string();
    assert!(err.contains("[2, 4]") && err.contains("[5, 3]"), "{err}");
    let bad_b = g.input(randn(&[4], 6));
    let w3 = g.input(randn(&[4, 3], 7));
    let err = g.linear_residual(r, x, w3, bad_b).unwrap_err().to_string();
    assert!(err.contains("[3]") && err.contains("[4]"), "{err}");
}

#[test]
fn add_and_mul_broadcast() {
    let cases: [(&[usize], &[usize]); 5] = [
        (&[3, 4], &[3, 4]),
        (&[2, 3, 4], &[3, 4]),
        (&[4], &[2, 3, 4]),
        (&[2, 1, 4], &[3, 1]),
        (&[1, 3], &[2, 1]),
    ];
    for (i, (a, b)) in cases.iter().enumerate() {
        let s = 10 + 2 * i as u64;
        check(vec![randn(a, s), randn(b, s + 1)], &|g, v| {
            g.add(v[0], v[1])
        });
        check(vec![randn(a, s), randn(b, s + 1)], &|g, v| {
            g.mul(v[0], v[1])
        });
    }
    // The same value on both sides accumulates both contributions.
    check(vec![randn(&[5], 30)], &|g, v| g.mul(v[0], v[0]));
    let mut g = Graph::new();
    let a = g.input(randn(&[2, 3], 1));
    let b = g.input(randn(&[4], 1));
    let err = g.add(a, b).unwrap_err().to_string();
    assert!(err.contains("[2, 3]") && err.contains("[4]"), "{err}");
}

#[test]
fn activations() {
    check(vec![randn(&[3, 7], 40)], &|g, v| g.gelu(v[0]));
    check(vec![randn(&[3, 7], 41)], &|g, v| g.softmax(v[0]));
    check(vec![randn(&[3, 7], 42)], &|g, v| g.log_softmax(v[0]));
    check(vec![randn(&[3, 7], 43)], &|g, v| g.sum(v[0]));
}

#[test]
fn layer_norm() {
    check(
        vec![randn(&[2, 3, 8], 50), randn(&[8], 51), randn(&[8], 52)],
        &|g, v| g.layer_norm(v[0], v[1], v[2], 1e-5),
    );
    // Only the parameters want gradients: x gets none.
    check_with(
        vec![randn(&[4, 8], 53), randn(&[8], 54), randn(&[8], 55)],
        &|g, v| g.layer_norm(v[0], v[1], v[2], 1e-5),
        &[0],
        1e-2,
        2e-2,
    );
}

#[test]
fn embedding() {
    let ids = [3u32, 0, 9, 3, 5, 1];
    check(vec![randn(&[10, 6], 60)], &move |g, v| {
        g.embedding(v[0], &ids, &[2, 3])
    });
    let mut g = Graph::new();
    let t = g.input(randn(&[4, 2], 1));
    let err = g.embedding(t, &[4], &[1]).unwrap_err().to_string();
    assert!(err.contains("token id 4"), "{err}");
}

#[test]
fn reshape_and_heads() {
    check(vec![randn(&[2, 6], 70)], &|g, v| g.reshape(v[0], &[3, 4]));
    check(vec![randn(&[2, 3, 12], 71)], &|g, v| {
        g.split_heads(v[0], 2, 4, 8)
    });
    check(vec![randn(&[2, 2, 3, 4], 72)], &|g, v| g.merge_heads(v[0]));
    // split then merge is the identity on the selected columns
    let mut g = Graph::new();
    let x = g.input(randn(&[1, 2, 6], 73));
    let s = g.split_heads(x, 3, 0, 6).unwrap();
    let m = g.merge_heads(s).unwrap();
    assert_eq!(g.value(m).data(), g.value(x).data());
}

#[test]
fn causal_attention() {
    check(
        vec![
            randn(&[2, 2, 5, 4], 80),
            randn(&[2, 2, 5, 4], 81),
            randn(&[2, 2, 5, 4], 82),
        ],
        &|g, v| g.attention(v[0], v[1], v[2]),
    );
    // Causality: changing the last position's k and v leaves earlier outputs alone.
    let run = |k_last: f32| {
        let mut g = Graph::new();
        let q = g.input(randn(&[1, 1, 4, 3], 83));
        let mut kt = randn(&[1, 1, 4, 3], 84);
        kt.data_mut()[9..].fill(k_last);
        let k = g.input(kt.clone());
        let vv = g.input(kt);
        let o = g.attention(q, k, vv).unwrap();
        g.value(o).data()[..9].to_vec()
    };
    assert_eq!(run(0.5), run(-3.0));
}

#[test]
fn fused_self_attention() {
    // qkv (B, T, 3C) with C = 6, 2 heads; T = 5 is no multiple of the kernel's row block.
    check(vec![randn(&[2, 5, 18], 85)], &|g, v| {
        g.self_attention(v[0], 2)
    });
    // Equals split_heads ×3 → attention → merge_heads (the kernel's tiers are
    // checked against its scalar specification in kernels/attention).
    let mut g = Graph::new();
    let x = g.input(randn(&[2, 7, 3 * 12], 86));
    let fused = g.self_attention(x, 3).unwrap();
    let q = g.split_heads(x, 3, 0, 12).unwrap();
    let k = g.split_heads(x, 3, 12, 12).unwrap();
    let v = g.split_heads(x, 3, 24, 12).unwrap();
    let y = g.attention(q, k, v).unwrap();
    let y = g.merge_heads(y).unwrap();
    for (a, b) in g.value(fused).data().iter().zip(g.value(y).data()) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
    let mut g = Graph::new();
    let x = g.input(randn(&[1, 4, 10], 87));
    assert!(g.self_attention(x, 2).is_err(), "10 columns are not 3C");
}

#[test]
fn cross_entropy() {
    let targets = [1u32, 6, 0, 3, 3, 2];
    check(vec![randn(&[2, 3, 7], 90)], &move |g, v| {
        g.cross_entropy(v[0], &targets)
    });
    // The value: uniform logits give ln(V).
    let mut g = Graph::new();
    let l = g.input(Tensor::zeros(&[2, 8]).unwrap());
    let loss = g.cross_entropy(l, &[0, 7]).unwrap();
    assert!((g.value(loss).data()[0] - 8f32.ln()).abs() < 1e-6);
    // A target whose probability underflows f32 still gives the exact, finite loss.
    let mut g = Graph::new();
    let l = g.input(Tensor::from_slice(&[200.0, 0.0, 0.0, 1.0, 2.0, 3.0], &[2, 3]).unwrap());
    let loss = g.cross_entropy(l, &[1, 2]).unwrap();
    let row1 = 200.0 + (1.0 + 2.0 * (-200f64).exp()).ln(); // log-sum-exp(200, 0, 0) − 0
    let row2 = (1f64.exp() + 2f64.exp() + 3f64.exp()).ln() - 3.0; // log-sum-exp(1, 2, 3) − 3
    let want = (row1 + row2) / 2.0;
    let got = g.value(loss).data()[0] as f64;
    assert!((got - want).abs() < 1e-4, "{got} vs {want}");
}

#[test]
fn composite_chain_and_param_accumulation() {
    // A two-layer network: gradients flow through every op to the parameters.
    // Layer norm over 5 columns curves sharply, hence the smaller ε.
    check_with(
        vec![
            randn(&[4, 6], 100),
            randn(&[6, 5], 101),
            randn(&[5], 102),
            randn(&[5], 103),
        ],
        &|g, v| {
            let h = g.linear(v[0], v[1], Some(v[2]))?;
            let h = g.gelu(h)?;
            let h = g.layer_norm(h, v[3], v[2], 1e-5)?;
            g.log_softmax(h)
        },
        &[],
        2e-3,
        2e-2,
    );
    // Parameter gradients accumulate across backward passes until zero_grad.
    let mut g = Graph::new();
    let w = g.param(randn(&[3], 1)).unwrap();
    let run = |g: &mut Graph| {
        let s = g.sum(w).unwrap();
        g.backward(s).unwrap();
        g.clear();
    };
    run(&mut g);
    run(&mut g);
    assert_eq!(g.grad(w).unwrap().data(), &[2.0, 2.0, 2.0]);
    g.zero_grad();
    assert_eq!(g.grad(w).unwrap().data(), &[0.0, 0.0, 0.0]);
}

#[test]
fn inference_records_nothing() {
    let mut g = Graph::new();
    let w = g.param(randn(&[4, 4], 1)).unwrap();
    g.set_recording(false);
    let x = g.input(randn(&[2, 4], 2));
    let y = g.matmul(x, w).unwrap();
    let y = g.gelu(y).unwrap();
    let s = g.sum(y).unwrap();
    assert_eq!(g.tape_len(), 0);
    assert!(!g.needs_grad(s));
    assert!(g.backward(s).is_err());
    g.set_recording(true);
    let y = g.matmul(x, w).unwrap();
    let s = g.sum(y).unwrap();
    assert_eq!(g.tape_len(), 2);
    g.backward(s).unwrap();
    assert!(g.grad(w).is_some());
    assert!(
        g.param(randn(&[1], 3)).is_err(),
        "params after activations are refused"
    );
}

/// A GPT-2 with a small custom config: every op of the training forward.
fn tiny_gpt2() -> smallmind::nn::Gpt2 {
    let mut cfg = smallmind::nn::Gpt2Config::small();
    cfg.n_embd = 32;
    cfg.n_head = 2;
    cfg.n_positions = 16;
    smallmind::nn::Gpt2::new(cfg, 5).unwrap()
}

#[test]
fn backward_replacing_equals_zero_grad_then_backward_every_step() {
    let mut rng = Rng::new(8);
    let ids: Vec<u32> = (0..2 * 16).map(|_| rng.below(256) as u32).collect();
    let targets: Vec<u32> = (0..2 * 16).map(|_| rng.below(256) as u32).collect();
    let grads = |m: &smallmind::nn::Gpt2| -> Vec<Vec<f32>> {
        m.graph()
            .params()
            .map(|p| m.graph().grad(p).unwrap().data().to_vec())
            .collect()
    };
    let (mut a, mut b) = (tiny_gpt2(), tiny_gpt2());
    // Three steps: the first creates the buffers, later ones overwrite stale data.
    for step in 0..3 {
        let la = a.loss(&ids, &targets, 2).unwrap();
        a.graph_mut().zero_grad();
        a.graph_mut().backward(la).unwrap();
        let lb = b.loss(&ids, &targets, 2).unwrap();
        b.graph_mut().backward_replacing(lb).unwrap();
        let (ga, gb) = (grads(&a), grads(&b));
        for (i, (x, y)) in ga.iter().zip(&gb).enumerate() {
            for (u, v) in x.iter().zip(y) {
                assert!(
                    (u - v).abs() <= 1e-6 * (1.0 + u.abs()),
                    "step {step}, param {i}: {u} vs {v}"
                );
            }
        }
        a.graph_mut().clear();
        b.graph_mut().clear();
    }
}

#[test]
fn backward_replacing_zeroes_what_no_gradient_reaches() {
    let mut g = Graph::new();
    let w = g.param(randn(&[3], 1)).unwrap();
    let unused = g.param(randn(&[2], 2)).unwrap();
    let s = g.sum(unused).unwrap();
    g.backward(s).unwrap(); // gives `unused` a gradient of ones
    g.clear();
    let s = g.sum(w).unwrap();
    g.backward_replacing(s).unwrap();
    assert_eq!(g.grad(w).unwrap().data(), &[1.0, 1.0, 1.0]);
    assert_eq!(g.grad(unused).unwrap().data(), &[0.0, 0.0]);
    g.clear();
    // Replacing again: not 2, and x + x still sums both uses.
    let s = g.add(w, w).unwrap();
    let s = g.sum(s).unwrap();
    g.backward_replacing(s).unwrap();
    assert_eq!(g.grad(w).unwrap().data(), &[2.0, 2.0, 2.0]);
}
