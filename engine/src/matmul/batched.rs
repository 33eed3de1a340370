//! `matmul` on tensors, batched over leading axes, and its backward.
//!
//! ```text
//! // a: (…, M, K), b: (…, K, N) → c: (…, M, N)
//! // backward: dA = dC·Bᵀ (…, M, K), dB = Aᵀ·dC (…, K, N)
//! ```
//!
//! Leading (batch) axes broadcast as in NumPy: aligned from the right, each pair
//! equal or one of them 1 (or absent). When B has no batch axes (a linear layer,
//! x: (B, T, C) @ w: (C, OC)) the batch folds into M and the whole product is one
//! sgemm; the same holds for its backward, where dB = Aᵀ·dC sums over the batch
//! inside a single sgemm. Transposes are sgemm's `Trans::Yes`, never copies.
//! A broadcast operand's gradient is the sum over the batches that used it.

use super::{Trans, sgemm_impl};
use crate::error::{Error, Result};
use crate::profile::{Op, scope};
use crate::simd::Tier;
use crate::tensor::{MAX_RANK, Tensor};

/// Batch axes at most (rank 4 minus the two matrix axes).
const MAX_BATCH: usize = MAX_RANK - 2;

/// How the batch axes of A, B and C line up.
#[derive(Debug, Clone, Copy)]
struct Plan {
    m: usize,
    k: usize,
    n: usize,
    /// Output batch dims, right-aligned in MAX_BATCH slots (leading slots are 1).
    batch: [usize; MAX_BATCH],
    /// Element strides of A's and B's matrices per batch slot (0 where broadcast).
    a_stride: [usize; MAX_BATCH],
    b_stride: [usize; MAX_BATCH],
    /// Output dims (batch…, M, N) and its rank.
    out: [usize; MAX_RANK],
    out_rank: usize,
}

impl Plan {
    fn new(op: &'static str, a: &[usize], b: &[usize]) -> Result<Plan> {
        let mismatch = || Error::shape(op, a, b);
        if a.len() < 2 || b.len() < 2 {
            return Err(mismatch());
        }
        let (m, k) = (a[a.len() - 2], a[a.len() - 1]);
        let (kb, n) = (b[b.len() - 2], b[b.len() - 1]);
        if k != kb {
            return Err(mismatch());
        }
        let (ab, bb) = (&a[..a.len() - 2], &b[..b.len() - 2]);
        let rank = ab.len().max(bb.len());
        let mut batch = [1; MAX_BATCH];
        let mut a_dims = [1; MAX_BATCH];
        let mut b_dims = [1; MAX_BATCH];
        for s in 0..MAX_BATCH {
            // Slot s counts from the right: slot MAX_BATCH-1 is the axis next to the matrix.
            let from_right = MAX_BATCH - 1 - s;
            let da = if from_right < ab.len() {
                ab[ab.len() - 1 - from_right]
            } else {
                1
            };
            let db = if from_right < bb.len() {
                bb[bb.len() - 1 - from_right]
            } else {
                1
            };
            if da != db && da != 1 && db != 1 {
                return Err(mismatch());
            }
            a_dims[s] = da;
            b_dims[s] = db;
            batch[s] = if da == 1 { db } else { da };
        }
        let strides = |dims: [usize; MAX_BATCH], plane: usize| {
            let mut st = [0; MAX_BATCH];
            let mut acc = plane;
            for s in (0..MAX_BATCH).rev() {
                st[s] = if dims[s] == 1 { 0 } else { acc };
                acc *= dims[s];
            }
            st
        };
        let mut out = [0; MAX_RANK];
        out[..rank].copy_from_slice(&batch[MAX_BATCH - rank..]);
        out[rank] = m;
        out[rank + 1] = n;
        Ok(Plan {
            m,
            k,
            n,
            batch,
            a_stride: strides(a_dims, m * k),
            b_stride: strides(b_dims, k * n),
            out,
            out_rank: rank + 2,
        })
    }

    fn out_dims(&self) -> &[usize] {
        &self.out[..self.out_rank]
    }

    /// Whether no batch axis of B is real (B is one matrix shared by every batch).
    fn b_shared(&self) -> bool {
        self.b_stride.iter().all(|&s| s == 0)
    }

    /// Whether A's batches are laid out exactly as C's (so they fold into M).
    fn a_dense(&self) -> bool {
        (0..MAX_BATCH).all(|s| self.batch[s] == 1 || self.a_stride[s] != 0)
    }

    /// Every output batch as (index, slot coordinates), in row-major order.
    fn batches(&self) -> impl Iterator<Item = (usize, [usize; MAX_BATCH])> + '_ {
        let total: usize = self.batch.iter().product();
        (0..total).map(move |idx| {
            let mut coords = [0; MAX_BATCH];
            let mut rest = idx;
            for s in (0..MAX_BATCH).rev() {
                coords[s] = rest % self.batch[s];
                rest /= self.batch[s];
            }
            (idx, coords)
        })
    }

    fn offset(stride: &[usize; MAX_BATCH], coords: &[usize; MAX_BATCH]) -> usize {
        stride.iter().zip(coords).map(|(s, c)| s * c).sum()
    }

    /// The first output batch that touches an operand's batch (β = 0 there, then accumulate):
    /// every coordinate along an axis where the operand broadcasts is 0.
    fn first_touch(&self, stride: &[usize; MAX_BATCH], coords: &[usize; MAX_BATCH]) -> bool {
        (0..MAX_BATCH).all(|s| stride[s] != 0 || self.batch[s] == 1 || coords[s] == 0)
    }
}

/// C = A·B batched over leading axes, on the active tier.
// a: (…, M, K), b: (…, K, N) → (…, M, N)
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    matmul_with(crate::simd::active(), a, b)
}

/// [`matmul`] on a chosen tier.
pub fn matmul_with(tier: Tier, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let _s = scope(Op::Matmul);
    let plan = Plan::new("matmul", a.dims(), b.dims())?;
    let mut c = Tensor::uninit(plan.out_dims())?;
    let (m, k, n) = (plan.m, plan.k, plan.n);
    let threads = crate::threads::threads();
    let rows: usize = plan.batch.iter().product::<usize>() * m;
    if plan.b_shared() && plan.a_dense() {
        // One product: the batch folds into M.
        return sgemm_impl(
            tier,
            threads,
            Trans::No,
            Trans::No,
            (rows, n, k),
            1.0,
            (a.data(), k.max(1)),
            (b.data(), n.max(1)),
            0.0,
            (c.data_mut(), n.max(1)),
        )
        .map(|()| c);
    }
    for (idx, coords) in plan.batches() {
        let ao = Plan::offset(&plan.a_stride, &coords);
        let bo = Plan::offset(&plan.b_stride, &coords);
        sgemm_impl(
            tier,
            threads,
            Trans::No,
            Trans::No,
            (m, n, k),
            1.0,
            (&a.data()[ao..ao + m * k], k.max(1)),
            (&b.data()[bo..bo + k * n], n.max(1)),
            0.0,
            (&mut c.data_mut()[idx * m * n..(idx + 1) * m * n], n.max(1)),
        )?;
    }
    Ok(c)
}

/// Gradients of C = A·B: (dA, dB) = (dC·Bᵀ, Aᵀ·dC), each of its operand's shape
/// (summed over the batches a broadcast operand served).
// a: (…, M, K), b: (…, K, N), dc: (…, M, N) → dA: (…, M, K), dB: (…, K, N)
pub fn matmul_backward(a: &Tensor, b: &Tensor, dc: &Tensor) -> Result<(Tensor, Tensor)> {
    matmul_backward_with(crate::simd::active(), a, b, dc)
}

/// [`matmul_backward`] on a chosen tier.
pub fn matmul_backward_with(
    tier: Tier,
    a: &Tensor,
    b: &Tensor,
    dc: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let _s = scope(Op::Matmul);
    let plan = Plan::new("matmul_backward", a.dims(), b.dims())?;
    if dc.dims() != plan.out_dims() {
        return Err(Error::arg(
            "matmul_backward",
            format!(
                "dC has shape {:?}, but A {:?} @ B {:?} gives {:?}",
                dc.dims(),
                a.dims(),
                b.dims(),
                plan.out_dims()
            ),
        ));
    }
    let (m, k, n) = (plan.m, plan.k, plan.n);
    let threads = crate::threads::threads();
    let mut da = Tensor::zeros(a.dims())?;
    let mut db = Tensor::zeros(b.dims())?;
    let batches: usize = plan.batch.iter().product();
    if batches == 0 || m * k * n == 0 {
        // Empty products: the gradients are the zeros just made.
        return Ok((da, db));
    }
    if plan.b_shared() && plan.a_dense() {
        let rows = batches * m;
        // dA (rows, K) = dC (rows, N) · Bᵀ, B stored (K, N).
        sgemm_impl(
            tier,
            threads,
            Trans::No,
            Trans::Yes,
            (rows, k, n),
            1.0,
            (dc.data(), n),
            (b.data(), n),
            0.0,
            (da.data_mut(), k),
        )?;
        // dB (K, N) = Aᵀ · dC, A stored (rows, K): the sum over the batch is the k-loop.
        sgemm_impl(
            tier,
            threads,
            Trans::Yes,
            Trans::No,
            (k, n, rows),
            1.0,
            (a.data(), k),
            (dc.data(), n),
            0.0,
            (db.data_mut(), n),
        )?;
        return Ok((da, db));
    }
    for (idx, coords) in plan.batches() {
        let ao = Plan::offset(&plan.a_stride, &coords);
        let bo = Plan::offset(&plan.b_stride, &coords);
        let dco = idx * m * n;
        let dcb = &dc.data()[dco..dco + m * n];
        let beta_a = if plan.first_touch(&plan.a_stride, &coords) {
            0.0
        } else {
            1.0
        };
        let beta_b = if plan.first_touch(&plan.b_stride, &coords) {
            0.0
        } else {
            1.0
        };
        sgemm_impl(
            tier,
            threads,
            Trans::No,
            Trans::Yes,
            (m, k, n),
            1.0,
            (dcb, n),
            (&b.data()[bo..bo + k * n], n),
            beta_a,
            (&mut da.data_mut()[ao..ao + m * k], k),
        )?;
        sgemm_impl(
            tier,
            threads,
            Trans::Yes,
            Trans::No,
            (k, n, m),
            1.0,
            (&a.data()[ao..ao + m * k], k),
            (dcb, n),
            beta_b,
            (&mut db.data_mut()[bo..bo + k * n], n),
        )?;
    }
    Ok((da, db))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_broadcast_batch_axes() {
        let p = Plan::new("t", &[2, 3, 4, 5], &[3, 5, 6]).unwrap();
        assert_eq!(p.out_dims(), &[2, 3, 4, 6]);
        assert_eq!(p.a_stride, [60, 20]);
        assert_eq!(p.b_stride, [0, 30]);
        let p = Plan::new("t", &[4, 5], &[5, 6]).unwrap();
        assert_eq!(p.out_dims(), &[4, 6]);
        assert!(p.b_shared() && p.a_dense());
        let p = Plan::new("t", &[1, 4, 5], &[7, 5, 6]).unwrap();
        assert_eq!(p.out_dims(), &[7, 4, 6]);
        assert_eq!(p.a_stride, [0, 0]);
        assert!(Plan::new("t", &[2, 4, 5], &[3, 5, 6]).is_err());
        assert!(Plan::new("t", &[4, 5], &[4, 6]).is_err());
        assert!(Plan::new("t", &[5], &[5, 6]).is_err());
    }
}
