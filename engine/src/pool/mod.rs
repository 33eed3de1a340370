//! The buffer pool: f32 buffers rented by size class and returned on drop.
//!
//! Why: a transformer step creates and drops the same temporaries every time.
//! Renting them from the pool makes steady-state work free of system
//! allocations. Invariants:
//! - a buffer's capacity is its size class (a power of two ≥ [`MIN_CLASS_LEN`]),
//!   and its memory is 64-byte aligned (one cache line, one AVX-512 vector);
//! - the pool retains at most `retain_cap` bytes; beyond that, returned buffers are freed;
//! - every byte of a buffer is initialised (fresh memory is zeroed), so reading
//!   a rented buffer is defined even before it is written.

mod buffer;
mod stats;

pub use buffer::Buffer;
pub use stats::PoolStats;

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Alignment of every pooled buffer, in bytes.
pub const ALIGN: usize = 64;
/// The smallest size class, in f32 elements (one 64-byte line).
pub const MIN_CLASS_LEN: usize = 16;
/// Default cap on retained bytes (enough for the medium model's training step).
pub const DEFAULT_RETAIN_CAP: usize = 512 << 20;
const CLASSES: usize = 48;

/// A thread-safe pool of aligned f32 buffers.
#[derive(Debug)]
pub struct Pool {
    free: [Mutex<Vec<RawBuf>>; CLASSES],
    enabled: AtomicBool,
    retain_cap: AtomicUsize,
    retained: AtomicUsize,
    rents: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    bytes_requested: AtomicU64,
    bytes_allocated: AtomicU64,
    bytes_freed: AtomicU64,
}

/// An owned, aligned, initialised allocation of `class_len(class)` floats.
#[derive(Debug)]
pub(crate) struct RawBuf {
    ptr: NonNull<f32>,
    class: u8,
}

// SAFETY: RawBuf uniquely owns its allocation; it carries no thread affinity.
unsafe impl Send for RawBuf {}

impl RawBuf {
    fn layout(class: u8) -> Layout {
        // Cannot fail: sizes are powers of two far below isize::MAX, ALIGN is a power of two.
        Layout::from_size_align(class_len(class) * 4, ALIGN).expect("size class layout")
    }

    fn alloc(class: u8) -> RawBuf {
        let layout = Self::layout(class);
        // SAFETY: layout has non-zero size.
        let raw = unsafe { alloc_zeroed(layout) } as *mut f32;
        let ptr = NonNull::new(raw).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        RawBuf { ptr, class }
    }

    fn bytes(&self) -> usize {
        class_len(self.class) * 4
    }
}

impl Drop for RawBuf {
    fn drop(&mut self) {
        // SAFETY: allocated by `RawBuf::alloc` with this exact layout.
        unsafe { dealloc(self.ptr.as_ptr() as *mut u8, Self::layout(self.class)) }
    }
}

/// Number of f32 in size class `class`.
#[inline]
pub fn class_len(class: u8) -> usize {
    MIN_CLASS_LEN << class
}

/// The size class that holds `len` floats.
#[inline]
pub fn class_of(len: usize) -> u8 {
    let len = len.max(MIN_CLASS_LEN);
    (len.next_power_of_two().trailing_zeros() - MIN_CLASS_LEN.trailing_zeros()) as u8
}

impl Default for Pool {
    fn default() -> Self {
        Pool::new(DEFAULT_RETAIN_CAP)
    }
}

impl Pool {
    /// An empty pool that keeps at most `retain_cap` bytes of returned buffers.
    pub fn new(retain_cap: usize) -> Pool {
        Pool {
            free: std::array::from_fn(|_| Mutex::new(Vec::new())),
            enabled: AtomicBool::new(true),
            retain_cap: AtomicUsize::new(retain_cap),
            retained: AtomicUsize::new(0),
            rents: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            bytes_requested: AtomicU64::new(0),
            bytes_allocated: AtomicU64::new(0),
            bytes_freed: AtomicU64::new(0),
        }
    }

    /// Rent a buffer of `len` floats. Its contents are unspecified but initialised
    /// (zeros when fresh, old values when reused); use [`Pool::rent_zeroed`] when it matters.
    pub fn rent(&'static self, len: usize) -> Buffer {
        let class = class_of(len);
        assert!(
            (class as usize) < CLASSES,
            "pool: {len} floats exceed the largest size class"
        );
        self.rents.fetch_add(1, Ordering::Relaxed);
        self.bytes_requested
            .fetch_add(len as u64 * 4, Ordering::Relaxed);
        let reused = if self.enabled.load(Ordering::Relaxed) {
            self.free[class as usize]
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop()
        } else {
            None
        };
        let raw = match reused {
            Some(raw) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                self.retained.fetch_sub(raw.bytes(), Ordering::Relaxed);
                raw
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                let raw = RawBuf::alloc(class);
                self.bytes_allocated
                    .fetch_add(raw.bytes() as u64, Ordering::Relaxed);
                crate::profile::note_alloc(raw.bytes());
                raw
            }
        };
        Buffer::new(raw, len, self)
    }

    /// Rent a buffer of `len` zeros.
    pub fn rent_zeroed(&'static self, len: usize) -> Buffer {
        let mut b = self.rent(len);
        b.fill(0.0);
        b
    }

    /// Take a buffer back: keep it for reuse, or free it when pooling is off or the cap is reached.
    pub(crate) fn give_back(&self, raw: RawBuf) {
        let bytes = raw.bytes();
        if self.enabled.load(Ordering::Relaxed)
            && self.retained.load(Ordering::Relaxed) + bytes
                <= self.retain_cap.load(Ordering::Relaxed)
        {
            self.retained.fetch_add(bytes, Ordering::Relaxed);
            self.free[raw.class as usize]
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(raw);
        } else {
            self.bytes_freed.fetch_add(bytes as u64, Ordering::Relaxed);
            drop(raw);
        }
    }

    /// Turn pooling on or off. Off: every rent allocates and every return frees
    /// (to measure "with vs without pooling"). Turning it off also frees what is retained.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
        if !on {
            self.clear();
        }
    }

    /// Whether pooling is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Set the cap on retained bytes; buffers beyond it are freed as they return.
    pub fn set_retain_cap(&self, bytes: usize) {
        self.retain_cap.store(bytes, Ordering::Relaxed);
    }

    /// Free every retained buffer.
    pub fn clear(&self) {
        for list in &self.free {
            let drained: Vec<RawBuf> =
                std::mem::take(&mut *list.lock().unwrap_or_else(|p| p.into_inner()));
            for raw in drained {
                self.retained.fetch_sub(raw.bytes(), Ordering::Relaxed);
                self.bytes_freed
                    .fetch_add(raw.bytes() as u64, Ordering::Relaxed);
            }
        }
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            rents: self.rents.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            bytes_requested: self.bytes_requested.load(Ordering::Relaxed),
            bytes_allocated: self.bytes_allocated.load(Ordering::Relaxed),
            bytes_retained: self.retained.load(Ordering::Relaxed) as u64,
            bytes_freed: self.bytes_freed.load(Ordering::Relaxed),
        }
    }

    /// Zero the counters (retained buffers stay).
    pub fn reset_stats(&self) {
        for c in [
            &self.rents,
            &self.hits,
            &self.misses,
            &self.bytes_requested,
            &self.bytes_allocated,
            &self.bytes_freed,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// The process-wide pool every tensor draws from.
pub fn global() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(Pool::default)
}

/// Rent `len` floats from the global pool.
#[inline]
pub fn rent(len: usize) -> Buffer {
    global().rent(len)
}

/// Rent `len` zeros from the global pool.
#[inline]
pub fn rent_zeroed(len: usize) -> Buffer {
    global().rent_zeroed(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaked(cap: usize) -> &'static Pool {
        Box::leak(Box::new(Pool::new(cap)))
    }

    #[test]
    fn classes_cover_lengths() {
        for len in [0, 1, 15, 16, 17, 1000, 1 << 20] {
            let c = class_of(len);
            assert!(class_len(c) >= len.max(1));
            if c > 0 {
                assert!(class_len(c - 1) < len);
            }
        }
    }

    #[test]
    fn second_rent_of_same_size_is_a_hit() {
        let p = leaked(1 << 20);
        drop(p.rent(1000));
        let b = p.rent(900);
        assert_eq!(b.len(), 900);
        assert_eq!(b.as_ptr() as usize % ALIGN, 0);
        let s = p.stats();
        assert_eq!((s.rents, s.hits, s.misses), (2, 1, 1));
        assert_eq!(s.bytes_requested, 7600);
        assert_eq!(s.bytes_allocated, 1024 * 4);
        assert!((s.reduction() - (1.0 - 4096.0 / 7600.0)).abs() < 1e-12);
    }

    #[test]
    fn cap_bounds_retained_bytes() {
        let p = leaked(4096);
        let bufs: Vec<_> = (0..10).map(|_| p.rent(1024)).collect();
        drop(bufs);
        assert_eq!(p.stats().bytes_retained, 4096);
        assert_eq!(p.stats().bytes_freed, 9 * 4096);
    }

    #[test]
    fn disabled_pool_never_reuses() {
        let p = leaked(1 << 20);
        p.set_enabled(false);
        drop(p.rent(64));
        drop(p.rent(64));
        let s = p.stats();
        assert_eq!((s.hits, s.misses, s.bytes_retained), (0, 2, 0));
        assert_eq!(s.reduction(), 0.0);
    }

    #[test]
    fn zeroed_rent_is_zero_after_reuse() {
        let p = leaked(1 << 20);
        let mut b = p.rent(100);
        b.fill(3.0);
        drop(b);
        assert!(p.rent_zeroed(100).iter().all(|&x| x == 0.0));
    }

    #[test]
    fn pool_is_thread_safe() {
        let p = leaked(1 << 24);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for i in 0..1000 {
                        let mut b = p.rent(64 + i % 300);
                        b[0] = i as f32;
                    }
                });
            }
        });
        let st = p.stats();
        assert_eq!(st.rents, 4000);
        assert_eq!(st.hits + st.misses, 4000);
    }
}
