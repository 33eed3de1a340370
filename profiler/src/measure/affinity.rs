//! CPU affinity of worker processes. The lockstep measurement runs both sides'
//! workers on one CPU: on this project's VM each vCPU has its own slow spells
//! (another tenant on its core), so two workers on different vCPUs would not
//! share the machine's state, which is the point of interleaving them.

/// The CPUs this process may run on, in increasing order (empty where unknown).
pub fn allowed_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `sched_getaffinity` writes only the `cpu_set_t` we own; zeroed is a valid empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let rc =
            unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
        if rc != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            // SAFETY: `cpu` < CPU_SETSIZE, the set's size.
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .collect()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Vec::new()
    }
}

/// Pin the calling thread (and the threads it starts afterwards) to `cpu`.
/// Returns whether it took effect; where the platform cannot pin, nothing happens.
pub fn pin_to(cpu: usize) -> bool {
    #[cfg(target_os = "linux")]
    {
        if cpu >= libc::CPU_SETSIZE as usize {
            return false;
        }
        // SAFETY: as above; `cpu` < CPU_SETSIZE.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        unsafe { libc::CPU_SET(cpu, &mut set) };
        let rc =
            unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
        rc == 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cpu;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_thread_pinned_to_an_allowed_cpu_stays_there() {
        let cpus = allowed_cpus();
        assert!(!cpus.is_empty());
        let last = *cpus.last().unwrap();
        // A fresh thread, so the test binary's other threads keep their affinity.
        let ok = std::thread::spawn(move || {
            pin_to(last)
                && allowed_cpus() == vec![last]
                && unsafe { libc::sched_getcpu() } == last as i32
        })
        .join()
        .unwrap();
        assert!(ok);
        assert!(!pin_to(usize::MAX));
    }
}
