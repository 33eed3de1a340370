//! `matmul_backward/MxKxN`: forward and backward of Y = X·W (alloc suite).
//!
//! Through the engine's `matmul` and `matmul_backward` on tensors: every operation
//! rents Y, dX and dW from the engine's pool, as autograd does,
//! so the allocation pass sees whether steady-state training-style work reaches
//! the system allocator.

use super::{Def, Derived, Suite, Workload};
use crate::error::Result;
use smallmind::Tensor;
use smallmind::matmul::{matmul, matmul_backward};
use smallmind::rng::Rng;

const M: usize = 128;
const K: usize = 256;
const N: usize = 128;

pub fn defs() -> Vec<Def> {
    vec![Def {
        name: "matmul_backward/128x256x128",
        suite: Suite::Alloc,
        group: "matmul_backward",
        description: "Y = X·W (128×256 @ 256×128), then dX = dY·Wᵀ and dW = Xᵀ·dY; outputs rented from the pool",
        files: &[
            "engine/src/matmul/batched.rs",
            "engine/src/matmul/mod.rs",
            "engine/src/pool/mod.rs",
        ],
        // Three products of 2·M·K·N flops each.
        derived: vec![Derived::Throughput {
            name: "gflops",
            unit: "GFLOP/s",
            work_per_op: 3.0 * 2.0 * (M * K * N) as f64 * 1e-9,
        }],
        setup,
    }]
}

struct MatmulBackward {
    x: Tensor,
    w: Tensor,
    dy: Tensor,
}

fn setup() -> Result<Box<dyn Workload>> {
    let mut rng = Rng::new(0x6261_636b);
    Ok(Box::new(MatmulBackward {
        x: Tensor::randn(&[M, K], 1.0, &mut rng)?,
        w: Tensor::randn(&[K, N], 0.05, &mut rng)?,
        dy: Tensor::randn(&[M, N], 1.0, &mut rng)?,
    }))
}

impl Workload for MatmulBackward {
    fn run(&mut self) -> Result<()> {
        let (x, w, dy) = (std::hint::black_box(&self.x), &self.w, &self.dy);
        // Forward. x: (M, K), w: (K, N) → y: (M, N)
        let y = matmul(x, w)?;
        // Backward. dy: (M, N) → dx = dy·wᵀ: (M, K), dw = xᵀ·dy: (K, N)
        let (dx, dw) = matmul_backward(x, w, dy)?;
        std::hint::black_box((&y, &dx, &dw));
        Ok(())
    }
}
