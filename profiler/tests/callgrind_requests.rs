//! The worker switches callgrind's instrumentation on only around the counted
//! operations (`--instr-atstart=no` and client requests). That must not change a
//! single count: the same worker fully instrumented from the start gives the same
//! totals. Needs valgrind; skipped with a message when it is absent.

use smprof::measure::callgrind::{self, requests};
use std::path::Path;
use std::process::Command;

fn valgrind_present() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `cmd` without the argument `drop` (same program and environment).
fn without(cmd: &Command, drop: &str) -> Command {
    let mut out = Command::new(cmd.get_program());
    out.args(cmd.get_args().filter(|a| *a != drop));
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => out.env(k, v),
            None => out.env_remove(k),
        };
    }
    out
}

fn instructions(mut cmd: Command, file: &Path) -> u64 {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(file).unwrap();
    callgrind::parse_totals(&text, file)
        .unwrap()
        .instructions()
        .unwrap()
}

#[test]
fn counting_only_the_operations_changes_no_count() {
    if !valgrind_present() {
        eprintln!("skipped: valgrind is not installed (instruction counts need it)");
        return;
    }
    if !requests::SUPPORTED {
        eprintln!("skipped: client requests are wired for x86-64 only");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = assert_cmd::cargo::cargo_bin("smprof");
    // Two cheap kernels (a debug build under valgrind is slow); what is tested,
    // when the instrumentation starts, is the same for every workload.
    for workload in ["gelu/10k", "softmax/2048"] {
        let (late, early) = (dir.path().join("late.out"), dir.path().join("early.out"));
        let cmd = callgrind::command(Path::new("valgrind"), &exe, workload, 2, &late);
        assert!(
            cmd.get_args().any(|a| a == "--instr-atstart=no"),
            "the worker starts the instrumentation itself"
        );
        let late_ir = instructions(cmd, &late);
        let full = callgrind::command(Path::new("valgrind"), &exe, workload, 2, &early);
        let early_ir = instructions(without(&full, "--instr-atstart=no"), &early);
        assert!(late_ir > 1000, "{workload}: {late_ir} instructions");
        assert_eq!(late_ir, early_ir, "{workload}");
    }
}
