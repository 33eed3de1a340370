//! Pool counters and the reduction figure the profiler reports.

/// A snapshot of a pool's counters since it was created or last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Buffers rented.
    pub rents: u64,
    /// Rents served from retained buffers.
    pub hits: u64,
    /// Rents that allocated from the system allocator.
    pub misses: u64,
    /// Bytes asked for (sum of `len * 4` over rents).
    pub bytes_requested: u64,
    /// Bytes newly allocated from the system allocator (size-class rounded).
    pub bytes_allocated: u64,
    /// Bytes currently kept for reuse.
    pub bytes_retained: u64,
    /// Bytes given back to the system allocator (cap reached, pooling off, or cleared).
    pub bytes_freed: u64,
}

impl PoolStats {
    /// 1 − newly allocated / requested: the share of requested bytes the pool served
    /// without the system allocator. 0 when nothing was requested; may be negative
    /// when size-class rounding allocates more than was asked and nothing is reused.
    pub fn reduction(&self) -> f64 {
        if self.bytes_requested == 0 {
            0.0
        } else {
            1.0 - self.bytes_allocated as f64 / self.bytes_requested as f64
        }
    }

    /// The counters accumulated between `earlier` and `self`.
    pub fn since(&self, earlier: &PoolStats) -> PoolStats {
        PoolStats {
            rents: self.rents - earlier.rents,
            hits: self.hits - earlier.hits,
            misses: self.misses - earlier.misses,
            bytes_requested: self.bytes_requested - earlier.bytes_requested,
            bytes_allocated: self.bytes_allocated - earlier.bytes_allocated,
            bytes_retained: self.bytes_retained,
            bytes_freed: self.bytes_freed - earlier.bytes_freed,
        }
    }
}
