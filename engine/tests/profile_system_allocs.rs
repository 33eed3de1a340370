//! With a global allocator that reports every allocation
//! (`profile::note_system_alloc`, as the profiler's does), an op's `alloc_bytes`
//! counts what the system allocator handed out while it was innermost: a plain
//! `Vec` inside the op as well as the pool's misses, each byte once.
//! (Its own test binary: the allocator and the profile switches are process-wide.)

use smallmind::pool;
use smallmind::profile::{self, Op};
use std::alloc::{GlobalAlloc, Layout, System};

struct Reporting;

// SAFETY: forwards to the system allocator, only reporting sizes.
unsafe impl GlobalAlloc for Reporting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        profile::note_system_alloc(l.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        profile::note_system_alloc(l.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Reporting = Reporting;

fn bytes_of(op: Op) -> u64 {
    profile::snapshot()
        .iter()
        .find(|(o, _)| *o == op)
        .map_or(0, |(_, s)| s.alloc_bytes)
}

#[test]
fn heap_and_pool_allocations_are_charged_once_to_the_innermost_op() {
    profile::set_enabled(true);
    // Before the declaration only the pool reports: a plain Vec is invisible.
    profile::reset();
    {
        let _s = profile::scope(Op::Gelu);
        std::hint::black_box(vec![0u8; 64 * 1024]);
    }
    assert_eq!(bytes_of(Op::Gelu), 0);

    profile::set_system_allocs_reported(true);
    profile::reset();
    {
        let _s = profile::scope(Op::Gelu);
        std::hint::black_box(vec![0u8; 64 * 1024]);
    }
    assert_eq!(bytes_of(Op::Gelu), 64 * 1024);

    // A pool miss: the system allocation of its size class, counted once
    // (the pool's own report is redundant now).
    profile::reset();
    let before = pool::global().stats();
    let buf = {
        let _s = profile::scope(Op::Mul);
        std::hint::black_box(pool::rent(3 * 1024 * 1024 + 1))
    };
    drop(buf); // returned outside the op (its free list may grow)
    let allocated = pool::global().stats().since(&before).bytes_allocated;
    assert!(
        allocated > 12 * 1024 * 1024,
        "the rent missed the pool: {allocated}"
    );
    assert_eq!(bytes_of(Op::Mul), allocated);
    // Outside every scope nothing is charged.
    profile::reset();
    std::hint::black_box(vec![0u8; 4096]);
    assert_eq!(bytes_of(Op::Other), 0);
    profile::set_enabled(false);
}
