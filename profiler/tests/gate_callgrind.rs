//! Instruction counts: callgrind output parsing through the public API, and two
//! instruction runs of one commit giving identical counts per operation, whether
//! one operation (the default) or two are counted (needs valgrind; skipped with a
//! message when it is absent).

use assert_cmd::Command;
use smprof::measure::callgrind;
use std::path::Path;

#[test]
fn parses_a_real_shaped_callgrind_file() {
    let text = "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npid: 7\ncmd:  ./smprof worker\npart: 1\n\ndesc: I1 cache:\ndesc: Timerange: Basic block 0 - 120\ntrigger: Program termination\n\npositions: line\nevents: Ir\nsummary: 9876543\n\nob=(1) /x/smprof\nfl=(1) ???\nfn=(1) smprof::measure::measured_op\n0 3\ncalls=1 0\n0 9876540\n\ntotals: 9876543\n";
    let t = callgrind::parse_totals(text, Path::new("cg.out")).unwrap();
    assert_eq!(t.instructions(), Some(9_876_543));
    let e = callgrind::parse_totals("events: Ir\n", Path::new("cg.out")).unwrap_err();
    assert!(e.to_string().contains("cg.out"));
}

fn valgrind_present() -> bool {
    std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One instructions run of matmul/128; `samples: None` takes the default.
fn count(dir: &Path, name: &str, samples: Option<&str>) -> serde_json::Value {
    let out = dir.join(name);
    let mut cmd = Command::cargo_bin("smprof").unwrap();
    cmd.current_dir(dir).env_remove("SMALLMIND_SIMD").args([
        "run",
        "--suite",
        "code",
        "--filter",
        "matmul/128",
        "--metric",
        "instructions",
        "--no-save",
        "--format",
        "json",
    ]);
    if let Some(n) = samples {
        cmd.args(["--samples", n]);
    }
    cmd.arg("--out").arg(&out).assert().success();
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

#[test]
fn two_instruction_runs_of_one_commit_are_identical() {
    if !valgrind_present() {
        eprintln!("skipped: valgrind is not installed (instruction counts need it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Both at once: counts do not depend on it, the test's wall time does.
    let (a, b) = std::thread::scope(|s| {
        // One with the default number of counted operations (1), one with 2: the
        // per-operation count is the same exact figure.
        let a = s.spawn(|| count(dir.path(), "a.json", None));
        let b = count(dir.path(), "b.json", Some("2"));
        (a.join().unwrap(), b)
    });
    let ir = |v: &serde_json::Value| {
        v["workloads"][0]["metrics"]["instructions"]["summary"]["median"]
            .as_f64()
            .unwrap()
    };
    assert!(
        ir(&a) > 1e5,
        "matmul/128 is at least 2·128³ flops of work: {}",
        ir(&a)
    );
    assert_eq!(ir(&a), ir(&b));
    assert_eq!(a["settings"]["metric_mode"], "instructions");
    assert_eq!(a["settings"]["samples_per_process"], 1);
    assert_eq!(b["settings"]["samples_per_process"], 2);
    assert_ne!(
        a["env"]["simd_tier"], "avx512",
        "valgrind cannot run AVX-512"
    );
}
