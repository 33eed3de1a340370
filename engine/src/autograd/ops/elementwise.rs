//! Broadcasting add and mul, and the sum to a scalar.

use super::{Mode, with_grad};
use crate::autograd::broadcast::{Broadcast, Layout};
use crate::autograd::{Graph, Node, Var};
use crate::error::Result;
use crate::kernels::elementwise as ew;
use crate::tensor::Tensor;

impl Graph {
    /// out = a + b with NumPy broadcasting.
    pub fn add(&mut self, a: Var, b: Var) -> Result<Var> {
        let bc = Broadcast::new("add", self.value(a).dims(), self.value(b).dims())?;
        let mut out = Tensor::uninit(bc.dims())?;
        binary_forward(
            &bc,
            self.value(a).data(),
            self.value(b).data(),
            out.data_mut(),
            |x, y| x + y,
            ew::add,
        )?;
        let o = self.push_out(out, &[a, b]);
        self.record(Node::Add { a, b, out: o }, o);
        Ok(o)
    }

    /// out = a ⊙ b with NumPy broadcasting.
    pub fn mul(&mut self, a: Var, b: Var) -> Result<Var> {
        let bc = Broadcast::new("mul", self.value(a).dims(), self.value(b).dims())?;
        let mut out = Tensor::uninit(bc.dims())?;
        binary_forward(
            &bc,
            self.value(a).data(),
            self.value(b).data(),
            out.data_mut(),
            |x, y| x * y,
            ew::mul,
        )?;
        let o = self.push_out(out, &[a, b]);
        self.record(Node::Mul { a, b, out: o }, o);
        Ok(o)
    }

    /// The sum of all elements, as a scalar (rank 0).
    pub fn sum(&mut self, x: Var) -> Result<Var> {
        let s = self.value(x).data().iter().map(|&v| v as f64).sum::<f64>() as f32;
        let out = Tensor::full(&[], s)?;
        let o = self.push_out(out, &[x]);
        self.record(Node::Sum { x, out: o }, o);
        Ok(o)
    }
}

/// An elementwise kernel over equal-length slices.
type SameShape = fn(&[f32], &[f32], &mut [f32]) -> Result<()>;

// a: broadcast to out, b: broadcast to out, out: broadcast shape
fn binary_forward(
    bc: &Broadcast,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    f: impl Fn(f32, f32) -> f32,
    same: SameShape,
) -> Result<()> {
    match bc.layout {
        Layout::Same => same(a, b, out)?,
        Layout::SuffixB if !b.is_empty() => {
            for (ar, or) in a.chunks_exact(b.len()).zip(out.chunks_exact_mut(b.len())) {
                same(ar, b, or)?;
            }
        }
        Layout::SuffixA if !a.is_empty() => {
            for (br, or) in b.chunks_exact(a.len()).zip(out.chunks_exact_mut(a.len())) {
                same(a, br, or)?;
            }
        }
        _ => bc.walk(|o, ia, ib| out[o] = f(a[ia], b[ib])),
    }
    Ok(())
}

/// d (shape of the operand) (+)= reduction of `dy` (broadcast shape) over the
/// operand's broadcast axes, each term multiplied by `other` (the other
/// operand, broadcast) when given.
fn reduce_into(
    bc: &Broadcast,
    dy: &[f32],
    other: Option<&[f32]>,
    d: &mut [f32],
    operand_is_a: bool,
    mode: Mode,
) -> Result<()> {
    let full = d.len() == dy.len();
    if mode == Mode::Write {
        if full && other.is_none() {
            d.copy_from_slice(dy);
            return Ok(());
        }
        d.fill(0.0);
    }
    // Which operand repeats along the output in contiguous blocks, if either.
    let small_is_mine = matches!(
        (bc.layout, operand_is_a),
        (Layout::SuffixB, false) | (Layout::SuffixA, true)
    );
    let small_is_other = matches!(
        (bc.layout, operand_is_a),
        (Layout::SuffixB, true) | (Layout::SuffixA, false)
    );
    match other {
        None if full => return ew::axpy(1.0, dy, d),
        Some(o) if full && (bc.layout == Layout::Same || small_is_other) && !o.is_empty() => {
            // d, dy: (rows, n); other: (n) repeated, or (rows, n) when the same shape.
            let n = o.len();
            for (dr, gr) in d.chunks_exact_mut(n).zip(dy.chunks_exact(n)) {
                for ((dv, &g), &ov) in dr.iter_mut().zip(gr).zip(o) {
                    *dv += g * ov;
                }
            }
            return Ok(());
        }
        _ => {}
    }
    if small_is_mine && !d.is_empty() {
        // d: (n) repeated over dy: (rows, n); other, if any, has dy's shape.
        let n = d.len();
        for (i, gr) in dy.chunks_exact(n).enumerate() {
            match other {
                None => ew::axpy(1.0, gr, d)?,
                Some(o) => {
                    let or = &o[i * n..(i + 1) * n];
                    for ((dv, &g), &ov) in d.iter_mut().zip(gr).zip(or) {
                        *dv += g * ov;
                    }
                }
            }
        }
        return Ok(());
    }
    bc.walk(|o, ia, ib| {
        let (mine, theirs) = if operand_is_a { (ia, ib) } else { (ib, ia) };
        let scale = other.map_or(1.0, |x| x[theirs]);
        d[mine] += dy[o] * scale;
    });
    Ok(())
}

pub(super) fn add_backward(g: &mut Graph, a: Var, b: Var, gout: Tensor) -> Result<()> {
    let bc = Broadcast::new("add_backward", g.value(a).dims(), g.value(b).dims())?;
    // b first, so that a (the residual stream, when a is as large as the
    // output) can take the gradient buffer itself instead of a copy.
    with_grad(g, b, |_, db, mode| {
        reduce_into(&bc, gout.data(), None, db.data_mut(), false, mode)
    })?;
    match g.give_grad(a, gout) {
        None => Ok(()),
        Some(gout) => with_grad(g, a, |_, da, mode| {
            reduce_into(&bc, gout.data(), None, da.data_mut(), true, mode)
        }),
    }
}

pub(super) fn mul_backward(g: &mut Graph, a: Var, b: Var, _out: Var, gout: &Tensor) -> Result<()> {
    let bc = Broadcast::new("mul_backward", g.value(a).dims(), g.value(b).dims())?;
    // da (+)= dy ⊙ b (summed over a's broadcast axes), db (+)= dy ⊙ a
    with_grad(g, a, |vals, da, mode| {
        reduce_into(
            &bc,
            gout.data(),
            Some(vals[b.idx()].data()),
            da.data_mut(),
            true,
            mode,
        )
    })?;
    with_grad(g, b, |vals, db, mode| {
        reduce_into(
            &bc,
            gout.data(),
            Some(vals[a.idx()].data()),
            db.data_mut(),
            false,
            mode,
        )
    })
}

pub(super) fn sum_backward(g: &mut Graph, x: Var, gout: &Tensor) -> Result<()> {
    let s = gout.data()[0];
    with_grad(g, x, |_, dx, mode| {
        match mode {
            Mode::Write => dx.data_mut().fill(s),
            Mode::Add => dx.data_mut().iter_mut().for_each(|d| *d += s),
        }
        Ok(())
    })
}
