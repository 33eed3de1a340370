//! How many threads the engine's parallel kernels may use, and the team that runs them.
//!
//! The count comes from [`set_threads`], else `SMALLMIND_THREADS`, else the
//! machine's available parallelism. Kernels split work into fixed chunks
//! (chunk `t` of `n` always covers the same rows or columns), so a result never
//! depends on which OS thread ran which chunk: results are bit-identical from run
//! to run, and — because every output element is computed by exactly one part in
//! the same order — identical across thread counts too.
//! `run_chunks` is crate-private: its body pointer is lifetime-erased, and the claim
//! protocol that makes that sound lives entirely in `team.rs`.
//!
//! The team is `threads() - 1` engine workers ([`team`]). In `run_chunks` the caller
//! and the workers *claim* chunks of work, so the caller never waits for a worker
//! that has not woken up yet, and a second concurrent caller that finds the team busy
//! simply claims all its chunks itself (never slower than single-threaded, never a
//! deadlock).

mod team;

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// Let the team's workers park now instead of polling for the next call.
///
/// After a parallel call the workers poll for 500 µs, so that products in quick
/// succession start without the OS waking a thread; meanwhile each holds a CPU. A
/// caller about to leave the CPUs to other processes calls this: a benchmark harness
/// alternating two builds' processes (the other build's samples would otherwise share
/// the CPUs with this one's polling workers), or a program going idle. The next
/// parallel call wakes them as usual.
pub fn rest() {
    team::rest();
}

/// Run `f(0), …, f(chunks - 1)` on up to `threads` threads (the caller included),
/// each chunk once, and return when all are done. Parts must write disjoint data.
///
/// Chunks are *claimed*: the calling thread starts on them at once and the team's
/// workers join when they wake. A chunk nobody has claimed yet is never waited for,
/// so a sleeping or descheduled worker (the machine is shared) costs at most the
/// chunk it already holds: with several chunks per thread this is never much slower
/// than running everything on the caller, and on an idle core it is nearly `threads`×
/// faster. Which thread ran a chunk does not change what the chunk computes. Once the
/// team has its workers, a call allocates nothing.
pub(crate) fn run_chunks(threads: usize, chunks: usize, f: impl Fn(usize) + Sync) {
    if threads <= 1 || chunks <= 1 {
        (0..chunks).for_each(f);
        return;
    }
    team::run((threads - 1).min(chunks - 1), chunks, &f);
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
        // The team serves the next call as before.
        let hits = AtomicU64::new(0);
        run_chunks(2, 5, |_| {
            hits.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(hits.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn no_more_threads_than_asked_take_part() {
        // Grow the team to three workers, then ask for two threads: the caller and
        // at most one worker run the chunks.
        run_chunks(4, 16, |_| {
            std::thread::sleep(std::time::Duration::from_micros(200))
        });
        for _ in 0..20 {
            let seen = std::sync::Mutex::new(Vec::new());
            run_chunks(2, 12, |_| {
                let id = std::thread::current().id();
                let mut s = seen.lock().unwrap();
                if !s.contains(&id) {
                    s.push(id);
                }
                drop(s);
                std::thread::sleep(std::time::Duration::from_micros(100));
            });
            let n = seen.lock().unwrap().len();
            assert!((1..=2).contains(&n), "{n} threads ran the chunks");
        }
    }

    #[test]
    fn concurrent_and_nested_calls_each_run_every_chunk_once() {
        // Callers on several threads share one team (one call holds it, the others
        // run on their own thread), and a chunk may itself split its work.
        std::thread::scope(|s| {
            for caller in 0..4u64 {
                s.spawn(move || {
                    for round in 0..200u64 {
                        let sum = AtomicU64::new(0);
                        run_chunks(2, 6, |t| {
                            let inner = AtomicU64::new(0);
                            run_chunks(2, 3, |u| {
                                inner.fetch_add(u as u64 + 1, Ordering::Relaxed);
                            });
                            let v = (t as u64 + 1) * inner.load(Ordering::Relaxed);
                            sum.fetch_add(v, Ordering::Relaxed);
                        });
                        // (1 + … + 6) · (1 + 2 + 3)
                        assert_eq!(sum.load(Ordering::Relaxed), 21 * 6, "{caller} {round}");
                    }
                });
            }
        });
    }
}
