//! Matrix products: sgemm (BLAS semantics, row-major), gemv, and matmul on tensors.
//!
//! Layout (one concept a file):
//! - `blocking.rs`: register tile and cache blocks (MC, KC, NC and why), their defaults;
//! - `cache.rs`: this CPU's L1d and L2 sizes, which the defaults are derived from;
//! - `tuning/`: which tile and blocks each tier uses here, measured once per CPU model
//!   (`sgemm_tune`), cached in a file, read at first use (`docs/sgemm-tuning.md`);
//! - `pack.rs`: copying operand blocks into the micro-panel layout (transposes absorbed here);
//! - `kernel/`: the micro-kernels, `scalar.rs` (the specification), `avx2.rs`, `avx512.rs`;
//! - `driver/`: the loop nest around them and the split among threads;
//! - `gemv.rs`: the bandwidth-bound m = 1 / n = 1 path;
//! - `batched.rs`: [`matmul`] and [`matmul_backward`] on tensors;
//! - `inject.rs`: the test-only slowdown knob.
//!
//! Dispatch follows [`crate::simd::active`] (`SMALLMIND_SIMD`), threads follow
//! [`crate::threads::threads`] (`SMALLMIND_THREADS`), the tile and blocks
//! [`tuning::active`] (`SMALLMIND_SGEMM_TUNING`); `*_with` forms pick them explicitly.
//!
//! **Slowdown injection (tests only).** `SMALLMIND_INJECT_SLOWDOWN_PCT=<n>`, read once
//! per process, makes every sgemm and gemv do about n % extra real arithmetic (a share
//! of micro-kernel calls is repeated into a discarded scratch tile), so both wall time
//! and instruction counts rise by about n % while results stay identical. The
//! profiler's tests use it to plant a known regression. Off, it costs one predictable
//! branch per micro-kernel call.

pub mod batched;
pub mod blocking;
pub mod cache;
mod driver;
pub mod gemv;
pub mod inject;
pub mod kernel;
pub mod pack;
pub mod tuning;

pub use batched::{matmul, matmul_backward, matmul_backward_with, matmul_with};
pub use driver::PAR_MIN_MNK;

use crate::error::{Error, Result};
use crate::profile::{Op, scope};
use crate::simd::Tier;
use blocking::Blocking;
use driver::View;
use tuning::Tuned;

/// Whether an operand is used as stored or transposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trans {
    /// op(X) = X
    No,
    /// op(X) = Xᵀ
    Yes,
}

/// C = α·op(A)·op(B) + β·C, row-major with leading dimensions.
///
/// op(A) is m×k, op(B) is k×n, C is m×n. A is stored m×k (lda ≥ k) when `ta == No`,
/// k×m (lda ≥ m) when `Yes`; likewise B. When β = 0, C is not read (NaN in C does not leak).
/// Runs on the active SIMD tier and the configured thread count.
// a: op(A) (m, k), b: op(B) (k, n), c: (m, n)
pub fn sgemm(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> Result<()> {
    let _s = scope(Op::Matmul);
    sgemm_impl(
        crate::simd::active(),
        crate::threads::threads(),
        ta,
        tb,
        (m, n, k),
        alpha,
        (a, lda),
        (b, ldb),
        beta,
        (c, ldc),
    )
}

/// [`sgemm`] on a chosen tier (tests and benchmarks); an unavailable tier is an error.
pub fn sgemm_with(
    tier: Tier,
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> Result<()> {
    sgemm_with_threads(
        tier,
        crate::threads::threads(),
        ta,
        tb,
        m,
        n,
        k,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
    )
}

/// [`sgemm`] on a chosen tier and thread count (tests and benchmarks).
pub fn sgemm_with_threads(
    tier: Tier,
    threads: usize,
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> Result<()> {
    let _s = scope(Op::Matmul);
    sgemm_impl(
        tier,
        threads,
        ta,
        tb,
        (m, n, k),
        alpha,
        (a, lda),
        (b, ldb),
        beta,
        (c, ldc),
    )
}

/// [`sgemm`] on a chosen tier and thread count with a chosen tile and blocks (the
/// calibration, tests of every tile, benchmarks); a blocking `tier` cannot run
/// (a tile it does not offer, blocks out of range) is an error.
pub fn sgemm_with_blocking(
    tier: Tier,
    threads: usize,
    blocking: &Blocking,
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> Result<()> {
    let _s = scope(Op::Matmul);
    let tuned = Tuned::new(tier, *blocking).map_err(|e| Error::arg("sgemm", e))?;
    sgemm_checked(
        tier,
        threads,
        tuned,
        ta,
        tb,
        (m, n, k),
        alpha,
        (a, lda),
        (b, ldb),
        beta,
        (c, ldc),
    )
}

/// Checks, then the driver with this process's tuning; no profiling scope (callers open it once).
pub(crate) fn sgemm_impl(
    tier: Tier,
    threads: usize,
    ta: Trans,
    tb: Trans,
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    (a, lda): (&[f32], usize),
    (b, ldb): (&[f32], usize),
    beta: f32,
    (c, ldc): (&mut [f32], usize),
) -> Result<()> {
    let tuned = tuning::tuned(tier);
    sgemm_checked(
        tier,
        threads,
        tuned,
        ta,
        tb,
        (m, n, k),
        alpha,
        (a, lda),
        (b, ldb),
        beta,
        (c, ldc),
    )
}

/// Checks, then the driver with `tuned`.
fn sgemm_checked(
    tier: Tier,
    threads: usize,
    tuned: Tuned,
    ta: Trans,
    tb: Trans,
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    (a, lda): (&[f32], usize),
    (b, ldb): (&[f32], usize),
    beta: f32,
    (c, ldc): (&mut [f32], usize),
) -> Result<()> {
    if !tier.is_available() {
        return Err(Error::TierUnavailable {
            requested: tier.to_string(),
            available: Tier::available()
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if threads == 0 {
        return Err(Error::arg("sgemm", "the thread count must be at least 1"));
    }
    check_operand("sgemm", "A", ta, m, k, a.len(), lda)?;
    check_operand("sgemm", "B", tb, k, n, b.len(), ldb)?;
    check_operand("sgemm", "C", Trans::No, m, n, c.len(), ldc)?;
    driver::gemm(
        tier,
        threads,
        tuned,
        (m, n, k),
        alpha,
        View::new(a, ta, lda),
        View::new(b, tb, ldb),
        beta,
        c,
        ldc,
    );
    Ok(())
}

/// Check that a stored operand of logical shape rows×cols (after op) fits its slice.
fn check_operand(
    op: &'static str,
    name: &str,
    t: Trans,
    rows: usize,
    cols: usize,
    len: usize,
    ld: usize,
) -> Result<()> {
    let (sr, sc) = match t {
        Trans::No => (rows, cols),
        Trans::Yes => (cols, rows),
    };
    if sr == 0 || sc == 0 {
        return Ok(());
    }
    if ld < sc {
        return Err(Error::arg(
            op,
            format!("{name}: leading dimension {ld} < {sc} columns"),
        ));
    }
    let need = (sr - 1)
        .checked_mul(ld)
        .and_then(|x| x.checked_add(sc))
        .ok_or_else(|| {
            Error::arg(
                op,
                format!("{name}: {sr}×{sc} with leading dimension {ld} overflows"),
            )
        })?;
    if len < need {
        return Err(Error::arg(
            op,
            format!(
                "{name}: {sr}×{sc} with leading dimension {ld} needs {need} elements, got {len}"
            ),
        ));
    }
    Ok(())
}
