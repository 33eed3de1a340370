//! Workers die with their parent: a `smprof run` killed with SIGKILL (no chance
//! to clean up) leaves no worker process running, in the timing pass and under
//! valgrind (the latter skipped with a message when valgrind is absent).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Worker processes whose parent is `parent` (from /proc/*/stat; a worker's
/// command line has `worker`, which e.g. the `valgrind --version` probe has not).
fn workers_of(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let is_worker = || {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).any(|a| a == b"worker"))
        };
        if stat(pid).is_some_and(|(_, ppid)| ppid == parent) && is_worker() {
            out.push(pid);
        }
    }
    out
}

/// State letter and parent of a process, `None` once it is gone.
fn stat(pid: u32) -> Option<(char, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Gone, or a zombie no one reaps (a container's init may not): either way not running.
fn running(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}

/// Start `smprof ARGS` in `dir`, wait for its first worker, SIGKILL smprof, and
/// return how long the worker outlived it (`None`: still running after 5 s).
fn worker_outlives_killed_parent(dir: &Path, args: &[&str]) -> Option<Duration> {
    let mut smprof: Child = Command::new(assert_cmd::cargo::cargo_bin("smprof"))
        .args(args)
        .current_dir(dir)
        .env_remove("SMALLMIND_SIMD")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let worker = loop {
        if let Some(&w) = workers_of(smprof.id()).first() {
            break w;
        }
        assert!(
            smprof.try_wait().unwrap().is_none(),
            "smprof {args:?} ended before starting a worker"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no worker started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    smprof.kill().unwrap();
    smprof.wait().unwrap();
    let killed = Instant::now();
    while killed.elapsed() < Duration::from_secs(5) {
        if !running(worker) {
            return Some(killed.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // Do not leave it behind for the next test.
    // SAFETY: plain syscall on a pid this test saw as smprof's child.
    unsafe { libc::kill(worker as i32, libc::SIGKILL) };
    None
}

#[test]
fn timing_workers_die_with_a_killed_smprof() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.json");
    let lived = worker_outlives_killed_parent(
        dir.path(),
        &[
            "run",
            "--suite",
            "code",
            "--filter",
            "matmul/1024",
            "--processes",
            "3",
            "--samples",
            "1000",
            "--no-save",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let lived = lived.expect("the worker was still running 5 s after smprof was killed");
    assert!(
        lived < Duration::from_secs(1),
        "the worker lived {lived:?} on"
    );
    assert!(!out.exists(), "a killed run wrote no result");
}

#[test]
fn valgrind_workers_die_with_a_killed_smprof() {
    let valgrind = Command::new("valgrind").arg("--version").output();
    if !valgrind.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: valgrind is not installed (instruction counts need it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.json");
    let lived = worker_outlives_killed_parent(
        dir.path(),
        &[
            "run",
            "--suite",
            "code",
            "--filter",
            "matmul/1024",
            "--metric",
            "instructions",
            "--no-save",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let lived = lived.expect("valgrind was still running 5 s after smprof was killed");
    assert!(
        lived < Duration::from_secs(1),
        "valgrind lived {lived:?} on"
    );
}
