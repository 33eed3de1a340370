//! `softmax/N`: a numerically stable softmax of one row of N floats.

use super::buffer::{Floats, floats, zeros};
use super::{Def, Derived, Suite, Workload};
use crate::error::Result;
use smallmind::kernels::softmax::softmax_rows;
use smallmind::rng::Rng;

pub fn defs() -> Vec<Def> {
    [
        ("softmax/256", 256usize, (|| setup(256)) as fn() -> _),
        ("softmax/512", 512, || setup(512)),
        ("softmax/1024", 1024, || setup(1024)),
        ("softmax/2048", 2048, || setup(2048)),
    ]
    .into_iter()
    .map(|(name, n, setup)| Def {
        name,
        suite: Suite::Code,
        group: "softmax",
        description: match n {
            256 => "softmax of one row of 256 f32",
            512 => "softmax of one row of 512 f32",
            1024 => "softmax of one row of 1,024 f32",
            _ => "softmax of one row of 2,048 f32",
        },
        files: &["engine/src/kernels/softmax.rs"],
        derived: vec![Derived::Throughput {
            name: "elements_per_s",
            unit: "elem/s",
            work_per_op: n as f64,
        }],
        setup,
    })
    .collect()
}

struct Softmax {
    n: usize,
    x: Floats,
    out: Floats,
}

fn setup(n: usize) -> Result<Box<dyn Workload>> {
    let mut rng = Rng::new(0x736f_6674 + n as u64);
    // Logits of attention scale: a few units of spread.
    let x = floats((0..n).map(|_| 3.0 * rng.normal()));
    Ok(Box::new(Softmax {
        n,
        x,
        out: zeros(n),
    }))
}

impl Workload for Softmax {
    fn run(&mut self) -> Result<()> {
        // x, out: (1, N)
        softmax_rows(std::hint::black_box(&self.x), &mut self.out, self.n)?;
        std::hint::black_box(&mut self.out);
        Ok(())
    }
}
