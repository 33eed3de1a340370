//! The reference products the calibration times (the main set, the narrow
//! weight gradients, squares) and how a round of them is timed and scored.

use super::super::file::TuningError;
use crate::matmul::blocking::Blocking;
use crate::matmul::{Trans, sgemm_with_blocking};
use crate::simd::Tier;
use std::time::Instant;

/// One reference product: C = op(A)·op(B) on fixed random operands.
pub(super) struct Product {
    pub(super) ta: Trans,
    pub(super) tb: Trans,
    pub(super) m: usize,
    pub(super) n: usize,
    pub(super) k: usize,
    pub(super) a: Vec<f32>,
    pub(super) b: Vec<f32>,
    pub(super) c: Vec<f32>,
    pub(super) reps: usize,
}

impl Product {
    pub(super) fn new(spec: (usize, usize, usize, Trans, Trans), seed: u64) -> Product {
        let (m, n, k, ta, tb) = spec;
        let mut rng = crate::rng::Rng::new(seed);
        let a = (0..m * k).map(|_| rng.normal()).collect();
        let b = (0..k * n).map(|_| rng.normal()).collect();
        let flops = 2.0 * (m * n * k) as f64;
        Product {
            ta,
            tb,
            m,
            n,
            k,
            a,
            b,
            c: vec![0.0; m * n],
            // At least ~0.3 ms a measurement, so timer and call overheads vanish.
            reps: ((6e7 / flops).ceil() as usize).max(1),
        }
    }

    pub(super) fn flops(&self) -> f64 {
        2.0 * (self.m * self.n * self.k) as f64
    }

    /// Seconds per call with `blocking`, over `reps` calls.
    pub(super) fn time(&mut self, tier: Tier, blocking: &Blocking) -> Result<f64, TuningError> {
        let lda = if self.ta == Trans::No { self.k } else { self.m };
        let ldb = if self.tb == Trans::No { self.n } else { self.k };
        let t0 = Instant::now();
        for _ in 0..self.reps {
            sgemm_with_blocking(
                tier,
                1,
                blocking,
                self.ta,
                self.tb,
                self.m,
                self.n,
                self.k,
                1.0,
                &self.a,
                lda,
                &self.b,
                ldb,
                0.0,
                &mut self.c,
                self.n,
            )
            .map_err(|e| TuningError::Calibration(e.to_string()))?;
        }
        std::hint::black_box(&mut self.c);
        Ok(t0.elapsed().as_secs_f64() / self.reps as f64)
    }
}

/// The products of stages 1–3: squares, the three products of a linear layer of a
/// training step (forward, input gradient, weight gradient), a deep forward whose A
/// rows are 4 KiB apart at side 1024 (a GPT-2 MLP's second layer; without it, an NC of
/// ¼ L2 won on the others and ran it 6 % slower, A then packed), and a small
/// batch (32 rows, as the MLP workload; a tall tile pads its last row panel there).
pub(super) fn main_set(largest: usize) -> Vec<Product> {
    let (no, t) = (Trans::No, Trans::Yes);
    let big = largest.max(64);
    let specs = [
        (32, big / 4, big / 4, no, no),
        (big / 4, big / 4, big / 4, no, no),
        (big / 2, big / 2, big / 2, no, no),
        (big, big, big, no, no),
        (2 * big, big / 2, big / 8, no, no),
        (2 * big, big / 8, big / 2, no, t),
        (big / 2, big / 8, 2 * big, t, no),
        (2 * big, big / 4, big, no, no),
    ];
    specs
        .iter()
        .enumerate()
        .map(|(i, &s)| Product::new(s, 100 + i as u64))
        .collect()
}

/// The narrow weight gradients Aᵀ·B of stages 4–6, A stored (k, m): rows 0.5–4 KiB
/// apart.
pub(super) fn gradient_set(largest: usize) -> Vec<Product> {
    let (no, t) = (Trans::No, Trans::Yes);
    let s = largest.max(64) / 8;
    let k = 2 * largest.max(64);
    let specs = [
        (s, s, k, t, no),
        (2 * s, s, k, t, no),
        (2 * s, 2 * s, k, t, no),
        (4 * s, s, k, t, no),
        (8 * s, 2 * s, k, t, no),
    ];
    specs
        .iter()
        .enumerate()
        .map(|(i, &s)| Product::new(s, 200 + i as u64))
        .collect()
}

/// Squares from 1/16 to 1/2 of the largest side (64–512), and two products of twice the
/// largest side's rows with a small B (2048×512×128 and 2048×128×128), B row-major:
/// whether to read B in place (stage 7). The tall ones because in place won on squares
/// up to 384 and ran them 4–7 % slower (a B read in place serves every row panel from
/// its strided rows).
pub(super) fn square_set(largest: usize) -> Vec<Product> {
    let no = Trans::No;
    let big = largest.max(64);
    let squares = [1, 2, 3, 4, 6, 8].map(|s| {
        let side = (big * s / 16).max(4);
        (side, side, side)
    });
    let tall = [(2 * big, big / 2, big / 8), (2 * big, big / 8, big / 8)];
    squares
        .iter()
        .chain(&tall)
        .enumerate()
        .map(|(i, &(m, n, k))| Product::new((m, n.max(4), k.max(4), no, no), 300 + i as u64))
        .collect()
}

/// Per candidate, per round: seconds per call of each product.
pub(super) type Times = Vec<Vec<Vec<f64>>>;

/// The reference products of the stages, for the final check.
pub(super) struct Sets {
    pub(super) main: Vec<Product>,
    pub(super) grads: Vec<Product>,
    pub(super) squares: Vec<Product>,
}

/// Time every candidate on every product, `rounds` times, the candidates in an order
/// drawn afresh each round (seeded: a calibration repeats its orders). Rotated only, each
/// candidate always ran after the same one, whose cache state it found: in the
/// `sgemm_interleaved` example such a fixed neighbour moved a blocking by up to 3 %.
pub(super) fn measure(
    tier: Tier,
    candidates: &[Blocking],
    products: &mut [Product],
    rounds: usize,
) -> Result<Times, TuningError> {
    // One untimed pass: first-touch page faults and the pool's first rentals.
    for cand in candidates {
        for p in products.iter_mut() {
            p.time(tier, cand)?;
        }
    }
    let mut times = vec![Vec::with_capacity(rounds); candidates.len()];
    let mut shuffle = crate::rng::Rng::new(0x5eed);
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    for _ in 0..rounds {
        shuffle.shuffle(&mut order);
        for &c in &order {
            let row = products
                .iter_mut()
                .map(|p| p.time(tier, &candidates[c]))
                .collect::<Result<Vec<f64>, _>>()?;
            times[c].push(row);
        }
    }
    Ok(times)
}

/// Geometric mean of GFLOPS over products, for one round of one candidate.
pub(super) fn gflops(products: &[Product], secs: &[f64]) -> f64 {
    geomean_gflops(
        products
            .iter()
            .map(Product::flops)
            .zip(secs.iter().copied()),
    )
}

/// Geometric mean of GFLOPS over (flops, seconds) pairs.
pub(super) fn geomean_gflops(runs: impl ExactSizeIterator<Item = (f64, f64)>) -> f64 {
    let n = runs.len() as f64;
    let logs: f64 = runs.map(|(f, s)| (f / s / 1e9).ln()).sum();
    (logs / n).exp()
}

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}
