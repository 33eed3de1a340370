//! Matrix products: sgemm (BLAS semantics, row-major), and matmul on tensors.

use crate::error::{Error, Result};

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
    check_operand("sgemm", "A", ta, m, k, a.len(), lda)?;
    check_operand("sgemm", "B", tb, k, n, b.len(), ldb)?;
    check_operand("sgemm", "C", Trans::No, m, n, c.len(), ldc)?;
    let at = |i: usize, p: usize| match ta {
        Trans::No => a[i * lda + p],
        Trans::Yes => a[p * lda + i],
    };
    let bt = |p: usize, j: usize| match tb {
        Trans::No => b[p * ldb + j],
        Trans::Yes => b[j * ldb + p],
    };
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f32;
            for p in 0..k {
                acc += at(i, p) * bt(p, j);
            }
            let cij = &mut c[i * ldc + j];
            *cij = if beta == 0.0 {
                alpha * acc
            } else {
                alpha * acc + beta * *cij
            };
        }
    }
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
    let need = (sr - 1) * ld + sc;
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
