//! A global allocator that counts system allocations (`alloc`, `alloc_zeroed` and
//! `realloc` calls, and the bytes they ask for) of the threads that opted in, or of
//! every thread, for the tests that prove a loop allocation-free. An allocation test
//! binary includes it and installs it:
//!
//! ```ignore
//! #[path = "support/counting.rs"]
//! mod counting;
//! #[global_allocator]
//! static GLOBAL: counting::Counting = counting::Counting;
//! ```
//!
//! Counting one thread suits a test harness, whose own threads allocate on their own
//! schedule (seen once under heavy load: 4 allocations, 900 bytes, mid-loop); counting
//! every thread, which a loop on several threads needs, suits a binary without one.
#![allow(dead_code)] // each binary uses the half it needs

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub struct Counting;

static CALLS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static EVERY_THREAD: AtomicBool = AtomicBool::new(false);

thread_local! {
    // Const-initialised and without a destructor, so reading it never allocates.
    static THIS_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Count this thread's allocations from now on (`true`), or no longer.
pub fn count_this_thread(on: bool) {
    THIS_THREAD.set(on);
}

/// Count every thread's allocations from now on (`true`), or no longer.
pub fn count_every_thread(on: bool) {
    EVERY_THREAD.store(on, Ordering::Relaxed);
}

/// (allocations, bytes) counted so far.
pub fn counted() -> (u64, u64) {
    (CALLS.load(Ordering::Relaxed), BYTES.load(Ordering::Relaxed))
}

fn note(bytes: usize) {
    // `try_with`: a thread's allocations while its thread-locals are torn down.
    if EVERY_THREAD.load(Ordering::Relaxed) || THIS_THREAD.try_with(Cell::get).unwrap_or(false) {
        CALLS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note(l.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        note(l.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        note(n);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
}
