//! Every public dispatching kernel charges its time to its op when
//! instrumentation is on (one process: the profile totals are global).

use smallmind::Tensor;
use smallmind::kernels::{broadcast, elementwise, gelu, layernorm, reduce, softmax};
use smallmind::profile::{self, Op};

#[test]
fn kernels_are_charged_to_their_ops() {
    profile::set_enabled(true);
    profile::reset();
    let x = vec![0.5f32; 64];
    let mut out = vec![0.0f32; 64];
    let mut dx = vec![0.0f32; 64];
    gelu::gelu_tanh(&x, &mut out).unwrap();
    gelu::gelu_erf_backward(&x, &x, &mut dx).unwrap();
    softmax::softmax_rows(&x, &mut out, 16).unwrap();
    softmax::log_softmax_backward(&x, &x, &mut dx, 16).unwrap();
    let (g, b) = (vec![1.0f32; 16], vec![0.0f32; 16]);
    let (mut m, mut r) = (vec![0.0f32; 4], vec![0.0f32; 4]);
    layernorm::layer_norm(&x, &g, &b, 1e-5, &mut out, &mut m, &mut r).unwrap();
    elementwise::add(&x, &x, &mut out).unwrap();
    elementwise::axpy(2.0, &x, &mut dx).unwrap();
    elementwise::mul(&x, &x, &mut out).unwrap();
    broadcast::mul_row(&x, &g, &mut out).unwrap();
    reduce::sum(&x);
    let t = Tensor::from_slice(&x, &[4, 16]).unwrap();
    let _ = t.add(&t).unwrap();
    let snap = profile::snapshot();
    profile::set_enabled(false);
    let calls = |op| {
        snap.iter()
            .find(|(o, _)| *o == op)
            .map_or(0, |(_, s)| s.calls)
    };
    assert_eq!(calls(Op::Gelu), 2, "{snap:?}");
    assert_eq!(calls(Op::Softmax), 2, "{snap:?}");
    assert_eq!(calls(Op::LayerNorm), 1, "{snap:?}");
    assert_eq!(calls(Op::Add), 3, "{snap:?}");
    assert_eq!(calls(Op::Mul), 2, "{snap:?}");
    assert_eq!(calls(Op::Other), 1, "{snap:?}");
}
