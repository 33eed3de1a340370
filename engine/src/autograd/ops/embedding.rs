//! Embedding lookup: rows of a table selected by token ids.

use super::with_grad_add;
use crate::autograd::{Graph, Node, Var};
use crate::error::{Error, Result};
use crate::profile::{self, Op};
use crate::tensor::{MAX_RANK, Tensor};
use std::ops::Range;

impl Graph {
    /// out[i, :] = table[ids[i], :]: table (V, C), ids with shape `ids_dims` → (ids_dims…, C).
    pub fn embedding(&mut self, table: Var, ids: &[u32], ids_dims: &[usize]) -> Result<Var> {
        let _scope = profile::scope(Op::Embedding);
        let td = self.value(table).dims();
        if td.len() != 2 {
            return Err(Error::InvalidShape {
                op: "embedding",
                shape: td.to_vec(),
                reason: "the table must be (vocab, channels)".into(),
            });
        }
        let (v, c) = (td[0], td[1]);
        if ids_dims.iter().product::<usize>() != ids.len() || ids_dims.len() >= MAX_RANK {
            return Err(Error::shape("embedding", &[ids.len()], ids_dims));
        }
        if let Some(&bad) = ids.iter().find(|&&i| i as usize >= v) {
            return Err(Error::arg(
                "embedding",
                format!("token id {bad} is outside the vocabulary of {v}"),
            ));
        }
        let mut dims = [0; MAX_RANK];
        dims[..ids_dims.len()].copy_from_slice(ids_dims);
        dims[ids_dims.len()] = c;
        let mut out = Tensor::uninit(&dims[..=ids_dims.len()])?;
        // table: (V, C), out: (N, C)
        let t = self.value(table).data();
        for (row, &id) in out.data_mut().chunks_exact_mut(c.max(1)).zip(ids) {
            row.copy_from_slice(&t[id as usize * c..(id as usize + 1) * c]);
        }
        let o = self.push_out(out, &[table]);
        if self.needs_grad(o) {
            let r = self.push_ids(ids);
            self.record(
                Node::Embedding {
                    table,
                    ids: r,
                    out: o,
                },
                o,
            );
        }
        Ok(o)
    }
}

pub(super) fn backward(g: &mut Graph, table: Var, ids: Range<usize>, gout: &Tensor) -> Result<()> {
    let _scope = profile::scope(Op::Embedding);
    let c = g.value(table).dims()[1];
    // Borrow the id arena out of the graph while the table's gradient is borrowed.
    let arena = std::mem::take(&mut g.ids);
    // dtable[ids[i], :] += dout[i, :]
    let r = with_grad_add(g, table, |_, dt| {
        crate::kernels::elementwise::scatter_add_rows(dt.data_mut(), c, &arena[ids], gout.data())
    });
    g.ids = arena;
    r
}
