//! NumPy broadcasting for binary ops on tensors of rank ≤ 4.
//!
//! Shapes are right-aligned and padded to rank 4; an axis of size 1 broadcasts.
//! The general path walks the output with per-operand strides (0 on a
//! broadcast axis); [`Layout::Suffix`] is the fast path for a bias-like
//! operand whose shape is a trailing part of the other's.

use crate::error::{Error, Result};
use crate::tensor::MAX_RANK;

/// How two operands line up against the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Same shape: elementwise.
    Same,
    /// b's elements repeat every `b.len()` elements of a (b is a trailing part of a's shape).
    SuffixB,
    /// a's elements repeat every `a.len()` elements of b.
    SuffixA,
    /// Anything else: strided walk.
    General,
}

/// The broadcast of two shapes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Broadcast {
    pub out: [usize; MAX_RANK],
    pub rank: usize,
    pub sa: [usize; MAX_RANK],
    pub sb: [usize; MAX_RANK],
    pub layout: Layout,
}

fn pad(dims: &[usize]) -> [usize; MAX_RANK] {
    let mut p = [1; MAX_RANK];
    p[MAX_RANK - dims.len()..].copy_from_slice(dims);
    p
}

fn strides(dims: &[usize; MAX_RANK], out: &[usize; MAX_RANK]) -> [usize; MAX_RANK] {
    let mut s = [0; MAX_RANK];
    let mut acc = 1;
    for i in (0..MAX_RANK).rev() {
        s[i] = if dims[i] == 1 && out[i] != 1 { 0 } else { acc };
        acc *= dims[i];
    }
    s
}

fn is_suffix(long: &[usize], short: &[usize]) -> bool {
    // Leading 1s of the short shape do not matter.
    let short: &[usize] = {
        let first = short.iter().position(|&d| d != 1).unwrap_or(short.len());
        &short[first..]
    };
    short.len() <= long.len() && long[long.len() - short.len()..] == *short
}

impl Broadcast {
    pub(crate) fn new(op: &'static str, a: &[usize], b: &[usize]) -> Result<Broadcast> {
        let rank = a.len().max(b.len());
        let (pa, pb) = (pad(a), pad(b));
        let mut out = [1; MAX_RANK];
        for i in 0..MAX_RANK {
            out[i] = match (pa[i], pb[i]) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => return Err(Error::shape(op, a, b)),
            };
        }
        let numel = |d: &[usize]| d.iter().product::<usize>();
        let on = numel(&out);
        let layout = if a == b {
            Layout::Same
        } else if numel(a) == on && is_suffix(a, b) {
            Layout::SuffixB
        } else if numel(b) == on && is_suffix(b, a) {
            Layout::SuffixA
        } else {
            Layout::General
        };
        Ok(Broadcast {
            out,
            rank,
            sa: strides(&pa, &out),
            sb: strides(&pb, &out),
            layout,
        })
    }

    /// The output dimensions.
    pub(crate) fn dims(&self) -> &[usize] {
        &self.out[MAX_RANK - self.rank..]
    }

    /// Call `f(out_index, a_index, b_index)` for every output element, in order.
    pub(crate) fn walk(&self, mut f: impl FnMut(usize, usize, usize)) {
        let o = self.out;
        let mut n = 0;
        for i0 in 0..o[0] {
            for i1 in 0..o[1] {
                for i2 in 0..o[2] {
                    let ba = i0 * self.sa[0] + i1 * self.sa[1] + i2 * self.sa[2];
                    let bb = i0 * self.sb[0] + i1 * self.sb[1] + i2 * self.sb[2];
                    for i3 in 0..o[3] {
                        f(n, ba + i3 * self.sa[3], bb + i3 * self.sb[3]);
                        n += 1;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_layouts() {
        let b = Broadcast::new("t", &[2, 3, 4], &[3, 4]).unwrap();
        assert_eq!((b.dims(), b.layout), (&[2, 3, 4][..], Layout::SuffixB));
        let b = Broadcast::new("t", &[1, 4], &[5, 3, 4]).unwrap();
        assert_eq!((b.dims(), b.layout), (&[5, 3, 4][..], Layout::SuffixA));
        let b = Broadcast::new("t", &[2, 1, 4], &[3, 1]).unwrap();
        assert_eq!((b.dims(), b.layout), (&[2, 3, 4][..], Layout::General));
        let err = Broadcast::new("add", &[2, 3], &[4])
            .unwrap_err()
            .to_string();
        assert!(err.contains("[2, 3]") && err.contains("[4]"), "{err}");
    }

    #[test]
    fn walk_visits_broadcast_indices() {
        let b = Broadcast::new("t", &[2, 1], &[3]).unwrap();
        let mut seen = Vec::new();
        b.walk(|o, ia, ib| seen.push((o, ia, ib)));
        assert_eq!(
            seen,
            [
                (0, 0, 0),
                (1, 0, 1),
                (2, 0, 2),
                (3, 1, 0),
                (4, 1, 1),
                (5, 1, 2)
            ]
        );
    }
}
