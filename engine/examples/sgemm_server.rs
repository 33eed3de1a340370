//! Batches of sgemm on request, for measuring the engine in lockstep with another
//! library in another process (`scripts/bench_matmul_torch.py` alternates it batch by
//! batch with PyTorch's MKL on one CPU, so a slow spell of a shared host falls on both).
//!
//! `cargo run --release -p smallmind --example sgemm_server -- 512 1024 2048x128x512:tn`
//! (shapes as `sgemm_interleaved` reads them: `n` or `MxNxK`, optionally `:tn`-style
//! transposes), then on stdin one line per batch: `<shape index> <calls>` runs that
//! many products C = op(A)·op(B) on fixed random operands and answers with the wall
//! time in nanoseconds; end of input ends it. One thread unless `SMALLMIND_THREADS`
//! says otherwise; the tile and blocks are the tuning in force, printed on stderr.
//! Prints `ready` once every shape has run once.

use smallmind::matmul::{Trans, sgemm, tuning};
use std::io::{BufRead, Write};
use std::time::Instant;

/// One product with its operands.
struct Product {
    m: usize,
    n: usize,
    k: usize,
    ta: Trans,
    tb: Trans,
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
}

impl Product {
    fn parse(spec: &str, seed: u64) -> Option<Product> {
        let (dims, ops) = spec.split_once(':').unwrap_or((spec, "nn"));
        let d: Vec<usize> = dims
            .split('x')
            .map(|x| x.parse().ok())
            .collect::<Option<_>>()?;
        let (m, n, k) = match d[..] {
            [s] => (s, s, s),
            [m, n, k] => (m, n, k),
            _ => return None,
        };
        let op = |c: Option<char>| match c {
            Some('n') => Some(Trans::No),
            Some('t') => Some(Trans::Yes),
            _ => None,
        };
        let mut c = ops.chars();
        let (ta, tb) = (op(c.next())?, op(c.next())?);
        let mut rng = smallmind::rng::Rng::new(seed);
        Some(Product {
            m,
            n,
            k,
            ta,
            tb,
            a: (0..m * k).map(|_| rng.normal()).collect(),
            b: (0..k * n).map(|_| rng.normal()).collect(),
            c: vec![0.0; m * n],
        })
    }

    fn run(&mut self) -> smallmind::Result<()> {
        let lda = if self.ta == Trans::No { self.k } else { self.m };
        let ldb = if self.tb == Trans::No { self.n } else { self.k };
        sgemm(
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
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("SMALLMIND_THREADS").is_none() {
        smallmind::threads::set_threads(1)?;
    }
    let tier = smallmind::simd::init()?;
    let mut products = Vec::new();
    for (i, spec) in std::env::args().skip(1).enumerate() {
        let p = Product::parse(&spec, 7 + i as u64)
            .ok_or_else(|| format!("cannot read the shape {spec:?} (want n, MxNxK or MxNxK:tn)"))?;
        products.push(p);
    }
    if products.is_empty() {
        return Err("give at least one shape".into());
    }
    eprintln!("sgemm_server: {}", tuning::active().describe(tier));
    for p in &mut products {
        p.run()?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let mut it = line.split_whitespace();
        let (Some(i), Some(calls), None) = (
            it.next().and_then(|v| v.parse::<usize>().ok()),
            it.next().and_then(|v| v.parse::<usize>().ok()),
            it.next(),
        ) else {
            return Err(
                format!("unexpected request {line:?} (want `<shape index> <calls>`)").into(),
            );
        };
        let p = products.get_mut(i).ok_or_else(|| format!("no shape {i}"))?;
        let t0 = Instant::now();
        for _ in 0..calls {
            p.run()?;
            std::hint::black_box(&mut p.c);
        }
        writeln!(out, "{}", t0.elapsed().as_nanos())?;
        out.flush()?;
    }
    Ok(())
}
