//! Whether the thread was switched out during a timed batch, for the examples that
//! take such a batch again.

/// How many times this thread has been scheduled onto a CPU: the third field of
/// `/proc/thread-self/schedstat` (`None` off Linux). Not the first field, the on-CPU
/// time: the kernel brings that up to date only at a scheduler tick or a switch.
pub fn times_scheduled() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}
