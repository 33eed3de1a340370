//! Per-op instrumentation: calls, exclusive time and newly allocated bytes by engine op.
//!
//! Off by default; when off, a [`scope`] costs one relaxed atomic load and no
//! clock read. When on, time is *exclusive*: an op nested in another (matmul
//! inside attention) is charged to itself, not to both, so the shares of a
//! composite workload add up to its total.

use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The engine ops that instrumentation tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Matmul,
    Gelu,
    Softmax,
    LayerNorm,
    Attention,
    Add,
    Mul,
    Embedding,
    CrossEntropy,
    Optimizer,
    Copy,
    Other,
}

impl Op {
    /// Every op, in display order.
    pub const ALL: [Op; 12] = [
        Op::Matmul,
        Op::Gelu,
        Op::Softmax,
        Op::LayerNorm,
        Op::Attention,
        Op::Add,
        Op::Mul,
        Op::Embedding,
        Op::CrossEntropy,
        Op::Optimizer,
        Op::Copy,
        Op::Other,
    ];

    /// The stable name recorded in results (`"matmul"`, `"layer_norm"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Matmul => "matmul",
            Op::Gelu => "gelu",
            Op::Softmax => "softmax",
            Op::LayerNorm => "layer_norm",
            Op::Attention => "attention",
            Op::Add => "add",
            Op::Mul => "mul",
            Op::Embedding => "embedding",
            Op::CrossEntropy => "cross_entropy",
            Op::Optimizer => "optimizer",
            Op::Copy => "copy",
            Op::Other => "other",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Accumulated figures for one op.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpStats {
    pub calls: u64,
    /// Exclusive wall time, in nanoseconds.
    pub time_ns: u64,
    /// Bytes newly allocated while this op was innermost: by the pool, or, once
    /// the global allocator reports them ([`set_system_allocs_reported`]), by the
    /// system allocator for anything (the pool's misses, a `Vec`, a `Box`, …).
    pub alloc_bytes: u64,
}

static ENABLED: AtomicBool = AtomicBool::new(false);
/// Set when the process's global allocator reports every system allocation
/// ([`note_system_alloc`]); the pool's own reports are then redundant.
static SYSTEM_REPORTED: AtomicBool = AtomicBool::new(false);
/// Invariant: nothing allocates while holding this lock (`note_system_alloc`
/// takes it from inside the global allocator).
static TOTALS: Mutex<[OpStats; 12]> = Mutex::new(
    [OpStats {
        calls: 0,
        time_ns: 0,
        alloc_bytes: 0,
    }; 12],
);

struct Frame {
    op: Op,
    start: Instant,
    child_ns: u64,
}

thread_local! {
    static STACK: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
}

/// Turn instrumentation on or off for the whole process. In a build with
/// `--cfg smallmind_no_instrumentation` (used only to measure what the
/// instrumentation costs when off) this does nothing and [`enabled`] stays false.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether instrumentation is on.
#[inline(always)]
pub fn enabled() -> bool {
    #[cfg(smallmind_no_instrumentation)]
    {
        false
    }
    #[cfg(not(smallmind_no_instrumentation))]
    {
        ENABLED.load(Ordering::Relaxed)
    }
}

/// A guard that charges the time until it drops to `op`.
#[must_use = "the op is timed until the guard drops"]
#[derive(Debug)]
pub struct Scope {
    active: bool,
}

/// Start timing `op` on this thread (nothing happens when instrumentation is off).
///
/// Off, this is one relaxed load and a branch, inlined into the kernel; the
/// bookkeeping lives out of line in cold functions so it does not bloat callers.
#[inline(always)]
pub fn scope(op: Op) -> Scope {
    if !enabled() {
        return Scope { active: false };
    }
    enter(op);
    Scope { active: true }
}

#[cold]
#[inline(never)]
fn enter(op: Op) {
    STACK.with(|s| {
        s.borrow_mut().push(Frame {
            op,
            start: Instant::now(),
            child_ns: 0,
        })
    });
}

#[cold]
#[inline(never)]
fn leave() {
    STACK.with(|s| {
        let mut stack = s.borrow_mut();
        if let Some(frame) = stack.pop() {
            let total = frame.start.elapsed().as_nanos() as u64;
            if let Some(parent) = stack.last_mut() {
                parent.child_ns += total;
            }
            let mut t = TOTALS.lock().unwrap_or_else(|p| p.into_inner());
            let e = &mut t[frame.op.index()];
            e.calls += 1;
            e.time_ns += total.saturating_sub(frame.child_ns);
        }
    });
}

impl Drop for Scope {
    #[inline(always)]
    fn drop(&mut self) {
        if self.active {
            leave();
        }
    }
}

/// Called by the pool when it allocates: charge the bytes to the innermost op
/// (unless the global allocator reports every allocation, the pool's included).
#[inline]
pub(crate) fn note_alloc(bytes: usize) {
    if !enabled() || SYSTEM_REPORTED.load(Ordering::Relaxed) {
        return;
    }
    let op = STACK.with(|s| s.borrow().last().map(|f| f.op));
    charge_alloc(op, bytes);
}

fn charge_alloc(op: Option<Op>, bytes: usize) {
    let mut t = TOTALS.lock().unwrap_or_else(|p| p.into_inner());
    t[op.unwrap_or(Op::Other).index()].alloc_bytes += bytes as u64;
}

/// Declare that the process's global allocator calls [`note_system_alloc`] for
/// every allocation (the profiler's does in its allocation pass): an op's
/// `alloc_bytes` then counts every system allocation made while it is innermost,
/// so an op that allocates outside the pool is named too.
pub fn set_system_allocs_reported(on: bool) {
    SYSTEM_REPORTED.store(on, Ordering::Relaxed);
}

thread_local! {
    // Set while this thread is inside `note_system_alloc`: the bookkeeping's
    // own allocations (a first access registering a thread-local) re-enter it.
    static IN_NOTE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// For a global allocator: `bytes` were just allocated on this thread. Charged
/// to the innermost op when instrumentation is on and reports were declared
/// ([`set_system_allocs_reported`]); otherwise one or two relaxed loads.
/// Allocation-free and re-entrancy safe (an allocation made while the scope
/// stack is being changed is charged to no op).
#[inline]
pub fn note_system_alloc(bytes: usize) {
    if !enabled() || !SYSTEM_REPORTED.load(Ordering::Relaxed) {
        return;
    }
    note_system_alloc_slow(bytes);
}

#[cold]
#[inline(never)]
fn note_system_alloc_slow(bytes: usize) {
    if IN_NOTE.try_with(|f| f.replace(true)).unwrap_or(true) {
        return;
    }
    // Outside every scope (or while the stack is borrowed) nothing is charged:
    // unlike the pool's buffers, most of a process's allocations are not the engine's.
    let op = STACK
        .try_with(|s| s.try_borrow().ok().and_then(|st| st.last().map(|f| f.op)))
        .ok()
        .flatten();
    if op.is_some() {
        charge_alloc(op, bytes);
    }
    let _ = IN_NOTE.try_with(|f| f.set(false));
}

/// The figures of every op that was called since the last [`reset`].
pub fn snapshot() -> Vec<(Op, OpStats)> {
    // Copied out first: collecting allocates, and an allocation reported by the
    // global allocator (`note_system_alloc`) takes this lock.
    let t = *TOTALS.lock().unwrap_or_else(|p| p.into_inner());
    Op::ALL
        .into_iter()
        .map(|op| (op, t[op.index()]))
        .filter(|(_, s)| s.calls > 0 || s.alloc_bytes > 0)
        .collect()
}

/// Zero every op's figures.
pub fn reset() {
    *TOTALS.lock().unwrap_or_else(|p| p.into_inner()) = [OpStats::default(); 12];
}

#[cfg(all(test, not(smallmind_no_instrumentation)))]
mod tests {
    use super::*;

    #[test]
    fn nested_scopes_are_exclusive() {
        // The totals are process-wide and other tests run kernels in parallel
        // threads: an attempt in which another thread also timed one of these
        // ops (calls ≠ 1) is repeated.
        for _ in 0..10 {
            set_enabled(true);
            reset();
            let start = std::time::Instant::now();
            {
                let _outer = scope(Op::Attention);
                std::thread::sleep(std::time::Duration::from_millis(2));
                {
                    let _inner = scope(Op::Softmax);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
            let elapsed = start.elapsed().as_nanos() as u64;
            let snap = snapshot();
            set_enabled(false);
            let get = |op| snap.iter().find(|(o, _)| *o == op).unwrap().1;
            let (a, s) = (get(Op::Attention), get(Op::Softmax));
            if (a.calls, s.calls) != (1, 1) {
                continue;
            }
            assert!(s.time_ns >= 5_000_000);
            assert!(a.time_ns >= 2_000_000, "{a:?}");
            // Exclusive: the two scopes share no time, so together they fit in the
            // block (sleeps overshoot on a loaded machine; the sum cannot).
            // Inclusive timing would count the inner 5 ms twice.
            assert!(a.time_ns + s.time_ns <= elapsed, "{a:?} {s:?} {elapsed}");
            return;
        }
        panic!("other threads timed attention or softmax in each of 10 attempts");
    }
}
