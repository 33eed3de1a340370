//! One sgemm problem with its operands, run on a tier and checked against the
//! f64 reference; the strategies of the property test.

use super::*;

/// One sgemm problem with its stored operands.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) ta: Trans,
    pub(crate) tb: Trans,
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) k: usize,
    pub(crate) alpha: f32,
    pub(crate) beta: f32,
    pub(crate) lda: usize,
    pub(crate) ldb: usize,
    pub(crate) ldc: usize,
    pub(crate) a: Vec<f32>,
    pub(crate) b: Vec<f32>,
    pub(crate) c: Vec<f32>,
}

impl Case {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        ta: Trans,
        tb: Trans,
        (m, n, k): (usize, usize, usize),
        (alpha, beta): (f32, f32),
        pad: (usize, usize, usize),
        seed: u64,
    ) -> Case {
        let mut rng = Rng::new(seed);
        let (ar, ac) = if ta == Trans::No { (m, k) } else { (k, m) };
        let (br, bc) = if tb == Trans::No { (k, n) } else { (n, k) };
        let (lda, ldb, ldc) = (ac + pad.0, bc + pad.1, n + pad.2);
        let mut fill =
            |rows: usize, ld: usize| -> Vec<f32> { (0..rows * ld).map(|_| rng.normal()).collect() };
        let a = fill(ar, lda);
        let b = fill(br, ldb);
        // β = 0 must not read C: fill it with NaN then.
        let c = if beta == 0.0 {
            vec![f32::NAN; m * ldc]
        } else {
            fill(m, ldc)
        };
        Case {
            ta,
            tb,
            m,
            n,
            k,
            alpha,
            beta,
            lda,
            ldb,
            ldc,
            a,
            b,
            c,
        }
    }

    pub(crate) fn at(&self, i: usize, p: usize) -> f32 {
        match self.ta {
            Trans::No => self.a[i * self.lda + p],
            Trans::Yes => self.a[p * self.lda + i],
        }
    }

    pub(crate) fn bt(&self, p: usize, j: usize) -> f32 {
        match self.tb {
            Trans::No => self.b[p * self.ldb + j],
            Trans::Yes => self.b[j * self.ldb + p],
        }
    }

    /// Run on `tier` with `threads`, returning the new C.
    pub(crate) fn run(&self, tier: Tier, threads: usize) -> Vec<f32> {
        let mut c = self.c.clone();
        sgemm_with_threads(
            tier, threads, self.ta, self.tb, self.m, self.n, self.k, self.alpha, &self.a, self.lda,
            &self.b, self.ldb, self.beta, &mut c, self.ldc,
        )
        .unwrap();
        c
    }

    /// Run on `tier` with `threads` and an explicit tile and blocks, returning the new C.
    pub(crate) fn run_blocked(&self, tier: Tier, threads: usize, blocking: &Blocking) -> Vec<f32> {
        let mut c = self.c.clone();
        sgemm_with_blocking(
            tier, threads, blocking, self.ta, self.tb, self.m, self.n, self.k, self.alpha, &self.a,
            self.lda, &self.b, self.ldb, self.beta, &mut c, self.ldc,
        )
        .unwrap();
        c
    }

    /// [`Self::check_across_threads`] with an explicit blocking.
    pub(crate) fn check_blocked_across_threads(
        &self,
        tier: Tier,
        blocking: &Blocking,
        threads: &[usize],
    ) {
        let what = format!("{tier} {blocking:?}");
        self.check_runs(&what, threads, |t| self.run_blocked(tier, t, blocking));
    }

    /// Run on one thread and check against the f64 definition, then on each of
    /// `threads`: the result must be bit-identical to the one-thread result.
    pub(crate) fn check_across_threads(&self, tier: Tier, threads: &[usize]) {
        self.check_runs(tier.as_str(), threads, |t| self.run(tier, t));
    }

    /// `run(1)` checked against the f64 definition, then `run(t)` for each of `threads`
    /// bit-identical to it.
    fn check_runs(&self, what: &str, threads: &[usize], run: impl Fn(usize) -> Vec<f32>) {
        let one = run(1);
        self.check(&one, what);
        for &t in threads {
            assert!(
                bits(&run(t)) == bits(&one),
                "{what} t={t} {}×{}×{} {:?}{:?}",
                self.m,
                self.n,
                self.k,
                self.ta,
                self.tb
            );
        }
    }

    /// Check `got` against the f64 definition, with a bound that scales with k and magnitudes;
    /// padding columns of C must be untouched.
    pub(crate) fn check(&self, got: &[f32], what: &str) {
        for i in 0..self.m {
            for j in 0..self.ldc {
                let idx = i * self.ldc + j;
                if j >= self.n {
                    assert!(
                        got[idx].to_bits() == self.c[idx].to_bits(),
                        "{what}: padding C[{i},{j}] was written"
                    );
                    continue;
                }
                let (mut s, mut mag) = (0.0f64, 0.0f64);
                for p in 0..self.k {
                    let t = self.at(i, p) as f64 * self.bt(p, j) as f64;
                    s += t;
                    mag += t.abs();
                }
                let old = if self.beta == 0.0 {
                    0.0
                } else {
                    self.c[idx] as f64
                };
                let want = self.alpha as f64 * s + self.beta as f64 * old;
                let scale = self.alpha.abs() as f64 * mag + (self.beta as f64 * old).abs();
                let tol = 4e-7 * (self.k as f64 + 4.0) * scale + 1e-30;
                let g = got[idx] as f64;
                assert!(
                    (g - want).abs() <= tol,
                    "{what}: C[{i},{j}] = {g}, want {want} (tol {tol}); case {:?}",
                    (
                        self.ta, self.tb, self.m, self.n, self.k, self.alpha, self.beta
                    )
                );
            }
        }
    }
}

pub(crate) fn trans() -> impl Strategy<Value = Trans> {
    prop_oneof![Just(Trans::No), Just(Trans::Yes)]
}

pub(crate) fn scalars() -> impl Strategy<Value = (f32, f32)> {
    prop_oneof![
        Just((1.0f32, 0.0f32)),
        Just((1.0, 1.0)),
        Just((-0.5, 0.0)),
        Just((2.0, -1.5)),
        Just((0.0, 0.5)),
    ]
}

pub(crate) fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}
