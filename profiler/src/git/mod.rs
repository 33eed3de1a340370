//! Git access through git2 (no network): the commit being measured, and refs
//! (`HEAD~2`, a sha prefix, a branch) resolved to commits.

use crate::error::{Error, Result};
use crate::result::CommitInfo;
use std::path::Path;

pub mod notes;
pub mod source;
pub mod source_set;

/// Read no system-wide git configuration (`/etc/gitconfig`) in this process when
/// `no_system` (the value of `GIT_CONFIG_NOSYSTEM`) is true, as git does: libgit2 honours
/// the variable only for repositories opened from the environment, not for those smprof
/// opens by path.
///
/// # Safety
/// libgit2's search paths are process-global: call this before any other thread exists.
pub unsafe fn honour_no_system(no_system: Option<&std::ffi::OsStr>) -> Result<()> {
    let Some(value) = no_system else {
        return Ok(());
    };
    let text = value.to_string_lossy();
    let skip = git_bool(&text).ok_or_else(|| {
        Error::Git(format!(
            "GIT_CONFIG_NOSYSTEM: {text:?} is not a boolean (true, false, yes, no, on, off, 1, 0)"
        ))
    })?;
    if skip {
        // SAFETY: the caller runs this before any other thread; an empty list of
        // directories is a search path in which no file is found.
        unsafe { git2::opts::set_search_path(git2::ConfigLevel::System, "")? };
    }
    Ok(())
}

/// A boolean as git reads one from the environment: `true`, `yes`, `on` or a non-zero
/// integer; `false`, `no`, `off`, `0` or empty (case-insensitive). `None` for anything else.
fn git_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" | "" => Some(false),
        other => other.parse::<i64>().ok().map(|n| n != 0),
    }
}

/// Open the repository that contains `dir`, if any.
pub fn open(dir: &Path) -> Option<git2::Repository> {
    git2::Repository::discover(dir).ok()
}

/// The commit HEAD points at, with dirty state and branch; `None` outside a repository
/// or in one without commits.
pub fn head_info(repo: &git2::Repository) -> Result<Option<CommitInfo>> {
    let head = match repo.head() {
        Ok(h) => h,
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let commit = head.peel_to_commit()?;
    let branch = if head.is_branch() {
        head.shorthand().map(str::to_string)
    } else {
        None
    };
    let mut info = commit_info(repo, &commit)?;
    info.branch = branch;
    info.dirty = is_dirty(repo)?;
    Ok(Some(info))
}

/// Facts about one commit (dirty = false, branch = None).
pub fn commit_info(repo: &git2::Repository, commit: &git2::Commit<'_>) -> Result<CommitInfo> {
    let sha = commit.id().to_string();
    let short = commit
        .as_object()
        .short_id()
        .ok()
        .and_then(|b| b.as_str().map(str::to_string))
        .unwrap_or_else(|| sha[..7].to_string());
    let _ = repo;
    Ok(CommitInfo {
        short,
        subject: commit.summary().unwrap_or("").to_string(),
        time: rfc3339_from_git(commit.time()),
        sha,
        dirty: false,
        branch: None,
        stale: false,
    })
}

/// True when tracked files differ from HEAD (untracked files do not count:
/// results written under `baselines/` must not make the tree dirty).
pub fn is_dirty(repo: &git2::Repository) -> Result<bool> {
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(false).include_ignored(false);
    let statuses = repo.statuses(Some(&mut opts))?;
    Ok(statuses.iter().any(|s| s.status() != git2::Status::CURRENT))
}

/// Resolve a revision (`HEAD~2`, a sha prefix, a branch or tag) to a commit.
pub fn resolve_commit<'r>(repo: &'r git2::Repository, rev: &str) -> Result<git2::Commit<'r>> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| {
            Error::Git(format!(
                "cannot resolve {rev:?} to a commit: {}",
                e.message()
            ))
        })
}

/// git's time as RFC 3339 in UTC.
pub fn rfc3339_from_git(t: git2::Time) -> String {
    crate::timefmt::rfc3339(t.seconds())
}

#[cfg(test)]
mod tests {
    use super::git_bool;

    /// git's reading of a boolean variable (`git_parse_maybe_bool_text`, then an integer).
    #[test]
    fn booleans_read_as_git_reads_them() {
        for t in ["true", "TRUE", "yes", "On", "1", "2", "-1"] {
            assert_eq!(git_bool(t), Some(true), "{t}");
        }
        for f in ["false", "No", "off", "0", ""] {
            assert_eq!(git_bool(f), Some(false), "{f}");
        }
        for bad in ["y", "enabled", " true", "1.5"] {
            assert_eq!(git_bool(bad), None, "{bad}");
        }
    }
}
