//! `matmul/N`: one square single-precision product C = A·B (N×N), as sgemm.

use super::buffer::{Floats, floats, zeros};
use super::{Def, Derived, Suite, Workload};
use crate::error::Result;
use smallmind::matmul::blocking::balanced;
use smallmind::matmul::{Trans, sgemm, tuning};
use smallmind::rng::Rng;

const SIZES: [(&str, usize); 4] = [
    ("matmul/128", 128),
    ("matmul/256", 256),
    ("matmul/512", 512),
    ("matmul/1024", 1024),
];

pub fn defs() -> Vec<Def> {
    SIZES
        .iter()
        .map(|&(name, n)| Def {
            name,
            suite: Suite::Code,
            group: "matmul",
            description: match n {
                128 => "one 128×128 @ 128×128 sgemm (C = A·B)",
                256 => "one 256×256 @ 256×256 sgemm (C = A·B)",
                512 => "one 512×512 @ 512×512 sgemm (C = A·B)",
                _ => "one 1024×1024 @ 1024×1024 sgemm (C = A·B)",
            },
            files: &["engine/src/matmul/mod.rs"],
            // 2n³ floating-point operations, in GFLOP.
            derived: vec![Derived::Throughput {
                name: "gflops",
                unit: "GFLOP/s",
                work_per_op: 2.0 * (n as f64).powi(3) * 1e-9,
            }],
            setup: match n {
                128 => || setup(128),
                256 => || setup(256),
                512 => || setup(512),
                _ => || setup(1024),
            },
        })
        .collect()
}

/// Random inputs, fixed seed; C is overwritten by every operation (β = 0).
struct Square {
    n: usize,
    a: Floats,
    b: Floats,
    c: Floats,
}

fn setup(n: usize) -> Result<Box<dyn Workload>> {
    let mut rng = Rng::new(0x6d61_746d + n as u64);
    let mut fill = |len: usize| floats((0..len).map(|_| rng.normal()));
    Ok(Box::new(Square {
        n,
        a: fill(n * n),
        b: fill(n * n),
        c: zeros(n * n),
    }))
}

impl Square {
    /// C = A[:, :k]·B[:k, :], the first `k` columns of A and rows of B.
    fn product(&mut self, k: usize) -> Result<()> {
        let n = self.n;
        // a: (n, k) in an (n, n) buffer, b: (k, n), c: (n, n)
        sgemm(
            Trans::No,
            Trans::No,
            n,
            n,
            k,
            1.0,
            std::hint::black_box(&self.a),
            n,
            &self.b,
            n,
            0.0,
            &mut self.c,
            n,
        )?;
        std::hint::black_box(&mut self.c);
        Ok(())
    }
}

impl Workload for Square {
    fn run(&mut self) -> Result<()> {
        self.product(self.n)
    }

    /// One pass of the product's depth (`kc` of the blocking the product runs, balanced
    /// as the driver balances it): the same tile, blocks and pool buffers as the whole
    /// product, at 1/passes of its cost (a half at 1024³ under KC 384).
    fn warm_up(&mut self) -> Result<()> {
        let tier = smallmind::simd::active();
        let kc = tuning::tuned(tier)
            .blocking
            .for_product(Trans::No, self.n, self.n)
            .kc;
        self.product(balanced(self.n, kc, 8))
    }
}
