//! `tensor/*`: one elementwise op through the Tensor API (`Tensor::add`, `Tensor::mul`,
//! NumPy broadcasting). Each operation rents its output tensor from the engine's pool and returns it on drop, so these workloads
//! measure the op *and* the pool's steady-state rent/return path.

use super::{Def, Suite, Workload};
use crate::error::Result;
use smallmind::Tensor;
use smallmind::rng::Rng;

pub fn defs() -> Vec<Def> {
    vec![
        Def {
            name: "tensor/add_10k",
            suite: Suite::Code,
            group: "tensor",
            description: "a + b on two 10,000-element tensors into a pooled output tensor",
            files: &[
                "engine/src/kernels/elementwise.rs",
                "engine/src/tensor/ops.rs",
                "engine/src/pool/mod.rs",
            ],
            derived: Vec::new(),
            setup: || setup(Kind::Add),
        },
        Def {
            name: "tensor/mul_10k",
            suite: Suite::Code,
            group: "tensor",
            description: "a * b on two 10,000-element tensors into a pooled output tensor",
            files: &[
                "engine/src/kernels/elementwise.rs",
                "engine/src/tensor/ops.rs",
                "engine/src/pool/mod.rs",
            ],
            derived: Vec::new(),
            setup: || setup(Kind::Mul),
        },
        Def {
            name: "tensor/broadcast_100x100",
            suite: Suite::Code,
            group: "tensor",
            description: "a (100×100) + b (100) broadcast over rows into a pooled output tensor",
            files: &[
                "engine/src/kernels/broadcast.rs",
                "engine/src/tensor/ops.rs",
                "engine/src/pool/mod.rs",
            ],
            derived: Vec::new(),
            setup: || setup(Kind::Broadcast),
        },
    ]
}

#[derive(Clone, Copy)]
enum Kind {
    Add,
    Mul,
    Broadcast,
}

struct Elementwise {
    kind: Kind,
    a: Tensor,
    b: Tensor,
}

fn setup(kind: Kind) -> Result<Box<dyn Workload>> {
    let mut rng = Rng::new(0x7465_6e73);
    let (a_dims, b_dims): (&[usize], &[usize]) = match kind {
        Kind::Add | Kind::Mul => (&[10_000], &[10_000]),
        Kind::Broadcast => (&[100, 100], &[100]),
    };
    Ok(Box::new(Elementwise {
        kind,
        a: Tensor::randn(a_dims, 1.0, &mut rng)?,
        b: Tensor::randn(b_dims, 1.0, &mut rng)?,
    }))
}

impl Workload for Elementwise {
    fn run(&mut self) -> Result<()> {
        let (a, b) = (std::hint::black_box(&self.a), &self.b);
        // The output is rented from the pool by the op and returned when it drops.
        let out = match self.kind {
            // a, b, out: (10000,)
            Kind::Add => a.add(b)?,
            Kind::Mul => a.mul(b)?,
            // a, out: (100, 100), b: (100,) broadcast over rows
            Kind::Broadcast => a.add(b)?,
        };
        std::hint::black_box(&out);
        Ok(())
    }
}
