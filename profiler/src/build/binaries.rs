//! Which smprof measures a side of a comparison: this binary when the side is
//! the work tree it was built from (HEAD), else the commit built in the cache
//! ([`super::build`]), so that every decision between two commits can measure
//! both builds.

use super::{BuildOptions, Built};
use crate::error::{Error, Result};
use crate::result::{CommitInfo, RunResult};
use std::path::{Path, PathBuf};

/// The binary that measures `side` (a result, shown as `what` in errors).
/// `head` is HEAD's commit (and dirty state); `this_exe` measures HEAD.
pub fn smprof_for(
    repo: &git2::Repository,
    side: &RunResult,
    what: &str,
    head: Option<&CommitInfo>,
    this_exe: &Path,
    opts: &BuildOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf> {
    let Some(c) = &side.commit else {
        return Err(Error::Other {
            what: format!("measuring the {what} again"),
            reason: format!(
                "its result ({}) names no commit to build; pass the binary that measured it (--{what}-exe) or --no-confirm",
                side.label()
            ),
        });
    };
    let is_head = head.is_some_and(|h| h.sha == c.sha && h.dirty == c.dirty);
    if is_head {
        return Ok(this_exe.to_path_buf());
    }
    if c.dirty {
        return Err(Error::Other {
            what: format!("measuring the {what} again"),
            reason: format!(
                "its result is of a work tree with uncommitted changes ({}), which cannot be rebuilt; commit them, or pass --{what}-exe or --no-confirm",
                side.label()
            ),
        });
    }
    progress(&format!(
        "building {} \"{}\" (cached per commit and toolchain)",
        c.short, c.subject
    ));
    match super::build(repo, &c.sha, opts)? {
        Built::Ok { binary, .. } => Ok(binary),
        Built::Failed { commit, log_tail } => Err(Error::Other {
            what: format!(
                "building the {what}, {} \"{}\"",
                commit.short, commit.subject
            ),
            reason: format!("cargo build failed:\n{log_tail}"),
        }),
    }
}

/// Both binaries of a decision between two results.
pub fn both(
    repo: &git2::Repository,
    baseline: &RunResult,
    current: &RunResult,
    this_exe: &Path,
    opts: &BuildOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<(PathBuf, PathBuf)> {
    let head = crate::git::head_info(repo)?;
    let b = smprof_for(
        repo,
        baseline,
        "baseline",
        head.as_ref(),
        this_exe,
        opts,
        progress,
    )?;
    let c = smprof_for(
        repo,
        current,
        "current",
        head.as_ref(),
        this_exe,
        opts,
        progress,
    )?;
    Ok((b, c))
}
