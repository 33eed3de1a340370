//! Workers die with their parent: a worker process (or the valgrind running one)
//! gets SIGKILL from the kernel as soon as the smprof that started it dies, so a
//! killed run leaves nothing measuring behind (`PR_SET_PDEATHSIG`, Linux).
//!
//! Invariant for callers: the kernel sends the signal when the *thread* that
//! spawned the child ends, so spawn a worker from a thread that waits for it
//! (every spawn in `measure/` does: the spawning thread reads the worker's
//! output to the end and reaps it).

use std::process::Command;

/// Arrange for the child of `cmd` to be killed when this process dies.
/// Elsewhere than Linux nothing is arranged.
pub fn die_with_parent(cmd: &mut Command) -> &mut Command {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // Read before the fork: in the child, getppid() names the parent still alive.
        let parent = std::process::id();
        // SAFETY: the closure runs in the forked child before exec, so it may
        // only make async-signal-safe calls: prctl and getppid are plain
        // syscalls, and the error is built without allocating.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died between fork and prctl: then no signal
                // will come, and the child, already adopted, must not run.
                if u32::try_from(libc::getppid()).ok() != Some(parent) {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
    cmd
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;
    use std::time::{Duration, Instant};

    /// Wait up to `limit` for `child` to end; kill it (and say so) if it does not.
    fn ended_within(
        child: &mut std::process::Child,
        limit: Duration,
    ) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    #[test]
    fn a_child_dies_when_the_thread_that_spawned_it_ends() {
        // The death signal follows the spawning thread: a thread that spawns and
        // returns stands in for a parent that dies.
        let spawn = |arm: bool| {
            std::thread::spawn(move || {
                let mut cmd = Command::new("sleep");
                cmd.arg("30").stdin(std::process::Stdio::null());
                if arm {
                    die_with_parent(&mut cmd);
                }
                cmd.spawn().unwrap()
            })
            .join()
            .unwrap()
        };
        let mut armed = spawn(true);
        let status = ended_within(&mut armed, Duration::from_secs(5))
            .expect("the armed child outlived the thread that spawned it");
        assert_eq!(status.signal(), Some(libc::SIGKILL));

        // Without it the child lives on (the test would pass for a wrong reason otherwise).
        let mut unarmed = spawn(false);
        assert!(ended_within(&mut unarmed, Duration::from_millis(300)).is_none());
    }
}
