//! Instruction counts under valgrind's callgrind: the gate's deterministic mode.
//!
//! Each workload runs in its own `smprof worker --pass instructions` under
//! `valgrind --tool=callgrind --instr-atstart=no --toggle-collect=<measured_op>`:
//! start-up, setup and the warm-up run uninstrumented, the worker switches
//! callgrind's instrumentation on just before the counted calls and off after
//! them ([`requests`]), and collection is on only inside [`crate::measure`]'s
//! `measured_op`, which the worker calls exactly `samples` times. The file's
//! totals divided by the operations the worker reports is the count per
//! operation; instrumenting late changes no count (test `callgrind_requests`).
//!
//! Determinism: one engine thread (a thread pool's idle spinning is not
//! repeatable), and valgrind hides AVX-512 from CPUID, so the engine picks its
//! AVX2 tier. A forced `SMALLMIND_SIMD=avx512` is refused before anything runs,
//! and an instruction valgrind cannot decode (what AVX-512 code would be) makes
//! the worker die with SIGILL, reported as such — it never goes unnoticed.
//!
//! Cost: valgrind 3.19 runs every FMA lane through a software helper (≈50 ns a
//! lane), instrumented or not, so an AVX2 sgemm costs ≈50 s per 1024³ call and
//! matmul/1024's warm-up as much as its counted call. Hence one counted
//! operation by default ([`DEFAULT_OPS`]), glibc's libm kept off its FMA variants
//! (the workloads' Box–Muller setup spent most of its time there), the
//! instrumentation off outside the counted calls, and the longest runs started
//! first ([`longest_first`]).

pub mod requests;

use crate::error::{Error, Result};
use crate::result::{Better, WorkloadResult};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The callgrind toggle pattern: the never-inlined function every measured
/// operation goes through (demangled `smprof::measure::measured_op`).
pub const TOGGLE_PATTERN: &str = "*measure*measured_op*";

/// Environment variable naming the valgrind executable (default: `valgrind` on PATH).
pub const VALGRIND_ENV: &str = "SMPROF_VALGRIND";

/// Operations counted per workload when `--samples` is not given. Counts are
/// exact, so one steady-state operation (after the warm-up) is the figure; more
/// calls repeat it at valgrind's cost.
pub const DEFAULT_OPS: u32 = 1;

/// The glibc tunable set for the worker under valgrind: libm's ifuncs pick their
/// FMA variants (`__cos_fma`, `__ieee754_log_fma`, …) from CPUID, and valgrind
/// emulates each FMA in software, which made random setup (Box–Muller) most of a
/// workload's cost. The engine reads CPUID itself, so its AVX2 tier (with FMA)
/// still runs; counts of operations that call libm come from its SSE2 variants.
pub const GLIBC_TUNABLE_NO_FMA: &str = "glibc.cpu.hwcaps=-FMA";

/// `GLIBC_TUNABLES` for the worker: the caller's tunables, then [`GLIBC_TUNABLE_NO_FMA`].
pub fn glibc_tunables(existing: Option<&str>) -> String {
    match existing {
        Some(v) if !v.trim().is_empty() => format!("{v}:{GLIBC_TUNABLE_NO_FMA}"),
        _ => GLIBC_TUNABLE_NO_FMA.to_string(),
    }
}

/// Totals of one callgrind output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Event name → count (`Ir` is instructions executed).
    pub events: BTreeMap<String, u64>,
}

impl Totals {
    /// Instructions executed (`Ir`).
    pub fn instructions(&self) -> Option<u64> {
        self.events.get("Ir").copied()
    }
}

/// Parse a callgrind output file's totals. The `events:` line names the columns;
/// `totals:` lines (one per part) are summed, falling back to `summary:`.
pub fn parse_totals(text: &str, path: &Path) -> Result<Totals> {
    let invalid = |reason: String| Error::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let mut names: Option<Vec<String>> = None;
    let mut totals: Option<Vec<u64>> = None;
    let mut summary: Option<Vec<u64>> = None;
    let parse_row = |rest: &str| -> std::result::Result<Vec<u64>, String> {
        rest.split_whitespace()
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| format!("{v:?} is not an event count"))
            })
            .collect()
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("events:") {
            names = Some(rest.split_whitespace().map(str::to_string).collect());
        } else if let Some(rest) = line.strip_prefix("totals:") {
            let row = parse_row(rest).map_err(invalid)?;
            totals = Some(match totals.take() {
                None => row,
                Some(acc) => acc
                    .iter()
                    .zip(row.iter().chain(std::iter::repeat(&0)))
                    .map(|(a, b)| a + b)
                    .collect(),
            });
        } else if let Some(rest) = line.strip_prefix("summary:") {
            summary = Some(parse_row(rest).map_err(invalid)?);
        }
    }
    let names =
        names.ok_or_else(|| invalid("no `events:` line: not a callgrind output file".into()))?;
    let row = totals.or(summary).ok_or_else(|| {
        invalid("no `totals:` or `summary:` line (callgrind stopped early?)".into())
    })?;
    if row.len() > names.len() {
        return Err(invalid(format!(
            "{} totals for {} events",
            row.len(),
            names.len()
        )));
    }
    // Trailing zero columns may be omitted.
    let events = names
        .into_iter()
        .zip(row.into_iter().chain(std::iter::repeat(0)))
        .collect();
    Ok(Totals { events })
}

/// The valgrind executable: `$SMPROF_VALGRIND` or `valgrind`; checked by running `--version`.
pub fn find_valgrind() -> Result<PathBuf> {
    let exe = std::env::var_os(VALGRIND_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("valgrind"));
    let out = Command::new(&exe)
        .arg("--version")
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => Ok(exe),
        Ok(o) => Err(Error::Other {
            what: "--metric instructions".into(),
            reason: format!(
                "`{} --version` failed ({}): {}",
                exe.display(),
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            ),
        }),
        Err(e) => Err(Error::Other {
            what: "--metric instructions".into(),
            reason: format!(
                "valgrind is needed to count instructions and `{}` could not be run ({e}); install it (e.g. `apt-get install valgrind`), set {VALGRIND_ENV}, or use --metric time",
                exe.display()
            ),
        }),
    }
}

/// Refuse a forced AVX-512 tier: valgrind cannot execute it.
pub fn check_tier_env() -> Result<()> {
    match std::env::var("SMALLMIND_SIMD") {
        Ok(v) if v.trim().eq_ignore_ascii_case("avx512") => Err(Error::Other {
            what: "--metric instructions with SMALLMIND_SIMD=avx512".into(),
            reason: "valgrind does not emulate AVX-512; unset SMALLMIND_SIMD (the AVX2 tier runs) or force avx2/scalar".into(),
        }),
        _ => Ok(()),
    }
}

/// The command that counts one workload: `valgrind --tool=callgrind … <exe> worker
/// --pass instructions --workloads W --samples N --threads 1`; it dies with this process.
pub fn command(
    valgrind: &Path,
    exe: &Path,
    workload: &str,
    samples: u32,
    out_file: &Path,
) -> Command {
    let mut cmd = Command::new(valgrind);
    cmd.arg("--tool=callgrind");
    if requests::SUPPORTED {
        // The worker starts the instrumentation itself, after the warm-up.
        cmd.arg("--instr-atstart=no");
    }
    cmd.arg(format!("--toggle-collect={TOGGLE_PATTERN}"))
        .arg("--collect-atstart=no")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        // Not needed for totals; keeps the file small and the run faster.
        .arg("--dump-instr=no")
        .arg("--compress-strings=no")
        .arg(exe)
        .arg("worker")
        .arg("--pass")
        .arg("instructions")
        .arg("--workloads")
        .arg(workload)
        .arg("--samples")
        .arg(samples.to_string())
        .arg("--threads")
        .arg("1")
        .env("SMALLMIND_THREADS", "1")
        .env(
            "GLIBC_TUNABLES",
            glibc_tunables(std::env::var("GLIBC_TUNABLES").ok().as_deref()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    super::parent_death::die_with_parent(&mut cmd);
    cmd
}

/// Native seconds each workload takes (setup, warm-up and `samples` operations),
/// from one uninstrumented worker; `None` when it fails (the valgrind runs then
/// report the failure themselves). Valgrind's cost follows it closely enough to
/// order the runs.
pub fn native_costs(exe: &Path, workloads: &[String], samples: u32) -> Option<Vec<f64>> {
    let mut cmd = Command::new(exe);
    cmd.args(["worker", "--pass", "instructions", "--workloads"])
        .arg(workloads.join(","))
        .args(["--samples", &samples.to_string(), "--threads", "1"])
        .env("SMALLMIND_THREADS", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    let output = super::parent_death::die_with_parent(&mut cmd)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let lines: Vec<super::worker::Line> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    workloads
        .iter()
        .map(|w| lines.iter().find(|l| &l.workload == w).map(|l| l.elapsed_s))
        .collect()
}

/// Indices of `costs`, costliest first (ties keep their order): with a few
/// valgrind jobs, starting the longest run last would add it to the wall time.
pub fn longest_first(costs: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]));
    order
}

/// The part of a worker's JSON line this pass reads.
#[derive(Debug, Clone, Deserialize)]
struct WorkerLine {
    workload: String,
    simd_tier: String,
    #[serde(default)]
    operations: u32,
    #[serde(default)]
    error: Option<String>,
}

/// One workload counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    pub workload: String,
    /// The SIMD tier the engine ran under valgrind.
    pub simd_tier: String,
    /// Calls of `measured_op` collected.
    pub operations: u32,
    pub totals: Totals,
    /// Wall-clock seconds the valgrind run took.
    pub elapsed_s: f64,
}

impl Counted {
    /// Instructions per operation.
    pub fn instructions_per_op(&self) -> f64 {
        self.totals.instructions().unwrap_or(0) as f64 / f64::from(self.operations.max(1))
    }
}

/// Count one workload: run the worker under callgrind in `tmp`, parse and check.
pub fn count_one(
    valgrind: &Path,
    exe: &Path,
    workload: &str,
    samples: u32,
    tmp: &Path,
) -> Result<Counted> {
    let safe: String = workload
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let out_file = tmp.join(format!("callgrind.{safe}.out"));
    let what = || format!("callgrind run of {workload}");
    let start = std::time::Instant::now();
    let output = command(valgrind, exe, workload, samples, &out_file)
        .output()
        .map_err(|e| Error::Other {
            what: what(),
            reason: format!("could not start {}: {e}", valgrind.display()),
        })?;
    let elapsed_s = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(12).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        let hint = if stderr.contains("unhandled instruction") || stderr.contains("SIGILL") {
            " — valgrind met an instruction it cannot emulate (AVX-512 code running under valgrind?)"
        } else {
            ""
        };
        return Err(Error::Workload {
            workload: workload.to_string(),
            reason: format!(
                "the worker under callgrind failed ({}){hint}:\n{}",
                output.status,
                tail.join("\n")
            ),
        });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .find_map(|l| serde_json::from_str::<WorkerLine>(l).ok())
        .ok_or_else(|| Error::Workload {
            workload: workload.to_string(),
            reason: format!(
                "the worker printed no result line (stdout: {:?})",
                stdout.trim()
            ),
        })?;
    if let Some(e) = line.error {
        return Err(Error::Workload {
            workload: workload.to_string(),
            reason: e,
        });
    }
    if line.workload != workload || line.operations != samples {
        return Err(Error::Workload {
            workload: workload.to_string(),
            reason: format!(
                "the worker reported {} operations of {} where {samples} of {workload} were asked",
                line.operations, line.workload
            ),
        });
    }
    if line.simd_tier == "avx512" {
        return Err(Error::Workload {
            workload: workload.to_string(),
            reason: "the engine chose AVX-512 under valgrind, which cannot emulate it".into(),
        });
    }
    let text = std::fs::read_to_string(&out_file).map_err(|e| Error::io(&out_file, e))?;
    let totals = parse_totals(&text, &out_file)?;
    match totals.instructions() {
        Some(0) | None => {
            return Err(Error::Workload {
                workload: workload.to_string(),
                reason: format!(
                    "callgrind collected no instructions inside {TOGGLE_PATTERN} ({}): was measured_op inlined or renamed, or is {} an smprof whose worker does not switch the instrumentation on itself?",
                    out_file.display(),
                    exe.display()
                ),
            });
        }
        Some(_) => {}
    }
    Ok(Counted {
        workload: workload.to_string(),
        simd_tier: line.simd_tier,
        operations: line.operations,
        totals,
        elapsed_s,
    })
}

/// The result entry of a counted workload: `instructions` per operation.
pub fn workload_result(c: &Counted) -> Result<WorkloadResult> {
    let def = crate::workloads::find(&c.workload).ok_or_else(|| Error::Workload {
        workload: c.workload.clone(),
        reason: "not in the catalogue".into(),
    })?;
    let mut metrics = BTreeMap::new();
    metrics.insert(
        "instructions".to_string(),
        super::assemble::deterministic("instructions", Better::Lower, c.instructions_per_op()),
    );
    Ok(WorkloadResult {
        name: c.workload.clone(),
        suite: def.suite.as_str().to_string(),
        group: def.group.to_string(),
        metrics,
        ops: BTreeMap::new(),
    })
}

/// Everything one instructions pass produced.
#[derive(Debug, Clone)]
pub struct InstructionsPass {
    pub counted: Vec<Counted>,
    /// The tier every worker ran (they must agree).
    pub simd_tier: String,
    pub elapsed_s: f64,
}

/// Count `workloads` (in order) with `exe`'s worker, `jobs` valgrind runs at a
/// time (counts do not depend on it; wall time does). `on_done` is called after each.
pub fn count_all(
    exe: &Path,
    workloads: &[String],
    samples: u32,
    jobs: usize,
    on_done: &(dyn Fn(&Counted) + Sync),
) -> Result<InstructionsPass> {
    check_tier_env()?;
    let valgrind = find_valgrind()?;
    if samples == 0 {
        return Err(Error::Other {
            what: "--metric instructions".into(),
            reason: "samples must be at least 1".into(),
        });
    }
    let tmp = tempfile::Builder::new()
        .prefix("smprof-callgrind-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let start = std::time::Instant::now();
    let jobs = jobs.clamp(1, workloads.len().max(1));
    let order = if jobs > 1 && workloads.len() > jobs {
        native_costs(exe, workloads, samples)
            .map(|c| longest_first(&c))
            .unwrap_or_else(|| (0..workloads.len()).collect())
    } else {
        (0..workloads.len()).collect()
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<Result<Counted>>>> =
        std::sync::Mutex::new(workloads.iter().map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(&i) = order.get(k) else { break };
                    let w = &workloads[i];
                    let r = count_one(&valgrind, exe, w, samples, tmp.path());
                    if let Ok(c) = &r {
                        on_done(c);
                    }
                    let failed = r.is_err();
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
                    if failed {
                        // Stop handing out work; running jobs finish.
                        next.store(workloads.len(), std::sync::atomic::Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let mut counted = Vec::new();
    for r in results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
    {
        counted.push(r?);
    }
    let simd_tier = counted
        .first()
        .map(|c| c.simd_tier.clone())
        .unwrap_or_else(|| "avx2".into());
    if let Some(c) = counted.iter().find(|c| c.simd_tier != simd_tier) {
        return Err(Error::Workload {
            workload: c.workload.clone(),
            reason: format!("ran tier {} where others ran {simd_tier}", c.simd_tier),
        });
    }
    Ok(InstructionsPass {
        counted,
        simd_tier,
        elapsed_s: start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npid: 4242\ncmd:  smprof worker\npart: 1\n\ndesc: I1 cache: \npositions: line\nevents: Ir\nsummary: 123456\n\nfn=(1) smprof::measure::measured_op\n0 10\n\ntotals: 123456\n";

    #[test]
    fn parses_totals_and_sums_parts() {
        let t = parse_totals(SAMPLE, Path::new("x")).unwrap();
        assert_eq!(t.instructions(), Some(123_456));
        let two = format!("{SAMPLE}part: 2\ntotals: 4\n");
        assert_eq!(
            parse_totals(&two, Path::new("x")).unwrap().instructions(),
            Some(123_460)
        );
        let multi = "events: Ir Dr Dw\nsummary: 10 20\n";
        let t = parse_totals(multi, Path::new("x")).unwrap();
        assert_eq!(t.events["Dw"], 0);
        assert_eq!(t.events["Dr"], 20);
    }

    #[test]
    fn rejects_damaged_files_with_the_path() {
        for bad in [
            "",
            "events: Ir\n",
            "events: Ir\ntotals: 12x\n",
            "events: Ir\ntotals: 1 2\n",
        ] {
            let e = parse_totals(bad, Path::new("/tmp/cg.out")).unwrap_err();
            assert!(e.to_string().contains("/tmp/cg.out"), "{e}");
        }
    }

    #[test]
    fn longest_runs_start_first() {
        assert_eq!(longest_first(&[0.1, 5.0, 0.3, 5.0, 2.0]), [1, 3, 4, 2, 0]);
        assert!(longest_first(&[]).is_empty());
    }

    #[test]
    fn libm_is_kept_off_fma_after_the_callers_tunables() {
        assert_eq!(glibc_tunables(None), GLIBC_TUNABLE_NO_FMA);
        assert_eq!(glibc_tunables(Some("")), GLIBC_TUNABLE_NO_FMA);
        assert_eq!(
            glibc_tunables(Some("glibc.malloc.check=3")),
            format!("glibc.malloc.check=3:{GLIBC_TUNABLE_NO_FMA}")
        );
    }

    #[test]
    fn command_toggles_on_measured_op_only() {
        let cmd = command(
            Path::new("valgrind"),
            Path::new("/bin/smprof"),
            "matmul/64",
            3,
            Path::new("/tmp/o"),
        );
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.contains(&format!("--toggle-collect={TOGGLE_PATTERN}")));
        assert_eq!(
            args.contains(&"--instr-atstart=no".to_string()),
            requests::SUPPORTED
        );
        assert!(args.contains(&"--collect-atstart=no".to_string()));
        assert!(args.contains(&"--callgrind-out-file=/tmp/o".to_string()));
        let tail: Vec<&str> = args
            .iter()
            .skip_while(|a| *a != "worker")
            .map(String::as_str)
            .collect();
        assert_eq!(
            tail,
            [
                "worker",
                "--pass",
                "instructions",
                "--workloads",
                "matmul/64",
                "--samples",
                "3",
                "--threads",
                "1"
            ]
        );
    }
}
