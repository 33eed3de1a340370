//! The team parallel kernels run on: workers that park between calls and *claim*
//! the chunks of one call at a time, the caller among them, without allocating.
//!
//! Why not a rayon pool: `spawn` boxes every job and the claims had to live in an
//! `Arc` that late workers could still hold, two system allocations (80 bytes) per
//! threaded product, so no threaded workload was allocation-free; rayon's `join`
//! and `scope` run on its own workers, where the caller would sleep while they wake.
//! Here every call's state lives in one static [`Slot`], reused call after call.
//!
//! Protocol (one call at a time holds [`Team::workers`]' lock):
//! 1. the caller writes the body, resets the counters and publishes a new
//!    generation in the claim word (Release), then unparks the workers it wants;
//! 2. the caller and the woken workers claim chunks by compare-exchange on the whole
//!    word, so a claim succeeds only for the generation it read; a worker that wakes
//!    after the last claim finds nothing and never reads the body;
//! 3. the caller returns once `done` counts every chunk: every body call has ended,
//!    so the next call may overwrite the slot.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, TryLockError};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// The claim word: generation (28 bits) | chunk count | next chunk (18 bits each).
const IDX_BITS: u32 = 18;
const IDX_MASK: u64 = (1 << IDX_BITS) - 1;
const GEN_MASK: u64 = (1 << (64 - 2 * IDX_BITS)) - 1;
/// The most chunks one call hands to the team (a call with more runs on its caller).
pub(super) const MAX_CHUNKS: usize = IDX_MASK as usize;

/// How long a worker that found no new call keeps polling before it parks: the
/// products of a training step follow each other after the element-wise layers
/// between them, and a parked worker takes tens of microseconds to wake. GPT-2
/// training steps on two threads (`train_step_server`, steps of two builds in
/// lockstep, 100 pairs): 500 µs ran 1.0–1.3 % faster than 50 µs; 50 µs and 2 µs were
/// within 0.5 % of each other (against the rayon team, 80 pairs each).
const SPIN: Duration = Duration::from_micros(500);

fn word(generation: u64, chunks: usize, next: usize) -> u64 {
    (generation << (2 * IDX_BITS)) | ((chunks as u64) << IDX_BITS) | next as u64
}

/// (generation, chunk count, next chunk) of a claim word.
fn fields(w: u64) -> (u64, usize, usize) {
    (
        w >> (2 * IDX_BITS),
        ((w >> IDX_BITS) & IDX_MASK) as usize,
        (w & IDX_MASK) as usize,
    )
}

type Body = *const (dyn Fn(usize) + Sync + 'static);

/// One call's shared state, reused by every call.
pub(super) struct Slot {
    word: AtomicU64,
    done: AtomicUsize,
    panicked: AtomicBool,
    /// Bumped by [`Slot::rest`]: a polling worker that sees it move since it last saw a
    /// call parks at once instead of polling out its `spin`.
    rest: AtomicU64,
    /// Workers polling for a call right now (the others are working or parked).
    polling: AtomicUsize,
    /// How long a worker polls before it parks ([`SPIN`] for the team).
    spin: Duration,
    /// How many of the team's workers take part in the current call (the first ones).
    active: AtomicUsize,
    /// The current call's body, lifetime-erased. Written only by the caller, before
    /// it publishes the generation and after every chunk of the previous call is
    /// done; read only by a thread that has claimed a chunk of the current
    /// generation, whose call cannot return (and the body die) before that chunk is done.
    body: UnsafeCell<Option<Body>>,
}

// SAFETY: the counters are atomics, and `body` is accessed under the protocol above
// (its pointee is `Sync`).
unsafe impl Sync for Slot {}

impl Slot {
    pub(super) const fn new(spin: Duration) -> Slot {
        Slot {
            word: AtomicU64::new(0),
            done: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            rest: AtomicU64::new(0),
            polling: AtomicUsize::new(0),
            spin,
            active: AtomicUsize::new(0),
            body: UnsafeCell::new(None),
        }
    }

    fn generation(&self) -> u64 {
        fields(self.word.load(Ordering::Acquire)).0
    }

    /// Make `body`'s `chunks` claimable by `active` workers and the caller; returns
    /// the new generation.
    ///
    /// # Safety
    /// The caller holds the team's lock, every chunk of the previous call is done,
    /// and `body` outlives every chunk of this call (the caller waits in [`Slot::wait`]).
    unsafe fn publish(&self, body: &(dyn Fn(usize) + Sync), chunks: usize, active: usize) -> u64 {
        debug_assert!(chunks <= MAX_CHUNKS);
        // SAFETY: only the lifetime is erased; the caller keeps `body` alive.
        let body: Body = unsafe { std::mem::transmute(body) };
        // SAFETY: no thread reads `body` now: the previous call's chunks are all done
        // and this generation is not published yet.
        unsafe { *self.body.get() = Some(body) };
        self.done.store(0, Ordering::Relaxed);
        self.panicked.store(false, Ordering::Relaxed);
        self.active.store(active, Ordering::Relaxed);
        let generation = (self.generation() + 1) & GEN_MASK;
        self.word
            .store(word(generation, chunks, 0), Ordering::Release);
        generation
    }

    /// Claim and run chunks of `generation` until none is left.
    fn work(&self, generation: u64) {
        let mut w = self.word.load(Ordering::Acquire);
        loop {
            let (g, chunks, next) = fields(w);
            if g != generation || next >= chunks {
                return;
            }
            match self
                .word
                .compare_exchange_weak(w, w + 1, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => {
                    // SAFETY: chunk `next` of this generation is ours alone, and its
                    // call keeps the body alive until `done` counts it (see `Slot::body`).
                    let body = unsafe { &*(*self.body.get()).expect("published with the word") };
                    let run = std::panic::AssertUnwindSafe(|| body(next));
                    if std::panic::catch_unwind(run).is_err() {
                        self.panicked.store(true, Ordering::Relaxed);
                    }
                    self.done.fetch_add(1, Ordering::Release);
                    w = self.word.load(Ordering::Acquire);
                }
                Err(now) => w = now,
            }
        }
    }

    /// Wait until all `chunks` are done (only chunks other threads are running are
    /// left), then forget the body; returns whether a chunk panicked.
    fn wait(&self, chunks: usize) -> bool {
        let mut spins = 0u32;
        while self.done.load(Ordering::Acquire) < chunks {
            if spins < 1 << 12 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
        // SAFETY: every chunk is done, so no thread reads the body any more.
        unsafe { *self.body.get() = None };
        self.panicked.load(Ordering::Relaxed)
    }

    /// Make the workers that poll for a call park at once (see [`super::rest`]).
    pub(super) fn rest(&self) {
        self.rest.fetch_add(1, Ordering::Relaxed);
    }

    /// A worker's life: wait for a generation after `seen` (polling for `spin`, or
    /// until [`Slot::rest`], then parked), take part if it is among the call's active
    /// workers, repeat.
    fn serve(&self, index: usize, mut seen: u64) -> ! {
        let mut rest_seen = self.rest.load(Ordering::Relaxed);
        loop {
            let started = Instant::now();
            let mut polls = 0u32;
            self.polling.fetch_add(1, Ordering::Relaxed);
            seen = loop {
                let g = self.generation();
                if g != seen {
                    break g;
                }
                polls = polls.wrapping_add(1);
                // Reading the clock costs ~20 ns: look at it (and at `rest`) every 64 polls.
                let tired = polls.is_multiple_of(64)
                    && (started.elapsed() >= self.spin
                        || self.rest.load(Ordering::Relaxed) != rest_seen);
                if tired {
                    self.polling.fetch_sub(1, Ordering::Relaxed);
                    // An unpark that came before this park makes it return at once.
                    std::thread::park();
                    self.polling.fetch_add(1, Ordering::Relaxed);
                } else {
                    std::hint::spin_loop();
                }
            };
            self.polling.fetch_sub(1, Ordering::Relaxed);
            // A rest asked for from now on (this call's caller, once it returns) ends
            // the polling after this call.
            rest_seen = self.rest.load(Ordering::Relaxed);
            if index < self.active.load(Ordering::Relaxed) {
                self.work(seen);
            }
        }
    }
}

/// The workers and the slot they serve.
struct Team {
    slot: Slot,
    /// The workers' handles, to unpark them. Held by the calling thread for a whole
    /// call, so calls take turns; a call that finds it held runs on its own thread.
    workers: Mutex<Vec<Thread>>,
}

static TEAM: Team = Team {
    slot: Slot::new(SPIN),
    workers: Mutex::new(Vec::new()),
};

/// Make the team's polling workers park at once (see [`super::rest`]).
pub(super) fn rest() {
    TEAM.slot.rest();
}

/// Run `f(0), …, f(chunks - 1)` on the caller and up to `helpers` workers, each chunk
/// once; returns when all are done. Spawning workers allocates, once per worker the
/// team grows by; a call with the team grown allocates nothing.
pub(super) fn run(helpers: usize, chunks: usize, f: &(dyn Fn(usize) + Sync)) {
    let mut workers = match TEAM.workers.try_lock() {
        Ok(w) => w,
        // A chunk panicked while its caller held the lock: the slot is consistent
        // (that call waited for every chunk), so the team is usable.
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        // Another call is running (or this thread is inside one of its chunks).
        Err(TryLockError::WouldBlock) => return (0..chunks).for_each(f),
    };
    let slot = &TEAM.slot;
    while workers.len() < helpers {
        let index = workers.len();
        let seen = slot.generation();
        let spawned = std::thread::Builder::new()
            .name(format!("smallmind-{}", index + 1))
            .spawn(move || TEAM.slot.serve(index, seen));
        match spawned {
            Ok(handle) => workers.push(handle.thread().clone()),
            // The OS refused a thread: fewer workers (the caller claims the rest).
            Err(_) => break,
        }
    }
    let helpers = helpers.min(workers.len());
    if helpers == 0 || chunks > MAX_CHUNKS {
        drop(workers);
        return (0..chunks).for_each(f);
    }
    // SAFETY: this thread holds the lock; the previous call returned only after all
    // of its chunks were done; `f` lives until `wait` below has seen every chunk done.
    let generation = unsafe { slot.publish(f, chunks, helpers) };
    for w in &workers[..helpers] {
        w.unpark();
    }
    slot.work(generation);
    let panicked = slot.wait(chunks);
    drop(workers);
    if panicked {
        panic!("a parallel chunk panicked");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claim_word_keeps_its_fields_apart() {
        for (g, c, n) in [(0, 0, 0), (GEN_MASK, MAX_CHUNKS, MAX_CHUNKS), (5, 300, 7)] {
            assert_eq!(fields(word(g, c, n)), (g, c, n));
        }
        // A claim that reaches the count does not spill into it.
        assert_eq!(fields(word(3, 9, 8) + 1), (3, 9, 9));
    }

    #[test]
    fn a_claim_for_another_generation_takes_nothing() {
        let slot = Slot::new(SPIN);
        let hits = AtomicUsize::new(0);
        let body = |_| {
            hits.fetch_add(1, Ordering::Relaxed);
        };
        // SAFETY: no other thread uses this slot; `body` outlives the calls below.
        let g = unsafe { slot.publish(&body, 3, 0) };
        slot.work(g.wrapping_sub(1) & GEN_MASK);
        assert_eq!(hits.load(Ordering::Relaxed), 0);
        slot.work(g);
        assert_eq!(hits.load(Ordering::Relaxed), 3);
        assert!(!slot.wait(3));
        // Claimed out: working the same generation again takes nothing more.
        slot.work(g);
        assert_eq!(hits.load(Ordering::Relaxed), 3);
    }

    /// Wait up to 10 s for `cond`.
    fn eventually(cond: impl Fn() -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if cond() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }

    #[test]
    fn a_rest_parks_a_polling_worker_at_once() {
        // A worker of its own slot that would poll for an hour after a call.
        let slot: &'static Slot = Box::leak(Box::new(Slot::new(Duration::from_secs(3600))));
        let seen = slot.generation();
        let worker = std::thread::spawn(move || slot.serve(0, seen))
            .thread()
            .clone();
        let hits = AtomicUsize::new(0);
        let body = |_| {
            hits.fetch_add(1, Ordering::Relaxed);
        };
        // The first call's chunks on this thread wait until the worker has run one, so
        // that it has seen the call (and the rest count) before the rest below.
        let caller = std::thread::current().id();
        let joined = AtomicBool::new(false);
        let first = |_| {
            if std::thread::current().id() == caller {
                while !joined.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
            } else {
                joined.store(true, Ordering::Release);
            }
            hits.fetch_add(1, Ordering::Relaxed);
        };
        // SAFETY: this test is the slot's only caller; `first` outlives the call (waited).
        let g = unsafe { slot.publish(&first, 8, 1) };
        worker.unpark();
        slot.work(g);
        assert!(!slot.wait(8));
        assert_eq!(hits.load(Ordering::Relaxed), 8);
        assert!(
            eventually(|| slot.polling.load(Ordering::Relaxed) == 1),
            "the worker polls after the call"
        );
        slot.rest();
        assert!(
            eventually(|| slot.polling.load(Ordering::Relaxed) == 0),
            "the worker still polls after a rest"
        );
        // Parked, it still serves the next call (which the caller may run alone).
        // SAFETY: as above.
        let g = unsafe { slot.publish(&body, 8, 1) };
        worker.unpark();
        slot.work(g);
        assert!(!slot.wait(8));
        assert_eq!(hits.load(Ordering::Relaxed), 16);
    }
}
