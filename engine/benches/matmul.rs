//! sgemm against its peers in one run: the engine, `gemm` (built with its `x86-v4`
//! feature, i.e. its AVX-512 kernels) and `matrixmultiply`, on 1 and 2 threads.
//!
//! Throughput is reported in elements = floating-point operations (2·m·n·k), so
//! criterion's `Gelem/s` reads as GFLOPS.
//!
//! `matrixmultiply` fixes its thread count at first use from `MATMUL_NUM_THREADS`;
//! this bench sets it to 1 unless it is already set, so its 2-thread figure needs a
//! separate run: `MATMUL_NUM_THREADS=2 cargo bench -p smallmind --bench matmul -- matrixmultiply`.
//!
//! Run: `cargo bench -p smallmind --bench matmul` (add `-- --measurement-time 2
//! --warm-up-time 1` while developing). On a loaded machine, where criterion's
//! one-library-then-the-other order lets load drift skew the ratio, the example
//! `sgemm_interleaved` times the engine and `gemm` alternately, round by round.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use smallmind::matmul::{Trans, sgemm_with_threads};
use smallmind::rng::Rng;
use smallmind::simd::Tier;
use std::hint::black_box;

/// A library under test.
#[derive(Clone, Copy)]
enum Lib {
    Engine(usize),
    Gemm(usize),
    MatrixMultiply,
}

impl Lib {
    fn name(self) -> String {
        match self {
            Lib::Engine(t) => format!("engine/t{t}"),
            Lib::Gemm(t) => format!("gemm-x86v4/t{t}"),
            Lib::MatrixMultiply => format!("matrixmultiply/t{}", mm_threads()),
        }
    }

    fn all() -> [Lib; 5] {
        [
            Lib::Engine(1),
            Lib::Gemm(1),
            Lib::MatrixMultiply,
            Lib::Engine(2),
            Lib::Gemm(2),
        ]
    }
}

fn mm_threads() -> String {
    std::env::var("MATMUL_NUM_THREADS").unwrap_or_else(|_| "1".into())
}

/// One product C = op(A)·op(B), row-major, tightly packed operands.
#[derive(Clone, Copy)]
struct Prod {
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
}

impl Prod {
    fn nn(m: usize, n: usize, k: usize) -> Prod {
        Prod {
            ta: Trans::No,
            tb: Trans::No,
            m,
            n,
            k,
        }
    }

    fn flops(self) -> u64 {
        2 * (self.m * self.n * self.k) as u64
    }

    /// (row stride, column stride) of op(A) and op(B) as stored.
    fn strides(self) -> ((usize, usize), (usize, usize)) {
        let a = match self.ta {
            Trans::No => (self.k, 1),
            Trans::Yes => (1, self.m),
        };
        let b = match self.tb {
            Trans::No => (self.n, 1),
            Trans::Yes => (1, self.k),
        };
        (a, b)
    }

    fn run(self, lib: Lib, a: &[f32], b: &[f32], c: &mut [f32]) {
        let ((ars, acs), (brs, bcs)) = self.strides();
        let (m, n, k) = (self.m, self.n, self.k);
        match lib {
            Lib::Engine(t) => {
                let lda = if self.ta == Trans::No { k } else { m };
                let ldb = if self.tb == Trans::No { n } else { k };
                sgemm_with_threads(
                    Tier::best_available(),
                    t,
                    self.ta,
                    self.tb,
                    m,
                    n,
                    k,
                    1.0,
                    a,
                    lda,
                    b,
                    ldb,
                    0.0,
                    c,
                    n,
                )
                .expect("engine sgemm");
            }
            // SAFETY: the strides describe the tightly packed slices above.
            Lib::Gemm(t) => unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    c.as_mut_ptr(),
                    1,
                    n as isize,
                    false,
                    a.as_ptr(),
                    acs as isize,
                    ars as isize,
                    b.as_ptr(),
                    bcs as isize,
                    brs as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    if t == 1 {
                        gemm::Parallelism::None
                    } else {
                        gemm::Parallelism::Rayon(t)
                    },
                )
            },
            // SAFETY: as above.
            Lib::MatrixMultiply => unsafe {
                matrixmultiply::sgemm(
                    m,
                    k,
                    n,
                    1.0,
                    a.as_ptr(),
                    ars as isize,
                    acs as isize,
                    b.as_ptr(),
                    brs as isize,
                    bcs as isize,
                    0.0,
                    c.as_mut_ptr(),
                    n as isize,
                    1,
                )
            },
        }
    }
}

fn data(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.normal()).collect()
}

/// Benchmark a sequence of products (one "call" = all of them) for every library.
fn bench_seq(c: &mut Criterion, group: &str, id: &str, prods: &[Prod]) {
    let mut g = c.benchmark_group(group);
    let flops: u64 = prods.iter().map(|p| p.flops()).sum();
    g.throughput(Throughput::Elements(flops));
    let ops: Vec<_> = prods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                *p,
                data(p.m * p.k, 2 * i as u64 + 1),
                data(p.k * p.n, 2 * i as u64 + 2),
                vec![0.0f32; p.m * p.n],
            )
        })
        .collect();
    let mut ops = ops;
    for lib in Lib::all() {
        g.bench_function(BenchmarkId::new(lib.name(), id), |bench| {
            bench.iter(|| {
                for (p, a, b, out) in ops.iter_mut() {
                    p.run(lib, black_box(a), black_box(b), out);
                }
                black_box(&ops);
            })
        });
    }
    g.finish();
}

/// A linear layer's products, x (m, k) @ w (k, n): the forward, then its backward
/// pair dx = dy·wᵀ (m, k) and dw = xᵀ·dy (k, n).
fn linear_layer(m: usize, k: usize, n: usize) -> [Prod; 3] {
    let fwd = Prod::nn(m, n, k);
    let dx = Prod {
        ta: Trans::No,
        tb: Trans::Yes,
        m,
        n: k,
        k: n,
    };
    let dw = Prod {
        ta: Trans::Yes,
        tb: Trans::No,
        m: k,
        n,
        k: m,
    };
    [fwd, dx, dw]
}

fn square(c: &mut Criterion) {
    for s in [64, 128, 256, 512, 1024] {
        bench_seq(c, "sgemm_square", &s.to_string(), &[Prod::nn(s, s, s)]);
    }
}

fn mlp(c: &mut Criterion) {
    // Forward: x (128, 256) @ w (256, 128); backward: dx = dy·wᵀ, dw = xᵀ·dy.
    let [fwd, dx, dw] = linear_layer(128, 256, 128);
    bench_seq(c, "sgemm_mlp_128x256x128", "forward", &[fwd]);
    bench_seq(c, "sgemm_mlp_128x256x128", "backward", &[dx, dw]);
    bench_seq(
        c,
        "sgemm_mlp_128x256x128",
        "forward+backward",
        &[fwd, dx, dw],
    );
}

/// The linear layers of a training step (issue #4: training is ≈ 3/4 matrix products):
/// x (B·T, C) @ w (C, OC) forward, and its backward pair dx = dy·wᵀ (k = OC),
/// dw = xᵀ·dy (k = B·T = 2048): the small model's (C = 128) four linear layers, and
/// the medium model's (C = 256) MLP projection, whose dw reads a 1024-wide x
/// transposed. (`examples/sgemm_interleaved/ small medium` runs every product of
/// both models' steps, interleaved with `gemm`.)
fn training(c: &mut Criterion) {
    for (m, k, n) in [
        (2048, 128, 384),
        (2048, 128, 128),
        (2048, 128, 512),
        (2048, 512, 128),
        (2048, 1024, 256),
    ] {
        let [fwd, dx, dw] = linear_layer(m, k, n);
        let id = format!("{m}x{k}@{k}x{n}");
        bench_seq(c, "sgemm_train", &format!("{id}.forward"), &[fwd]);
        bench_seq(c, "sgemm_train", &format!("{id}.backward"), &[dx, dw]);
    }
}

fn gemv(c: &mut Criterion) {
    bench_seq(c, "gemv", "1x256@256x768", &[Prod::nn(1, 768, 256)]);
}

criterion_group!(benches, square, mlp, training, gemv);

fn main() {
    if std::env::var_os("MATMUL_NUM_THREADS").is_none() {
        // SAFETY: no other thread exists yet.
        unsafe { std::env::set_var("MATMUL_NUM_THREADS", "1") };
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
