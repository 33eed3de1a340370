//! A commit checked out in a temporary git worktree, removed when dropped — and on
//! Ctrl-C, through a registry the signal handler empties.
//!
//! libgit2 adds worktrees on a branch, so each gets a throwaway branch
//! `smprof/tmp-<name>` at the commit; dropping prunes the worktree, deletes the
//! branch and removes the directory.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Live worktrees: (repository path, worktree name, directory).
static LIVE: Mutex<Vec<(PathBuf, String, PathBuf)>> = Mutex::new(Vec::new());

/// A checked-out commit.
#[derive(Debug)]
pub struct TempWorktree {
    repo_path: PathBuf,
    name: String,
    dir: PathBuf,
}

impl TempWorktree {
    /// Check `commit` out into a new directory under `parent`.
    pub fn create(
        repo: &git2::Repository,
        commit: git2::Oid,
        parent: &Path,
    ) -> Result<TempWorktree> {
        install_interrupt_cleanup();
        remove_stale(repo);
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        let short = &commit.to_string()[..10];
        let name = format!("smprof-{short}-{}-{}", std::process::id(), unique());
        let dir = parent.join(&name);
        let c = repo.find_commit(commit)?;
        let branch = repo.branch(&branch_name(&name), &c, true)?;
        let mut opts = git2::WorktreeAddOptions::new();
        opts.reference(Some(branch.get()));
        let repo_path = repo.path().to_path_buf();
        // Register before adding, so an interrupt in between still cleans up.
        LIVE.lock().unwrap_or_else(|p| p.into_inner()).push((
            repo_path.clone(),
            name.clone(),
            dir.clone(),
        ));
        let wt = TempWorktree {
            repo_path,
            name: name.clone(),
            dir: dir.clone(),
        };
        repo.worktree(&name, &dir, Some(&opts)).map_err(|e| {
            Error::Git(format!(
                "checking out {short} into {}: {}",
                dir.display(),
                e.message()
            ))
        })?;
        Ok(wt)
    }

    /// The checked-out directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TempWorktree {
    fn drop(&mut self) {
        remove(&self.repo_path, &self.name, &self.dir);
        LIVE.lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(_, n, _)| n != &self.name);
    }
}

fn branch_name(worktree: &str) -> String {
    format!("smprof/tmp-{worktree}")
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Best effort: a failure here must not hide the error that is unwinding.
fn remove(repo_path: &Path, name: &str, dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    if let Ok(repo) = git2::Repository::open(repo_path) {
        if let Ok(wt) = repo.find_worktree(name) {
            let mut opts = git2::WorktreePruneOptions::new();
            opts.valid(true).working_tree(true).locked(true);
            let _ = wt.prune(Some(&mut opts));
        }
        if let Ok(mut b) = repo.find_branch(&branch_name(name), git2::BranchType::Local) {
            let _ = b.delete();
        }
    }
}

/// Remove worktrees left by smprof processes that died without cleaning up
/// (SIGKILL, power loss): their names carry the pid, which no longer runs.
fn remove_stale(repo: &git2::Repository) {
    // Liveness is read from /proc; without it, leave everything alone.
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(names) = repo.worktrees() else { return };
    for name in names.iter().flatten() {
        let mut parts = name.strip_prefix("smprof-").map(|r| r.split('-'));
        let pid = parts
            .as_mut()
            .and_then(|p| p.nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if let Ok(wt) = repo.find_worktree(name) {
            let dir = wt.path().to_path_buf();
            remove(repo.path(), name, &dir);
        }
    }
}

/// Remove every live worktree (the Ctrl-C handler calls this; another handler
/// installed first by the process can call it too).
pub fn cleanup_all() {
    let live = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|p| p.into_inner()));
    for (repo, name, dir) in live {
        remove(&repo, &name, &dir);
    }
}

/// On SIGINT (Ctrl-C), SIGTERM or SIGHUP: clean up, then exit 130 like an interrupted shell command.
fn install_interrupt_cleanup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // If the process already has a handler, it owns interrupts; Drop still cleans
        // up on every ordinary exit path.
        let _ = ctrlc::try_set_handler(|| {
            eprintln!("\ninterrupted: removing temporary worktrees");
            cleanup_all();
            std::process::exit(130);
        });
    });
}
