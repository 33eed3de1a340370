//! How many threads the engine's parallel kernels may use, and the team that runs them.
//!
//! The count comes from [`set_threads`], else `SMALLMIND_THREADS`, else the
//! machine's available parallelism. Kernels split work into *static* parts
//! (part `t` of `n` always covers the same rows or columns), so a result never
//! depends on which OS thread ran which part: results are bit-identical from run
//! to run, and — because every output element is computed by exactly one part in
//! the same order — identical across thread counts too.
//!
//! The team is a private rayon pool of `threads() - 1` workers; the calling
//! thread runs part 0 itself. Only one parallel call owns the team at a time:
//! a second concurrent caller runs its parts on its own thread instead of
//! queueing behind the first (never slower than single-threaded, never a deadlock).

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
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
    match std::env::var("SMALLMIND_THREADS") {
        Ok(v) if !v.trim().is_empty() => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(Error::BadEnv {
                var: "SMALLMIND_THREADS",
                value: v,
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

/// Run `f(0), …, f(parts - 1)`, in parallel when the team is free, and return
/// when all are done. `f(0)` runs on the calling thread. Parts must write disjoint data.
pub(crate) fn run_parts(parts: usize, f: impl Fn(usize) + Sync) {
    if parts <= 1 {
        if parts == 1 {
            f(0);
        }
        return;
    }
    let run_serial = |f: &(dyn Fn(usize) + Sync)| (0..parts).for_each(f);
    // try_lock: a concurrent caller does its own work rather than wait for the team.
    let Ok(mut guard) = team().try_lock() else {
        return run_serial(&f);
    };
    let workers = parts - 1;
    if guard.workers != workers || guard.pool.is_none() {
        guard.pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("smallmind-{}", i + 1))
            .build()
            .ok();
        guard.workers = workers;
    }
    let Some(pool) = guard.pool.as_ref() else {
        // The OS refused threads: still correct, just serial.
        return run_serial(&f);
    };
    let f = &f;
    pool.in_place_scope(|s| {
        for t in 1..parts {
            s.spawn(move |_| f(t));
        }
        f(0);
    });
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
    fn every_part_runs_once() {
        for parts in 0..5 {
            let hits = AtomicU64::new(0);
            run_parts(parts, |t| {
                hits.fetch_add(1 << (8 * t), Ordering::Relaxed);
            });
            let expect: u64 = (0..parts).map(|t| 1u64 << (8 * t)).sum();
            assert_eq!(hits.load(Ordering::Relaxed), expect);
        }
    }
}
