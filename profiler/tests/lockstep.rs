//! The lockstep measurement end to end: real worker processes of this smprof
//! taking samples in turn, the fallback test of a build that does not speak the
//! protocol, and a worker that dies.

use assert_cmd::Command;
use smprof::measure::{self, Plan, lockstep};
use std::path::PathBuf;

fn smprof_exe() -> PathBuf {
    assert_cmd::cargo::cargo_bin("smprof")
}

fn plan(exe: PathBuf) -> Plan {
    let mut p = Plan::new(vec!["tensor/add_10k".into(), "gelu/1k".into()]).unwrap();
    p.exe = exe;
    p.processes = 2;
    p.samples_per_process = 3;
    p.alloc_pass = false;
    p
}

#[test]
fn this_smprof_speaks_the_protocol_and_other_programs_do_not() {
    assert!(lockstep::driver::supported(&smprof_exe()));
    assert!(!lockstep::driver::supported(std::path::Path::new(
        "/bin/true"
    )));
    assert!(!lockstep::driver::supported(std::path::Path::new(
        "/no/such/smprof"
    )));
}

#[test]
fn both_sides_sample_in_turn_and_come_back_paired_by_sample() {
    let (a, b) =
        measure::execute_alternating(&plan(smprof_exe()), &plan(smprof_exe()), false).unwrap();
    assert_eq!(a.settings.pairing, b.settings.pairing);
    assert!(a.settings.pairing.is_some());
    assert!(a.settings.paired_samples && b.settings.paired_samples);
    for r in [&a, &b] {
        for name in ["tensor/add_10k", "gelu/1k"] {
            let m = &r.workload(name).unwrap().metrics["time_ns"];
            assert_eq!(m.samples.as_ref().unwrap().len(), 6, "{name}");
            assert_eq!(
                m.process.as_deref(),
                Some(&[0, 0, 0, 1, 1, 1][..]),
                "{name}"
            );
            assert!(m.samples.as_ref().unwrap().iter().all(|&t| t > 0.0));
        }
    }
}

#[test]
fn a_worker_that_dies_is_an_error_naming_it_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("dying-smprof");
    // Speaks `--lockstep` in its help, then dies at once when asked to work.
    std::fs::write(
        &script,
        "#!/bin/sh\nif [ \"$2\" = --help ]; then echo '--lockstep'; exit 0; fi\necho 'worker crashed' >&2\nexit 3\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let e = measure::execute_alternating(&plan(smprof_exe()), &plan(script.clone()), false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("dying-smprof") && e.contains("worker crashed"),
        "{e}"
    );
}

/// `smprof worker --pass time --lockstep --workloads WORKLOADS`.
fn lockstep_worker(workloads: &str) -> Command {
    let mut cmd = Command::cargo_bin("smprof").unwrap();
    cmd.args([
        "worker",
        "--pass",
        "time",
        "--lockstep",
        "--workloads",
        workloads,
    ]);
    cmd
}

#[test]
fn the_worker_protocol_on_the_command_line() {
    let out = lockstep_worker("gelu/1k")
        .args(["--samples", "2"])
        .write_stdin("sample\nsample\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..3], ["ready", "ok", "ok"]);
    assert!(lines[3].contains("\"samples_ns\""));
    // Two workloads cannot run in lockstep: the worker fails with the reason.
    lockstep_worker("gelu/1k,gelu/10k")
        .assert()
        .failure()
        .stderr(predicates::str::contains("exactly one workload"));
}
