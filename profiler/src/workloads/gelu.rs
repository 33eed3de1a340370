//! `gelu/N`: the tanh-approximated GELU over N floats.

use super::buffer::{Floats, floats, zeros};
use super::{Def, Derived, Suite, Workload};
use crate::error::Result;
use smallmind::kernels::gelu::gelu_tanh;
use smallmind::rng::Rng;

pub fn defs() -> Vec<Def> {
    [
        ("gelu/1k", 1_000usize, (|| setup(1_000)) as fn() -> _),
        ("gelu/10k", 10_000, || setup(10_000)),
        ("gelu/100k", 100_000, || setup(100_000)),
        ("gelu/1m", 1_000_000, || setup(1_000_000)),
    ]
    .into_iter()
    .map(|(name, n, setup)| Def {
        name,
        suite: Suite::Code,
        group: "gelu",
        description: match n {
            1_000 => "GELU (tanh approximation) over 1,000 f32",
            10_000 => "GELU (tanh approximation) over 10,000 f32",
            100_000 => "GELU (tanh approximation) over 100,000 f32",
            _ => "GELU (tanh approximation) over 1,000,000 f32",
        },
        files: &["engine/src/kernels/gelu.rs"],
        derived: vec![Derived::Throughput {
            name: "elements_per_s",
            unit: "elem/s",
            work_per_op: n as f64,
        }],
        setup,
    })
    .collect()
}

struct Gelu {
    x: Floats,
    out: Floats,
}

fn setup(n: usize) -> Result<Box<dyn Workload>> {
    let mut rng = Rng::new(0x6765_6c75 + n as u64);
    // Inputs over the range activations take (≈ N(0, 2²)), both tails included.
    let x = floats((0..n).map(|_| 2.0 * rng.normal()));
    Ok(Box::new(Gelu { x, out: zeros(n) }))
}

impl Workload for Gelu {
    fn run(&mut self) -> Result<()> {
        // x, out: (N,)
        gelu_tanh(std::hint::black_box(&self.x), &mut self.out)?;
        std::hint::black_box(&mut self.out);
        Ok(())
    }
}
