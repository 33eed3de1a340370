//! Building commits: check a commit out in a temporary worktree, `cargo build` the
//! measuring binary there, keep the binary, remove the worktree.
//!
//! Builds share one cargo target directory per repository (`<git dir>/smprof/target`):
//! cargo locks it and keys artifacts by content, so sharing only saves work (the
//! registry crates compile once). The binary cargo leaves there is overwritten by the
//! next build, so each is copied to `<git dir>/smprof/bin/<sha>/<toolchain>/<bin>`,
//! which later runs reuse: a commit is built at most once per toolchain (a binary
//! of another compiler would measure other code).
//!
//! A commit that does not compile is an outcome ([`Built::Failed`]), not an error:
//! bisect skips it, as `git bisect skip` would.

pub mod ab;
pub mod binaries;
pub mod merge;
pub mod worktree;

use crate::error::{Error, Result};
use crate::result::CommitInfo;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What and where to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Cargo package and binary to build.
    pub package: String,
    pub bin: String,
    /// Cache of worktrees, the shared target directory and built binaries.
    pub cache_dir: PathBuf,
    /// Print cargo's output (otherwise it is kept for the failure message).
    pub verbose: bool,
}

impl BuildOptions {
    /// `smprof` itself, cached under the repository's git directory.
    pub fn smprof(repo: &git2::Repository) -> BuildOptions {
        BuildOptions {
            package: "smprof".into(),
            bin: "smprof".into(),
            cache_dir: default_cache_dir(repo),
            verbose: false,
        }
    }
}

/// `<common git dir>/smprof`: per repository, never committed, shared by worktrees.
pub fn default_cache_dir(repo: &git2::Repository) -> PathBuf {
    repo.commondir().join("smprof")
}

/// The result of building one commit.
#[derive(Debug, Clone)]
pub enum Built {
    Ok {
        commit: CommitInfo,
        binary: PathBuf,
        cached: bool,
    },
    /// It does not build: the last lines cargo printed say why.
    Failed {
        commit: CommitInfo,
        log_tail: String,
    },
}

impl Built {
    pub fn commit(&self) -> &CommitInfo {
        match self {
            Built::Ok { commit, .. } | Built::Failed { commit, .. } => commit,
        }
    }
}

/// Build `rev` (a revision) with `opts`. Errors are infrastructure failures (git,
/// file system, cargo missing); a compile failure is [`Built::Failed`].
pub fn build(repo: &git2::Repository, rev: &str, opts: &BuildOptions) -> Result<Built> {
    let commit = crate::git::resolve_commit(repo, rev)?;
    let info = crate::git::commit_info(repo, &commit)?;
    let bin_dir = opts
        .cache_dir
        .join("bin")
        .join(&info.sha)
        .join(toolchain_key()?);
    let binary = bin_dir.join(&opts.bin);
    if binary.is_file() {
        return Ok(Built::Ok {
            commit: info,
            binary,
            cached: true,
        });
    }
    let wt = worktree::TempWorktree::create(repo, commit.id(), &opts.cache_dir.join("worktrees"))?;
    let target = opts.cache_dir.join("target");
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args([
        "build",
        "--release",
        "-p",
        &opts.package,
        "--bin",
        &opts.bin,
    ])
    .current_dir(wt.dir())
    .env("CARGO_TARGET_DIR", &target)
    .stdin(Stdio::null());
    let output = if opts.verbose {
        cmd.status().map(|s| (s, String::new()))
    } else {
        cmd.output()
            .map(|o| (o.status, String::from_utf8_lossy(&o.stderr).into_owned()))
    };
    let (status, log) = output.map_err(|e| Error::Other {
        what: format!("running cargo build for {}", info.short),
        reason: e.to_string(),
    })?;
    if !status.success() {
        let lines: Vec<&str> = log.lines().collect();
        let log_tail = lines[lines.len().saturating_sub(15)..].join("\n");
        return Ok(Built::Failed {
            commit: info,
            log_tail,
        });
    }
    let built = target.join("release").join(&opts.bin);
    std::fs::create_dir_all(&bin_dir).map_err(|e| Error::io(&bin_dir, e))?;
    // Copy to a temporary name, then rename: a half-copied binary is never reused.
    let partial = bin_dir.join(format!(".{}.partial", opts.bin));
    std::fs::copy(&built, &partial).map_err(|e| Error::io(&built, e))?;
    std::fs::rename(&partial, &binary).map_err(|e| Error::io(&binary, e))?;
    drop(wt);
    Ok(Built::Ok {
        commit: info,
        binary,
        cached: false,
    })
}

/// A short key of the compiler cargo builds with (`rustc -vV`: version, commit,
/// host), computed once per process.
pub fn toolchain_key() -> Result<String> {
    static KEY: std::sync::OnceLock<std::result::Result<String, String>> =
        std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let out = Command::new(rustc)
            .arg("-vV")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running rustc -vV: {e}"))?;
        if !out.status.success() {
            return Err(format!("rustc -vV exited with {}", out.status));
        }
        Ok(key_of(&String::from_utf8_lossy(&out.stdout)))
    })
    .clone()
    .map_err(|reason| Error::Other {
        what: "identifying the toolchain".into(),
        reason,
    })
}

/// `rustc-<release>-<16 hex digits of FNV-1a over the whole -vV text>`.
fn key_of(version_text: &str) -> String {
    let release = version_text
        .lines()
        .find_map(|l| l.strip_prefix("release: "))
        .unwrap_or("unknown")
        .trim();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in version_text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let safe: String = release
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("rustc-{safe}-{h:016x}")
}

/// Remove cached binaries (keeps the shared target directory).
pub fn clear_binaries(cache_dir: &Path) -> Result<()> {
    let dir = cache_dir.join("bin");
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&dir, e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_keys_differ_by_compiler_and_are_path_safe() {
        let a = "rustc 1.95.0 (59807616e 2026-04-14)\nhost: x86_64-unknown-linux-gnu\nrelease: 1.95.0\n";
        let b = "rustc 1.96.0 (0123456789 2026-06-01)\nhost: x86_64-unknown-linux-gnu\nrelease: 1.96.0\n";
        assert!(key_of(a).starts_with("rustc-1.95.0-"));
        assert_ne!(key_of(a), key_of(b));
        assert_eq!(key_of(a), key_of(a));
        assert!(key_of("release: 1.0/../x").chars().all(|c| c != '/'));
    }
}
