//! A/B measurement of two commits on the same machine: build both, then run them
//! in alternating fresh processes so drift (thermal, other tenants) hits both
//! sides alike. Rounds alternate which side goes first (A B, B A, A B, …) so
//! neither side always runs right after the other.
//!
//! The measuring binary is driven through its CLI: `<bin> run --out FILE --no-save
//! --processes 1 --samples N [--filter P] [--metric instructions]`, in the
//! repository's work tree (fixtures resolve as for a normal run).

use super::{BuildOptions, Built};
use crate::error::{Error, Result};
use crate::result::{CommitInfo, RunResult};
use crate::store::Resolved;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How to measure.
#[derive(Debug, Clone)]
pub struct AbOptions {
    /// Only workloads matching this (passed to `run --filter`).
    pub filter: Option<String>,
    /// Interleaved rounds (A B counts as one); instruction counts need one.
    pub rounds: u32,
    /// Samples per round and workload.
    pub samples: u32,
    /// Count instructions (callgrind) instead of timing.
    pub instructions: bool,
    pub build: BuildOptions,
    /// Directory the runs start in (the work tree).
    pub workdir: PathBuf,
}

/// A built side.
#[derive(Debug, Clone)]
pub struct BuiltSide {
    pub commit: CommitInfo,
    pub binary: PathBuf,
}

/// Both sides measured: one merged result each (processes = rounds).
#[derive(Debug, Clone)]
pub struct AbOutcome {
    pub base: Resolved,
    pub head: Resolved,
}

/// Build `base` and `head`, measure them interleaved, merge each side's rounds.
/// `progress` receives one line per step (building, round k).
pub fn ab(
    repo: &git2::Repository,
    base: &str,
    head: &str,
    opts: &AbOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<AbOutcome> {
    let a = build_side(repo, base, &opts.build, progress)?;
    let b = build_side(repo, head, &opts.build, progress)?;
    let (ra, rb) = measure_interleaved(&a, &b, opts, progress)?;
    Ok(AbOutcome {
        base: Resolved {
            reference: base.to_string(),
            path: PathBuf::from(format!("ab:{}", a.commit.short)),
            result: ra,
        },
        head: Resolved {
            reference: head.to_string(),
            path: PathBuf::from(format!("ab:{}", b.commit.short)),
            result: rb,
        },
    })
}

/// Build one side; a commit that does not build is an error here (A/B needs both).
pub fn build_side(
    repo: &git2::Repository,
    rev: &str,
    opts: &BuildOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<BuiltSide> {
    progress(&format!("building {rev}"));
    match super::build(repo, rev, opts)? {
        Built::Ok {
            commit,
            binary,
            cached,
        } => {
            if cached {
                progress(&format!("{} already built", commit.short));
            }
            Ok(BuiltSide { commit, binary })
        }
        Built::Failed { commit, log_tail } => Err(Error::Other {
            what: format!("building {rev} ({} \"{}\")", commit.short, commit.subject),
            reason: format!("cargo build failed:\n{log_tail}"),
        }),
    }
}

/// Run both binaries in alternating rounds; each side's rounds merged.
pub fn measure_interleaved(
    a: &BuiltSide,
    b: &BuiltSide,
    opts: &AbOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<(RunResult, RunResult)> {
    let rounds = if opts.instructions {
        1
    } else {
        opts.rounds.max(1)
    };
    let scratch = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        progress(&format!("round {}/{rounds}", round + 1));
        let order: [(&BuiltSide, bool); 2] = if round % 2 == 0 {
            [(a, true), (b, false)]
        } else {
            [(b, false), (a, true)]
        };
        for (side, is_a) in order {
            let out = scratch
                .path()
                .join(format!("{}-{round}.json", side.commit.sha));
            let r = run_binary(side, opts, &out, scratch.path())?;
            if is_a { ra.push(r) } else { rb.push(r) }
        }
    }
    let (mut ma, mut mb) = (
        super::merge::merge_rounds(&ra)?,
        super::merge::merge_rounds(&rb)?,
    );
    // Round k of each side ran back to back: the sides compare round by round.
    if !opts.instructions {
        crate::measure::mark_paired(&mut ma, &mut mb);
    }
    Ok((ma, mb))
}

/// One fresh `run` of a built binary; the result is stamped with the side's commit
/// (the run itself sees the work tree it starts in, not the commit it was built from).
pub fn run_binary(
    side: &BuiltSide,
    opts: &AbOptions,
    out: &Path,
    scratch: &Path,
) -> Result<RunResult> {
    let mut cmd = Command::new(&side.binary);
    cmd.arg("run").arg("--out").arg(out).arg("--no-save");
    if opts.instructions {
        cmd.args(["--metric", "instructions"]);
    } else {
        cmd.args([
            "--processes",
            "1",
            "--samples",
            &opts.samples.max(1).to_string(),
        ]);
    }
    if let Some(f) = &opts.filter {
        cmd.args(["--filter", f]);
    }
    // Nothing this run could save lands in the user's baselines.
    cmd.current_dir(&opts.workdir)
        .env("SMPROF_BASELINES", scratch.join("baselines"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    // This thread waits for the run to end, as `die_with_parent` requires.
    crate::measure::parent_death::die_with_parent(&mut cmd);
    let output = cmd.output().map_err(|e| Error::Other {
        what: format!("running {}", side.binary.display()),
        reason: e.to_string(),
    })?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = err.lines().collect();
        return Err(Error::Other {
            what: format!(
                "measuring {} \"{}\"",
                side.commit.short, side.commit.subject
            ),
            reason: format!(
                "`run` exited with {}:\n{}",
                output.status,
                lines[lines.len().saturating_sub(10)..].join("\n")
            ),
        });
    }
    let mut r = crate::result::load(out)?;
    r.commit = Some(side.commit.clone());
    Ok(r)
}
