//! How many threads the engine's parallel kernels may use, and the team that runs them.
//!
//! The count comes from [`set_threads`], else `SMALLMIND_THREADS`, else the
//! machine's available parallelism. Kernels split work into fixed chunks
//! (chunk `t` of `n` always covers the same rows or columns), so a result never
//! depends on which OS thread ran which chunk: results are bit-identical from run
//! to run, and — because every output element is computed by exactly one part in
//! the same order — identical across thread counts too.
//! `run_chunks` is crate-private: its body pointer is lifetime-erased, and the claim
//! protocol that makes that sound lives entirely in this file.
//!
//! The team is a private rayon pool of `threads() - 1` workers. In `run_chunks` the
//! caller and the workers *claim* chunks of work, so the caller never waits for a
//! worker that has not woken up yet, and a second concurrent caller that finds the
//! team busy simply claims all its chunks itself (never slower than single-threaded,
//! never a deadlock).

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// 0 = not decided yet.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// The number of threads parallel kernels use (≥ 1).
pub fn threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => {
            let n = match threads_from_env() {
                Ok(Some(n)) => n,
                Ok(None) => default_threads(),
                Err(e) => {
                    let n = default_threads();
                    eprintln!("smallmind: {e}; using {n} threads");
                    n
                }
            };
            // Another thread may have called set_threads meanwhile: keep its value.
            match THREADS.compare_exchange(0, n, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => n,
                Err(set) => set,
            }
        }
        n => n,
    }
}

/// Set the number of threads parallel kernels use. `0` is an error.
pub fn set_threads(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::arg(
            "set_threads",
            "the thread count must be at least 1",
        ));
    }
    THREADS.store(n, Ordering::Relaxed);
    Ok(())
}

/// The count `SMALLMIND_THREADS` asks for; `None` when unset or empty.
pub fn threads_from_env() -> Result<Option<usize>> {
    parse_threads(std::env::var("SMALLMIND_THREADS").ok().as_deref())
}

/// The value of `SMALLMIND_THREADS`: unset or blank → `None`, a whole number ≥ 1, else an error.
pub fn parse_threads(value: Option<&str>) -> Result<Option<usize>> {
    match value {
        Some(v) if !v.trim().is_empty() => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(Error::BadEnv {
                var: "SMALLMIND_THREADS",
                value: v.to_string(),
                reason: "expected a whole number ≥ 1".into(),
            }),
        },
        _ => Ok(None),
    }
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A rayon pool of `workers` threads, rebuilt when the count changes.
struct Team {
    workers: usize,
    pool: Option<rayon::ThreadPool>,
}

fn team() -> &'static Mutex<Team> {
    static TEAM: OnceLock<Mutex<Team>> = OnceLock::new();
    TEAM.get_or_init(|| {
        Mutex::new(Team {
            workers: 0,
            pool: None,
        })
    })
}

/// One [`run_chunks`] call's shared state: the claim counter, the completion count
/// and the (lifetime-erased) body. Workers that arrive late find no chunk left and
/// never touch the body, so the caller need not wait for them to wake up.
struct Claims {
    next: AtomicUsize,
    done: AtomicUsize,
    chunks: usize,
    panicked: AtomicBool,
    /// Valid while `done < chunks`: the caller returns only once every claimed
    /// chunk has finished, and a chunk is dereferenced only after a successful claim.
    body: *const (dyn Fn(usize) + Sync + 'static),
}

// SAFETY: `body` points to a `Sync` closure and is only called under the claim
// protocol above; the counters are atomics.
unsafe impl Send for Claims {}
unsafe impl Sync for Claims {}

impl Claims {
    /// Claim and run chunks until none is left.
    fn work(&self) {
        loop {
            let ch = self.next.fetch_add(1, Ordering::Relaxed);
            if ch >= self.chunks {
                return;
            }
            // SAFETY: `ch < chunks` was claimed by this thread alone, and the caller of
            // `run_chunks` keeps the body alive until `done` counts this chunk.
            let body = unsafe { &*self.body };
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(ch))).is_err() {
                self.panicked.store(true, Ordering::Relaxed);
            }
            self.done.fetch_add(1, Ordering::Release);
        }
    }
}

/// Run `f(0), …, f(chunks - 1)` on up to `threads` threads (the caller included),
/// each chunk once, and return when all are done. Parts must write disjoint data.
///
/// Chunks are *claimed*: the calling thread starts on them at once and the team's
/// workers join when they wake. A chunk nobody has claimed yet is never waited for,
/// so a sleeping or descheduled worker (the machine is shared) costs at most the
/// chunk it already holds: with several chunks per thread this is never much slower
/// than running everything on the caller, and on an idle core it is nearly `threads`×
/// faster. Which thread ran a chunk does not change what the chunk computes.
pub(crate) fn run_chunks(threads: usize, chunks: usize, f: impl Fn(usize) + Sync) {
    if threads <= 1 || chunks <= 1 {
        (0..chunks).for_each(f);
        return;
    }
    let body: &(dyn Fn(usize) + Sync) = &f;
    // SAFETY: only the lifetime is erased; see `Claims::body` for why it stays valid.
    let body: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(body) };
    let claims = std::sync::Arc::new(Claims {
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        chunks,
        panicked: AtomicBool::new(false),
        body,
    });
    let helpers = (threads - 1).min(chunks - 1);
    if let Ok(mut guard) = team().try_lock() {
        if guard.workers != threads - 1 || guard.pool.is_none() {
            guard.pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads - 1)
                .thread_name(|i| format!("smallmind-{}", i + 1))
                .build()
                .ok();
            guard.workers = threads - 1;
        }
        if let Some(pool) = guard.pool.as_ref() {
            for _ in 0..helpers {
                let c = std::sync::Arc::clone(&claims);
                pool.spawn(move || c.work());
            }
        }
    }
    // (A concurrent caller that found the team busy, or an OS that refused threads:
    // the caller simply claims every chunk itself.)
    claims.work();
    let mut spins = 0u32;
    while claims.done.load(Ordering::Acquire) < chunks {
        // Only chunks a worker is running are left: wait for them, politely.
        if spins < 1 << 12 {
            std::hint::spin_loop();
            spins += 1;
        } else {
            std::thread::yield_now();
        }
    }
    if claims.panicked.load(Ordering::Relaxed) {
        panic!("a parallel chunk panicked");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn zero_threads_is_an_error() {
        assert!(set_threads(0).is_err());
        assert!(threads() >= 1);
    }

    #[test]
    fn env_values_parse_or_fail_clearly() {
        assert_eq!(parse_threads(None).unwrap(), None);
        assert_eq!(parse_threads(Some("  ")).unwrap(), None);
        assert_eq!(parse_threads(Some(" 3 ")).unwrap(), Some(3));
        for bad in ["0", "-1", "two", "1.5"] {
            let err = parse_threads(Some(bad)).unwrap_err().to_string();
            assert!(
                err.contains("SMALLMIND_THREADS") && err.contains(bad),
                "{err}"
            );
        }
    }

    #[test]
    fn every_chunk_runs_once() {
        for threads in 1..4 {
            for chunks in 0..9 {
                let hits = AtomicU64::new(0);
                run_chunks(threads, chunks, |t| {
                    hits.fetch_add(1 << (4 * t), Ordering::Relaxed);
                });
                let expect: u64 = (0..chunks).map(|t| 1u64 << (4 * t)).sum();
                assert_eq!(hits.load(Ordering::Relaxed), expect, "{threads} {chunks}");
            }
        }
    }

    #[test]
    fn a_panicking_chunk_panics_the_caller() {
        let r = std::panic::catch_unwind(|| {
            run_chunks(2, 4, |t| {
                if t == 3 {
                    panic!("chunk 3");
                }
            })
        });
        assert!(r.is_err());
    }
}
