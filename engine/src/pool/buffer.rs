//! The RAII handle to a rented buffer.

use super::{Pool, RawBuf};
use std::fmt;
use std::ops::{Deref, DerefMut};

/// `len` initialised floats rented from a [`Pool`]; returned to it on drop.
pub struct Buffer {
    // Always Some until drop.
    raw: Option<RawBuf>,
    len: usize,
    pool: &'static Pool,
}

impl Buffer {
    pub(super) fn new(raw: RawBuf, len: usize, pool: &'static Pool) -> Buffer {
        Buffer {
            raw: Some(raw),
            len,
            pool,
        }
    }

    /// Number of floats this buffer can hold without a new rent.
    pub fn capacity(&self) -> usize {
        self.raw.as_ref().map_or(0, |r| super::class_len(r.class))
    }

    /// Change the length within the capacity (new floats keep whatever they held).
    /// Returns false, and changes nothing, when `len` exceeds the capacity.
    pub fn set_len(&mut self, len: usize) -> bool {
        if len <= self.capacity() {
            self.len = len;
            true
        } else {
            false
        }
    }

    /// A copy of this buffer, rented from the same pool.
    pub fn duplicate(&self) -> Buffer {
        let mut b = self.pool.rent(self.len);
        b.copy_from_slice(self);
        b
    }
}

impl Deref for Buffer {
    type Target = [f32];
    #[inline]
    fn deref(&self) -> &[f32] {
        match &self.raw {
            // SAFETY: the allocation holds capacity ≥ len initialised floats and is uniquely ours.
            Some(r) => unsafe { std::slice::from_raw_parts(r.ptr.as_ptr(), self.len) },
            None => &[],
        }
    }
}

impl DerefMut for Buffer {
    #[inline]
    fn deref_mut(&mut self) -> &mut [f32] {
        match &mut self.raw {
            // SAFETY: as in deref, and &mut self guarantees exclusivity.
            Some(r) => unsafe { std::slice::from_raw_parts_mut(r.ptr.as_ptr(), self.len) },
            None => &mut [],
        }
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if let Some(raw) = self.raw.take() {
            self.pool.give_back(raw);
        }
    }
}

impl Clone for Buffer {
    fn clone(&self) -> Buffer {
        self.duplicate()
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buffer")
            .field("len", &self.len)
            .field("capacity", &self.capacity())
            .finish()
    }
}
