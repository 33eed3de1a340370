//! The allocation pass: heap statistics per operation (dhat) and the engine
//! pool's reduction, in a worker process apart from the timing pass.
//!
//! dhat needs to be the global allocator. [`SwitchAlloc`] is what the `smprof`
//! binary installs: it forwards to `dhat::Alloc` only in an allocation-pass
//! worker (after [`enable_heap_profiling`]) and straight to the system allocator
//! everywhere else. Why not `dhat::Alloc` directly: with no profiler running it
//! still takes a global mutex and a thread-local on every allocation, which the
//! timing pass would measure. The switch costs one relaxed atomic load per
//! allocation (see docs/PERFORMANCE.md), and the steady state of pooled
//! workloads performs no allocation at all.

use super::measured_op;
use crate::error::{Error, Result};
use crate::workloads::Workload;
use serde::{Deserialize, Serialize};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

static HEAP_PROFILING: AtomicBool = AtomicBool::new(false);

/// The global allocator of the `smprof` binary: the system allocator, or dhat's
/// once [`enable_heap_profiling`] was called.
#[derive(Debug)]
pub struct SwitchAlloc;

// SAFETY: every call forwards to an allocator that upholds GlobalAlloc's contract.
// Mixing is sound: dhat::Alloc allocates and frees with `System` too, and ignores
// frees of blocks it did not record.
unsafe impl GlobalAlloc for SwitchAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if HEAP_PROFILING.load(Ordering::Relaxed) {
            // Charged to the engine op running, when the attribution pass is on.
            smallmind::profile::note_system_alloc(layout.size());
            // SAFETY: forwarded contract.
            unsafe { dhat::Alloc.alloc(layout) }
        } else {
            // SAFETY: forwarded contract.
            unsafe { System.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if HEAP_PROFILING.load(Ordering::Relaxed) {
            // SAFETY: forwarded contract.
            unsafe { dhat::Alloc.dealloc(ptr, layout) }
        } else {
            // SAFETY: forwarded contract.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if HEAP_PROFILING.load(Ordering::Relaxed) {
            // Charged to the engine op running, when the attribution pass is on.
            smallmind::profile::note_system_alloc(layout.size());
            // SAFETY: forwarded contract.
            unsafe { dhat::Alloc.alloc_zeroed(layout) }
        } else {
            // SAFETY: forwarded contract.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if HEAP_PROFILING.load(Ordering::Relaxed) {
            // Charged to the engine op running, when the attribution pass is on.
            smallmind::profile::note_system_alloc(new_size);
            // SAFETY: forwarded contract.
            unsafe { dhat::Alloc.realloc(ptr, layout, new_size) }
        } else {
            // SAFETY: forwarded contract.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

/// Route allocations through dhat from now on (allocation-pass workers only),
/// and report each to the engine's per-op instrumentation, so that the
/// attribution pass charges an op every byte it allocates (not only the pool's).
pub fn enable_heap_profiling() {
    HEAP_PROFILING.store(true, Ordering::SeqCst);
    smallmind::profile::set_system_allocs_reported(true);
}

/// Whether allocations go through dhat.
pub fn heap_profiling_enabled() -> bool {
    HEAP_PROFILING.load(Ordering::Relaxed)
}

/// Allocation figures of one workload, per operation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AllocFigures {
    /// Bytes the system allocator handed out per operation (dhat total bytes).
    pub alloc_bytes: f64,
    /// Allocations per operation (dhat total blocks).
    pub alloc_count: f64,
    /// Most bytes live at once during the measured operations, above what was live before.
    pub peak_bytes: f64,
    /// The same bytes, count and peak with the engine's pooling turned off (the
    /// operation's working set, as it would be without the pool).
    pub alloc_bytes_unpooled: f64,
    pub alloc_count_unpooled: f64,
    pub peak_bytes_unpooled: f64,
    /// Bytes requested from the pool per operation (0: the workload does not use it).
    pub pool_requested_bytes: f64,
    /// 1 − newly allocated / requested, pooling on.
    pub pool_reduction: f64,
    /// The same with pooling off (≤ 0: nothing is reused, size classes round up).
    pub pool_reduction_unpooled: f64,
}

/// Heap figures of `ops` operations under a fresh dhat profiler (testing mode:
/// no file is written). Blocks allocated before it started are ignored, so only
/// what the operations allocate counts.
fn heap_window(
    w: &mut dyn Workload,
    ops: u32,
) -> Result<(dhat::HeapStats, smallmind::pool::PoolStats)> {
    if !heap_profiling_enabled() {
        return Err(Error::Other {
            what: "allocation pass".into(),
            reason: "heap profiling is not enabled in this process (the binary must install measure::alloc::SwitchAlloc as its global allocator)".into(),
        });
    }
    let pool = smallmind::pool::global();
    let profiler = dhat::Profiler::builder()
        .testing()
        .trim_backtraces(Some(4))
        .build();
    let pool_before = pool.stats();
    let mut outcome = Ok(());
    for _ in 0..ops {
        outcome = measured_op(w);
        if outcome.is_err() {
            break;
        }
    }
    let heap = dhat::HeapStats::get();
    let pool_stats = pool.stats().since(&pool_before);
    drop(profiler);
    outcome.map(|()| (heap, pool_stats))
}

/// Measure allocations of a set-up workload: two warm-up operations (so the pool
/// holds what steady state needs), `ops` operations with pooling on, then `ops`
/// with pooling off (after which pooling is back on, its retained buffers freed).
pub fn measure(w: &mut dyn Workload, ops: u32) -> Result<AllocFigures> {
    let ops = ops.max(1);
    let pool = smallmind::pool::global();
    pool.set_enabled(true);
    for _ in 0..2 {
        measured_op(w)?;
    }
    let (heap, pooled) = heap_window(w, ops)?;
    pool.set_enabled(false);
    let unpooled = heap_window(w, ops);
    pool.set_enabled(true);
    let (heap_off, pool_off) = unpooled?;
    let per = |x: u64| x as f64 / ops as f64;
    Ok(AllocFigures {
        alloc_bytes: per(heap.total_bytes),
        alloc_count: per(heap.total_blocks),
        peak_bytes: heap.max_bytes as f64,
        alloc_bytes_unpooled: per(heap_off.total_bytes),
        alloc_count_unpooled: per(heap_off.total_blocks),
        peak_bytes_unpooled: heap_off.max_bytes as f64,
        pool_requested_bytes: per(pooled.bytes_requested),
        pool_reduction: pooled.reduction(),
        pool_reduction_unpooled: pool_off.reduction(),
    })
}
